-- Everyone with administrator access to the practice's systems (DSPT item 4.3.1), including
-- external suppliers and the ICB's GP IT staff, and the accountability agreements they accept:
-- a staff member in Safety Net, anyone else through an emailed single-use link.

CREATE TABLE admin_access (
    id           INTEGER PRIMARY KEY,
    practice_id  BIGINT NOT NULL REFERENCES practices(id),
    -- Set when the administrator is on the practice's staff list: their access, and so their
    -- agreement, ends when they leave.
    staff_id     BIGINT REFERENCES staff(id),
    full_name    TEXT NOT NULL,
    email        TEXT NOT NULL,
    organisation TEXT NOT NULL,
    systems      TEXT NOT NULL,
    access_kind  TEXT NOT NULL CHECK (access_kind IN ('network', 'clinical_system', 'cloud', 'remote_support', 'other')),
    -- The day the access ended (ISO date); NULL while they have it.
    ended_on     TEXT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX admin_access_by_practice ON admin_access (practice_id, id);

-- Each acceptance, with the exact text accepted and its SHA-256.
CREATE TABLE admin_agreements (
    id          INTEGER PRIMARY KEY,
    practice_id BIGINT NOT NULL REFERENCES practices(id),
    access_id   BIGINT NOT NULL REFERENCES admin_access(id),
    agreement   TEXT NOT NULL,
    version     BIGINT NOT NULL,
    digest      TEXT NOT NULL,
    text        TEXT NOT NULL,
    signed_name TEXT NOT NULL,
    via         TEXT NOT NULL CHECK (via IN ('account', 'link')),
    ip          TEXT NOT NULL,
    agreed_at   BIGINT NOT NULL,
    -- When the renewal reminder went (once per acceptance).
    reminded_at BIGINT
);
CREATE INDEX admin_agreements_by_access ON admin_agreements (practice_id, access_id, agreed_at);

-- Emailed links: only the SHA-256 of the token is kept; each works once, for 7 days.
CREATE TABLE admin_agreement_links (
    token_hash  TEXT PRIMARY KEY,
    practice_id BIGINT NOT NULL REFERENCES practices(id),
    access_id   BIGINT NOT NULL REFERENCES admin_access(id),
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT
);
CREATE INDEX admin_agreement_links_by_access ON admin_agreement_links (access_id);
