//! The counters of `/metrics` survive a restart: a new process starts from the totals in the store.

mod common;

use common::{create_token, seed_registry, synthetic_stream, Backend, TestDb, TestServer};
use dvc_monitor::Settings;
use std::time::{Duration, Instant};

/// Waits until `/metrics` shows `want` for the series (its snapshot follows the store within seconds).
async fn counter(server: &TestServer, line_start: &str, want: u64) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let text = server.get_text("/metrics").await.1;
        let v = text.lines().find(|l| l.starts_with(line_start)).and_then(|l| l.rsplit(' ').next()).and_then(|v| v.parse::<u64>().ok());
        if v == Some(want) || Instant::now() >= deadline {
            return v.unwrap_or(0);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The store's counter of 31-STP for an indicator: (numerator, denominator).
async fn stored(server: &TestServer, indicator: dvc_monitor::domain::Indicator) -> u64 {
    let rows = server.db.store.counters().await.unwrap();
    rows.iter().find(|c| c.unit == "31-STP" && c.indicator == indicator).map_or(0, |c| c.figures.denominator as u64)
}

async fn scenario(backend: Backend) {
    let db = TestDb::new(backend).await;
    seed_registry(db.store.as_ref()).await;
    let token = create_token(db.store.as_ref(), "igate", &["31"]).await;
    let url = db.url.clone();
    let first = TestServer::start(db, "2026-12-16T00:00:00+07:00", Settings::default()).await;
    for batch in synthetic_stream(8, 300).chunks(200) {
        assert_eq!(first.post(&token, "application/json", serde_json::to_string(batch).unwrap()).await.0, 200);
    }
    use dvc_monitor::domain::Indicator;
    let name = "dvc_dossiers_completed_total{unit=\"31-STP\"}";
    let (completed, received) = (stored(&first, Indicator::Completion).await, stored(&first, Indicator::Intake).await);
    assert!(completed > 0 && received > 0);
    assert_eq!(counter(&first, name, completed).await, completed);
    assert_eq!(counter(&first, "dvc_dossiers_received_total{unit=\"31-STP\"}", received).await, received);

    // A new process: new registry of metrics, same store.
    let mut again = TestDb::new(backend).await;
    again.store = dvc_monitor::store::connect(&url).await.unwrap();
    let second = TestServer::start(again, "2026-12-16T00:00:00+07:00", Settings::default()).await;
    assert_eq!(counter(&second, name, completed).await, completed);
    assert_eq!(counter(&second, "dvc_dossiers_received_total{unit=\"31-STP\"}", received).await, received);
    drop(first);
}

backend_tests!(counters_survive_a_restart => super::scenario);
