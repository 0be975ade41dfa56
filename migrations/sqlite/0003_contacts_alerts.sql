-- Who heads each unit, for alerts: a department head, a commune chair, a province leader.
CREATE TABLE contacts (
    unit    TEXT PRIMARY KEY,
    name    TEXT NOT NULL,
    email   TEXT,
    webhook TEXT
);

-- Every alert notification sent, resolved or failed, as leaders are shown it.
CREATE TABLE alert_history (
    id          INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    alertname   TEXT NOT NULL,
    unit        TEXT,
    state       TEXT NOT NULL,
    recipient   TEXT NOT NULL,
    channel     TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    detail      TEXT NOT NULL,
    summary     TEXT NOT NULL
);
CREATE INDEX alert_history_by_unit ON alert_history (unit, at);
CREATE INDEX alert_history_by_at ON alert_history (at);
