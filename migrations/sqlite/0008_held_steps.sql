-- Processing steps of the national-sync collector that arrived before their dossier's snapshot from the
-- same source: held until that snapshot is collected, then turned into events and deleted. Only the
-- dossier code, the status code and the step's time are kept (no personal data); `held_at` is when the
-- step arrived, by the service's clock, for the age bound.
CREATE TABLE held_steps (
    source  TEXT NOT NULL,
    dossier TEXT NOT NULL,
    status  INTEGER NOT NULL,
    at      INTEGER NOT NULL,
    held_at INTEGER NOT NULL,
    PRIMARY KEY (source, dossier, status, at)
) WITHOUT ROWID;
CREATE INDEX held_steps_by_age ON held_steps (held_at);
