-- Processing steps of the national-sync collector that arrived before their dossier's snapshot from the
-- same source: held until that snapshot is collected, then turned into events and deleted. Only the
-- dossier code, the status code and the step's time are kept (no personal data); `held_at` is when the
-- step arrived, by the service's clock, for the age bound.
CREATE TABLE held_steps (
    source  TEXT COLLATE "C" NOT NULL,
    dossier TEXT COLLATE "C" NOT NULL,
    status  SMALLINT NOT NULL,
    at      BIGINT NOT NULL,
    held_at BIGINT NOT NULL,
    PRIMARY KEY (source, dossier, status, at)
);
CREATE INDEX held_steps_by_age ON held_steps (held_at);
