-- Each dossier keeps the keys (at, id, source) of the events its facts were taken from, so an event
-- arriving later is folded in by comparing it with them, without reading the dossier's other events.
ALTER TABLE dossiers ADD COLUMN anchor_at INTEGER;
ALTER TABLE dossiers ADD COLUMN anchor_id TEXT;
ALTER TABLE dossiers ADD COLUMN anchor_source TEXT;
ALTER TABLE dossiers ADD COLUMN returned_id TEXT;
ALTER TABLE dossiers ADD COLUMN returned_source TEXT;
ALTER TABLE dossiers ADD COLUMN payment_at INTEGER;
ALTER TABLE dossiers ADD COLUMN payment_id TEXT;
ALTER TABLE dossiers ADD COLUMN payment_source TEXT;
ALTER TABLE dossiers ADD COLUMN due_from_at INTEGER;
ALTER TABLE dossiers ADD COLUMN due_from_id TEXT;
ALTER TABLE dossiers ADD COLUMN due_from_source TEXT;

-- Keys of the dossiers stored so far (ids compare byte by byte, as in the service).
UPDATE dossiers SET (anchor_at, anchor_id, anchor_source) = (
    SELECT e.at, e.id, e.source FROM events e WHERE e.dossier = dossiers.code
    ORDER BY CASE WHEN e.status = 'received' THEN 0 ELSE 1 END, e.at, e.id, e.source LIMIT 1);
UPDATE dossiers SET (returned_id, returned_source) = (
    SELECT e.id, e.source FROM events e WHERE e.dossier = dossiers.code AND e.status = 'returned'
    ORDER BY e.at, e.id, e.source LIMIT 1);
UPDATE dossiers SET (payment_at, payment_id, payment_source) = (
    SELECT e.at, e.id, e.source FROM events e WHERE e.dossier = dossiers.code AND e.payment IS NOT NULL
    ORDER BY e.at DESC, e.id DESC, e.source DESC LIMIT 1);
UPDATE dossiers SET (due_from_at, due_from_id, due_from_source) = (
    SELECT e.at, e.id, e.source FROM events e WHERE e.dossier = dossiers.code AND e.status = 'received' AND e.due IS NOT NULL
    ORDER BY e.at, e.id, e.source LIMIT 1);

-- Ingest no longer looks events up by dossier (`verify` reads them sorted instead), and events are
-- appended in arrival order with a unique index for (source, id): a batch then writes a few pages at
-- the end of the table instead of one page per event across a tree ordered by id.
CREATE TABLE events_appended (
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
    UNIQUE (source, id)
);
INSERT INTO events_appended SELECT * FROM events ORDER BY stored_at;
DROP TABLE events;
ALTER TABLE events_appended RENAME TO events;
