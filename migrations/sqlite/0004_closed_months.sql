-- Closing a month (chốt số liệu): the figures and targets as published, never changed afterwards.
CREATE TABLE closed_months (
    month      INTEGER PRIMARY KEY,
    closed_at  INTEGER NOT NULL,
    min_volume INTEGER NOT NULL
);

-- One row per unit and indicator of a closed month; target in millionths, NULL where none applied.
CREATE TABLE published_rollups (
    month       INTEGER NOT NULL,
    indicator   TEXT NOT NULL,
    unit        TEXT NOT NULL,
    numerator   INTEGER NOT NULL,
    denominator INTEGER NOT NULL,
    target      INTEGER,
    PRIMARY KEY (month, indicator, unit)
);
