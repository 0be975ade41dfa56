-- Monotonic totals per unit and indicator for the Prometheus counters: each batch adds the positive part
-- of its net change, so the counters never decrease and survive restarts.
CREATE TABLE unit_counters (
    unit        TEXT NOT NULL,
    indicator   TEXT NOT NULL,
    numerator   INTEGER NOT NULL,
    denominator INTEGER NOT NULL,
    PRIMARY KEY (unit, indicator)
);
INSERT INTO unit_counters (unit, indicator, numerator, denominator)
    SELECT unit, indicator, SUM(numerator), SUM(denominator) FROM rollups GROUP BY unit, indicator;

-- When each agency system last sent a valid event (milliseconds since the epoch).
CREATE TABLE sources (
    source        TEXT PRIMARY KEY,
    last_event_at INTEGER NOT NULL
);
