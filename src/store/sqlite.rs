//! SQLite, the embedded default: one file in WAL mode with full synchronous commits, so an
//! acknowledged batch survives a crash. Writes go through a single connection (SQLite has one writer
//! at a time anyway); reads use a small pool of their own.

use super::sql::{index_column, bind_event, impl_store, keep_prepared, CounterCell, CHUNK, EVENT_COLUMNS, RECORD_COLUMNS};
use super::unit_months::{RowChange, ADD_CELLS, CELL_COLUMNS};
use super::Result;
use crate::domain::{DossierRecord, Event};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{QueryBuilder, Sqlite, Transaction};
use std::collections::BTreeSet;
use std::str::FromStr;
use std::time::Duration;

pub struct SqliteStore {
    read: SqlitePool,
    write: SqlitePool,
}

impl SqliteStore {
    pub async fn connect(url: &str) -> Result<SqliteStore> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(30))
            // Statement journals of the multi-row upserts stay in memory rather than in temp files.
            .pragma("temp_store", "memory");
        // Checkpoints run every 256 MB of WAL rather than SQLite's 4 MB: a batch of the nation dirties
        // a leaf page per unit in each index (its codes sort by unit), and a page that several
        // transactions dirty is copied back once. 32 MB made the commit 57–63 ms per 10,000 events on
        // a store of a million, 256 MB 36–39 ms (ingest +13 %, BENCHMARKS.md). A writer cache of 32 MB
        // rather than 16 MB gained as much again, for 20 MB more resident memory: not kept.
        let writer = options.clone().pragma("cache_size", "-16384").pragma("wal_autocheckpoint", "65536");
        let write = SqlitePoolOptions::new().max_connections(1).connect_with(writer).await?;
        sqlx::migrate!("migrations/sqlite").run(&write).await?;
        // Readers scan rollup rows (a year of the nation is some 9 MB of pages, more than any cache here
        // would keep between requests) and one unit's dossiers at a time: 2 MB each read as fast as 8 MB.
        // A list of a nation's month sorts millions of rows: readers spill their sorts to temporary
        // files (SQLite sorts 2 MB at a time, as the cache) rather than into memory.
        let reader = options.read_only(true).pragma("cache_size", "-2048").pragma("temp_store", "file");
        let read = SqlitePoolOptions::new().max_connections(4).connect_with(reader).await?;
        Ok(SqliteStore { read, write })
    }

    fn reader(&self) -> &SqlitePool {
        &self.read
    }

    fn writer(&self) -> &SqlitePool {
        &self.write
    }

    /// Appends the events not stored yet (1,000 rows a statement); returns the keys of those appended.
    async fn insert_events(tx: &mut Transaction<'_, Sqlite>, events: &[&Event], now: i64) -> Result<Vec<(String, String)>> {
        let mut appended = Vec::with_capacity(events.len());
        for chunk in events.chunks(CHUNK) {
            let mut qb = QueryBuilder::<Sqlite>::new(format!("INSERT INTO events ({EVENT_COLUMNS}, stored_at) "));
            qb.push_values(chunk, |mut b, e| {
                bind_event!(b, e, now);
            });
            qb.push(" ON CONFLICT (source, id) DO NOTHING RETURNING source, id");
            appended.extend(qb.build_query_as::<(String, String)>().persistent(keep_prepared(chunk.len(), CHUNK)).fetch_all(&mut **tx).await?);
        }
        Ok(appended)
    }

    /// Upserts dossier records, 500 rows (22 parameters each) a statement.
    async fn write_records(tx: &mut Transaction<'_, Sqlite>, records: &[DossierRecord], upsert: &str) -> Result<()> {
        for chunk in records.chunks(CHUNK / 2) {
            let mut qb = QueryBuilder::<Sqlite>::new(format!("INSERT INTO dossiers ({RECORD_COLUMNS}) "));
            qb.push_values(chunk, |mut b, r| {
                let f = &r.facts;
                let (returned, payment, due_from) = (r.returned.as_ref(), r.payment.as_ref(), r.due_from.as_ref());
                b.push_bind(f.code.as_str())
                    .push_bind(f.unit.as_str())
                    .push_bind(f.procedure.as_str())
                    .push_bind(f.received_at)
                    .push_bind(f.channel.map(|c| c.as_str()))
                    .push_bind(f.returned_at)
                    .push_bind(f.result_delivery.map(|c| c.as_str()))
                    .push_bind(f.payment.map(|p| p.as_str()))
                    .push_bind(f.due)
                    .push_bind(r.anchor.at)
                    .push_bind(r.anchor.id.as_str())
                    .push_bind(r.anchor.source.as_str())
                    .push_bind(returned.map(|k| k.id.as_str()))
                    .push_bind(returned.map(|k| k.source.as_str()))
                    .push_bind(payment.map(|k| k.at))
                    .push_bind(payment.map(|k| k.id.as_str()))
                    .push_bind(payment.map(|k| k.source.as_str()))
                    .push_bind(due_from.map(|k| k.at))
                    .push_bind(due_from.map(|k| k.id.as_str()))
                    .push_bind(due_from.map(|k| k.source.as_str()))
                    .push_bind(index_column(r))
                    .push_bind(f.index_at());
            });
            qb.push(upsert);
            qb.build().persistent(keep_prepared(chunk.len(), CHUNK / 2)).execute(&mut **tx).await?;
        }
        Ok(())
    }

    /// Adds each change to its `unit_months` row (created when missing), in the order given.
    async fn add_to_rollup_rows(tx: &mut Transaction<'_, Sqlite>, rows: &[RowChange<'_>]) -> Result<()> {
        // Each row binds 2 + CELLS parameters; 1,000 rows stay under SQLite's 32,766.
        for chunk in rows.chunks(CHUNK) {
            let mut qb = QueryBuilder::<Sqlite>::new(format!("INSERT INTO unit_months (month, unit, {}) ", *CELL_COLUMNS));
            qb.push_values(chunk, |mut b, r| {
                b.push_bind(r.month).push_bind(r.unit);
                for c in r.cells {
                    b.push_bind(c);
                }
            });
            qb.push(format!(" ON CONFLICT (month, unit) DO UPDATE SET {}", *ADD_CELLS));
            qb.build().persistent(keep_prepared(chunk.len(), CHUNK)).execute(&mut **tx).await?;
        }
        Ok(())
    }

    /// Adds each change to its unit counter (created when missing).
    async fn add_to_counter_cells(tx: &mut Transaction<'_, Sqlite>, cells: &[CounterCell<'_>]) -> Result<()> {
        for chunk in cells.chunks(CHUNK) {
            let mut qb = QueryBuilder::<Sqlite>::new("INSERT INTO unit_counters (unit, indicator, numerator, denominator) ");
            qb.push_values(chunk, |mut b, (unit, indicator, n, d)| {
                b.push_bind(*unit).push_bind(*indicator).push_bind(*n).push_bind(*d);
            });
            qb.push(
                " ON CONFLICT (unit, indicator) DO UPDATE SET \
                 numerator = unit_counters.numerator + excluded.numerator, denominator = unit_counters.denominator + excluded.denominator",
            );
            qb.build().persistent(keep_prepared(chunk.len(), CHUNK)).execute(&mut **tx).await?;
        }
        Ok(())
    }

    /// Nothing to do: SQLite's write lock, held from the batch's first insert, serialises it with any
    /// catalogue change, in this process or another.
    async fn lock_catalogue_shared(_tx: &mut Transaction<'_, Sqlite>) -> Result<()> {
        Ok(())
    }

    /// A catalogue change takes the write lock at once (`BEGIN IMMEDIATE`), so what it reads to rebuild
    /// the rollups is the latest committed state and no batch commits in between.
    async fn begin_catalogue_change(pool: &SqlitePool) -> Result<Transaction<'static, Sqlite>> {
        Ok(pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// Nothing to do: the single writer connection and SQLite's write lock serialise batches.
    async fn lock_dossiers(_tx: &mut Transaction<'_, Sqlite>, _dossiers: &BTreeSet<&str>) -> Result<()> {
        Ok(())
    }
}

impl_store!(SqliteStore, Sqlite, "sqlite");
