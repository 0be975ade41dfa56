-- The national index's dossier indicators (Decision 766/QĐ-TTg).
-- Events keep the optional facts a sender attached (result_file, digitised, reused_data, fee,
-- supplement_answered) as a JSON object of the fields present, NULL when none.
ALTER TABLE events ADD COLUMN marks TEXT;
-- Each dossier keeps its index facts with the keys of the events they came from (JSON, NULL when none):
-- end of processing, supplement requests and their answer, and the marks above.
ALTER TABLE dossiers ADD COLUMN index_record TEXT;
-- Whether a procedure's result is a paper (a licence, a certificate): 1 or 0.
ALTER TABLE procedures ADD COLUMN paper_result BIGINT NOT NULL DEFAULT 0;
-- The instant that places a dossier in the index's on-time figures (end of processing, or due date while
-- open), so the dossiers behind them can be listed by period. Not indexed: a list reads one unit's (or one
-- province's) dossiers by unit, and an index would be rewritten with most dossiers of every batch.
ALTER TABLE dossiers ADD COLUMN index_at BIGINT;
