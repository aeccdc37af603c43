-- Resilience: plans built from our templates, incidents run from them, tabletop exercises.

CREATE TABLE plans (
    id               INTEGER PRIMARY KEY,
    practice_id      BIGINT NOT NULL REFERENCES practices(id),
    template         TEXT NOT NULL,
    body             TEXT NOT NULL,
    version          BIGINT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('draft', 'approved')),
    approved_version BIGINT,
    approved_by      TEXT,
    approved_at      BIGINT,
    review_on        TEXT,
    last_printed_at  BIGINT,
    last_printed_by  TEXT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    UNIQUE (practice_id, template)
);

-- Each approved version, kept as it was approved.
CREATE TABLE plan_versions (
    plan_id     BIGINT NOT NULL REFERENCES plans(id),
    practice_id BIGINT NOT NULL REFERENCES practices(id),
    version     BIGINT NOT NULL,
    body        TEXT NOT NULL,
    approved_by TEXT NOT NULL,
    approved_at BIGINT NOT NULL,
    PRIMARY KEY (plan_id, version)
);

-- Changes to make to a plan, from incident reviews.
CREATE TABLE plan_notes (
    id          INTEGER PRIMARY KEY,
    plan_id     BIGINT NOT NULL REFERENCES plans(id),
    practice_id BIGINT NOT NULL REFERENCES practices(id),
    text        TEXT NOT NULL,
    incident_id BIGINT,
    created_at  BIGINT NOT NULL
);
CREATE INDEX plan_notes_by_plan ON plan_notes (practice_id, plan_id);

CREATE TABLE incidents (
    id              INTEGER PRIMARY KEY,
    practice_id     BIGINT NOT NULL REFERENCES practices(id),
    plan_id         BIGINT NOT NULL REFERENCES plans(id),
    title           TEXT NOT NULL,
    declared_at     BIGINT NOT NULL,
    declared_by     TEXT NOT NULL,
    aware_at        BIGINT NOT NULL,
    personal_data   BOOLEAN NOT NULL,
    likelihood      BIGINT,
    severity        BIGINT,
    ico_reported_at BIGINT,
    status          TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    closed_at       BIGINT,
    review          TEXT,
    checklist       TEXT NOT NULL
);
CREATE INDEX incidents_by_practice ON incidents (practice_id, declared_at);

CREATE TABLE incident_log (
    id          INTEGER PRIMARY KEY,
    incident_id BIGINT NOT NULL REFERENCES incidents(id),
    practice_id BIGINT NOT NULL REFERENCES practices(id),
    at          BIGINT NOT NULL,
    author      TEXT NOT NULL,
    text        TEXT NOT NULL
);
CREATE INDEX incident_log_by_incident ON incident_log (incident_id, at);

CREATE TABLE incident_checks (
    incident_id BIGINT NOT NULL REFERENCES incidents(id),
    practice_id BIGINT NOT NULL REFERENCES practices(id),
    item        BIGINT NOT NULL,
    done_at     BIGINT NOT NULL,
    done_by     TEXT NOT NULL,
    PRIMARY KEY (incident_id, item)
);

CREATE TABLE incident_lessons (
    id          INTEGER PRIMARY KEY,
    incident_id BIGINT NOT NULL REFERENCES incidents(id),
    practice_id BIGINT NOT NULL REFERENCES practices(id),
    text        TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    created_by  TEXT NOT NULL
);

CREATE TABLE exercises (
    id          INTEGER PRIMARY KEY,
    practice_id BIGINT NOT NULL REFERENCES practices(id),
    scenario    TEXT NOT NULL,
    title       TEXT NOT NULL,
    run_on      TEXT NOT NULL,
    facilitator TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('planned', 'done')),
    started_at  BIGINT,
    finished_at BIGINT,
    notes       TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX exercises_by_practice ON exercises (practice_id, run_on);

CREATE TABLE exercise_attendees (
    exercise_id BIGINT NOT NULL REFERENCES exercises(id),
    practice_id BIGINT NOT NULL REFERENCES practices(id),
    staff_id    BIGINT NOT NULL REFERENCES staff(id),
    PRIMARY KEY (exercise_id, staff_id)
);

CREATE TABLE exercise_actions (
    id          INTEGER PRIMARY KEY,
    exercise_id BIGINT NOT NULL REFERENCES exercises(id),
    practice_id BIGINT NOT NULL REFERENCES practices(id),
    text        TEXT NOT NULL,
    staff_id    BIGINT REFERENCES staff(id),
    due_on      TEXT,
    done_at     BIGINT
);
