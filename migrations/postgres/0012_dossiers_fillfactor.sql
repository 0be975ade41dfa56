-- Room on each page of `dossiers` for an updated row's new version. A dossier's row is rewritten at
-- each of its steps, most of which change none of the indexed columns (code, unit, received_at,
-- returned_at); with full pages every such update went to another page and added an entry to each of the
-- three indexes (a leaf per unit of a national batch, in each index). With room on the page it is a
-- HOT update: the indexes are not written. Pages written from now on keep the room.
ALTER TABLE dossiers SET (fillfactor = 70);
