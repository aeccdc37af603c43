-- Whether a scanner followed an email's hidden link is kept on the recipient,
-- like the first open and click, so tracking never searches events by
-- recipient. Each stored event then updates only indexes that grow at their
-- end, rather than two scattered through the table: on a 10,000-person
-- exercise that was the difference between about 10,000 and 16,000 events
-- a second.
ALTER TABLE campaign_recipients ADD COLUMN honeypot_at BIGINT;
UPDATE campaign_recipients SET honeypot_at =
    (SELECT MIN(e.at) FROM sim_events e WHERE e.recipient_id = campaign_recipients.id AND e.kind = 'honeypot');
DROP INDEX sim_events_by_recipient_kind;
DROP INDEX sim_events_by_recipient;
-- The latest clicks of an exercise, for the manager to check, without
-- reading its other events.
DROP INDEX sim_events_by_campaign;
CREATE INDEX sim_events_by_campaign_kind ON sim_events (campaign_id, kind, id);
