-- Foundation: practices, people, accounts, sessions, audit log, outbox.
-- Times are whole seconds since the Unix epoch (BIGINT) so the same SQL and
-- the same Rust types work on SQLite and PostgreSQL. Calendar dates are ISO text.

CREATE TABLE practices (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    ods_code    TEXT,
    created_at  BIGINT NOT NULL
);

CREATE TABLE departments (
    id          INTEGER PRIMARY KEY,
    practice_id BIGINT NOT NULL REFERENCES practices(id),
    name        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    UNIQUE (practice_id, name)
);

CREATE TABLE staff (
    id              INTEGER PRIMARY KEY,
    practice_id     BIGINT NOT NULL REFERENCES practices(id),
    department_id   BIGINT REFERENCES departments(id),
    full_name       TEXT NOT NULL,
    email           TEXT NOT NULL,
    job_role        TEXT NOT NULL,
    start_date      TEXT,
    employment_type TEXT NOT NULL,
    is_champion     BOOLEAN NOT NULL DEFAULT FALSE,
    active          BOOLEAN NOT NULL DEFAULT TRUE,
    left_on         TEXT,
    created_at      BIGINT NOT NULL,
    UNIQUE (practice_id, email)
);
CREATE INDEX staff_by_department ON staff (practice_id, department_id);

CREATE TABLE users (
    id                  INTEGER PRIMARY KEY,
    email               TEXT NOT NULL UNIQUE,
    full_name           TEXT NOT NULL,
    role                TEXT NOT NULL CHECK (role IN ('operator', 'manager', 'champion', 'staff')),
    practice_id         BIGINT REFERENCES practices(id),
    staff_id            BIGINT REFERENCES staff(id),
    password_hash       TEXT,
    totp_secret         TEXT,
    totp_pending_secret TEXT,
    totp_last_step      BIGINT,
    active              BOOLEAN NOT NULL DEFAULT TRUE,
    created_at          BIGINT NOT NULL,
    CHECK ((role = 'operator') = (practice_id IS NULL))
);
CREATE INDEX users_by_practice ON users (practice_id);

CREATE TABLE recovery_codes (
    id        INTEGER PRIMARY KEY,
    user_id   BIGINT NOT NULL REFERENCES users(id),
    code_hash TEXT NOT NULL,
    used_at   BIGINT
);
CREATE INDEX recovery_codes_by_user ON recovery_codes (user_id);

CREATE TABLE sessions (
    id_hash      TEXT PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users(id),
    stage        TEXT NOT NULL CHECK (stage IN ('mfa', 'full')),
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE sign_in_attempts (
    id        INTEGER PRIMARY KEY,
    email     TEXT NOT NULL,
    ip        TEXT NOT NULL,
    at        BIGINT NOT NULL,
    succeeded BOOLEAN NOT NULL
);
CREATE INDEX sign_in_attempts_by_email ON sign_in_attempts (email, at);
CREATE INDEX sign_in_attempts_by_ip ON sign_in_attempts (ip, at);

CREATE TABLE auth_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users(id),
    purpose    TEXT NOT NULL CHECK (purpose IN ('invite', 'reset')),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);

CREATE TABLE audit_log (
    id            INTEGER PRIMARY KEY,
    practice_id   BIGINT REFERENCES practices(id),
    at            BIGINT NOT NULL,
    actor_user_id BIGINT,
    actor_email   TEXT,
    action        TEXT NOT NULL,
    detail        TEXT NOT NULL,
    ip            TEXT
);
CREATE INDEX audit_log_by_practice ON audit_log (practice_id, at);

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    practice_id     BIGINT REFERENCES practices(id),
    kind            TEXT NOT NULL,
    to_addr         TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body_text       TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    locked_until    BIGINT,
    last_error      TEXT,
    created_at      BIGINT NOT NULL,
    sent_at         BIGINT
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);

CREATE TABLE staff_imports (
    id          INTEGER PRIMARY KEY,
    practice_id BIGINT NOT NULL REFERENCES practices(id),
    created_by  BIGINT NOT NULL REFERENCES users(id),
    created_at  BIGINT NOT NULL,
    filename    TEXT NOT NULL,
    rows_json   TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('preview', 'imported', 'cancelled'))
);
CREATE INDEX staff_imports_by_practice ON staff_imports (practice_id, id);
