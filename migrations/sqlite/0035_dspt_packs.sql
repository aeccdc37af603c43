-- DSPT evidence packs: a PDF summary and a zip of the underlying documents, built in the
-- background (progress kept here, so any node can show it and take over a build whose node
-- stopped) and kept with their date to download again.

CREATE TABLE dspt_packs (
    id           INTEGER PRIMARY KEY,
    practice_id  BIGINT NOT NULL REFERENCES practices(id),
    requested_by TEXT NOT NULL,
    requested_at BIGINT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('building', 'ready', 'failed')),
    step         BIGINT NOT NULL DEFAULT 0,
    steps        BIGINT NOT NULL,
    doing        TEXT NOT NULL DEFAULT '',
    -- Whoever builds it holds it until then, and renews it at each step.
    lease_until  BIGINT NOT NULL,
    toolkit      TEXT NOT NULL DEFAULT '',
    summary      TEXT NOT NULL DEFAULT '',
    finished_at  BIGINT,
    error        TEXT,
    pdf_bytes    BIGINT NOT NULL DEFAULT 0,
    zip_bytes    BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX dspt_packs_by_practice ON dspt_packs (practice_id, id);
CREATE INDEX dspt_packs_building ON dspt_packs (status, lease_until);

CREATE TABLE dspt_pack_files (
    pack_id BIGINT PRIMARY KEY REFERENCES dspt_packs(id),
    pdf     BLOB NOT NULL,
    zip     BLOB NOT NULL
);
