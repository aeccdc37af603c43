//! Typed ids for the simulation's own rows, as `shared::ids` has for the ones
//! every capability passes around: a template's id cannot be given where a
//! sending profile's is wanted, and a path segment that is not a whole number
//! that fits answers "Page not found" (through `web::Path`).

use std::fmt;
use std::str::FromStr;

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::{Database, Decode, Encode, Type};

use crate::shared::ids::id_type;

id_type!(
    /// An email template of the practice (`sim_templates.id`).
    TemplateId
);
id_type!(
    /// A sending profile: the mail server exercises go through (`sending_profiles.id`).
    ProfileId
);
id_type!(
    /// One person's copy of one exercise (`campaign_recipients.id`).
    RecipientId
);
id_type!(
    /// One tracked event: an open, click, report… (`sim_events.id`).
    EventId
);
id_type!(
    /// An email domain the practice asked to send to (`practice_domains.id`).
    DomainId
);
id_type!(
    /// A receiver of the practice's events (`webhooks.id`).
    WebhookId
);
id_type!(
    /// A GoPhish group of staff (`sim_groups.id`).
    GroupId
);
id_type!(
    /// A GoPhish landing page (`landing_pages.id`).
    PageId
);
