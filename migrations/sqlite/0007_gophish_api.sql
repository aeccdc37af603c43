-- The GoPhish-compatible API: keys for practice managers' scripts, recipient
-- groups and landing pages as GoPhish names them, and what a GoPhish
-- campaign or sending profile carries that ours did not.

CREATE TABLE api_keys (
    id           INTEGER PRIMARY KEY,
    practice_id  BIGINT NOT NULL REFERENCES practices(id),
    user_id      BIGINT NOT NULL REFERENCES users(id),
    name         TEXT NOT NULL,
    -- SHA-256 of the key (the key itself is shown once and never stored).
    key_hash     TEXT NOT NULL UNIQUE,
    -- The key's first characters, so a manager can tell keys apart.
    key_hint     TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT
);
CREATE INDEX api_keys_by_practice ON api_keys (practice_id, id);

CREATE TABLE sim_groups (
    id          INTEGER PRIMARY KEY,
    practice_id BIGINT NOT NULL REFERENCES practices(id),
    name        TEXT NOT NULL,
    modified_at BIGINT NOT NULL,
    UNIQUE (practice_id, name)
);

CREATE TABLE sim_group_members (
    group_id BIGINT NOT NULL REFERENCES sim_groups(id),
    staff_id BIGINT NOT NULL REFERENCES staff(id),
    PRIMARY KEY (group_id, staff_id)
);

CREATE TABLE landing_pages (
    id           INTEGER PRIMARY KEY,
    practice_id  BIGINT NOT NULL REFERENCES practices(id),
    name         TEXT NOT NULL,
    landing      TEXT NOT NULL CHECK (landing IN ('credentials', 'document', 'teachable')),
    -- Kept to show back to GoPhish clients; never served (recipients see our own pages).
    html         TEXT NOT NULL,
    redirect_url TEXT NOT NULL,
    modified_at  BIGINT NOT NULL,
    UNIQUE (practice_id, name)
);

-- GoPhish keeps the sender on the profile ("From" as people see it).
ALTER TABLE sending_profiles ADD COLUMN from_address TEXT NOT NULL DEFAULT '';
-- The landing page a campaign was started with through the API.
ALTER TABLE campaigns ADD COLUMN page_id BIGINT;
