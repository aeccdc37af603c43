-- A click checks whether the same email's hidden link was followed: an
-- index lookup, however many events a recipient has.
CREATE INDEX sim_events_by_recipient_kind ON sim_events (recipient_id, kind);
