-- Training and CPD: lessons, quizzes, completions, assignment rules, compliance.

-- Why someone was asked to do a module: induction, refresher, simulation, manager.
ALTER TABLE training_assignments ADD COLUMN kind TEXT NOT NULL DEFAULT 'simulation';
CREATE INDEX training_assignments_open ON training_assignments (practice_id, completed_at, due_at);

CREATE TABLE training_settings (
    practice_id        BIGINT PRIMARY KEY REFERENCES practices(id),
    pass_mark          BIGINT NOT NULL,
    induction_due_days BIGINT NOT NULL,
    refresher_months   BIGINT NOT NULL,
    compliance_target  BIGINT NOT NULL,
    reminder_days      BIGINT NOT NULL
);

-- A practice's own version of a role's curriculum; absent means the shipped one.
CREATE TABLE training_curricula (
    practice_id BIGINT NOT NULL REFERENCES practices(id),
    role_key    TEXT NOT NULL,
    modules     TEXT NOT NULL,
    PRIMARY KEY (practice_id, role_key)
);

-- Where someone is in a lesson, and the reading time counted for CPD.
CREATE TABLE training_progress (
    practice_id BIGINT NOT NULL REFERENCES practices(id),
    staff_id    BIGINT NOT NULL REFERENCES staff(id),
    module      TEXT NOT NULL,
    section     BIGINT NOT NULL,
    seconds     BIGINT NOT NULL,
    started_at  BIGINT NOT NULL,
    last_seen   BIGINT NOT NULL,
    PRIMARY KEY (practice_id, staff_id, module)
);

CREATE TABLE quiz_attempts (
    id           INTEGER PRIMARY KEY,
    practice_id  BIGINT NOT NULL REFERENCES practices(id),
    staff_id     BIGINT NOT NULL REFERENCES staff(id),
    module       TEXT NOT NULL,
    questions    TEXT NOT NULL,
    started_at   BIGINT NOT NULL,
    submitted_at BIGINT,
    answers      TEXT,
    score        BIGINT,
    passed       BOOLEAN
);
CREATE INDEX quiz_attempts_by_staff ON quiz_attempts (practice_id, staff_id, module);

CREATE TABLE training_completions (
    id           INTEGER PRIMARY KEY,
    practice_id  BIGINT NOT NULL REFERENCES practices(id),
    staff_id     BIGINT NOT NULL REFERENCES staff(id),
    module       TEXT NOT NULL,
    completed_at BIGINT NOT NULL,
    seconds      BIGINT NOT NULL,
    score        BIGINT NOT NULL,
    total        BIGINT NOT NULL,
    attempt_id   BIGINT NOT NULL UNIQUE REFERENCES quiz_attempts(id)
);
CREATE INDEX training_completions_by_staff ON training_completions (practice_id, staff_id, completed_at);
CREATE INDEX training_completions_by_time ON training_completions (practice_id, completed_at);

-- Each reminder is sent once per assignment.
CREATE TABLE training_reminders (
    assignment_id BIGINT NOT NULL REFERENCES training_assignments(id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,
    sent_at       BIGINT NOT NULL,
    PRIMARY KEY (assignment_id, kind)
);

-- One weekly digest per practice per ISO week.
CREATE TABLE training_digests (
    practice_id BIGINT NOT NULL REFERENCES practices(id),
    week        TEXT NOT NULL,
    sent_at     BIGINT NOT NULL,
    PRIMARY KEY (practice_id, week)
);

-- The training needs analysis (DSPT 3.1.1).
CREATE TABLE training_needs_analysis (
    practice_id  BIGINT PRIMARY KEY REFERENCES practices(id),
    staff_groups TEXT NOT NULL,
    delivery     TEXT NOT NULL,
    gaps         TEXT NOT NULL,
    actions      TEXT NOT NULL,
    review_on    TEXT,
    updated_at   BIGINT NOT NULL,
    updated_by   TEXT NOT NULL
);
