//! The SQL both backends share. SQLite and PostgreSQL accept the same statements here (upserts with
//! `ON CONFLICT`, `RETURNING`, integer times); `QueryBuilder` writes each backend's placeholders.
//! Backend differences stay in the backend files: connection set-up, migrations, `lock_dossiers` and
//! the bulk statements of ingest (`insert_events`, `write_records`, `add_to_rollup_rows`, `add_to_counter_cells`).

use super::{Result, StoreError};
use crate::domain::{Channel, DossierFacts, DossierRecord, Event, Payment};
use std::str::FromStr;
use std::sync::LazyLock;

/// Rows per multi-row statement: well under both backends' limits on bound parameters.
pub const CHUNK: usize = 1000;

/// Whether a multi-row statement of `rows` rows, chunked by `full`, is kept prepared on its connection.
/// A full chunk's text recurs with every batch; a last, shorter chunk's text is one of a thousand, and
/// SQLite's program for it is large (about 200 KB for 1,000 rows): kept, they filled the connections'
/// statement caches (a hundred statements each) with tens of megabytes used once.
pub fn keep_prepared(rows: usize, full: usize) -> bool {
    rows == full
}

pub const EVENT_COLUMNS: &str = "source, id, dossier, unit, procedure, status, at, channel, result_delivery, due, payment, marks";
pub const DOSSIER_COLUMNS: &str = "code, unit, procedure, received_at, channel, returned_at, result_delivery, payment, due, index_record";
/// The facts' columns, then the keys of the events they came from (`DossierRecord`).
pub const RECORD_COLUMNS: &str = "code, unit, procedure, received_at, channel, returned_at, result_delivery, payment, due, \
    anchor_at, anchor_id, anchor_source, returned_id, returned_source, payment_at, payment_id, payment_source, \
    due_from_at, due_from_id, due_from_source, index_record, index_at";

pub fn parse_col<T: FromStr<Err = String>>(table: &'static str, value: &str) -> Result<T> {
    value.parse().map_err(|detail| StoreError::Corrupt { table, detail })
}

pub fn parse_opt<T: FromStr<Err = String>>(table: &'static str, value: Option<String>) -> Result<Option<T>> {
    value.map(|v| parse_col(table, &v)).transpose()
}

/// The month a stored month key (`YYYYMM`) names, if it names one (years 1900 to 9999).
pub fn month_of_key(key: i64) -> Option<crate::domain::Month> {
    i32::try_from(key).ok().and_then(crate::domain::Month::from_key)
}

/// A `WHERE` condition on `month` and `indicator` that holds for every row whose month key or indicator
/// cannot be read (and for no other): what `verify` looks for in tables it does not read whole.
pub fn unreadable_key_condition() -> String {
    let indicators: Vec<String> = crate::domain::Indicator::STORED.iter().map(|i| format!("'{}'", i.as_str())).collect();
    format!(
        "month < 190001 OR month > 999912 OR month % 100 < 1 OR month % 100 > 12 OR indicator NOT IN ({})",
        indicators.join(", ")
    )
}

/// The columns of a dossier row that the dossiers' indexes hold besides `code` (SQLite: `dossiers_by_received`,
/// `dossiers_by_returned`, `dossiers_by_index_at`; PostgreSQL: by unit and received or returned time).
const INDEXED_COLUMNS: [&str; 4] = ["unit", "received_at", "returned_at", "index_at"];

/// The width of the time buckets that lead SQLite's dossier indexes (`<time> / 2592000000`: 30 days), so
/// that a batch writes the entries of its own weeks together (migration `0012_dossiers_by_period`).
pub const PERIOD_BUCKET_MS: i64 = 2_592_000_000;

/// The buckets of `PERIOD_BUCKET_MS` that instants in `[start, end)` fall in, as SQL's integer division
/// gives them (toward zero, on both backends): lists name them so that the bucketed indexes are sought.
pub fn period_buckets(start: i64, end: i64) -> std::ops::RangeInclusive<i64> {
    start / PERIOD_BUCKET_MS..=(end - 1).max(start) / PERIOD_BUCKET_MS
}

/// `<column> >= start AND <column> < end`, bound, led by `(<column> / 2592000000) IN (…)` when `bucketed`:
/// SQLite's dossier indexes lead with the bucket and are sought only when the query names the buckets;
/// PostgreSQL's lead with the unit, where the bucket terms would only be evaluated on each row.
pub fn push_time_range<'a, DB: sqlx::Database>(qb: &mut sqlx::QueryBuilder<'a, DB>, column: &str, start: i64, end: i64, bucketed: bool)
where
    i64: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    if bucketed {
        qb.push(format!("({column} / {PERIOD_BUCKET_MS}) IN ("));
        let mut sep = qb.separated(", ");
        for b in period_buckets(start, end) {
            sep.push_bind(b);
        }
        qb.push(") AND ");
    }
    qb.push(format!("{column} >= ")).push_bind(start).push(format!(" AND {column} < ")).push_bind(end);
}

/// `unit IN (…)`, the units bound.
pub fn push_units<'a, DB: sqlx::Database>(qb: &mut sqlx::QueryBuilder<'a, DB>, units: &'a [String])
where
    &'a str: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    qb.push("unit IN (");
    let mut sep = qb.separated(", ");
    for u in units {
        sep.push_bind(u.as_str());
    }
    qb.push(")");
}

/// What an upsert of `RECORD_COLUMNS` changes when the dossier is stored already: everything.
pub static RECORD_UPSERT: LazyLock<String> = LazyLock::new(|| upsert_setting(|_| true));

/// The upsert of a dossier whose indexed columns are as stored (`keeps_index_keys`): they are left out of
/// the `SET`. SQLite rewrites the entries of every index whose columns an `UPDATE` sets, whatever the
/// values, so most of a batch's rows (a step that changes neither date) would otherwise dirty a leaf of
/// each of the two unit indexes; PostgreSQL compares the values and keeps such an update HOT.
pub static RECORD_UPDATE_IN_PLACE: LazyLock<String> = LazyLock::new(|| upsert_setting(|c| !INDEXED_COLUMNS.contains(&c)));

/// `ON CONFLICT (code) DO UPDATE SET` each column of `RECORD_COLUMNS` but `code` that `set` keeps.
fn upsert_setting(set: impl Fn(&str) -> bool) -> String {
    let columns: Vec<String> = RECORD_COLUMNS.split(", ").filter(|c| *c != "code" && set(c)).map(|c| format!("{c} = excluded.{c}")).collect();
    format!(" ON CONFLICT (code) DO UPDATE SET {}", columns.join(", "))
}

/// Whether a dossier row rewritten from `old` to `new` keeps the columns the dossiers' indexes hold
/// (`INDEXED_COLUMNS`).
pub fn keeps_index_keys(old: &DossierFacts, new: &DossierFacts) -> bool {
    old.unit == new.unit && old.received_at == new.received_at && old.returned_at == new.returned_at && old.index_at() == new.index_at()
}

/// Columns of an event row in `EVENT_COLUMNS` order.
pub type EventRow = (String, String, String, String, String, String, i64, Option<String>, Option<String>, Option<i64>, Option<String>, Option<String>);

pub fn event_from_row(r: EventRow) -> Result<Event> {
    let status = parse_col("events", &r.5)?;
    Ok(Event {
        source: r.0,
        id: r.1,
        dossier: r.2,
        unit: r.3,
        procedure: r.4,
        status,
        at: r.6,
        channel: parse_opt::<Channel>("events", r.7)?,
        result_delivery: parse_opt::<Channel>("events", r.8)?,
        due: r.9,
        payment: parse_opt::<Payment>("events", r.10)?,
        marks: crate::domain::event::Marks::from_column(r.11.as_deref()).map_err(|detail| StoreError::Corrupt { table: "events", detail })?,
    })
}

/// Columns of a dossier row in `DOSSIER_COLUMNS` order.
pub type DossierRow = (String, String, String, Option<i64>, Option<String>, Option<i64>, Option<String>, Option<String>, Option<i64>, Option<String>);

/// A procedure's code and terms from `code, level, paper_result`.
pub fn terms_from_row((code, level, paper): (String, String, i64)) -> Result<(String, crate::domain::Terms)> {
    Ok((code, crate::domain::Terms { level: parse_col("procedures", &level)?, paper_result: paper != 0 }))
}

/// The `index_record` column of a dossier record: its index facts with their keys, or none.
pub fn index_column(r: &DossierRecord) -> Option<String> {
    super::index_record::to_column(&r.facts.index, &r.index, row_keys(r))
}

/// The keys a dossier row keeps in columns of their own.
fn row_keys(r: &DossierRecord) -> super::index_record::RowKeys<'_> {
    super::index_record::RowKeys { anchor: Some(&r.anchor), returned: r.returned.as_ref(), payment: r.payment.as_ref(), due_from: r.due_from.as_ref() }
}

/// A dossier's index facts and their keys, as its row stores them, beside the row's own keys.
pub fn index_record_from_column(text: Option<&str>, row: super::index_record::RowKeys<'_>) -> Result<crate::domain::index_facts::IndexRecord> {
    super::index_record::from_column(text, row).map_err(|detail| StoreError::Corrupt { table: "dossiers", detail })
}

pub fn dossier_from_row(r: DossierRow) -> Result<DossierFacts> {
    Ok(DossierFacts {
        code: r.0,
        unit: r.1,
        procedure: r.2,
        received_at: r.3,
        channel: parse_opt("dossiers", r.4)?,
        returned_at: r.5,
        result_delivery: parse_opt("dossiers", r.6)?,
        payment: parse_opt("dossiers", r.7)?,
        due: r.8,
        index: index_record_from_column(r.9.as_deref(), Default::default())?.facts,
    })
}

/// The first string after every string that starts with `prefix`, in byte order (as SQLite's `BINARY`
/// and PostgreSQL's `C` collation compare `events.id`): the prefix with its last character moved on by
/// one. A prefix ending in the last character there is has no such end; `\u{10FFFF}` is never in an id.
pub fn prefix_end(prefix: &str) -> String {
    let mut chars: Vec<char> = prefix.chars().collect();
    match chars.pop() {
        Some(last) => {
            let next = (last as u32 + 1..=0x10FFFF).find_map(char::from_u32).unwrap_or(char::MAX);
            chars.push(next);
            chars.into_iter().collect()
        }
        None => char::MAX.to_string(),
    }
}

/// A change to one unit counter: unit, indicator, numerator, denominator.
pub type CounterCell<'a> = (&'a str, &'a str, i64, i64);

/// Binds an event's columns in `EVENT_COLUMNS` order, then `stored_at`, to a `push_values` row.
macro_rules! bind_event {
    ($b:ident, $e:expr, $stored_at:expr) => {
        $b.push_bind($e.source.as_str())
            .push_bind($e.id.as_str())
            .push_bind($e.dossier.as_str())
            .push_bind($e.unit.as_str())
            .push_bind($e.procedure.as_str())
            .push_bind($e.status.as_str())
            .push_bind($e.at)
            .push_bind($e.channel.map(|c| c.as_str()))
            .push_bind($e.result_delivery.map(|c| c.as_str()))
            .push_bind($e.due)
            .push_bind($e.payment.map(|p| p.as_str()))
            .push_bind($e.marks.to_column())
            .push_bind($stored_at)
    };
}
pub(crate) use bind_event;

/// Implements `Store` for a backend type that has `reader()`, `writer()`, `lock_dossiers()` and the bulk
/// statements `insert_events()`, `write_records()`, `add_to_rollup_rows()`, `add_to_counter_cells()`.
macro_rules! impl_store {
    ($store:ty, $db:ty, $backend:literal) => {
        #[async_trait::async_trait]
        impl $crate::store::Store for $store {
            fn backend(&self) -> &'static str {
                $backend
            }

            async fn ready(&self) -> $crate::store::Result<()> {
                sqlx::query("SELECT 1 FROM unit_months LIMIT 1").fetch_optional(self.reader()).await?;
                Ok(())
            }

            async fn registry(&self) -> $crate::store::Result<std::sync::Arc<$crate::registry::Registry>> {
                let registry = $crate::registry::Registry::new(self.units().await?, self.procedures().await?, self.targets().await?);
                Ok(std::sync::Arc::new(registry.with_sender_codes(self.sender_codes().await?)))
            }

            async fn upsert_units(&self, units: &[$crate::domain::Unit]) -> $crate::store::Result<()> {
                let mut tx = self.writer().begin().await?;
                for chunk in units.chunks($crate::store::sql::CHUNK) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new("INSERT INTO units (code, name, kind, parent) ");
                    qb.push_values(chunk, |mut b, u| {
                        b.push_bind(u.code.as_str()).push_bind(u.name.as_str()).push_bind(u.kind.as_str()).push_bind(u.parent.as_deref());
                    });
                    qb.push(" ON CONFLICT (code) DO UPDATE SET name = excluded.name, kind = excluded.kind, parent = excluded.parent");
                    qb.build().execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn units(&self) -> $crate::store::Result<Vec<$crate::domain::Unit>> {
                let rows: Vec<(String, String, String, Option<String>)> =
                    sqlx::query_as("SELECT code, name, kind, parent FROM units ORDER BY code").fetch_all(self.reader()).await?;
                rows.into_iter()
                    .map(|(code, name, kind, parent)| {
                        Ok($crate::domain::Unit { code, name, kind: $crate::store::sql::parse_col("units", &kind)?, parent })
                    })
                    .collect()
            }

            async fn upsert_procedures(&self, procedures: &[$crate::domain::Procedure]) -> $crate::store::Result<usize> {
                let mut tx = Self::begin_catalogue_change(self.writer()).await?;
                let before = Self::all_terms(&mut tx).await?;
                let changed = procedures.iter().filter(|p| before.get(&p.code).is_some_and(|t| *t != p.terms())).count();
                for chunk in procedures.chunks($crate::store::sql::CHUNK) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new("INSERT INTO procedures (code, name, level, paper_result) ");
                    qb.push_values(chunk, |mut b, p| {
                        b.push_bind(p.code.as_str()).push_bind(p.name.as_str()).push_bind(p.level.as_str()).push_bind(p.paper_result as i64);
                    });
                    qb.push(" ON CONFLICT (code) DO UPDATE SET name = excluded.name, level = excluded.level, paper_result = excluded.paper_result");
                    qb.build().execute(&mut *tx).await?;
                }
                if changed > 0 {
                    Self::rebuild_rollups(&mut tx).await?;
                }
                tx.commit().await?;
                Ok(changed)
            }

            async fn procedures(&self) -> $crate::store::Result<Vec<$crate::domain::Procedure>> {
                let rows: Vec<(String, String, String, i64)> =
                    sqlx::query_as("SELECT code, name, level, paper_result FROM procedures ORDER BY code").fetch_all(self.reader()).await?;
                rows.into_iter()
                    .map(|(code, name, level, paper)| {
                        let (code, t) = $crate::store::sql::terms_from_row((code, level, paper))?;
                        Ok($crate::domain::Procedure { code, name, level: t.level, paper_result: t.paper_result })
                    })
                    .collect()
            }

            async fn upsert_targets(&self, targets: &[$crate::domain::Target]) -> $crate::store::Result<()> {
                let mut tx = self.writer().begin().await?;
                for chunk in targets.chunks($crate::store::sql::CHUNK) {
                    let mut qb =
                        sqlx::QueryBuilder::<$db>::new("INSERT INTO targets (scope, year, month, indicator, value, source) ");
                    qb.push_values(chunk, |mut b, t| {
                        b.push_bind(t.scope.to_string())
                            .push_bind(t.year as i64)
                            .push_bind(t.month.unwrap_or(0) as i64)
                            .push_bind(t.indicator.as_str())
                            .push_bind(t.value.millionths())
                            .push_bind(t.source.as_str());
                    });
                    qb.push(
                        " ON CONFLICT (scope, year, month, indicator) DO UPDATE SET value = excluded.value, source = excluded.source",
                    );
                    qb.build().execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn targets(&self) -> $crate::store::Result<Vec<$crate::domain::Target>> {
                use $crate::store::sql::parse_col;
                let rows: Vec<(String, i64, i64, String, i64, String)> = sqlx::query_as(
                    "SELECT scope, year, month, indicator, value, source FROM targets ORDER BY scope, year, month, indicator",
                )
                .fetch_all(self.reader())
                .await?;
                rows.into_iter()
                    .map(|(scope, year, month, indicator, value, source)| {
                        Ok($crate::domain::Target {
                            scope: parse_col("targets", &scope)?,
                            year: year as i32,
                            month: (month != 0).then_some(month as u32),
                            indicator: parse_col("targets", &indicator)?,
                            value: $crate::domain::Ratio::from_millionths(value).ok_or_else(|| {
                                $crate::store::StoreError::Corrupt { table: "targets", detail: format!("value {value}") }
                            })?,
                            source,
                        })
                    })
                    .collect()
            }

            async fn upsert_sender_codes(&self, codes: &[$crate::domain::SenderCode]) -> $crate::store::Result<()> {
                let mut tx = self.writer().begin().await?;
                for chunk in codes.chunks($crate::store::sql::CHUNK) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new("INSERT INTO sender_codes (source, code, unit) ");
                    qb.push_values(chunk, |mut b, c| {
                        b.push_bind(c.source.as_str()).push_bind(c.code.as_str()).push_bind(c.unit.as_str());
                    });
                    qb.push(" ON CONFLICT (source, code) DO UPDATE SET unit = excluded.unit");
                    qb.build().execute(&mut *tx).await?;
                }
                // A code mapped for every source is mapped for each; one mapped for a source, for that one.
                for c in codes {
                    sqlx::query("DELETE FROM unmapped_sender_codes WHERE code = $1 AND (source = $2 OR $2 = '')")
                        .bind(c.code.as_str())
                        .bind(c.source.as_str())
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn sender_codes(&self) -> $crate::store::Result<Vec<$crate::domain::SenderCode>> {
                let rows: Vec<(String, String, String)> =
                    sqlx::query_as("SELECT source, code, unit FROM sender_codes ORDER BY source, code").fetch_all(self.reader()).await?;
                Ok(rows.into_iter().map(|(source, code, unit)| $crate::domain::SenderCode { source, code, unit }).collect())
            }

            async fn record_unmapped_codes(&self, seen: &[(String, String)], now_ms: i64) -> $crate::store::Result<()> {
                let mut counts: std::collections::BTreeMap<(&str, &str), i64> = Default::default();
                for (source, code) in seen {
                    *counts.entry((source.as_str(), code.as_str())).or_default() += 1;
                }
                let counts: Vec<_> = counts.into_iter().collect();
                let mut tx = self.writer().begin().await?;
                for chunk in counts.chunks($crate::store::sql::CHUNK) {
                    let mut qb =
                        sqlx::QueryBuilder::<$db>::new("INSERT INTO unmapped_sender_codes (source, code, seen, first_seen, last_seen) ");
                    qb.push_values(chunk, |mut b, ((source, code), n)| {
                        b.push_bind(*source).push_bind(*code).push_bind(*n).push_bind(now_ms).push_bind(now_ms);
                    });
                    qb.push(
                        " ON CONFLICT (source, code) DO UPDATE SET seen = unmapped_sender_codes.seen + excluded.seen, \
                         first_seen = CASE WHEN excluded.first_seen < unmapped_sender_codes.first_seen THEN excluded.first_seen ELSE unmapped_sender_codes.first_seen END, \
                         last_seen = CASE WHEN excluded.last_seen > unmapped_sender_codes.last_seen THEN excluded.last_seen ELSE unmapped_sender_codes.last_seen END",
                    );
                    qb.build().execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn unmapped_codes(&self) -> $crate::store::Result<Vec<$crate::domain::UnmappedCode>> {
                let rows: Vec<(String, String, i64, i64, i64)> = sqlx::query_as(
                    "SELECT source, code, seen, first_seen, last_seen FROM unmapped_sender_codes ORDER BY last_seen DESC, source, code",
                )
                .fetch_all(self.reader())
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(source, code, seen, first_seen, last_seen)| $crate::domain::UnmappedCode { source, code, seen, first_seen, last_seen })
                    .collect())
            }

            async fn events_with_id_prefix(&self, source: &str, prefixes: &[String]) -> $crate::store::Result<Vec<$crate::domain::Event>> {
                use $crate::store::sql::*;
                let mut out = Vec::new();
                // Each prefix as a range of the primary key (`id >= prefix AND id < prefix+1`), one
                // branch of a UNION ALL each: every branch is an index range scan on both backends. (A join
                // with a table of values let PostgreSQL's planner scan the whole table once per prefix,
                // seconds per request once the store held a few hundred thousand events.) SQLite allows
                // 500 branches to a compound select.
                for chunk in prefixes.chunks(200) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new("");
                    for (i, p) in chunk.iter().enumerate() {
                        if i > 0 {
                            qb.push(" UNION ALL ");
                        }
                        qb.push(format!("SELECT {EVENT_COLUMNS} FROM events WHERE source = "));
                        qb.push_bind(source);
                        qb.push(" AND id >= ").push_bind(p.as_str());
                        qb.push(" AND id < ").push_bind(prefix_end(p));
                    }
                    for row in qb.build_query_as::<EventRow>().fetch_all(self.reader()).await? {
                        out.push(event_from_row(row)?);
                    }
                }
                Ok(out)
            }

            async fn hold_steps(
                &self,
                source: &str,
                steps: &[$crate::domain::HeldStep],
                now_ms: i64,
                max_per_source: i64,
                max_age_ms: i64,
            ) -> $crate::store::Result<bool> {
                let mut tx = self.writer().begin().await?;
                sqlx::query("DELETE FROM held_steps WHERE held_at < $1").bind(now_ms.saturating_sub(max_age_ms)).execute(&mut *tx).await?;
                let (held,): (i64,) =
                    sqlx::query_as("SELECT count(*) FROM held_steps WHERE source = $1").bind(source).fetch_one(&mut *tx).await?;
                if held + steps.len() as i64 > max_per_source {
                    tx.commit().await?;
                    return Ok(false);
                }
                for chunk in steps.chunks($crate::store::sql::CHUNK) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new("INSERT INTO held_steps (source, dossier, status, at, held_at) ");
                    qb.push_values(chunk, |mut b, s| {
                        b.push_bind(source).push_bind(s.dossier.as_str()).push_bind(s.status.code() as i16).push_bind(s.at).push_bind(now_ms);
                    });
                    qb.push(" ON CONFLICT (source, dossier, status, at) DO NOTHING");
                    qb.build().execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(true)
            }

            async fn held_steps(&self, source: &str, dossiers: &[String], since_ms: i64) -> $crate::store::Result<Vec<$crate::domain::HeldStep>> {
                let mut out = Vec::new();
                for chunk in dossiers.chunks($crate::store::sql::CHUNK) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new("SELECT dossier, status, at FROM held_steps WHERE source = ");
                    qb.push_bind(source).push(" AND held_at >= ").push_bind(since_ms).push(" AND dossier IN (");
                    let mut list = qb.separated(", ");
                    for d in chunk {
                        list.push_bind(d.as_str());
                    }
                    qb.push(") ORDER BY dossier, at, status");
                    let rows: Vec<(String, i16, i64)> = qb.build_query_as().fetch_all(self.reader()).await?;
                    for (dossier, status, at) in rows {
                        let status = $crate::domain::event::Status::from_code(status.into())
                            .ok_or_else(|| $crate::store::StoreError::Corrupt { table: "held_steps", detail: format!("status {status}") })?;
                        out.push($crate::domain::HeldStep { dossier, status, at });
                    }
                }
                Ok(out)
            }

            async fn release_held_steps(&self, source: &str, dossiers: &[String]) -> $crate::store::Result<()> {
                let mut tx = self.writer().begin().await?;
                for chunk in dossiers.chunks($crate::store::sql::CHUNK) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new("DELETE FROM held_steps WHERE source = ");
                    qb.push_bind(source).push(" AND dossier IN (");
                    let mut list = qb.separated(", ");
                    for d in chunk {
                        list.push_bind(d.as_str());
                    }
                    qb.push(")");
                    qb.build().execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn held_step_counts(&self) -> $crate::store::Result<Vec<$crate::domain::HeldSteps>> {
                let rows: Vec<(String, i64, i64)> =
                    sqlx::query_as("SELECT source, count(*), min(held_at) FROM held_steps GROUP BY source ORDER BY source")
                        .fetch_all(self.reader())
                        .await?;
                Ok(rows.into_iter().map(|(source, steps, oldest)| $crate::domain::HeldSteps { source, steps, oldest }).collect())
            }

            async fn upsert_contacts(&self, contacts: &[$crate::domain::Contact]) -> $crate::store::Result<()> {
                let mut tx = self.writer().begin().await?;
                for chunk in contacts.chunks($crate::store::sql::CHUNK) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new("INSERT INTO contacts (unit, name, email, webhook) ");
                    qb.push_values(chunk, |mut b, c| {
                        b.push_bind(c.unit.as_str()).push_bind(c.name.as_str()).push_bind(c.email.as_deref()).push_bind(c.webhook.as_deref());
                    });
                    qb.push(" ON CONFLICT (unit) DO UPDATE SET name = excluded.name, email = excluded.email, webhook = excluded.webhook");
                    qb.build().execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn contacts(&self) -> $crate::store::Result<Vec<$crate::domain::Contact>> {
                let rows: Vec<(String, String, Option<String>, Option<String>)> =
                    sqlx::query_as("SELECT unit, name, email, webhook FROM contacts ORDER BY unit").fetch_all(self.reader()).await?;
                Ok(rows.into_iter().map(|(unit, name, email, webhook)| $crate::domain::Contact { unit, name, email, webhook }).collect())
            }

            async fn record_alerts(&self, entries: &[$crate::store::AlertRecord]) -> $crate::store::Result<()> {
                let mut tx = self.writer().begin().await?;
                for chunk in entries.chunks($crate::store::sql::CHUNK) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO alert_history (at, alertname, unit, state, recipient, channel, outcome, detail, summary, province, indicator, period) ",
                    );
                    qb.push_values(chunk, |mut b, e| {
                        b.push_bind(e.at)
                            .push_bind(e.alertname.as_str())
                            .push_bind(e.unit.as_deref())
                            .push_bind(e.state.as_str())
                            .push_bind(e.recipient.as_str())
                            .push_bind(e.channel.as_str())
                            .push_bind(e.outcome.as_str())
                            .push_bind(e.detail.as_str())
                            .push_bind(e.summary.as_str())
                            .push_bind(e.province.as_deref())
                            .push_bind(e.indicator.as_deref())
                            .push_bind(e.period.as_deref());
                    });
                    qb.build().execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn alert_history(&self, filter: &$crate::store::AlertFilter, limit: i64) -> $crate::store::Result<Vec<$crate::store::AlertRecord>> {
                type Row = (i64, String, Option<String>, String, String, String, String, String, String, Option<String>, Option<String>, Option<String>);
                let mut qb = sqlx::QueryBuilder::<$db>::new(
                    "SELECT at, alertname, unit, state, recipient, channel, outcome, detail, summary, province, indicator, period FROM alert_history WHERE 1 = 1",
                );
                for (column, value) in [("province", &filter.province), ("unit", &filter.unit), ("alertname", &filter.alertname)] {
                    if let Some(v) = value {
                        qb.push(format!(" AND {column} = ")).push_bind(v.clone());
                    }
                }
                qb.push(" ORDER BY at DESC, id DESC LIMIT ").push_bind(limit);
                let rows: Vec<Row> = qb.build_query_as().fetch_all(self.reader()).await?;
                Ok(rows
                    .into_iter()
                    .map(|(at, alertname, unit, state, recipient, channel, outcome, detail, summary, province, indicator, period)| $crate::store::AlertRecord {
                        at, alertname, unit, state, recipient, channel, outcome, detail, summary, province, indicator, period,
                    })
                    .collect())
            }

            async fn audit(&self, at_ms: i64, actor: &str, action: &str, detail: &str) -> $crate::store::Result<()> {
                sqlx::query("INSERT INTO audit_log (at, actor, action, detail) VALUES ($1, $2, $3, $4)")
                    .bind(at_ms)
                    .bind(actor)
                    .bind(action)
                    .bind(detail)
                    .execute(self.writer())
                    .await?;
                Ok(())
            }

            async fn audit_log(&self, limit: i64) -> $crate::store::Result<Vec<(i64, String, String, String)>> {
                Ok(sqlx::query_as("SELECT at, actor, action, detail FROM audit_log ORDER BY at DESC, id DESC LIMIT $1")
                    .bind(limit)
                    .fetch_all(self.reader())
                    .await?)
            }

            async fn insert_token(&self, t: &$crate::store::TokenRecord) -> $crate::store::Result<()> {
                sqlx::query("INSERT INTO tokens (hash, source, scope, created_at, revoked_at) VALUES ($1, $2, $3, $4, $5)")
                    .bind(&t.hash)
                    .bind(&t.source)
                    .bind(t.scope.join(","))
                    .bind(t.created_at)
                    .bind(t.revoked_at)
                    .execute(self.writer())
                    .await?;
                Ok(())
            }

            async fn token_by_hash(&self, hash: &str) -> $crate::store::Result<Option<$crate::store::TokenRecord>> {
                let row: Option<(String, String, String, i64, Option<i64>)> =
                    sqlx::query_as("SELECT hash, source, scope, created_at, revoked_at FROM tokens WHERE hash = $1")
                        .bind(hash)
                        .fetch_optional(self.reader())
                        .await?;
                Ok(row.map(|(hash, source, scope, created_at, revoked_at)| $crate::store::TokenRecord {
                    hash,
                    source,
                    scope: scope.split(',').filter(|s| !s.is_empty()).map(String::from).collect(),
                    created_at,
                    revoked_at,
                }))
            }

            async fn tokens(&self) -> $crate::store::Result<Vec<$crate::store::TokenRecord>> {
                let rows: Vec<(String, String, String, i64, Option<i64>)> =
                    sqlx::query_as("SELECT hash, source, scope, created_at, revoked_at FROM tokens ORDER BY created_at, hash")
                        .fetch_all(self.reader())
                        .await?;
                Ok(rows
                    .into_iter()
                    .map(|(hash, source, scope, created_at, revoked_at)| $crate::store::TokenRecord {
                        hash,
                        source,
                        scope: scope.split(',').filter(|s| !s.is_empty()).map(String::from).collect(),
                        created_at,
                        revoked_at,
                    })
                    .collect())
            }

            async fn revoke_tokens(&self, hash_prefix: &str, now_ms: i64) -> $crate::store::Result<u64> {
                let pattern = format!("{}%", hash_prefix.replace(['%', '_'], ""));
                Ok(sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE hash LIKE $2 AND revoked_at IS NULL")
                    .bind(now_ms)
                    .bind(pattern)
                    .execute(self.writer())
                    .await?
                    .rows_affected())
            }

            async fn ingest(
                &self,
                events: Vec<$crate::domain::Event>,
                scopes: Vec<std::sync::Arc<$crate::domain::Scope>>,
                now: i64,
            ) -> $crate::store::Result<$crate::store::IngestOutcome> {
                use $crate::store::sql::*;
                use $crate::store::Outcome;
                use std::collections::{BTreeSet, HashMap};
                // The batch's own maps (keys, dossier codes) are hashed with foldhash, seeded per process:
                // SipHash was a visible part of the writer's time.
                use foldhash::{HashMap as FastMap, HashMapExt};
                assert_eq!(events.len(), scopes.len(), "one scope per event");

                // Repeats inside the batch are settled with their first occurrence (below).
                let mut outcomes: Vec<Option<Outcome>> = vec![None; events.len()];
                let mut first: FastMap<(&str, &str), usize> = FastMap::with_capacity(events.len());
                let mut repeats: Vec<(usize, usize)> = Vec::new();
                let mut candidates: Vec<usize> = Vec::new();
                for (i, e) in events.iter().enumerate() {
                    match first.get(&(e.source.as_str(), e.id.as_str())) {
                        Some(&j) => repeats.push((i, j)),
                        None => {
                            first.insert((&e.source, &e.id), i);
                            candidates.push(i);
                        }
                    }
                }
                // Keys in a fixed order: concurrent batches take row locks in the same order, free of deadlocks.
                let mut ordered_keys = candidates.clone();
                ordered_keys.sort_by(|&a, &b| (&events[a].source, &events[a].id).cmp(&(&events[b].source, &events[b].id)));

                let mut phases = $crate::store::phases::Phases::start();
                let mut tx = self.writer().begin().await?;
                Self::lock_catalogue_shared(&mut tx).await?;
                let dossier_codes: BTreeSet<&str> = candidates.iter().map(|&i| events[i].dossier.as_str()).collect();
                Self::lock_dossiers(&mut tx, &dossier_codes).await?;

                phases.end("begin and lock");
                let ordered: Vec<&$crate::domain::Event> = ordered_keys.iter().map(|&i| &events[i]).collect();
                for (source, id) in Self::insert_events(&mut tx, &ordered, now).await? {
                    if let Some(&i) = first.get(&(source.as_str(), id.as_str())) {
                        outcomes[i] = Some(Outcome::Accepted);
                    }
                }
                phases.end("events");

                // Events already stored: the same content is a duplicate, other content a conflict. The
                // keys are joined as a table of values, so no batch size reaches an expression limit.
                let known: Vec<usize> = ordered_keys.iter().copied().filter(|&i| outcomes[i].is_none()).collect();
                let mut stored_content: HashMap<usize, $crate::domain::Event> = HashMap::new();
                for chunk in known.chunks(CHUNK) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(format!(
                        "SELECT {} FROM (",
                        EVENT_COLUMNS.split(", ").map(|c| format!("e.{c}")).collect::<Vec<_>>().join(", ")
                    ));
                    qb.push_values(chunk, |mut b, &i| {
                        b.push_bind(events[i].source.as_str()).push_bind(events[i].id.as_str());
                    });
                    qb.push(") AS k JOIN events e ON e.source = k.column1 AND e.id = k.column2");
                    for row in qb.build_query_as::<EventRow>().persistent(keep_prepared(chunk.len(), CHUNK)).fetch_all(&mut *tx).await? {
                        let stored = event_from_row(row)?;
                        if let Some(&i) = first.get(&(stored.source.as_str(), stored.id.as_str())) {
                            outcomes[i] = Some(if stored == events[i] { Outcome::Duplicate } else { Outcome::Conflict });
                            stored_content.insert(i, stored);
                        }
                    }
                }
                // Every event not inserted is found above (a concurrent insert of the same key commits
                // before ON CONFLICT gives way); should one not be, it is refused, not counted as stored.
                for &i in &known {
                    outcomes[i].get_or_insert(Outcome::Conflict);
                }
                phases.end("repeats");

                // Fold the new events into their dossiers' records, in the order they were sent, each
                // judged by the ownership rule (domain::scope) against the record as the events before
                // it left it. A refused event is taken out again: nothing of it stays.
                let codes: Vec<&str> = candidates
                    .iter()
                    .filter(|&&i| outcomes[i] == Some(Outcome::Accepted))
                    .map(|&i| events[i].dossier.as_str())
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect();
                let mut old: FastMap<String, $crate::domain::DossierRecord> = FastMap::with_capacity(codes.len());
                for chunk in codes.chunks(CHUNK) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(format!("SELECT {RECORD_COLUMNS} FROM dossiers WHERE code IN ("));
                    let mut sep = qb.separated(", ");
                    for d in chunk {
                        sep.push_bind(*d);
                    }
                    qb.push(")");
                    for row in qb.build().persistent(keep_prepared(chunk.len(), CHUNK)).fetch_all(&mut *tx).await? {
                        let r = Self::record_from_row(&row)?;
                        old.insert(r.facts.code.clone(), r);
                    }
                }
                phases.end("read dossiers");
                let mut working: FastMap<&str, $crate::domain::DossierRecord> = FastMap::with_capacity(codes.len());
                let mut refused: Vec<usize> = Vec::new();
                for &i in &candidates {
                    if outcomes[i] != Some(Outcome::Accepted) {
                        continue;
                    }
                    let e = &events[i];
                    // A dossier's record is copied from the stored one once, at its first event of the
                    // batch, and its later events fold into that copy.
                    // One lookup per event; a dossier held by a unit outside the sender's scope is refused.
                    use std::collections::hash_map::Entry;
                    let holder = match working.entry(e.dossier.as_str()) {
                        Entry::Occupied(mut held) if scopes[i].covers(&held.get().facts.unit) => {
                            held.get_mut().fold(e);
                            None
                        }
                        Entry::Occupied(held) => Some(held.get().facts.unit.clone()),
                        Entry::Vacant(slot) => match old.get(&e.dossier) {
                            Some(stored) if !scopes[i].covers(&stored.facts.unit) => Some(stored.facts.unit.clone()),
                            Some(stored) => {
                                slot.insert(stored.clone()).fold(e);
                                None
                            }
                            None => {
                                slot.insert($crate::domain::DossierRecord::new(e));
                                None
                            }
                        },
                    };
                    if let Some(holder) = holder {
                        outcomes[i] = Some(Outcome::Foreign { dossier: e.dossier.clone(), holder });
                        refused.push(i);
                    }
                }
                if !refused.is_empty() {
                    let keys: Vec<&$crate::domain::Event> = refused.iter().map(|&i| &events[i]).collect();
                    Self::delete_events(&mut tx, &keys).await?;
                }
                for (i, j) in repeats {
                    // A later copy is judged as if sent after the first: against what is stored under
                    // its key (stored before, or by the first copy just now). Refused with the first
                    // copy when nothing is stored and its content is the first's.
                    let stored = match outcomes[j].as_ref().expect("first occurrence settled") {
                        Outcome::Accepted => Some(&events[j]),
                        _ => stored_content.get(&j),
                    };
                    outcomes[i] = Some(match stored {
                        Some(s) if *s == events[i] => Outcome::Duplicate,
                        Some(_) => Outcome::Conflict,
                        None if events[i] == events[j] => outcomes[j].clone().expect("settled"),
                        None => Outcome::Conflict,
                    });
                }

                // Eligibility depends on the procedures' levels: read here, inside the transaction and
                // after `lock_catalogue_shared`, so a catalogue change made meanwhile (by this process or
                // the `procedures import` command) is either wholly before or wholly after this batch.
                let procedures: BTreeSet<&str> = working
                    .values()
                    .chain(old.values().filter(|r| working.contains_key(r.facts.code.as_str())))
                    .map(|r| r.facts.procedure.as_str())
                    .collect();
                let levels = Self::levels_of(&mut tx, &procedures).await?;
                phases.end("fold");
                let mut delta = $crate::domain::RollupDelta::default();
                let (mut moved, mut in_place) = (Vec::with_capacity(working.len()), Vec::with_capacity(working.len()));
                let mut working: Vec<_> = working.into_iter().collect();
                working.sort_by(|a, b| a.0.cmp(b.0));
                for (code, new) in working {
                    let prev = old.remove(code);
                    if prev.as_ref() == Some(&new) {
                        continue;
                    }
                    delta.record(
                        prev.as_ref().map(|r| (&r.facts, levels.get(&r.facts.procedure).copied())),
                        Some((&new.facts, levels.get(&new.facts.procedure).copied())),
                    );
                    match prev {
                        Some(p) if keeps_index_keys(&p.facts, &new.facts) => in_place.push(new),
                        _ => moved.push(new),
                    }
                }
                phases.end("rollup changes");
                Self::write_records(&mut tx, &moved, &RECORD_UPSERT).await?;
                Self::write_records(&mut tx, &in_place, &RECORD_UPDATE_IN_PLACE).await?;
                phases.end("write dossiers");
                let touched = delta.touched();
                Self::add_to_counters(&mut tx, &delta).await?;
                phases.end("counters");
                Self::apply_delta(&mut tx, &delta).await?;
                phases.end("rollups");
                let heard: BTreeSet<&str> = candidates.iter().map(|&i| events[i].source.as_str()).collect();
                for source in heard {
                    sqlx::query(
                        "INSERT INTO sources (source, last_event_at) VALUES ($1, $2) \
                         ON CONFLICT (source) DO UPDATE SET last_event_at = excluded.last_event_at",
                    )
                    .bind(source)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
                phases.end("sources");
                tx.commit().await?;
                phases.end("commit");
                tracing::debug!(events = events.len(), dossiers = moved.len() + in_place.len(), in_place = in_place.len(), "ingest transaction: {phases}");
                Ok($crate::store::IngestOutcome {
                    outcomes: outcomes.into_iter().map(|o| o.expect("every event settled")).collect(),
                    touched,
                })
            }

            async fn counters(&self) -> $crate::store::Result<Vec<$crate::store::CounterRow>> {
                let rows: Vec<(String, String, i64, i64)> =
                    sqlx::query_as("SELECT unit, indicator, numerator, denominator FROM unit_counters ORDER BY unit, indicator")
                        .fetch_all(self.reader())
                        .await?;
                rows.into_iter()
                    .map(|(unit, indicator, n, d)| {
                        Ok($crate::store::CounterRow {
                            unit,
                            indicator: $crate::domain::Indicator::from_stored(&indicator)
                                .map_err(|detail| $crate::store::StoreError::Corrupt { table: "unit_counters", detail })?,
                            figures: $crate::domain::Figures::new(n, d),
                        })
                    })
                    .collect()
            }

            async fn sources(&self) -> $crate::store::Result<Vec<(String, i64)>> {
                Ok(sqlx::query_as("SELECT source, last_event_at FROM sources ORDER BY source").fetch_all(self.reader()).await?)
            }

            async fn token_scopes(&self) -> $crate::store::Result<Vec<(String, String)>> {
                let rows: Vec<(String, String)> =
                    sqlx::query_as("SELECT source, scope FROM tokens WHERE revoked_at IS NULL").fetch_all(self.reader()).await?;
                let mut out: Vec<(String, String)> = rows
                    .into_iter()
                    .flat_map(|(source, scope)| {
                        scope.split(',').filter(|s| !s.is_empty()).map(|s| (source.clone(), s.to_string())).collect::<Vec<_>>()
                    })
                    .collect();
                out.sort();
                out.dedup();
                Ok(out)
            }

            async fn rollups(
                &self,
                indicator: $crate::domain::Indicator,
                from: $crate::domain::Month,
                to: $crate::domain::Month,
            ) -> $crate::store::Result<Vec<$crate::store::RollupRow>> {
                let (n, d) = $crate::store::unit_months::columns_of(indicator);
                let sql = format!("SELECT unit, month, {n}, {d} FROM unit_months WHERE month >= $1 AND month <= $2 AND ({n} <> 0 OR {d} <> 0)");
                let rows: Vec<(String, i64, i64, i64)> = sqlx::query_as(&sql)
                .bind(from.key() as i64)
                .bind(to.key() as i64)
                .fetch_all(self.reader())
                .await?;
                // A row whose key names no month (202613) belongs to no month asked for: it is left out
                // rather than failing every page; `verify` reports it and `verify --repair` removes it.
                Ok(rows
                    .into_iter()
                    .filter_map(|(unit, key, n, d)| match $crate::store::sql::month_of_key(key) {
                        Some(month) => Some($crate::store::RollupRow { unit, month, figures: $crate::domain::Figures::new(n, d) }),
                        None => {
                            tracing::warn!(unit = %unit, month = key, "rollup row with an unreadable month key left out; run `dvc-monitor verify`");
                            None
                        }
                    })
                    .collect())
            }

            async fn close_month(
                &self,
                month: $crate::domain::Month,
                published: &[$crate::store::PublishedRow],
                min_volume: i64,
                now_ms: i64,
            ) -> $crate::store::Result<bool> {
                let mut tx = self.writer().begin().await?;
                let inserted = sqlx::query("INSERT INTO closed_months (month, closed_at, min_volume) VALUES ($1, $2, $3) ON CONFLICT (month) DO NOTHING")
                    .bind(month.key() as i64)
                    .bind(now_ms)
                    .bind(min_volume)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if inserted == 0 {
                    return Ok(false);
                }
                for chunk in published.chunks($crate::store::sql::CHUNK) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO published_rollups (month, indicator, unit, numerator, denominator, target) ",
                    );
                    qb.push_values(chunk, |mut b, r| {
                        b.push_bind(month.key() as i64)
                            .push_bind(r.indicator.as_str())
                            .push_bind(r.unit.as_str())
                            .push_bind(r.figures.numerator)
                            .push_bind(r.figures.denominator)
                            .push_bind(r.target.map(|t| t.millionths()));
                    });
                    qb.build().execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(true)
            }

            async fn closed_month(&self, month: $crate::domain::Month) -> $crate::store::Result<Option<$crate::store::ClosedMonth>> {
                let row: Option<(i64, i64)> = sqlx::query_as("SELECT closed_at, min_volume FROM closed_months WHERE month = $1")
                    .bind(month.key() as i64)
                    .fetch_optional(self.reader())
                    .await?;
                Ok(row.map(|(closed_at, min_volume)| $crate::store::ClosedMonth { closed_at, min_volume }))
            }

            async fn closed_months(&self) -> $crate::store::Result<Vec<($crate::domain::Month, $crate::store::ClosedMonth)>> {
                let rows: Vec<(i64, i64, i64)> = sqlx::query_as("SELECT month, closed_at, min_volume FROM closed_months ORDER BY month")
                    .fetch_all(self.reader())
                    .await?;
                rows.into_iter()
                    .map(|(month, closed_at, min_volume)| {
                        let m = i32::try_from(month).ok().and_then($crate::domain::Month::from_key).ok_or_else(|| {
                            $crate::store::StoreError::Corrupt { table: "closed_months", detail: format!("month {month}") }
                        })?;
                        Ok((m, $crate::store::ClosedMonth { closed_at, min_volume }))
                    })
                    .collect()
            }

            async fn published(
                &self,
                indicator: $crate::domain::Indicator,
                month: $crate::domain::Month,
            ) -> $crate::store::Result<Vec<$crate::store::PublishedRow>> {
                let rows: Vec<(String, i64, i64, Option<i64>)> = sqlx::query_as(
                    "SELECT unit, numerator, denominator, target FROM published_rollups WHERE month = $1 AND indicator = $2 ORDER BY unit",
                )
                .bind(month.key() as i64)
                .bind(indicator.as_str())
                .fetch_all(self.reader())
                .await?;
                rows.into_iter()
                    .map(|(unit, n, d, t)| {
                        let target = t
                            .map(|t| {
                                $crate::domain::Ratio::from_millionths(t).ok_or_else(|| $crate::store::StoreError::Corrupt {
                                    table: "published_rollups",
                                    detail: format!("target {t}"),
                                })
                            })
                            .transpose()?;
                        Ok($crate::store::PublishedRow { unit, indicator, figures: $crate::domain::Figures::new(n, d), target })
                    })
                    .collect()
            }

            async fn verify(&self, repair: bool) -> $crate::store::Result<$crate::store::Drift> {
                use $crate::store::sql::*;
                use futures_util::TryStreamExt;
                // Writer transaction: no batch lands between reading and comparing (or repairing).
                let mut tx = self.writer().begin().await?;
                let levels = Self::all_terms(&mut tx).await?;
                let stored_records: std::collections::HashMap<String, $crate::domain::DossierRecord> = {
                    let sql = format!("SELECT {RECORD_COLUMNS} FROM dossiers");
                    let rows = sqlx::query(&sql).fetch_all(&mut *tx).await?;
                    rows.iter().map(|r| Self::record_from_row(r).map(|r| (r.facts.code.clone(), r))).collect::<$crate::store::Result<_>>()?
                };
                let mut drift = $crate::store::Drift::default();
                let mut expected = $crate::domain::RollupDelta::default();
                let mut differing: Vec<$crate::domain::DossierRecord> = Vec::new();
                {
                    let sql = format!("SELECT {EVENT_COLUMNS} FROM events ORDER BY dossier");
                    let mut rows = sqlx::query_as::<_, EventRow>(&sql).fetch(&mut *tx);
                    let mut current: Vec<$crate::domain::Event> = Vec::new();
                    let mut settle = |events: &mut Vec<$crate::domain::Event>, drift: &mut $crate::store::Drift| {
                        if let Some(r) = $crate::domain::DossierRecord::of(events) {
                            drift.dossiers_checked += 1;
                            expected.record(None, Some((&r.facts, levels.get(&r.facts.procedure).copied())));
                            if stored_records.get(&r.facts.code) != Some(&r) {
                                differing.push(r);
                            }
                        }
                        events.clear();
                    };
                    while let Some(row) = rows.try_next().await? {
                        let e = event_from_row(row)?;
                        drift.events_read += 1;
                        if current.last().is_some_and(|c| c.dossier != e.dossier) {
                            settle(&mut current, &mut drift);
                        }
                        current.push(e);
                    }
                    settle(&mut current, &mut drift);
                }
                drift.facts_differing = differing.len() as u64;
                // Cells of months no key holds (events dated before 1900, stored before ingest refused
                // them) cannot be stored and read back: they are left out, and counted.
                let mut expected = expected.into_map();
                let cells = expected.len();
                expected.retain(|k, _| month_of_key(k.month.key() as i64).is_some());
                drift.cells_outside_months = (cells - expected.len()) as u64;
                // Whatever the tables hold is read: a row whose month or indicator cannot be read is drift.
                type KeyRow = (String, i64, String, i64, i64);
                let mut stored: std::collections::BTreeMap<$crate::domain::RollupKey, $crate::domain::Figures> =
                    std::collections::BTreeMap::new();
                {
                    use sqlx::Row;
                    use $crate::store::unit_months::{figures_of, CELLS, CELL_COLUMNS};
                    let sql = format!("SELECT unit, month, {} FROM unit_months", *CELL_COLUMNS);
                    for row in sqlx::query(&sql).fetch_all(&mut *tx).await? {
                        let (unit, key): (String, i64) = (row.try_get(0)?, row.try_get(1)?);
                        let mut cells = [0i64; CELLS];
                        for (at, cell) in cells.iter_mut().enumerate() {
                            *cell = row.try_get(at + 2)?;
                        }
                        for (indicator, figures) in figures_of(&cells) {
                            match month_of_key(key) {
                                Some(month) => {
                                    stored.insert($crate::domain::RollupKey { unit: unit.clone(), month, indicator }, figures);
                                }
                                None => drift.unreadable_rows.push($crate::store::UnreadableRow {
                                    table: "unit_months",
                                    unit: unit.clone(),
                                    month: key,
                                    indicator: indicator.as_str().to_string(),
                                    figures,
                                }),
                            }
                        }
                    }
                }
                let sql = format!(
                    "SELECT unit, month, indicator, numerator, denominator FROM published_rollups WHERE {} ORDER BY month, indicator, unit",
                    unreadable_key_condition()
                );
                for (unit, key, indicator, n, d) in sqlx::query_as::<_, KeyRow>(&sql).fetch_all(&mut *tx).await? {
                    let figures = $crate::domain::Figures::new(n, d);
                    drift.unreadable_rows.push($crate::store::UnreadableRow { table: "published_rollups", unit, month: key, indicator, figures });
                }
                for key in expected.keys().chain(stored.keys()).collect::<std::collections::BTreeSet<_>>() {
                    let (want, have) = (expected.get(key).copied().unwrap_or_default(), stored.get(key).copied().unwrap_or_default());
                    if want != have {
                        drift.rollups_differing.push((key.clone(), have, want));
                    }
                }
                // Unit counters: never below the sum of the unit's recomputed rollups over all months.
                let mut floors: std::collections::BTreeMap<(String, $crate::domain::Indicator), $crate::domain::Figures> =
                    std::collections::BTreeMap::new();
                for (k, f) in expected.iter().filter(|(k, _)| $crate::domain::Indicator::PROVINCIAL.contains(&k.indicator)) {
                    *floors.entry((k.unit.clone(), k.indicator)).or_default() += *f;
                }
                let mut counted: std::collections::BTreeMap<(String, $crate::domain::Indicator), $crate::domain::Figures> =
                    std::collections::BTreeMap::new();
                type CounterRow = (String, String, i64, i64);
                for (unit, indicator, n, d) in
                    sqlx::query_as::<_, CounterRow>("SELECT unit, indicator, numerator, denominator FROM unit_counters").fetch_all(&mut *tx).await?
                {
                    let figures = $crate::domain::Figures::new(n, d);
                    match $crate::domain::Indicator::from_stored(&indicator) {
                        Ok(i) => {
                            counted.insert((unit, i), figures);
                        }
                        Err(_) => drift.unreadable_rows.push($crate::store::UnreadableRow { table: "unit_counters", unit, month: 0, indicator, figures }),
                    }
                }
                for ((unit, indicator), floor) in &floors {
                    let have = counted.get(&(unit.clone(), *indicator)).copied().unwrap_or_default();
                    if have.numerator < floor.numerator.max(0) || have.denominator < floor.denominator.max(0) {
                        drift.counters_below.push((unit.clone(), *indicator, have, *floor));
                    }
                }
                if repair && drift.found() {
                    for (unit, indicator, have, floor) in &drift.counters_below {
                        sqlx::query(
                            "INSERT INTO unit_counters (unit, indicator, numerator, denominator) VALUES ($1, $2, $3, $4) \
                             ON CONFLICT (unit, indicator) DO UPDATE SET numerator = excluded.numerator, denominator = excluded.denominator",
                        )
                        .bind(unit.as_str())
                        .bind(indicator.as_str())
                        .bind(have.numerator.max(floor.numerator))
                        .bind(have.denominator.max(floor.denominator))
                        .execute(&mut *tx)
                        .await?;
                    }
                    for row in drift.unreadable_rows.iter().filter(|r| r.table == "unit_counters") {
                        sqlx::query("DELETE FROM unit_counters WHERE unit = $1 AND indicator = $2")
                            .bind(row.unit.as_str())
                            .bind(row.indicator.as_str())
                            .execute(&mut *tx)
                            .await?;
                    }
                    Self::write_records(&mut tx, &differing, &RECORD_UPSERT).await?;
                    sqlx::query("DELETE FROM unit_months").execute(&mut *tx).await?;
                    Self::apply_delta(&mut tx, &expected.into_iter().collect()).await?;
                    for row in drift.unreadable_rows.iter().filter(|r| r.table == "published_rollups") {
                        sqlx::query("DELETE FROM published_rollups WHERE month = $1 AND indicator = $2 AND unit = $3")
                            .bind(row.month)
                            .bind(row.indicator.as_str())
                            .bind(row.unit.as_str())
                            .execute(&mut *tx)
                            .await?;
                    }
                    tx.commit().await?;
                    drift.repaired = true;
                }
                Ok(drift)
            }

            async fn dossiers_in_month(
                &self,
                units: &[String],
                month: $crate::domain::Month,
            ) -> $crate::store::Result<Vec<$crate::domain::DossierFacts>> {
                use $crate::store::sql::*;
                let (start, end) = (month.start_millis(), month.end_millis());
                let mut out = Vec::new();
                let sqlite = $backend != "postgres";
                for chunk in units.chunks(CHUNK) {
                    // SQLite: each time names the units itself, so that SQLite seeks each bucket and unit
                    // in the bucketed index of that time and joins the two lists. PostgreSQL's indexes
                    // lead with the unit: one list outside the terms, then each unit's ranges.
                    let mut qb = sqlx::QueryBuilder::<$db>::new(format!("SELECT {DOSSIER_COLUMNS} FROM dossiers WHERE "));
                    if !sqlite {
                        push_units(&mut qb, chunk);
                        qb.push(" AND (");
                    }
                    for (i, column) in ["received_at", "returned_at"].into_iter().enumerate() {
                        qb.push(if i > 0 { " OR (" } else { "(" });
                        push_time_range(&mut qb, column, start, end, sqlite);
                        if sqlite {
                            qb.push(" AND ");
                            push_units(&mut qb, chunk);
                        }
                        qb.push(")");
                    }
                    if !sqlite {
                        qb.push(")");
                    }
                    for row in qb.build_query_as::<DossierRow>().fetch_all(self.reader()).await? {
                        out.push(dossier_from_row(row)?);
                    }
                }
                out.sort_by(|a, b| a.code.cmp(&b.code));
                Ok(out)
            }

            async fn visit_dossiers_in_period(
                &self,
                q: &$crate::store::PeriodDossiers<'_>,
                visit: &mut (dyn FnMut($crate::domain::DossierFacts) + Send),
            ) -> $crate::store::Result<()> {
                use futures_util::TryStreamExt;
                let Some(mut qb) = Self::period_query(q) else { return Ok(()) };
                let mut rows = qb.build_query_as::<$crate::store::sql::DossierRow>().fetch(self.reader());
                while let Some(row) = rows.try_next().await? {
                    visit($crate::store::sql::dossier_from_row(row)?);
                }
                Ok(())
            }
        }

        impl $store {
            /// The dossiers `q` selects after `q.after`, in `q.sort`'s order; None when the selection
            /// reads no time at all.
            fn period_query<'q>(q: &$crate::store::PeriodDossiers<'q>) -> Option<sqlx::QueryBuilder<'q, $db>> {
                use $crate::domain::chase::{SortKey, SortValue};
                use $crate::store::sql::*;
                // Codes compare byte by byte on both backends (the order `DossierSort::compare` gives).
                let bytes = if $backend == "postgres" { " COLLATE \"C\"" } else { "" };
                let missing = q.sort.missing_time();
                let expr = match q.sort.key {
                    SortKey::Code => format!("code{bytes}"),
                    SortKey::Unit => format!("unit{bytes}"),
                    SortKey::Procedure => format!("procedure{bytes}"),
                    SortKey::Received => format!("COALESCE(received_at, {missing})"),
                    SortKey::Returned => format!("COALESCE(returned_at, {missing})"),
                    SortKey::Due => format!("COALESCE(due, {missing})"),
                };
                let (start, end) = q.months.bounds_millis();
                let wanted = [(q.selection.returned, "returned_at"), (q.selection.received, "received_at"), (q.selection.index, "index_at")];
                let columns: Vec<&str> = wanted.into_iter().filter(|(w, _)| *w).map(|(_, c)| c).collect();
                if columns.is_empty() {
                    return None;
                }
                let mut qb = sqlx::QueryBuilder::<$db>::new(
                    "WITH RECURSIVE subtree(code) AS (SELECT code FROM units WHERE code = ",
                );
                qb.push_bind(q.unit);
                qb.push(" UNION SELECT u.code FROM units u JOIN subtree s ON u.parent = s.code) ");
                // SQLite: one term per time the selection reads, each naming the units, so that it seeks
                // each bucket and unit of the period in that time's index (with one `unit IN` outside
                // the terms it scanned the table). PostgreSQL's indexes lead with the unit: it joins the
                // subtree first, then reads each unit's range.
                let sqlite = $backend != "postgres";
                qb.push(format!("SELECT {DOSSIER_COLUMNS} FROM dossiers WHERE "));
                if !sqlite {
                    qb.push("unit IN (SELECT code FROM subtree) AND ");
                }
                qb.push("(");
                for (i, column) in columns.into_iter().enumerate() {
                    qb.push(if i > 0 { " OR (" } else { "(" });
                    push_time_range(&mut qb, column, start, end, sqlite);
                    qb.push(if sqlite { " AND unit IN (SELECT code FROM subtree))" } else { ")" });
                }
                qb.push(")");
                let (cmp, dir) = if q.sort.descending { ("<", "DESC") } else { (">", "ASC") };
                if let Some(after) = q.after {
                    let bind_value = |qb: &mut sqlx::QueryBuilder<'q, $db>| match q.sort.value(after) {
                        SortValue::Int(v) => {
                            qb.push_bind(v);
                        }
                        SortValue::Text(v) => {
                            qb.push_bind(v);
                        }
                    };
                    qb.push(format!(" AND ({expr} {cmp} "));
                    bind_value(&mut qb);
                    qb.push(format!(" OR ({expr} = "));
                    bind_value(&mut qb);
                    qb.push(format!(" AND code{bytes} {cmp} ")).push_bind(after.code.clone()).push("))");
                }
                qb.push(format!(" ORDER BY {expr} {dir}, code{bytes} {dir}"));
                Some(qb)
            }

            /// A row of `RECORD_COLUMNS`.
            fn record_from_row(row: &<$db as sqlx::Database>::Row) -> $crate::store::Result<$crate::domain::DossierRecord> {
                use sqlx::Row;
                use $crate::domain::EventKey;
                let corrupt = |detail: String| $crate::store::StoreError::Corrupt { table: "dossiers", detail };
                let facts = $crate::store::sql::dossier_from_row((
                    row.try_get(0)?, row.try_get(1)?, row.try_get(2)?, row.try_get(3)?, row.try_get(4)?,
                    row.try_get(5)?, row.try_get(6)?, row.try_get(7)?, row.try_get(8)?, None,
                ))?;
                let key = |at: Option<i64>, id: usize| -> $crate::store::Result<Option<EventKey>> {
                    let (id, source): (Option<String>, Option<String>) = (row.try_get(id)?, row.try_get(id + 1)?);
                    Ok(match (at, id, source) {
                        (Some(at), Some(id), Some(source)) => Some(EventKey { at, id, source }),
                        (_, None, None) => None,
                        _ => return Err(corrupt(format!("dossier {}: incomplete event key", facts.code))),
                    })
                };
                let anchor = key(row.try_get(9)?, 10)?.ok_or_else(|| corrupt(format!("dossier {}: no anchor event", facts.code)))?;
                let returned = key(facts.returned_at, 12)?;
                let payment = key(row.try_get(14)?, 15)?;
                let due_from = key(row.try_get(17)?, 18)?;
                let index_text: Option<String> = row.try_get(20)?;
                let own = $crate::store::index_record::RowKeys { anchor: Some(&anchor), returned: returned.as_ref(), payment: payment.as_ref(), due_from: due_from.as_ref() };
                let index = $crate::store::sql::index_record_from_column(index_text.as_deref(), own)?;
                let facts = $crate::domain::DossierFacts { index: index.facts, ..facts };
                Ok($crate::domain::DossierRecord { facts, anchor, returned, payment, due_from, index: index.keys })
            }

            /// The terms (level, paper result) of these procedures, as the transaction sees them.
            async fn levels_of(tx: &mut sqlx::Transaction<'_, $db>, codes: &std::collections::BTreeSet<&str>) -> $crate::store::Result<$crate::store::ProcedureTerms> {
                let mut terms = $crate::store::ProcedureTerms::with_capacity(codes.len());
                let codes: Vec<&str> = codes.iter().copied().collect();
                for chunk in codes.chunks($crate::store::sql::CHUNK) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new("SELECT code, level, paper_result FROM procedures WHERE code IN (");
                    let mut sep = qb.separated(", ");
                    for c in chunk {
                        sep.push_bind(*c);
                    }
                    qb.push(")");
                    let keep = $crate::store::sql::keep_prepared(chunk.len(), $crate::store::sql::CHUNK);
                    for row in qb.build_query_as::<(String, String, i64)>().persistent(keep).fetch_all(&mut **tx).await? {
                        let (code, t) = $crate::store::sql::terms_from_row(row)?;
                        terms.insert(code, t);
                    }
                }
                Ok(terms)
            }

            /// Every procedure's terms, as the transaction sees them.
            async fn all_terms(tx: &mut sqlx::Transaction<'_, $db>) -> $crate::store::Result<$crate::store::ProcedureTerms> {
                sqlx::query_as::<_, (String, String, i64)>("SELECT code, level, paper_result FROM procedures")
                    .fetch_all(&mut **tx)
                    .await?
                    .into_iter()
                    .map($crate::store::sql::terms_from_row)
                    .collect()
            }

            /// Takes events appended earlier in this transaction out again (refused by the ownership rule).
            async fn delete_events(tx: &mut sqlx::Transaction<'_, $db>, events: &[&$crate::domain::Event]) -> $crate::store::Result<()> {
                for chunk in events.chunks($crate::store::sql::CHUNK) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new("DELETE FROM events WHERE (source, id) IN (");
                    qb.push_values(chunk, |mut b, e| {
                        b.push_bind(e.source.as_str()).push_bind(e.id.as_str());
                    });
                    qb.push(")");
                    qb.build().persistent(false).execute(&mut **tx).await?;
                }
                Ok(())
            }

            /// Adds the positive part of each unit's net change per indicator to its counters: kpi.md's
            /// three indicators, the ones `/metrics` has counter families for (the index's indicators have
            /// none, and counting them would triple the writes of every batch).
            async fn add_to_counters(
                tx: &mut sqlx::Transaction<'_, $db>,
                delta: &$crate::domain::RollupDelta,
            ) -> $crate::store::Result<()> {
                let mut net: std::collections::BTreeMap<(&str, $crate::domain::Indicator), $crate::domain::Figures> =
                    std::collections::BTreeMap::new();
                for (_, unit, indicator, f) in delta.changes().filter(|c| $crate::domain::Indicator::PROVINCIAL.contains(&c.2)) {
                    *net.entry((unit, indicator)).or_default() += f;
                }
                let grow: Vec<_> = net
                    .into_iter()
                    .map(|(k, f)| (k, f.numerator.max(0), f.denominator.max(0)))
                    .filter(|(_, n, d)| *n > 0 || *d > 0)
                    .collect();
                let rows: Vec<$crate::store::sql::CounterCell> =
                    grow.iter().map(|((unit, indicator), n, d)| (*unit, indicator.as_str(), *n, *d)).collect();
                Self::add_to_counter_cells(tx, &rows).await
            }

            /// Adds the changes to the rollups, in key order.
            async fn apply_delta(
                tx: &mut sqlx::Transaction<'_, $db>,
                delta: &$crate::domain::RollupDelta,
            ) -> $crate::store::Result<()> {
                Self::add_to_rollup_rows(tx, &$crate::store::unit_months::row_changes(delta)).await
            }

            /// Recomputes every rollup from the dossier facts and the current procedure levels.
            async fn rebuild_rollups(tx: &mut sqlx::Transaction<'_, $db>) -> $crate::store::Result<()> {
                use $crate::store::sql::*;
                let levels = Self::all_terms(tx).await?;
                let mut delta = $crate::domain::RollupDelta::default();
                {
                    use futures_util::TryStreamExt;
                    let sql = format!("SELECT {DOSSIER_COLUMNS} FROM dossiers");
                    let mut rows = sqlx::query_as::<_, DossierRow>(&sql).fetch(&mut **tx);
                    while let Some(row) = rows.try_next().await? {
                        let f = dossier_from_row(row)?;
                        delta.record(None, Some((&f, levels.get(&f.procedure).copied())));
                    }
                }
                sqlx::query("DELETE FROM unit_months").execute(&mut **tx).await?;
                Self::apply_delta(tx, &delta).await
            }
        }
    };
}

pub(crate) use impl_store;

#[cfg(test)]
mod tests {
    use super::*;

    /// The columns a statement's `SET` names, in order.
    fn set_columns(sql: &str) -> Vec<&str> {
        let set = sql.split("SET ").nth(1).expect("a SET");
        set.split(", ").map(|c| c.split(" = ").next().expect("a column")).collect()
    }

    #[test]
    fn the_in_place_upsert_sets_every_column_but_the_key_and_the_indexed_ones() {
        let all = set_columns(&RECORD_UPSERT);
        assert_eq!(all, RECORD_COLUMNS.split(", ").skip(1).collect::<Vec<_>>());
        let kept: Vec<&str> = all.iter().copied().filter(|c| !["unit", "received_at", "returned_at", "index_at"].contains(c)).collect();
        assert_eq!(set_columns(&RECORD_UPDATE_IN_PLACE), kept);
    }

    /// Instants as SQL's integer division places them: the turn of a bucket, the instant before it, a
    /// range of one instant, and times before 1970 (division toward zero, as both backends do).
    #[test]
    fn period_buckets_cover_the_range_as_sql_divides() {
        let b = PERIOD_BUCKET_MS;
        assert_eq!(period_buckets(692 * b, 692 * b + 1), 692..=692);
        assert_eq!(period_buckets(692 * b - 1, 692 * b + 1), 691..=692);
        assert_eq!(period_buckets(692 * b - 1, 692 * b), 691..=691, "the end is not in the range");
        assert_eq!(period_buckets(5, 5), 0..=0, "an empty range names the bucket of its start");
        assert_eq!(period_buckets(-b - 1, 1), -1..=0);
        // A month at UTC+07:00 (2026-11) spans two buckets.
        assert_eq!(period_buckets(1_793_466_000_000, 1_796_058_000_000), 691..=692);
    }
}
