-- Issue 18, part 2: the reporting mailbox keeps its own OAuth2 access token
-- fresh. Several app nodes share the database, so what the token service
-- last gave (the access token, when it was issued and when it runs out, and
-- a new refresh token if the service replaced the old one) is kept here,
-- never in one node's memory. `attention` says in words why Safety Net can
-- no longer get a token (the manager must sign in again or paste new
-- details); set once, with one email, until the settings are saved again or
-- a token is obtained.
ALTER TABLE report_mailboxes ADD COLUMN oauth_access_token TEXT;
ALTER TABLE report_mailboxes ADD COLUMN oauth_issued_at BIGINT;
ALTER TABLE report_mailboxes ADD COLUMN oauth_expires_at BIGINT;
ALTER TABLE report_mailboxes ADD COLUMN oauth_refresh_token TEXT;
-- One node at a time asks for a new token (a rotated refresh token works once).
ALTER TABLE report_mailboxes ADD COLUMN oauth_claimed_until BIGINT;
ALTER TABLE report_mailboxes ADD COLUMN attention TEXT;
ALTER TABLE report_mailboxes ADD COLUMN attention_since BIGINT;

-- "Sign in as the mailbox": a connection on its way through the token
-- service's sign-in page. Nothing is saved to the mailbox until it comes
-- back; the settings typed wait here (ten minutes, used once, only by the
-- browser that started it), so any node can finish it.
CREATE TABLE mailbox_connections (
    state_hash    TEXT PRIMARY KEY,
    practice_id   BIGINT NOT NULL REFERENCES practices(id),
    settings_json TEXT NOT NULL,
    active        BOOLEAN NOT NULL,
    pkce_verifier TEXT NOT NULL,
    browser_hash  TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);
