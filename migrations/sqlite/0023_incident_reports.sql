-- Incidents and near misses reported by any member of staff (Resilience →
-- Incidents → Report something): what happened, when, anything already
-- done. The practice managers and the reporter's department's champions are
-- emailed at once; the reporter sees their own reports afterwards.
CREATE TABLE incident_reports (
    id            INTEGER PRIMARY KEY,
    practice_id   BIGINT NOT NULL REFERENCES practices(id),
    reporter_id   BIGINT NOT NULL REFERENCES users(id),
    reporter_name TEXT NOT NULL,
    staff_id      BIGINT REFERENCES staff(id),
    department_id BIGINT REFERENCES departments(id),
    what          TEXT NOT NULL,
    happened      TEXT NOT NULL,
    done_already  TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX incident_reports_by_practice ON incident_reports (practice_id, created_at);
CREATE INDEX incident_reports_by_department ON incident_reports (practice_id, department_id, created_at);
