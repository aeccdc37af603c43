-- Names the ready-made phishing emails may use for the practice's own GP
-- partner and primary care network (Email templates → Names in the
-- ready-made emails). Empty: the email says "one of the GP partners" or
-- "the PCN" instead of inventing a name.
ALTER TABLE practices ADD COLUMN lure_partner_name TEXT NOT NULL DEFAULT '';
ALTER TABLE practices ADD COLUMN lure_pcn_name TEXT NOT NULL DEFAULT '';
