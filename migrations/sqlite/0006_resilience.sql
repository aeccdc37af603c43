-- Resilience: the asset register (devices and software) with its reviews,
-- device check-in, NHS cyber alerts, the backup register, tables of support
-- (end-of-life) dates loaded by a practice or an operator, and a record of
-- `safetynet backup` runs.

CREATE TABLE assets (
    id              INTEGER PRIMARY KEY,
    practice_id     BIGINT NOT NULL REFERENCES practices(id),
    kind            TEXT NOT NULL CHECK (kind IN ('desktop', 'laptop', 'server', 'tablet', 'phone', 'network', 'printer', 'software', 'other')),
    name            TEXT NOT NULL,
    -- Lower-case host name and upper-case serial number, for matching check-ins.
    hostname        TEXT,
    serial          TEXT,
    make_model      TEXT NOT NULL DEFAULT '',
    -- Operating system and version (for software: the version).
    os              TEXT NOT NULL DEFAULT '',
    os_build        TEXT NOT NULL DEFAULT '',
    owner           TEXT NOT NULL DEFAULT '',
    location        TEXT NOT NULL DEFAULT '',
    encryption      TEXT NOT NULL CHECK (encryption IN ('yes', 'no', 'unknown', 'not_applicable')),
    managed_by      TEXT NOT NULL CHECK (managed_by IN ('practice', 'icb', 'supplier', 'unknown')),
    -- Typed by the practice; when empty the support-dates table decides.
    supported_until TEXT,
    -- What the register uses: the typed date or the table's, and where it came from.
    eol_on          TEXT,
    eol_source      TEXT NOT NULL DEFAULT '',
    last_updated_at BIGINT,
    last_checkin_at BIGINT,
    -- Set whenever the operating system changes: the end-of-life date is worked out again.
    eol_stale       BOOLEAN NOT NULL DEFAULT TRUE,
    notes           TEXT NOT NULL DEFAULT '',
    added_by        TEXT NOT NULL CHECK (added_by IN ('manager', 'import', 'checkin')),
    active          BOOLEAN NOT NULL DEFAULT TRUE,
    retired_on      TEXT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
-- The register pages by (name, id) within a practice: an index range, never a scan.
CREATE INDEX assets_page ON assets (practice_id, active, name, id);
CREATE INDEX assets_by_hostname ON assets (practice_id, hostname);
CREATE INDEX assets_by_serial ON assets (practice_id, serial);

CREATE TABLE asset_imports (
    id          INTEGER PRIMARY KEY,
    practice_id BIGINT NOT NULL REFERENCES practices(id),
    created_by  BIGINT NOT NULL REFERENCES users(id),
    created_at  BIGINT NOT NULL,
    filename    TEXT NOT NULL,
    rows_json   TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('preview', 'imported', 'cancelled'))
);
CREATE INDEX asset_imports_by_practice ON asset_imports (practice_id, id);

CREATE TABLE register_reviews (
    id          INTEGER PRIMARY KEY,
    practice_id BIGINT NOT NULL REFERENCES practices(id),
    register    TEXT NOT NULL CHECK (register IN ('assets', 'backups')),
    reviewed_on TEXT NOT NULL,
    reviewed_by TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    at          BIGINT NOT NULL
);
CREATE INDEX register_reviews_by_practice ON register_reviews (practice_id, register, id);

-- One enrolment token per practice for the check-in scripts.
CREATE TABLE checkin_tokens (
    practice_id BIGINT PRIMARY KEY REFERENCES practices(id),
    token       TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL,
    created_by  TEXT NOT NULL
);

-- The tables of support dates a practice (or, with no practice, an operator) loaded.
CREATE TABLE support_date_tables (
    id          INTEGER PRIMARY KEY,
    practice_id BIGINT REFERENCES practices(id),
    updated     TEXT NOT NULL,
    filename    TEXT NOT NULL,
    toml        TEXT NOT NULL,
    loaded_by   TEXT NOT NULL,
    loaded_at   BIGINT NOT NULL
);
CREATE INDEX support_date_tables_by_practice ON support_date_tables (practice_id, id);

-- Which table the practice's stored end-of-life dates were worked out with.
CREATE TABLE resilience_state (
    practice_id     BIGINT PRIMARY KEY REFERENCES practices(id),
    eol_fingerprint TEXT NOT NULL
);

CREATE TABLE cyber_alerts (
    id              INTEGER PRIMARY KEY,
    practice_id     BIGINT NOT NULL REFERENCES practices(id),
    reference       TEXT NOT NULL,
    title           TEXT NOT NULL,
    severity        TEXT NOT NULL CHECK (severity IN ('critical', 'high', 'medium', 'low')),
    received_at     BIGINT NOT NULL,
    acknowledged_at BIGINT,
    acknowledged_by TEXT,
    applicability   TEXT NOT NULL CHECK (applicability IN ('not_assessed', 'applies', 'does_not_apply')),
    assessment      TEXT NOT NULL DEFAULT '',
    actions         TEXT NOT NULL DEFAULT '',
    action_owner    TEXT NOT NULL CHECK (action_owner IN ('practice', 'icb', 'supplier', 'unknown')),
    completed_on    TEXT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX cyber_alerts_by_practice ON cyber_alerts (practice_id, id);

CREATE TABLE backups (
    id                   INTEGER PRIMARY KEY,
    practice_id          BIGINT NOT NULL REFERENCES practices(id),
    what                 TEXT NOT NULL,
    category             TEXT NOT NULL CHECK (category IN ('clinical_system', 'shared_drive', 'documents', 'email', 'safety_net', 'other')),
    responsible          TEXT NOT NULL CHECK (responsible IN ('practice', 'icb', 'supplier')),
    responsible_name     TEXT NOT NULL DEFAULT '',
    destination          TEXT NOT NULL CHECK (destination IN ('external_drive', 'cloud', 'nas', 'supplier', 'other')),
    destination_detail   TEXT NOT NULL DEFAULT '',
    offline_copy         BOOLEAN NOT NULL DEFAULT FALSE,
    frequency_days       BIGINT NOT NULL,
    restore_every_days   BIGINT NOT NULL,
    last_backup_on       TEXT,
    last_restore_on      TEXT,
    last_restore_result  TEXT CHECK (last_restore_result IN ('worked', 'partly', 'failed')),
    notes                TEXT NOT NULL DEFAULT '',
    active               BOOLEAN NOT NULL DEFAULT TRUE,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL
);
CREATE INDEX backups_by_practice ON backups (practice_id, id);

CREATE TABLE backup_log (
    id          INTEGER PRIMARY KEY,
    practice_id BIGINT NOT NULL REFERENCES practices(id),
    backup_id   BIGINT NOT NULL REFERENCES backups(id),
    kind        TEXT NOT NULL CHECK (kind IN ('backup', 'restore_test')),
    on_date     TEXT NOT NULL,
    result      TEXT,
    note        TEXT NOT NULL DEFAULT '',
    recorded_by TEXT NOT NULL,
    at          BIGINT NOT NULL
);
CREATE INDEX backup_log_by_backup ON backup_log (practice_id, backup_id, id);

-- Each `safetynet backup` of Safety Net's own database.
CREATE TABLE system_backups (
    id     INTEGER PRIMARY KEY,
    at     BIGINT NOT NULL,
    file   TEXT NOT NULL,
    table_count BIGINT NOT NULL,
    row_count   BIGINT NOT NULL,
    bytes       BIGINT NOT NULL
);
