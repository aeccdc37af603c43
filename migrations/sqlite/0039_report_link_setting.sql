-- Whether the practice's exercise emails carry a "Report it" link. Off by
-- default: staff should report an exercise as they would a real suspicious
-- email (forward it, or the "I reported a suspicious email" button), not by
-- clicking a link in it. A practice with a report button add-in in its mail
-- client switches it on (Email templates → Reporting an exercise email).
ALTER TABLE practices ADD COLUMN sim_report_link BOOLEAN NOT NULL DEFAULT FALSE;
