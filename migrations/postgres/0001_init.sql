-- Registry: units, procedures, targets, collector tokens.
CREATE TABLE units (
    code   TEXT PRIMARY KEY,
    name   TEXT NOT NULL,
    kind   TEXT NOT NULL,
    parent TEXT
);

CREATE TABLE procedures (
    code  TEXT PRIMARY KEY,
    name  TEXT NOT NULL,
    level TEXT NOT NULL
);

-- month 0: the whole year; value in millionths (0..1000000) so comparisons stay exact.
CREATE TABLE targets (
    scope     TEXT NOT NULL,
    year      BIGINT NOT NULL,
    month     BIGINT NOT NULL,
    indicator TEXT NOT NULL,
    value     BIGINT NOT NULL,
    source    TEXT NOT NULL,
    PRIMARY KEY (scope, year, month, indicator)
);

CREATE TABLE tokens (
    hash       TEXT PRIMARY KEY,
    source     TEXT NOT NULL,
    scope      TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

-- Events as received, append-only; times in milliseconds since the epoch (UTC).
CREATE TABLE events (
    source          TEXT NOT NULL,
    id              TEXT NOT NULL,
    dossier         TEXT NOT NULL,
    unit            TEXT NOT NULL,
    procedure       TEXT NOT NULL,
    status          TEXT NOT NULL,
    at              BIGINT NOT NULL,
    channel         TEXT,
    result_delivery TEXT,
    due             BIGINT,
    payment         TEXT,
    stored_at       BIGINT NOT NULL,
    PRIMARY KEY (source, id)
);
CREATE INDEX events_by_dossier ON events (dossier);

-- Facts derived from each dossier's events (kpi.md), kept in step with them.
CREATE TABLE dossiers (
    code            TEXT PRIMARY KEY,
    unit            TEXT NOT NULL,
    procedure       TEXT NOT NULL,
    received_at     BIGINT,
    channel         TEXT,
    returned_at     BIGINT,
    result_delivery TEXT,
    payment         TEXT,
    due             BIGINT
);
CREATE INDEX dossiers_by_unit_returned ON dossiers (unit, returned_at);
CREATE INDEX dossiers_by_unit_received ON dossiers (unit, received_at);

-- Unit × month (YYYYMM) × indicator sums, maintained in the ingest transaction.
CREATE TABLE rollups (
    month       BIGINT NOT NULL,
    indicator   TEXT NOT NULL,
    unit        TEXT NOT NULL,
    numerator   BIGINT NOT NULL,
    denominator BIGINT NOT NULL,
    PRIMARY KEY (month, indicator, unit)
);
