-- Issue 14, part 3: a champion's start date and agreed responsibilities,
-- and the log of colleagues' questions and near misses a champion keeps.
ALTER TABLE staff ADD COLUMN champion_since TEXT;
-- One responsibility a line.
ALTER TABLE staff ADD COLUMN champion_duties TEXT NOT NULL DEFAULT '';

-- "Is this phishing?", "I clicked something": what a colleague asked or
-- told their champion, and what the champion advised. Seen only by the
-- department's champions and the practice manager.
CREATE TABLE champion_log (
    id             INTEGER PRIMARY KEY,
    practice_id    BIGINT NOT NULL REFERENCES practices(id),
    department_id  BIGINT REFERENCES departments(id),
    -- The colleague, if the champion names them.
    staff_id       BIGINT REFERENCES staff(id),
    kind           TEXT NOT NULL CHECK (kind IN ('question', 'near_miss')),
    what           TEXT NOT NULL,
    advice         TEXT NOT NULL DEFAULT '',
    happened_on    TEXT NOT NULL,
    logged_by      BIGINT NOT NULL REFERENCES users(id),
    created_at     BIGINT NOT NULL,
    -- What it became, in one step: an incident report, or a training module.
    report_id      BIGINT REFERENCES incident_reports(id),
    module         TEXT
);
CREATE INDEX champion_log_by_department ON champion_log (practice_id, department_id, created_at);
