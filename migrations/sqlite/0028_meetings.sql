-- Issue 14, part 4: the cyber minute at every practice meeting. The list of
-- meetings is the evidence that security is a standing agenda item.

CREATE TABLE meetings (
    id          INTEGER PRIMARY KEY,
    practice_id BIGINT NOT NULL REFERENCES practices(id),
    held_on     TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('practice', 'clinical', 'reception_huddle', 'pcn')),
    attendees   BIGINT NOT NULL,
    notes       TEXT NOT NULL DEFAULT '',
    -- The rotating tip (content/tips) and the threat the manager picked (content/threats).
    tip_id      TEXT NOT NULL,
    threat_id   TEXT NOT NULL DEFAULT '',
    created_by  BIGINT NOT NULL REFERENCES users(id),
    created_at  BIGINT NOT NULL
);
CREATE INDEX meetings_by_date ON meetings (practice_id, held_on);

-- Actions agreed at a meeting; they carry forward to every later briefing until done.
CREATE TABLE meeting_actions (
    id          INTEGER PRIMARY KEY,
    practice_id BIGINT NOT NULL REFERENCES practices(id),
    meeting_id  BIGINT NOT NULL REFERENCES meetings(id),
    what        TEXT NOT NULL,
    owner       TEXT NOT NULL,
    due_on      TEXT NOT NULL,
    done_at     BIGINT
);
CREATE INDEX meeting_actions_open ON meeting_actions (practice_id, done_at);
