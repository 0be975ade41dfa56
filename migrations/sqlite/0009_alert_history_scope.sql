-- The province, indicator and month each notification is about, so that the alert list filters by
-- province and groups repeats of the same alert for the same unit, indicator and month. Rows stored
-- before have none of them.
ALTER TABLE alert_history ADD COLUMN province TEXT;
ALTER TABLE alert_history ADD COLUMN indicator TEXT;
ALTER TABLE alert_history ADD COLUMN period TEXT;
CREATE INDEX alert_history_by_province ON alert_history (province, at);
CREATE INDEX alert_history_by_alertname ON alert_history (alertname, at);
