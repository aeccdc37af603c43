-- A template's optional attachment, sent with every email of an exercise.
-- Kept apart from the template so that lists of templates never read file
-- contents; one per template (the template id is the key).
CREATE TABLE sim_template_attachments (
    template_id  BIGINT PRIMARY KEY REFERENCES sim_templates(id) ON DELETE CASCADE,
    practice_id  BIGINT NOT NULL REFERENCES practices(id),
    file_name    TEXT NOT NULL,
    kind         TEXT NOT NULL,
    size_bytes   BIGINT NOT NULL,
    data         BLOB NOT NULL,
    uploaded_at  BIGINT NOT NULL
);
