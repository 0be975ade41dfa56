//! PostgreSQL, for a province with many agency systems or the whole nation. Concurrent ingest
//! requests serialise per dossier with transaction-scoped advisory locks, taken in a fixed order.

use super::sql::impl_store;
use super::Result;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::{Postgres, Transaction};
use std::collections::BTreeSet;
use std::time::Duration;

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

    /// Two batches touching the same dossier must not derive its facts from each other's partial view.
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

/// FNV-1a: stable across processes and replicas, unlike the standard library's seeded hasher.
fn lock_key(dossier: &str) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in dossier.as_bytes() {
        h ^= *b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h as i64
}

impl_store!(PgStore, Postgres, "postgres");
