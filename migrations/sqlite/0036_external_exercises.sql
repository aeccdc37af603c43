-- Issue 14, part 1: results of a phishing exercise run elsewhere (NHS
-- England's simulated phishing service on NHSmail, or another tool),
-- recorded by the practice manager so they count with our own exercises.

-- The exercise. The counts are kept up to date from its per-person results
-- (source 'people') or typed in when only a summary was given ('summary');
-- 'none' until either. Nothing typed into a landing page is ever stored.
CREATE TABLE external_exercises (
    id          INTEGER PRIMARY KEY,
    practice_id BIGINT NOT NULL REFERENCES practices(id),
    name        TEXT NOT NULL,
    run_by      TEXT NOT NULL CHECK (run_by IN ('nhs-england', 'other')),
    starts_on   TEXT NOT NULL,
    ends_on     TEXT NOT NULL,
    -- The UK midnight starting starts_on, for "in the last year".
    starts_at   BIGINT NOT NULL,
    subject     TEXT NOT NULL DEFAULT '',
    -- One red flag a line.
    red_flags   TEXT NOT NULL DEFAULT '',
    source      TEXT NOT NULL CHECK (source IN ('none', 'people', 'summary')),
    sent        BIGINT NOT NULL DEFAULT 0,
    opened      BIGINT NOT NULL DEFAULT 0,
    clicked     BIGINT NOT NULL DEFAULT 0,
    submitted   BIGINT NOT NULL DEFAULT 0,
    reported    BIGINT NOT NULL DEFAULT 0,
    created_by  BIGINT NOT NULL REFERENCES users(id),
    created_at  BIGINT NOT NULL
);
CREATE INDEX external_exercises_by_practice ON external_exercises (practice_id, starts_at);

-- One person's result: each step yes/no with its time when the file gave
-- one. One row a person, so importing the same file again changes nothing.
CREATE TABLE external_results (
    id            INTEGER PRIMARY KEY,
    exercise_id   BIGINT NOT NULL REFERENCES external_exercises(id),
    practice_id   BIGINT NOT NULL REFERENCES practices(id),
    staff_id      BIGINT NOT NULL REFERENCES staff(id),
    department_id BIGINT,
    delivered     BOOLEAN NOT NULL,
    opened        BOOLEAN NOT NULL,
    clicked       BOOLEAN NOT NULL,
    submitted     BOOLEAN NOT NULL,
    reported      BOOLEAN NOT NULL,
    opened_at     BIGINT,
    clicked_at    BIGINT,
    submitted_at  BIGINT,
    reported_at   BIGINT,
    UNIQUE (exercise_id, staff_id)
);
CREATE INDEX external_results_by_staff ON external_results (practice_id, staff_id);

-- A results file kept between the preview and the manager's choice.
CREATE TABLE external_result_imports (
    id          INTEGER PRIMARY KEY,
    practice_id BIGINT NOT NULL REFERENCES practices(id),
    exercise_id BIGINT NOT NULL REFERENCES external_exercises(id),
    created_by  BIGINT NOT NULL REFERENCES users(id),
    created_at  BIGINT NOT NULL,
    filename    TEXT NOT NULL,
    rows_json   TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('preview', 'imported', 'cancelled'))
);
