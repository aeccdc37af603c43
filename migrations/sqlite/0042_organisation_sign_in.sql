-- Signing in with the organisation's account (OpenID Connect).

-- A sign-in on its way through the provider: its state (as a digest), nonce
-- and PKCE verifier, bound to the browser that started it. Kept here, not in
-- one node's memory, so the provider may send the person back to any node;
-- each is used once and lasts ten minutes.
CREATE TABLE oidc_logins (
    state_hash   TEXT PRIMARY KEY,
    provider     TEXT NOT NULL,
    nonce        TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    browser_hash TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX oidc_logins_by_age ON oidc_logins (created_at);

-- How the session began: '' with a password, otherwise the provider's id;
-- and whether that provider said it checked a second factor (which then
-- counts as Safety Net's two-step verification).
ALTER TABLE sessions ADD COLUMN signed_in_with TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN provider_second_factor BOOLEAN NOT NULL DEFAULT FALSE;

-- The provider everyone at a practice must sign in with (its id in the
-- settings); NULL: passwords too.
ALTER TABLE practices ADD COLUMN sign_in_provider TEXT;

-- When the person first signed in with the organisation's account: like
-- choosing a password, it means their account is set up (an invitation
-- accepted), for the figures that count who has joined.
ALTER TABLE users ADD COLUMN joined_with_provider_at BIGINT;
