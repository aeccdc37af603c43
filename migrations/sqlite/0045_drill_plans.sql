-- Issue 14, part 2: a drill is planned for a day, then run and recorded.
-- Plans are for the manager and champions only: staff must not see that a
-- phone call or a USB stick is coming.
CREATE TABLE drill_plans (
    id            INTEGER PRIMARY KEY,
    practice_id   BIGINT NOT NULL REFERENCES practices(id),
    drill_id      TEXT NOT NULL,
    department_id BIGINT REFERENCES departments(id),
    -- The UK date it is planned for (YYYY-MM-DD).
    planned_on    TEXT NOT NULL,
    planned_by    BIGINT NOT NULL REFERENCES users(id),
    created_at    BIGINT NOT NULL,
    -- The run that carried it out, once recorded.
    run_id        BIGINT REFERENCES drill_runs(id),
    cancelled_at  BIGINT
);
CREATE INDEX drill_plans_open ON drill_plans (practice_id, planned_on);
