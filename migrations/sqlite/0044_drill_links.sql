-- Issue 14, part 2: the USB stick's file and the QR poster lead to a page on
-- the simulation site. Each file or poster has its own address, made for one
-- place ("staff room noticeboard"), and only the number of visits is kept:
-- never who, from where or with what device.
CREATE TABLE drill_links (
    id             INTEGER PRIMARY KEY,
    practice_id    BIGINT NOT NULL REFERENCES practices(id),
    drill_id       TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('usb_drop', 'qr_poster')),
    place          TEXT NOT NULL,
    token          TEXT NOT NULL UNIQUE,
    created_by     BIGINT NOT NULL REFERENCES users(id),
    created_at     BIGINT NOT NULL,
    visits         BIGINT NOT NULL DEFAULT 0,
    first_visit_at BIGINT,
    last_visit_at  BIGINT
);
CREATE INDEX drill_links_by_drill ON drill_links (practice_id, drill_id);
