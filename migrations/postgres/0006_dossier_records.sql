-- Each dossier keeps the keys (at, id, source) of the events its facts were taken from, so an event
-- arriving later is folded in by comparing it with them, without reading the dossier's other events.
ALTER TABLE dossiers ADD COLUMN anchor_at BIGINT;
ALTER TABLE dossiers ADD COLUMN anchor_id TEXT;
ALTER TABLE dossiers ADD COLUMN anchor_source TEXT;
ALTER TABLE dossiers ADD COLUMN returned_id TEXT;
ALTER TABLE dossiers ADD COLUMN returned_source TEXT;
ALTER TABLE dossiers ADD COLUMN payment_at BIGINT;
ALTER TABLE dossiers ADD COLUMN payment_id TEXT;
ALTER TABLE dossiers ADD COLUMN payment_source TEXT;
ALTER TABLE dossiers ADD COLUMN due_from_at BIGINT;
ALTER TABLE dossiers ADD COLUMN due_from_id TEXT;
ALTER TABLE dossiers ADD COLUMN due_from_source TEXT;

-- Keys of the dossiers stored so far (ids compare byte by byte, as in the service).
UPDATE dossiers SET (anchor_at, anchor_id, anchor_source) = (
    SELECT e.at, e.id, e.source FROM events e WHERE e.dossier = dossiers.code
    ORDER BY CASE WHEN e.status = 'received' THEN 0 ELSE 1 END, e.at, e.id COLLATE "C", e.source COLLATE "C" LIMIT 1);
UPDATE dossiers SET (returned_id, returned_source) = (
    SELECT e.id, e.source FROM events e WHERE e.dossier = dossiers.code AND e.status = 'returned'
    ORDER BY e.at, e.id COLLATE "C", e.source COLLATE "C" LIMIT 1);
UPDATE dossiers SET (payment_at, payment_id, payment_source) = (
    SELECT e.at, e.id, e.source FROM events e WHERE e.dossier = dossiers.code AND e.payment IS NOT NULL
    ORDER BY e.at DESC, e.id COLLATE "C" DESC, e.source COLLATE "C" DESC LIMIT 1);
UPDATE dossiers SET (due_from_at, due_from_id, due_from_source) = (
    SELECT e.at, e.id, e.source FROM events e WHERE e.dossier = dossiers.code AND e.status = 'received' AND e.due IS NOT NULL
    ORDER BY e.at, e.id COLLATE "C", e.source COLLATE "C" LIMIT 1);

-- Ingest no longer looks events up by dossier; `verify` reads them sorted instead.
DROP INDEX events_by_dossier;

-- Codes compare byte by byte, as in the service: the indexes ingest searches on every event then
-- skip the locale's collation rules, which cost more than the rest of the comparison.
ALTER TABLE events ALTER COLUMN source TYPE TEXT COLLATE "C", ALTER COLUMN id TYPE TEXT COLLATE "C",
    ALTER COLUMN dossier TYPE TEXT COLLATE "C";
ALTER TABLE dossiers ALTER COLUMN code TYPE TEXT COLLATE "C", ALTER COLUMN unit TYPE TEXT COLLATE "C";
ALTER TABLE rollups ALTER COLUMN unit TYPE TEXT COLLATE "C", ALTER COLUMN indicator TYPE TEXT COLLATE "C";
ALTER TABLE unit_counters ALTER COLUMN unit TYPE TEXT COLLATE "C", ALTER COLUMN indicator TYPE TEXT COLLATE "C";
