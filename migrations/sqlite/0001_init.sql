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
    year      INTEGER NOT NULL,
    month     INTEGER NOT NULL,
    indicator TEXT NOT NULL,
    value     INTEGER NOT NULL,
    source    TEXT NOT NULL,
    PRIMARY KEY (scope, year, month, indicator)
);

CREATE TABLE tokens (
    hash       TEXT PRIMARY KEY,
    source     TEXT NOT NULL,
    scope      TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);

-- Events as received, append-only; times in milliseconds since the epoch (UTC).
CREATE TABLE events (
    source          TEXT NOT NULL,
    id              TEXT NOT NULL,
    dossier         TEXT NOT NULL,
    unit            TEXT NOT NULL,
    procedure       TEXT NOT NULL,
    status          TEXT NOT NULL,
    at              INTEGER NOT NULL,
    channel         TEXT,
    result_delivery TEXT,
    due             INTEGER,
    payment         TEXT,
    stored_at       INTEGER NOT NULL,
    PRIMARY KEY (source, id)
) WITHOUT ROWID;
CREATE INDEX events_by_dossier ON events (dossier);

-- Facts derived from each dossier's events (kpi.md), kept in step with them.
CREATE TABLE dossiers (
    code            TEXT PRIMARY KEY,
    unit            TEXT NOT NULL,
    procedure       TEXT NOT NULL,
    received_at     INTEGER,
    channel         TEXT,
    returned_at     INTEGER,
    result_delivery TEXT,
    payment         TEXT,
    due             INTEGER
) WITHOUT ROWID;
CREATE INDEX dossiers_by_unit_returned ON dossiers (unit, returned_at);
CREATE INDEX dossiers_by_unit_received ON dossiers (unit, received_at);

-- Unit × month (YYYYMM) × indicator sums, maintained in the ingest transaction.
CREATE TABLE rollups (
    month       INTEGER NOT NULL,
    indicator   TEXT NOT NULL,
    unit        TEXT NOT NULL,
    numerator   INTEGER NOT NULL,
    denominator INTEGER NOT NULL,
    PRIMARY KEY (month, indicator, unit)
) WITHOUT ROWID;
