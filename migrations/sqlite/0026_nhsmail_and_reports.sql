-- Issue 14, part 1: NHSmail and the "I reported a suspicious email" button.

-- The reference of an agreement that allows the practice's own phishing
-- exercises to be sent to nhs.net addresses (NHSmail is one national tenant
-- where only NHS England's service is allow-listed). Recorded by an
-- operator; without a row here, nothing is sent to nhs.net.
CREATE TABLE nhsmail_agreements (
    practice_id BIGINT PRIMARY KEY REFERENCES practices(id),
    reference   TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at BIGINT NOT NULL
);

-- A suspicious email (or call, or text) a member of staff says they
-- reported anywhere: forwarded to spamreports@nhs.net, told a champion,
-- phoned IT. The department is kept as it was then, for the champion's count.
CREATE TABLE suspicious_reports (
    id            INTEGER PRIMARY KEY,
    practice_id   BIGINT NOT NULL REFERENCES practices(id),
    staff_id      BIGINT REFERENCES staff(id),
    department_id BIGINT REFERENCES departments(id),
    how           TEXT NOT NULL CHECK (how IN ('spamreports', 'champion', 'it_or_manager', 'other')),
    note          TEXT NOT NULL DEFAULT '',
    reported_at   BIGINT NOT NULL
);
CREATE INDEX suspicious_reports_by_time ON suspicious_reports (practice_id, reported_at);
