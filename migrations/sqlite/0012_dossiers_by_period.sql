-- The dossiers' time indexes lead with a 30-day bucket of the time (`at / 2592000000`) instead of the unit.
-- Keyed by (unit, time), every unit with a dossier in a batch had its own leaf at the end of its range in
-- each index, and once a store holds more than a leaf of dossiers per unit (about 2M events for the
-- nation) a batch rewrote thousands of leaves a cache could not keep: ingest at 10M stored events ran at
-- about 0.6 of its rate at 1M. Keyed by (bucket, unit, time), what a batch writes lies in the buckets of
-- its own weeks, whose size depends on the volume of those weeks, not on the history behind them. A list
-- of a unit's dossiers for a period seeks each bucket of the period and each unit (`bucket IN (…)`).
-- Partial: a dossier not yet returned (or with no time) has no entry, rather than one more per unit.
DROP INDEX dossiers_by_unit_returned;
DROP INDEX dossiers_by_unit_received;
CREATE INDEX dossiers_by_received ON dossiers (received_at / 2592000000, unit, received_at) WHERE received_at IS NOT NULL;
CREATE INDEX dossiers_by_returned ON dossiers (returned_at / 2592000000, unit, returned_at) WHERE returned_at IS NOT NULL;
-- The index's on-time figures list dossiers by `index_at`, which had no index (they were found by unit).
CREATE INDEX dossiers_by_index_at ON dossiers (index_at / 2592000000, unit, index_at) WHERE index_at IS NOT NULL;
