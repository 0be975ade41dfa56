//! PostgreSQL, for a province with many agency systems or the whole nation. Concurrent ingest
//! requests serialise per dossier with transaction-scoped advisory locks, taken in a fixed order.

use super::sql::{index_column, impl_store, CounterCell, CHUNK, EVENT_COLUMNS, RECORD_COLUMNS};
use super::unit_months::{RowChange, ADD_CELLS, CELLS, CELL_COLUMNS};
use super::Result;
use std::sync::LazyLock;
use crate::domain::{DossierRecord, Event};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::{Postgres, Transaction};
use std::collections::BTreeSet;
use std::time::Duration;

/// The upsert of `unit_months` rows from one array per column (month, unit, then each cell), kept in order.
static UPSERT_ROWS: LazyLock<String> = LazyLock::new(|| {
    let arrays: Vec<String> = (0..CELLS).map(|at| format!("${}::bigint[]", at + 3)).collect();
    let names: Vec<String> = (0..CELLS).map(|at| format!("c{at}")).collect();
    format!(
        "INSERT INTO unit_months (month, unit, {cols}) \
         SELECT m, u, {names} FROM UNNEST($1::bigint[], $2::text[], {arrays}) WITH ORDINALITY AS r(m, u, {names}, o) ORDER BY o \
         ON CONFLICT (month, unit) DO UPDATE SET {add}",
        cols = *CELL_COLUMNS,
        names = names.join(", "),
        arrays = arrays.join(", "),
        add = *ADD_CELLS,
    )
});

pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    pub async fn connect(url: &str) -> Result<PgStore> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(5))
            .connect(url)
            .await?;
        sqlx::migrate!("migrations/postgres").run(&pool).await?;
        Ok(PgStore { pool })
    }

    fn reader(&self) -> &PgPool {
        &self.pool
    }

    fn writer(&self) -> &PgPool {
        &self.pool
    }

    /// Appends the events not stored yet; returns the keys of those appended. One array per column
    /// (`UNNEST`) rather than a `VALUES` list: a dozen parameters to bind and plan instead of 12,000.
    async fn insert_events(tx: &mut Transaction<'_, Postgres>, events: &[&Event], now: i64) -> Result<Vec<(String, String)>> {
        let mut appended = Vec::with_capacity(events.len());
        for chunk in events.chunks(10 * CHUNK) {
            let text = |f: fn(&Event) -> &str| chunk.iter().map(|e| f(e)).collect::<Vec<&str>>();
            let opt = |f: fn(&Event) -> Option<&'static str>| chunk.iter().map(|e| f(e)).collect::<Vec<Option<&str>>>();
            let rows: Vec<(String, String)> = sqlx::query_as(&format!(
                "INSERT INTO events ({EVENT_COLUMNS}, stored_at) \
                 SELECT e.*, $12 FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], \
                 $7::bigint[], $8::text[], $9::text[], $10::bigint[], $11::text[], $13::text[]) AS e \
                 ON CONFLICT (source, id) DO NOTHING RETURNING source, id"
            ))
            .bind(text(|e| &e.source))
            .bind(text(|e| &e.id))
            .bind(text(|e| &e.dossier))
            .bind(text(|e| &e.unit))
            .bind(text(|e| &e.procedure))
            .bind(text(|e| e.status.as_str()))
            .bind(chunk.iter().map(|e| e.at).collect::<Vec<i64>>())
            .bind(opt(|e| e.channel.map(|c| c.as_str())))
            .bind(opt(|e| e.result_delivery.map(|c| c.as_str())))
            .bind(chunk.iter().map(|e| e.due).collect::<Vec<Option<i64>>>())
            .bind(opt(|e| e.payment.map(|p| p.as_str())))
            .bind(now)
            .bind(chunk.iter().map(|e| e.marks.to_column()).collect::<Vec<Option<String>>>())
            .fetch_all(&mut **tx)
            .await?;
            appended.extend(rows);
        }
        Ok(appended)
    }

    /// Upserts dossier records, one array per column.
    async fn write_records(tx: &mut Transaction<'_, Postgres>, records: &[DossierRecord], upsert: &str) -> Result<()> {
        for chunk in records.chunks(10 * CHUNK) {
            let facts = |f: fn(&DossierRecord) -> Option<i64>| chunk.iter().map(f).collect::<Vec<Option<i64>>>();
            let text = |f: fn(&DossierRecord) -> Option<&str>| chunk.iter().map(f).collect::<Vec<Option<&str>>>();
            sqlx::query(&format!(
                "INSERT INTO dossiers ({RECORD_COLUMNS}) SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], \
                 $4::bigint[], $5::text[], $6::bigint[], $7::text[], $8::text[], $9::bigint[], $10::bigint[], $11::text[], \
                 $12::text[], $13::text[], $14::text[], $15::bigint[], $16::text[], $17::text[], $18::bigint[], $19::text[], \
                 $20::text[], $21::text[], $22::bigint[]){upsert}"
            ))
            .bind(text(|r| Some(&r.facts.code)))
            .bind(text(|r| Some(&r.facts.unit)))
            .bind(text(|r| Some(&r.facts.procedure)))
            .bind(facts(|r| r.facts.received_at))
            .bind(text(|r| r.facts.channel.map(|c| c.as_str())))
            .bind(facts(|r| r.facts.returned_at))
            .bind(text(|r| r.facts.result_delivery.map(|c| c.as_str())))
            .bind(text(|r| r.facts.payment.map(|p| p.as_str())))
            .bind(facts(|r| r.facts.due))
            .bind(facts(|r| Some(r.anchor.at)))
            .bind(text(|r| Some(&r.anchor.id)))
            .bind(text(|r| Some(&r.anchor.source)))
            .bind(text(|r| r.returned.as_ref().map(|k| k.id.as_str())))
            .bind(text(|r| r.returned.as_ref().map(|k| k.source.as_str())))
            .bind(facts(|r| r.payment.as_ref().map(|k| k.at)))
            .bind(text(|r| r.payment.as_ref().map(|k| k.id.as_str())))
            .bind(text(|r| r.payment.as_ref().map(|k| k.source.as_str())))
            .bind(facts(|r| r.due_from.as_ref().map(|k| k.at)))
            .bind(text(|r| r.due_from.as_ref().map(|k| k.id.as_str())))
            .bind(text(|r| r.due_from.as_ref().map(|k| k.source.as_str())))
            .bind(chunk.iter().map(index_column).collect::<Vec<Option<String>>>())
            .bind(facts(|r| r.facts.index_at()))
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }

    /// Adds each change to its `unit_months` row (created when missing), in the order given (a fixed lock
    /// order between concurrent group transactions).
    async fn add_to_rollup_rows(tx: &mut Transaction<'_, Postgres>, rows: &[RowChange<'_>]) -> Result<()> {
        for chunk in rows.chunks(10 * CHUNK) {
            let mut q = sqlx::query(&UPSERT_ROWS)
                .bind(chunk.iter().map(|r| r.month).collect::<Vec<i64>>())
                .bind(chunk.iter().map(|r| r.unit).collect::<Vec<&str>>());
            for at in 0..CELLS {
                q = q.bind(chunk.iter().map(|r| r.cells[at]).collect::<Vec<i64>>());
            }
            q.execute(&mut **tx).await?;
        }
        Ok(())
    }

    /// Adds each change to its unit counter (created when missing), in the order given.
    async fn add_to_counter_cells(tx: &mut Transaction<'_, Postgres>, cells: &[CounterCell<'_>]) -> Result<()> {
        for chunk in cells.chunks(10 * CHUNK) {
            sqlx::query(
                "INSERT INTO unit_counters (unit, indicator, numerator, denominator) \
                 SELECT u, i, n, d FROM UNNEST($1::text[], $2::text[], $3::bigint[], $4::bigint[]) WITH ORDINALITY AS c(u, i, n, d, o) ORDER BY o \
                 ON CONFLICT (unit, indicator) DO UPDATE SET \
                 numerator = unit_counters.numerator + excluded.numerator, denominator = unit_counters.denominator + excluded.denominator",
            )
            .bind(chunk.iter().map(|c| c.0).collect::<Vec<&str>>())
            .bind(chunk.iter().map(|c| c.1).collect::<Vec<&str>>())
            .bind(chunk.iter().map(|c| c.2).collect::<Vec<i64>>())
            .bind(chunk.iter().map(|c| c.3).collect::<Vec<i64>>())
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }

    /// Batches hold the catalogue lock shared, a catalogue change (`upsert_procedures`) exclusively: a
    /// change of levels and the rollup rebuild it makes never interleave with a batch folded with the
    /// levels before it, whichever process or replica makes it.
    async fn lock_catalogue_shared(tx: &mut Transaction<'_, Postgres>) -> Result<()> {
        sqlx::query("SELECT pg_advisory_xact_lock_shared($1)").bind(CATALOGUE_LOCK).execute(&mut **tx).await?;
        Ok(())
    }

    async fn begin_catalogue_change(pool: &PgPool) -> Result<Transaction<'static, Postgres>> {
        let mut tx = pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(CATALOGUE_LOCK).execute(&mut *tx).await?;
        Ok(tx)
    }

    /// Two batches touching the same dossier must not derive its facts from each other's partial view.
    /// Dossiers map to a fixed number of lock buckets, so a transaction holds at most that many advisory
    /// locks however large its group of batches (PostgreSQL's shared lock table holds a few thousand);
    /// buckets are taken in order, so concurrent transactions never deadlock.
    async fn lock_dossiers(tx: &mut Transaction<'_, Postgres>, dossiers: &BTreeSet<&str>) -> Result<()> {
        let mut keys: Vec<i64> = dossiers.iter().map(|d| lock_key(d)).collect();
        keys.sort_unstable();
        keys.dedup();
        if !keys.is_empty() {
            sqlx::query("SELECT pg_advisory_xact_lock(k) FROM (SELECT unnest($1::bigint[]) AS k ORDER BY 1) AS ordered")
                .bind(&keys)
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }
}

/// How many advisory locks dossiers share.
const LOCK_BUCKETS: u64 = 512;
/// Keeps dvc-monitor's advisory locks apart from other users of the same database.
const LOCK_BASE: i64 = 0x0d7c_0000_0000;
/// The procedure catalogue's lock, outside the dossiers' buckets.
const CATALOGUE_LOCK: i64 = LOCK_BASE - 1;

/// FNV-1a into a bucket: stable across processes and replicas, unlike the standard library's seeded hasher.
fn lock_key(dossier: &str) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in dossier.as_bytes() {
        h ^= *b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    LOCK_BASE + (h % LOCK_BUCKETS) as i64
}

impl_store!(PgStore, Postgres, "postgres");
