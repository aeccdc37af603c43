-- What a finished import did, so going back to it shows that (how many rows
-- were added and skipped, and when) instead of a dead end.
ALTER TABLE staff_imports ADD COLUMN imported BIGINT;
ALTER TABLE staff_imports ADD COLUMN skipped BIGINT;
ALTER TABLE staff_imports ADD COLUMN finished_at BIGINT;
ALTER TABLE asset_imports ADD COLUMN imported BIGINT;
ALTER TABLE asset_imports ADD COLUMN skipped BIGINT;
ALTER TABLE asset_imports ADD COLUMN finished_at BIGINT;
