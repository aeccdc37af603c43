-- The practice's reporting mailbox (forwarded suspicious emails), webhooks
-- that receive simulation events, and manager overrides of click counting.

CREATE TABLE report_mailboxes (
    id             INTEGER PRIMARY KEY,
    practice_id    BIGINT NOT NULL UNIQUE REFERENCES practices(id),
    settings_json  TEXT NOT NULL,
    active         BOOLEAN NOT NULL DEFAULT TRUE,
    last_polled_at BIGINT,
    last_error     TEXT,
    reports_found  BIGINT NOT NULL DEFAULT 0,
    created_at     BIGINT NOT NULL
);

CREATE TABLE webhooks (
    id              INTEGER PRIMARY KEY,
    practice_id     BIGINT NOT NULL REFERENCES practices(id),
    name            TEXT NOT NULL,
    url             TEXT NOT NULL,
    secret          TEXT NOT NULL,
    active          BOOLEAN NOT NULL DEFAULT TRUE,
    -- Events with ids up to here have been delivered.
    cursor_event_id BIGINT NOT NULL DEFAULT 0,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL DEFAULT 0,
    locked_until    BIGINT,
    last_error      TEXT,
    last_success_at BIGINT,
    created_at      BIGINT NOT NULL
);
CREATE INDEX webhooks_by_practice ON webhooks (practice_id);

ALTER TABLE sim_events ADD COLUMN practice_id BIGINT;
ALTER TABLE sim_events ADD COLUMN overridden_by TEXT;
ALTER TABLE sim_events ADD COLUMN overridden_at BIGINT;
CREATE INDEX sim_events_by_practice ON sim_events (practice_id, id);
