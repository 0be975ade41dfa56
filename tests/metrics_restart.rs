//! The counters of `/metrics` survive a restart: a new process starts from the totals in the store.

mod common;

use common::{create_token, seed_registry, synthetic_stream, Backend, TestDb, TestServer};
use dvc_monitor::Settings;
use std::time::{Duration, Instant};

async fn counter(server: &TestServer, line_start: &str) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let text = server.get_text("/metrics").await.1;
        if let Some(v) = text.lines().find(|l| l.starts_with(line_start)).and_then(|l| l.rsplit(' ').next()).and_then(|v| v.parse::<u64>().ok()) {
            if v > 0 {
                return v;
            }
        }
        assert!(Instant::now() < deadline, "{line_start} never above 0");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
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
    let name = "dvc_dossiers_completed_total{unit=\"31-STP\"}";
    let before = counter(&first, name).await;
    let received = counter(&first, "dvc_dossiers_received_total{unit=\"31-STP\"}").await;

    // A new process: new registry of metrics, same store.
    let mut again = TestDb::new(backend).await;
    again.store = dvc_monitor::store::connect(&url).await.unwrap();
    let second = TestServer::start(again, "2026-12-16T00:00:00+07:00", Settings::default()).await;
    assert_eq!(counter(&second, name).await, before);
    assert_eq!(counter(&second, "dvc_dossiers_received_total{unit=\"31-STP\"}").await, received);
    drop(first);
}

backend_tests!(counters_survive_a_restart => super::scenario);
