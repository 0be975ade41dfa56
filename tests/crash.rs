//! `kill -9` of the service in the middle of ingest, many times: every acknowledged event is stored
//! exactly once, every batch is stored whole or not at all, and the rollups equal a recomputation.

mod common;

use common::{create_token, seed_registry, synthetic_stream, Backend, TestDb};
use serde_json::Value;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Service(Child);
impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The instant the service starts at (its clock runs on from there).
const NOW: &str = "2026-12-16T00:00:00+07:00";

async fn start(url: &str, port: u16) -> Service {
    let child = Command::new(env!("CARGO_BIN_EXE_dvc-monitor"))
        .args(["--database-url", url, "--now", NOW, "serve", "--listen", &format!("127.0.0.1:{port}"), "--alert-eval-seconds", "0"])
        .env("DVC_LOG", "error")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while client.get(format!("http://127.0.0.1:{port}/readyz")).send().await.map(|r| !r.status().is_success()).unwrap_or(true) {
        assert!(Instant::now() < deadline, "service did not start");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Service(child)
}

async fn count_ids(url: &str, ids: &[String]) -> i64 {
    let mut total = 0;
    for chunk in ids.chunks(500) {
        let list = chunk.iter().map(|i| format!("'{i}'")).collect::<Vec<_>>().join(",");
        let sql = format!("SELECT COUNT(*) FROM events WHERE source = 'igate' AND id IN ({list})");
        let (n,): (i64,) = if url.starts_with("sqlite:") {
            let mut c = <sqlx::SqliteConnection as sqlx::Connection>::connect(url).await.unwrap();
            sqlx::query_as(&sql).fetch_one(&mut c).await.unwrap()
        } else {
            let mut c = <sqlx::PgConnection as sqlx::Connection>::connect(url).await.unwrap();
            sqlx::query_as(&sql).fetch_one(&mut c).await.unwrap()
        };
        total += n;
    }
    total
}

async fn scenario(backend: Backend) {
    let db = TestDb::new(backend).await;
    seed_registry(db.store.as_ref()).await;
    let token = create_token(db.store.as_ref(), "igate", &["31"]).await;
    let url = db.url.clone();
    // The service runs from a fixed instant after every event of the stream, whatever the day.
    let stream: Vec<Value> = synthetic_stream(99, 1200);
    let batches: Vec<Vec<Value>> = stream.chunks(150).map(|c| c.to_vec()).collect();
    let ids = |b: &[Value]| b.iter().map(|e| e["id"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    let (mut acknowledged, mut unknown): (Vec<usize>, Vec<usize>) = (Vec::new(), Vec::new());
    let mut next = 0;
    let mut kills = 0;
    while next < batches.len() {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let service = start(&url, port).await;
        // Send a few batches at once and kill the service while they are in flight.
        let in_flight: Vec<usize> = (next..(next + 3).min(batches.len())).collect();
        next += in_flight.len();
        let mut tasks = Vec::new();
        for &i in &in_flight {
            let body = batches[i].iter().map(Value::to_string).collect::<Vec<_>>().join("\n");
            let (client, token) = (client.clone(), token.clone());
            let target = format!("http://127.0.0.1:{port}/api/v1/events");
            tasks.push(tokio::spawn(async move {
                let r = client.post(target).bearer_auth(token).header("content-type", "application/x-ndjson").body(body).send().await;
                (i, matches!(r, Ok(r) if r.status().is_success()))
            }));
        }
        tokio::time::sleep(Duration::from_millis(5 + 7 * kills as u64 % 40)).await;
        drop(service); // SIGKILL
        kills += 1;
        for t in tasks {
            let (i, ok) = t.await.unwrap();
            if ok { acknowledged.push(i) } else { unknown.push(i) }
        }
    }
    assert!(kills >= 5);
    for &i in &acknowledged {
        let want = ids(&batches[i]);
        assert_eq!(count_ids(&url, &want).await, want.len() as i64, "acknowledged batch {i} fully present");
    }
    for &i in &unknown {
        let want = ids(&batches[i]);
        let n = count_ids(&url, &want).await;
        assert!(n == 0 || n == want.len() as i64, "batch {i} stored partly: {n} of {}", want.len());
    }
    // Everything not acknowledged is sent again, as an agency system would; then the store is whole.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let _service = start(&url, port).await;
    for &i in &unknown {
        let body = batches[i].iter().map(Value::to_string).collect::<Vec<_>>().join("\n");
        let r = client.post(format!("http://127.0.0.1:{port}/api/v1/events")).bearer_auth(&token).header("content-type", "application/x-ndjson").body(body).send().await.unwrap();
        assert_eq!(r.status(), 200);
    }
    let all: Vec<String> = stream.iter().map(|e| e["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(count_ids(&url, &all).await, all.len() as i64);
    let drift = db.store.verify(false).await.unwrap();
    assert_eq!((drift.facts_differing, drift.rollups_differing.len()), (0, 0), "rollups equal a recomputation: {drift:?}");
    eprintln!("{kills} kills, {} batches acknowledged before a kill, {} resent", acknowledged.len(), unknown.len());
}

backend_tests!(kill_during_ingest => super::scenario);
