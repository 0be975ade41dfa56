-- Closing a month (chốt số liệu): the figures and targets as published, never changed afterwards.
CREATE TABLE closed_months (
    month      BIGINT PRIMARY KEY,
    closed_at  BIGINT NOT NULL,
    min_volume BIGINT NOT NULL
);

-- One row per unit and indicator of a closed month; target in millionths, NULL where none applied.
CREATE TABLE published_rollups (
    month       BIGINT NOT NULL,
    indicator   TEXT NOT NULL,
    unit        TEXT NOT NULL,
    numerator   BIGINT NOT NULL,
    denominator BIGINT NOT NULL,
    target      BIGINT,
    PRIMARY KEY (month, indicator, unit)
);
