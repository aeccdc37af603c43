-- The training rules add a module for someone at most once while it is still
-- to do, however many app nodes apply them at the same moment: a unique index
-- backs the rules' lease, and the rules insert with ON CONFLICT DO NOTHING.
-- Duplicates written before this (two nodes applying the rules at once) are
-- removed first, keeping the oldest; their reminders go with them.
DELETE FROM training_reminders WHERE assignment_id IN (
    SELECT a.id FROM training_assignments a
    WHERE a.completed_at IS NULL AND a.kind IN ('induction', 'refresher')
      AND EXISTS (
        SELECT 1 FROM training_assignments b
        WHERE b.practice_id = a.practice_id AND b.staff_id = a.staff_id AND b.module = a.module
          AND b.completed_at IS NULL AND b.kind IN ('induction', 'refresher') AND b.id < a.id));
DELETE FROM training_assignments WHERE id IN (
    SELECT a.id FROM training_assignments a
    WHERE a.completed_at IS NULL AND a.kind IN ('induction', 'refresher')
      AND EXISTS (
        SELECT 1 FROM training_assignments b
        WHERE b.practice_id = a.practice_id AND b.staff_id = a.staff_id AND b.module = a.module
          AND b.completed_at IS NULL AND b.kind IN ('induction', 'refresher') AND b.id < a.id));
CREATE UNIQUE INDEX training_assignments_one_open_rule
    ON training_assignments (practice_id, staff_id, module)
    WHERE completed_at IS NULL AND kind IN ('induction', 'refresher');
