-- The rollups become one row per (month, unit) holding every indicator's numerator and denominator
-- (`<indicator>_n`, `<indicator>_d`). A dossier counts in up to ten indicators; with a row per
-- (month, indicator, unit) a batch wrote ten rows, spread over ten slices of the table, where it now
-- writes one. Readers take one indicator's pair of columns. Rows of indicators no build knows were never
-- read and are not carried over; the figures are derived data (`verify --repair` recomputes them from
-- the events).
CREATE TABLE unit_months (
    month BIGINT NOT NULL,
    unit  TEXT COLLATE "C" NOT NULL,
    completion_n BIGINT NOT NULL DEFAULT 0, completion_d BIGINT NOT NULL DEFAULT 0,
    intake_n BIGINT NOT NULL DEFAULT 0, intake_d BIGINT NOT NULL DEFAULT 0,
    on_time_n BIGINT NOT NULL DEFAULT 0, on_time_d BIGINT NOT NULL DEFAULT 0,
    online_submission_n BIGINT NOT NULL DEFAULT 0, online_submission_d BIGINT NOT NULL DEFAULT 0,
    online_payment_n BIGINT NOT NULL DEFAULT 0, online_payment_d BIGINT NOT NULL DEFAULT 0,
    electronic_result_n BIGINT NOT NULL DEFAULT 0, electronic_result_d BIGINT NOT NULL DEFAULT 0,
    digitised_n BIGINT NOT NULL DEFAULT 0, digitised_d BIGINT NOT NULL DEFAULT 0,
    reused_data_n BIGINT NOT NULL DEFAULT 0, reused_data_d BIGINT NOT NULL DEFAULT 0,
    on_time_index_n BIGINT NOT NULL DEFAULT 0, on_time_index_d BIGINT NOT NULL DEFAULT 0,
    overdue_open_n BIGINT NOT NULL DEFAULT 0, overdue_open_d BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (month, unit)
)
-- Room on each page for the updated row's new version (a HOT update rewrites no index).
WITH (fillfactor = 80);
INSERT INTO unit_months (month, unit, completion_n, completion_d, intake_n, intake_d, on_time_n, on_time_d, online_submission_n, online_submission_d, online_payment_n, online_payment_d, electronic_result_n, electronic_result_d, digitised_n, digitised_d, reused_data_n, reused_data_d, on_time_index_n, on_time_index_d, overdue_open_n, overdue_open_d)
SELECT month, unit,
       SUM(CASE WHEN indicator = 'completion' THEN numerator ELSE 0 END), SUM(CASE WHEN indicator = 'completion' THEN denominator ELSE 0 END),
       SUM(CASE WHEN indicator = 'intake' THEN numerator ELSE 0 END), SUM(CASE WHEN indicator = 'intake' THEN denominator ELSE 0 END),
       SUM(CASE WHEN indicator = 'on_time' THEN numerator ELSE 0 END), SUM(CASE WHEN indicator = 'on_time' THEN denominator ELSE 0 END),
       SUM(CASE WHEN indicator = 'online_submission' THEN numerator ELSE 0 END), SUM(CASE WHEN indicator = 'online_submission' THEN denominator ELSE 0 END),
       SUM(CASE WHEN indicator = 'online_payment' THEN numerator ELSE 0 END), SUM(CASE WHEN indicator = 'online_payment' THEN denominator ELSE 0 END),
       SUM(CASE WHEN indicator = 'electronic_result' THEN numerator ELSE 0 END), SUM(CASE WHEN indicator = 'electronic_result' THEN denominator ELSE 0 END),
       SUM(CASE WHEN indicator = 'digitised' THEN numerator ELSE 0 END), SUM(CASE WHEN indicator = 'digitised' THEN denominator ELSE 0 END),
       SUM(CASE WHEN indicator = 'reused_data' THEN numerator ELSE 0 END), SUM(CASE WHEN indicator = 'reused_data' THEN denominator ELSE 0 END),
       SUM(CASE WHEN indicator = 'on_time_index' THEN numerator ELSE 0 END), SUM(CASE WHEN indicator = 'on_time_index' THEN denominator ELSE 0 END),
       SUM(CASE WHEN indicator = 'overdue_open' THEN numerator ELSE 0 END), SUM(CASE WHEN indicator = 'overdue_open' THEN denominator ELSE 0 END)
FROM rollups GROUP BY month, unit;
DROP TABLE rollups;
