-- Issue 14, part 4: the cyber minute's current threat may be one the
-- practice manager writes in their own words (a scam seen locally this
-- week), beside or instead of one from the library.
ALTER TABLE meetings ADD COLUMN threat_own TEXT NOT NULL DEFAULT '';
