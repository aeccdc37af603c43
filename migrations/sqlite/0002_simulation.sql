-- Phishing simulation: verified domains, sending profiles, templates,
-- campaigns, recipients with their tracked status, events, and the training
-- assigned after a click.

CREATE TABLE practice_domains (
    id          INTEGER PRIMARY KEY,
    practice_id BIGINT NOT NULL REFERENCES practices(id),
    domain      TEXT NOT NULL,
    verified_at BIGINT,
    verified_by TEXT,
    created_at  BIGINT NOT NULL,
    UNIQUE (practice_id, domain)
);

CREATE TABLE sending_profiles (
    id            INTEGER PRIMARY KEY,
    practice_id   BIGINT NOT NULL REFERENCES practices(id),
    name          TEXT NOT NULL,
    host          TEXT NOT NULL,
    port          BIGINT NOT NULL,
    security      TEXT NOT NULL CHECK (security IN ('none', 'starttls', 'tls')),
    username      TEXT NOT NULL,
    password      TEXT NOT NULL,
    envelope_from TEXT NOT NULL,
    header_name   TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX sending_profiles_by_practice ON sending_profiles (practice_id);

CREATE TABLE sim_templates (
    id              INTEGER PRIMARY KEY,
    practice_id     BIGINT NOT NULL REFERENCES practices(id),
    name            TEXT NOT NULL,
    library_id      TEXT,
    from_name       TEXT NOT NULL,
    from_address    TEXT NOT NULL,
    subject         TEXT NOT NULL,
    html            TEXT NOT NULL,
    text_body       TEXT NOT NULL,
    landing         TEXT NOT NULL CHECK (landing IN ('credentials', 'document', 'teachable')),
    training_module TEXT NOT NULL,
    difficulty      TEXT NOT NULL,
    cues            BIGINT NOT NULL,
    premise         TEXT NOT NULL,
    red_flags_json  TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX sim_templates_by_practice ON sim_templates (practice_id);

CREATE TABLE campaigns (
    id             INTEGER PRIMARY KEY,
    practice_id    BIGINT NOT NULL REFERENCES practices(id),
    name           TEXT NOT NULL,
    template_id    BIGINT NOT NULL REFERENCES sim_templates(id),
    profile_id     BIGINT NOT NULL REFERENCES sending_profiles(id),
    landing        TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('scheduled', 'sending', 'paused', 'cancelled', 'completed')),
    launch_at      BIGINT NOT NULL,
    send_by        BIGINT NOT NULL,
    ends_at        BIGINT NOT NULL,
    business_hours BOOLEAN NOT NULL,
    created_by     BIGINT NOT NULL REFERENCES users(id),
    created_at     BIGINT NOT NULL,
    -- Kept up to date as events arrive, so results never scan the events.
    recipients     BIGINT NOT NULL DEFAULT 0,
    sent           BIGINT NOT NULL DEFAULT 0,
    errors         BIGINT NOT NULL DEFAULT 0,
    opened         BIGINT NOT NULL DEFAULT 0,
    clicked        BIGINT NOT NULL DEFAULT 0,
    submitted      BIGINT NOT NULL DEFAULT 0,
    reported       BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX campaigns_by_practice ON campaigns (practice_id, id);

CREATE TABLE campaign_recipients (
    id               INTEGER PRIMARY KEY,
    campaign_id      BIGINT NOT NULL REFERENCES campaigns(id),
    practice_id      BIGINT NOT NULL REFERENCES practices(id),
    staff_id         BIGINT NOT NULL REFERENCES staff(id),
    department_id    BIGINT,
    token            TEXT NOT NULL UNIQUE,
    email            TEXT NOT NULL,
    full_name        TEXT NOT NULL,
    job_role         TEXT NOT NULL,
    send_at          BIGINT NOT NULL,
    send_status      TEXT NOT NULL CHECK (send_status IN ('queued', 'sent', 'error', 'cancelled')),
    send_attempts    BIGINT NOT NULL DEFAULT 0,
    locked_until     BIGINT,
    sent_at          BIGINT,
    send_error       TEXT,
    opened_at        BIGINT,
    clicked_at       BIGINT,
    submitted_at     BIGINT,
    reported_at      BIGINT,
    UNIQUE (campaign_id, staff_id)
);
CREATE INDEX campaign_recipients_due ON campaign_recipients (send_status, send_at);
CREATE INDEX campaign_recipients_by_campaign ON campaign_recipients (campaign_id, id);
CREATE INDEX campaign_recipients_by_staff ON campaign_recipients (practice_id, staff_id);

CREATE TABLE sim_events (
    id           INTEGER PRIMARY KEY,
    campaign_id  BIGINT NOT NULL,
    recipient_id BIGINT NOT NULL,
    kind         TEXT NOT NULL,
    counted      BOOLEAN NOT NULL,
    reasons      TEXT NOT NULL,
    at           BIGINT NOT NULL,
    ip           TEXT NOT NULL,
    user_agent   TEXT NOT NULL
);
CREATE INDEX sim_events_by_recipient ON sim_events (recipient_id, at);
CREATE INDEX sim_events_by_campaign ON sim_events (campaign_id, at);

CREATE TABLE training_assignments (
    id          INTEGER PRIMARY KEY,
    practice_id BIGINT NOT NULL REFERENCES practices(id),
    staff_id    BIGINT NOT NULL REFERENCES staff(id),
    module      TEXT NOT NULL,
    reason      TEXT NOT NULL,
    campaign_id BIGINT,
    assigned_at BIGINT NOT NULL,
    due_at      BIGINT,
    completed_at BIGINT
);
CREATE INDEX training_assignments_by_staff ON training_assignments (practice_id, staff_id);
