-- The Data Security and Protection Toolkit (issue 16): toolkit files an operator loaded for a
-- new year, the practice's choices for each item (who is responsible; not applicable, and why),
-- documents uploaded as evidence (by a practice, or once by an operator for many practices),
-- and each practice's readiness figures for the operator's list.

-- A year's toolkit file loaded by an operator; the one published most recently applies.
CREATE TABLE dspt_toolkits (
    id          INTEGER PRIMARY KEY,
    year        TEXT NOT NULL,
    version     TEXT NOT NULL,
    published   TEXT NOT NULL,
    fingerprint TEXT NOT NULL UNIQUE,
    file_name   TEXT NOT NULL,
    toml        TEXT NOT NULL,
    loaded_by   TEXT NOT NULL,
    loaded_at   BIGINT NOT NULL
);

-- Keyed by the item's number, so a choice carries over to next year's toolkit.
CREATE TABLE dspt_items (
    practice_id    BIGINT NOT NULL REFERENCES practices(id),
    item_id        TEXT NOT NULL,
    responsible    TEXT NOT NULL DEFAULT '',
    -- The manager's reason when the item does not apply to the practice.
    not_applicable TEXT,
    updated_by     TEXT NOT NULL,
    updated_at     BIGINT NOT NULL,
    PRIMARY KEY (practice_id, item_id)
);

-- An uploaded document. practice_id is the practice that uploaded it, NULL for an operator's;
-- which practices it covers is dspt_document_practices. The file itself is kept apart
-- (dspt_document_files) so that lists never read it.
CREATE TABLE dspt_documents (
    id           INTEGER PRIMARY KEY,
    practice_id  BIGINT REFERENCES practices(id),
    title        TEXT NOT NULL,
    file_name    TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('pdf', 'word', 'excel', 'png', 'jpeg')),
    size_bytes   BIGINT NOT NULL,
    sha256       TEXT NOT NULL,
    -- The first day it no longer counts (ISO date).
    expires_on   TEXT NOT NULL,
    uploaded_by  TEXT NOT NULL,
    uploaded_at  BIGINT NOT NULL,
    withdrawn_at BIGINT
);

CREATE TABLE dspt_document_files (
    document_id BIGINT PRIMARY KEY REFERENCES dspt_documents(id),
    data        BLOB NOT NULL
);

CREATE TABLE dspt_document_items (
    document_id BIGINT NOT NULL REFERENCES dspt_documents(id),
    item_id     TEXT NOT NULL,
    PRIMARY KEY (document_id, item_id)
);

CREATE TABLE dspt_document_practices (
    document_id BIGINT NOT NULL REFERENCES dspt_documents(id),
    practice_id BIGINT NOT NULL REFERENCES practices(id),
    PRIMARY KEY (document_id, practice_id)
);
CREATE INDEX dspt_document_practices_by_practice ON dspt_document_practices (practice_id, document_id);

-- Each practice's figures as last worked out (by its DSPT page, a pack, or the daily pass),
-- so the operator's list of many practices reads one row each.
CREATE TABLE dspt_readiness (
    practice_id       BIGINT PRIMARY KEY REFERENCES practices(id),
    toolkit           TEXT NOT NULL,
    ready             BIGINT NOT NULL,
    out_of_date       BIGINT NOT NULL,
    missing           BIGINT NOT NULL,
    not_applicable    BIGINT NOT NULL,
    mandatory_missing BIGINT NOT NULL,
    -- The mandatory items not ready, like "4.3.1, 7.1.1".
    mandatory_items   TEXT NOT NULL,
    worked_out_at     BIGINT NOT NULL
);
