-- Issue 14, part 2: drills that need no email (phone calls, text-message
-- cards, USB sticks, walk-rounds), run by a champion or the manager from
-- the drill library (content/drills), with each person's outcome.

-- One drill run: which library drill, in which department, by whom.
CREATE TABLE drill_runs (
    id            INTEGER PRIMARY KEY,
    practice_id   BIGINT NOT NULL REFERENCES practices(id),
    drill_id      TEXT NOT NULL,
    kind          TEXT NOT NULL,
    department_id BIGINT REFERENCES departments(id),
    run_at        BIGINT NOT NULL,
    run_by        BIGINT NOT NULL REFERENCES users(id),
    created_at    BIGINT NOT NULL
);
CREATE INDEX drill_runs_by_time ON drill_runs (practice_id, run_at);

-- What happened: a person's outcome (or, for a walk-round, the area's,
-- with no person), the checklist steps seen, and a kind note. Seen only by
-- the person, their department's champion and the manager.
CREATE TABLE drill_outcomes (
    id              INTEGER PRIMARY KEY,
    run_id          BIGINT NOT NULL REFERENCES drill_runs(id),
    practice_id     BIGINT NOT NULL REFERENCES practices(id),
    staff_id        BIGINT REFERENCES staff(id),
    outcome         TEXT NOT NULL CHECK (outcome IN ('good-catch', 'partly', 'needs-practice')),
    checks          TEXT NOT NULL DEFAULT '',
    note            TEXT NOT NULL DEFAULT '',
    praise_by_name  BOOLEAN NOT NULL DEFAULT FALSE,
    recorded_at     BIGINT NOT NULL
);
CREATE INDEX drill_outcomes_by_run ON drill_outcomes (run_id);
CREATE INDEX drill_outcomes_by_staff ON drill_outcomes (practice_id, staff_id);
