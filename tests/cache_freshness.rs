//! The freshness each cache of `CachedStore` promises (README, "Caches"): a write through the store is
//! seen by every read that starts after it, even while other reads overlap it; a change made by another
//! process is seen within the ttl, the registry included. On both backends.

mod common;

use common::{seed_registry, synthetic_stream, Backend, TestDb};
use dvc_monitor::domain::{Event, Indicator, Month, Scope, Unit, UnitKind};
use dvc_monitor::store::{self, CachedStore, PgStore, SqliteStore, Store};
use std::sync::Arc;
use std::time::{Duration, Instant};

async fn uncached(backend: Backend, url: &str) -> Arc<dyn Store> {
    match backend {
        Backend::Sqlite => Arc::new(SqliteStore::connect(url).await.unwrap()),
        Backend::Postgres => Arc::new(PgStore::connect(url).await.unwrap()),
    }
}

/// The synthetic stream's events as the store takes them (validated as the service would).
async fn events(store: &dyn Store) -> Vec<Event> {
    let registry = store.registry().await.unwrap();
    let now = chrono::DateTime::parse_from_rfc3339("2026-12-16T00:00:00+07:00").unwrap().timestamp_millis();
    synthetic_stream(31, 600).into_iter().map(|v| dvc_monitor::domain::event::validate(v, "igate", registry.as_ref(), now).unwrap()).collect()
}

async fn reads_never_keep_what_a_write_replaced(backend: Backend) {
    let db = TestDb::new(backend).await;
    seed_registry(db.store.as_ref()).await;
    let truth = uncached(backend, &db.url).await;
    let events = events(db.store.as_ref()).await;
    let (from, to): (Month, Month) = ("2026-10".parse().unwrap(), "2026-12".parse().unwrap());
    // Readers keep the rollup cache busy while batches land.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let (store, stop) = (db.store.clone(), stop.clone());
            tokio::spawn(async move {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    for indicator in Indicator::ALL {
                        store.rollups(indicator, from, to).await.unwrap();
                    }
                    // A cached read completes without waiting: give the writer its turn.
                    tokio::task::yield_now().await;
                }
            })
        })
        .collect();
    let everything = Arc::new(Scope::everything());
    for batch in events.chunks(40) {
        db.store.ingest(batch.to_vec(), everything.repeated(batch.len()), 0).await.unwrap();
        for indicator in Indicator::ALL {
            let mut cached = db.store.rollups(indicator, from, to).await.unwrap();
            let mut stored = truth.rollups(indicator, from, to).await.unwrap();
            cached.sort_by(|a, b| (a.month, &a.unit).cmp(&(b.month, &b.unit)));
            stored.sort_by(|a, b| (a.month, &a.unit).cmp(&(b.month, &b.unit)));
            assert_eq!(cached, stored, "a read after a write sees it ({indicator})");
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for r in readers {
        r.await.unwrap();
    }
}

async fn another_process_is_seen_within_the_ttl(backend: Backend) {
    let db = TestDb::new(backend).await;
    seed_registry(db.store.as_ref()).await;
    let ttl = Duration::from_millis(400);
    let cached = CachedStore::new(uncached(backend, &db.url).await, ttl);
    assert!(!cached.registry().await.unwrap().units.contains("31-NEW"));
    // Read once more, so the units slot (if any) is warm, then change the registry from "another
    // process": a connection of its own.
    let _ = cached.units().await.unwrap();
    let other = store::connect(&db.url).await.unwrap();
    let changed = Instant::now();
    other
        .upsert_units(&[Unit { code: "31-NEW".into(), name: "Sở mới".into(), kind: UnitKind::Department, parent: Some("31".into()) }])
        .await
        .unwrap();
    loop {
        let seen = cached.registry().await.unwrap().units.contains("31-NEW") && cached.units().await.unwrap().iter().any(|u| u.code == "31-NEW");
        if seen {
            break;
        }
        assert!(changed.elapsed() < ttl + Duration::from_millis(300), "unseen after {:?} (ttl {ttl:?})", changed.elapsed());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Through the store itself, at once.
    cached
        .upsert_units(&[Unit { code: "31-NEWER".into(), name: "Sở mới hơn".into(), kind: UnitKind::Department, parent: Some("31".into()) }])
        .await
        .unwrap();
    assert!(cached.registry().await.unwrap().units.contains("31-NEWER"));
}

/// The closed months, read once for a page's twelve: a closing through the store is seen at once, one
/// by another process within the ttl, and a month never closed stays open.
async fn closings_are_seen(backend: Backend) {
    let db = TestDb::new(backend).await;
    seed_registry(db.store.as_ref()).await;
    let ttl = Duration::from_millis(400);
    let cached = CachedStore::new(uncached(backend, &db.url).await, ttl);
    let (sep, oct, nov): (Month, Month, Month) = ("2026-09".parse().unwrap(), "2026-10".parse().unwrap(), "2026-11".parse().unwrap());
    assert_eq!(cached.closed_month(oct).await.unwrap(), None);
    assert!(cached.close_month(oct, &[], 10, 1_000).await.unwrap());
    let closed = cached.closed_month(oct).await.unwrap().expect("closed through the store: seen at once");
    assert_eq!((closed.closed_at, closed.min_volume), (1_000, 10));
    assert_eq!(cached.closed_month(nov).await.unwrap(), None);
    let other = store::connect(&db.url).await.unwrap();
    let changed = Instant::now();
    assert!(other.close_month(sep, &[], 25, 2_000).await.unwrap());
    loop {
        if let Some(c) = cached.closed_month(sep).await.unwrap() {
            assert_eq!(c.min_volume, 25);
            break;
        }
        assert!(changed.elapsed() < ttl + Duration::from_millis(300), "unseen after {:?} (ttl {ttl:?})", changed.elapsed());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let all = cached.closed_months().await.unwrap();
    assert_eq!(all.iter().map(|(m, _)| *m).collect::<Vec<_>>(), [sep, oct]);
    assert_eq!(cached.closed_month(nov).await.unwrap(), None);
}

backend_tests!(
    writes_are_seen_by_later_reads => crate::reads_never_keep_what_a_write_replaced,
    other_processes_within_ttl => crate::another_process_is_seen_within_the_ttl,
    closed_months_are_seen => crate::closings_are_seen,
);
