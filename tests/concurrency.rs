//! Several agency-system workers posting overlapping, shuffled batches at once give exactly the
//! rollups of one sequential run, and both backends answer with byte-identical CSV.

mod common;

use common::{all_tables_csv, create_token, seed_registry, synthetic_stream, Backend, TestDb, TestServer};
use dvc_monitor::Settings;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde_json::Value;

const NOW: &str = "2026-12-16T00:00:00+07:00";
const DOSSIERS: usize = 600;

async fn sequential(backend: Backend, stream: &[Value]) -> String {
    let db = TestDb::new(backend).await;
    seed_registry(db.store.as_ref()).await;
    let token = create_token(db.store.as_ref(), "igate", &["31"]).await;
    let server = TestServer::start(db, NOW, Settings::default()).await;
    for batch in stream.chunks(100) {
        let (status, body) = server.post(&token, "application/json", serde_json::to_string(batch).unwrap()).await;
        assert_eq!((status, body["rejected"].as_array().map(Vec::len)), (200, Some(0)), "{body}");
    }
    all_tables_csv(&server).await
}

/// Six workers each send the whole stream in their own order and batch size, all at once.
async fn concurrent(backend: Backend, stream: &[Value]) -> String {
    let db = TestDb::new(backend).await;
    seed_registry(db.store.as_ref()).await;
    let token = create_token(db.store.as_ref(), "igate", &["31"]).await;
    let server = std::sync::Arc::new(TestServer::start(db, NOW, Settings::default()).await);
    let mut workers = Vec::new();
    for w in 0..6u64 {
        let (server, token) = (server.clone(), token.clone());
        let mut mine = stream.to_vec();
        mine.shuffle(&mut rand::rngs::StdRng::seed_from_u64(w));
        workers.push(tokio::spawn(async move {
            let (mut accepted, mut duplicates) = (0, 0);
            for batch in mine.chunks(30 + 7 * w as usize) {
                let (status, body) = if w % 2 == 0 {
                    server.post(&token, "application/json", serde_json::to_string(batch).unwrap()).await
                } else {
                    let nd = batch.iter().map(Value::to_string).collect::<Vec<_>>().join("\n");
                    server.post(&token, "application/x-ndjson", nd).await
                };
                assert_eq!(status, 200, "{body}");
                assert_eq!(body["rejected"].as_array().unwrap().len(), 0, "{body}");
                accepted += body["accepted"].as_u64().unwrap();
                duplicates += body["duplicates"].as_u64().unwrap();
            }
            (accepted, duplicates)
        }));
    }
    let (mut accepted, mut duplicates) = (0, 0);
    for w in workers {
        let (a, d) = w.await.unwrap();
        accepted += a;
        duplicates += d;
    }
    // Every event stored exactly once, whoever won the race.
    assert_eq!(accepted as usize, stream.len());
    assert_eq!(duplicates as usize, 5 * stream.len());
    all_tables_csv(&server).await
}

async fn same_as_sequential(backend: Backend) {
    let stream = synthetic_stream(42, DOSSIERS);
    let expected = sequential(Backend::Sqlite, &stream).await;
    assert!(expected.lines().count() > 40, "tables are populated");
    let got = concurrent(backend, &stream).await;
    assert_eq!(got, expected);
}

async fn byte_identical_csv_on_both_backends(backend: Backend) {
    let stream = synthetic_stream(7, DOSSIERS);
    assert_eq!(sequential(backend, &stream).await, sequential(Backend::Sqlite, &stream).await);
}

backend_tests!(
    concurrent_workers => super::same_as_sequential,
    csv_matches_sqlite => super::byte_identical_csv_on_both_backends,
);
