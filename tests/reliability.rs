//! Overload, revoked tokens, security headers, and arbitrary bytes at the ingest endpoint.

mod common;

use common::{create_token, seed_registry, synthetic_stream, Backend, TestDb, TestServer};
use dvc_monitor::ingest::{body, token};
use dvc_monitor::Settings;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use serde_json::Value;
use std::time::Duration;

const NOW: &str = "2026-12-16T00:00:00+07:00";

async fn overload(backend: Backend) {
    let db = TestDb::new(backend).await;
    seed_registry(db.store.as_ref()).await;
    let token = create_token(db.store.as_ref(), "igate", &["31"]).await;
    let settings = Settings { max_concurrent_ingest: 1, ingest_wait: Duration::ZERO, ..Settings::default() };
    let server = std::sync::Arc::new(TestServer::start(db, NOW, settings).await);
    let stream = synthetic_stream(11, 1500);
    let batches: Vec<String> = stream.chunks(300).map(|c| c.iter().map(Value::to_string).collect::<Vec<_>>().join("\n")).collect();
    let mut tasks = Vec::new();
    for b in batches {
        let (server, token) = (server.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            let (mut busy, mut accepted) = (0, 0);
            loop {
                let r = server
                    .client
                    .post(server.url("/api/v1/events"))
                    .bearer_auth(&token)
                    .header("content-type", "application/x-ndjson")
                    .body(b.clone())
                    .send()
                    .await
                    .unwrap();
                match r.status().as_u16() {
                    200 => {
                        accepted += r.json::<Value>().await.unwrap()["accepted"].as_u64().unwrap();
                        return (busy, accepted);
                    }
                    503 => {
                        assert_eq!(r.headers()["retry-after"], "2");
                        busy += 1;
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    s => panic!("unexpected {s}"),
                }
            }
        }));
    }
    let (mut busy, mut accepted) = (0, 0);
    for t in tasks {
        let (b, a) = t.await.unwrap();
        busy += b;
        accepted += a;
    }
    assert!(busy > 0, "with one slot and no waiting, concurrent batches are turned away");
    assert_eq!(accepted as usize, stream.len(), "every event stored exactly once after retries");
    let metrics = server.get_text("/metrics").await.1;
    assert!(metrics.contains("dvc_ingest_requests_total{code=\"503\",source=\"igate\"}"), "503s are counted");
}

async fn revoked_and_headers(backend: Backend) {
    let db = TestDb::new(backend).await;
    seed_registry(db.store.as_ref()).await;
    let secret = create_token(db.store.as_ref(), "igate", &["31"]).await;
    let store = db.store.clone();
    let server = TestServer::start(db, NOW, Settings::default()).await;
    let event = synthetic_stream(3, 1)[0].to_string();
    assert_eq!(server.post(&secret, "application/json", event.clone()).await.0, 200);
    let hash = token::hash(&secret);
    assert_eq!(store.revoke_tokens(&hash[..12], 1).await.unwrap(), 1);
    assert_eq!(server.post(&secret, "application/json", event).await.0, 401);
    let listed = store.tokens().await.unwrap();
    assert_eq!(listed[0].revoked_at, Some(1));

    let r = server.client.get(server.url("/")).send().await.unwrap();
    let h = r.headers();
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["x-frame-options"], "DENY");
    assert!(h["content-security-policy"].to_str().unwrap().contains("default-src 'self'"));
}

async fn arbitrary_bodies(backend: Backend) {
    let db = TestDb::new(backend).await;
    seed_registry(db.store.as_ref()).await;
    let token = create_token(db.store.as_ref(), "igate", &["31"]).await;
    let server = TestServer::start(db, NOW, Settings::default()).await;
    let mut runner = proptest::test_runner::TestRunner::new(proptest::test_runner::Config { cases: 64, ..Default::default() });
    let bodies: Vec<(Vec<u8>, bool)> = (0..64)
        .map(|_| {
            let tree = (proptest::collection::vec(any::<u8>(), 0..400), any::<bool>()).new_tree(&mut runner).unwrap();
            tree.current()
        })
        .collect();
    for (bytes, ndjson) in bodies {
        let ct = if ndjson { "application/x-ndjson" } else { "application/json" };
        let r = server.client.post(server.url("/api/v1/events")).bearer_auth(&token).header("content-type", ct).body(bytes.clone()).send().await.unwrap();
        let status = r.status().as_u16();
        assert!(status == 200 || status == 400, "{status} for {bytes:?}");
    }
}

proptest! {
    /// The parser and validator take any bytes without panicking, and account for every element.
    #[test]
    fn parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600), ndjson in any::<bool>()) {
        let ct = if ndjson { Some("application/x-ndjson") } else { None };
        if let Ok(items) = body::split(ct, &bytes) {
            for v in items.into_iter().flatten() {
                let _ = dvc_monitor::domain::event::validate(v, "s", &AnyCatalog, 0);
            }
        }
    }

    /// JSON-shaped input with arbitrary field values: a clear error or an event, never a panic.
    #[test]
    fn validator_never_panics(fields in proptest::collection::btree_map("[a-z_]{1,16}", any::<String>(), 0..12), status in any::<i64>()) {
        let mut v = serde_json::Map::new();
        for (k, x) in fields {
            v.insert(k, Value::String(x));
        }
        v.insert("status".into(), Value::from(status));
        let _ = dvc_monitor::domain::event::validate(Value::Object(v), "s", &AnyCatalog, 0);
    }
}

struct AnyCatalog;
impl dvc_monitor::domain::Catalog for AnyCatalog {
    fn has_unit(&self, _: &str) -> bool {
        true
    }
    fn has_procedure(&self, _: &str) -> bool {
        true
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_behind_a_viewer_credential_when_configured() {
    let db = TestDb::new(Backend::Sqlite).await;
    seed_registry(db.store.as_ref()).await;
    let collector = create_token(db.store.as_ref(), "igate", &["31"]).await;
    let settings = Settings { viewer_token: Some("xem-bang".into()), ..Settings::default() };
    let server = TestServer::start(db, NOW, settings).await;
    for path in ["/", "/api/v1/league", "/units/31-STP", "/alerts", "/export/league.csv"] {
        let r = server.client.get(server.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 401, "{path}");
        assert!(r.headers()["www-authenticate"].to_str().unwrap().starts_with("Basic"));
        let r = server.client.get(server.url(path)).bearer_auth("wrong").send().await.unwrap();
        assert_eq!(r.status(), 401, "{path}");
        let r = server.client.get(server.url(path)).bearer_auth("xem-bang").send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let r = server.client.get(server.url(path)).basic_auth("lanhdao", Some("xem-bang")).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
    }
    // Probes, metrics and ingest keep their own rules.
    for path in ["/healthz", "/readyz", "/metrics"] {
        assert_eq!(server.get_text(path).await.0, 200, "{path}");
    }
    let event = synthetic_stream(3, 1)[0].to_string();
    assert_eq!(server.post(&collector, "application/json", event).await.0, 200);
}

backend_tests!(
    overload_answers_503_with_retry_after_and_loses_nothing => super::overload,
    revoked_tokens_are_refused_and_pages_carry_security_headers => super::revoked_and_headers,
    arbitrary_bodies_get_a_4xx_or_a_report_never_a_500 => super::arbitrary_bodies,
);
