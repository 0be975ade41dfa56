//! PostgreSQL out of reach for a while: requests fail fast with 503, readiness turns red, and the
//! service recovers by itself when the database is back; no batch is half stored. The outage is made
//! with a TCP relay between the service and the server, so the shared server itself is never stopped.

mod common;

use common::{create_token, seed_registry, synthetic_stream, Backend, TestDb, TestServer};
use dvc_monitor::Settings;
use serde_json::Value;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// Relays 127.0.0.1:port to the PostgreSQL server; `cut` drops every relayed connection and refuses new ones.
struct Relay {
    port: u16,
    up: Arc<AtomicBool>,
    links: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Relay {
    async fn start(target: String) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let links: Arc<Mutex<Vec<JoinHandle<()>>>> = Default::default();
        let (up2, links2) = (up.clone(), links.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else { return };
                if !up2.load(Ordering::SeqCst) {
                    continue; // dropped: the connection is refused at once
                }
                let target = target.clone();
                links2.lock().unwrap().push(tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                }));
            }
        });
        Relay { port, up, links }
    }

    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for l in self.links.lock().unwrap().drain(..) {
            l.abort();
        }
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_outage_fails_fast_and_recovers() {
    let Some(admin) = common::postgres_admin_url() else {
        eprintln!("SKIPPED postgres_outage_fails_fast_and_recovers: DVC_TEST_POSTGRES is not set");
        return;
    };
    let mut db = TestDb::new(Backend::Postgres).await;
    seed_registry(db.store.as_ref()).await;
    let token = create_token(db.store.as_ref(), "igate", &["31"]).await;
    // The server's address from the admin URL (postgres://user@host:port/db).
    let host_port = admin.split('@').nth(1).unwrap().split('/').next().unwrap().to_string();
    let relay = Relay::start(host_port.clone()).await;
    let relayed = db.url.replacen(&host_port, &format!("127.0.0.1:{}", relay.port), 1);
    db.store = dvc_monitor::store::connect(&relayed).await.unwrap();
    let server = TestServer::start(db, "2026-12-16T00:00:00+07:00", Settings::default()).await;
    let stream = synthetic_stream(5, 300);
    let (first, second) = stream.split_at(stream.len() / 2);
    let json = |events: &[Value]| serde_json::to_string(events).unwrap();

    assert_eq!(server.post(&token, "application/json", json(first)).await.0, 200);
    assert_eq!(server.get_text("/readyz").await.0, 200);

    relay.cut();
    let started = Instant::now();
    let r = server.client.post(server.url("/api/v1/events")).bearer_auth(&token).header("content-type", "application/json").body(json(second)).send().await.unwrap();
    assert_eq!(r.status(), 503);
    assert!(r.headers().contains_key("retry-after"));
    assert!(started.elapsed() < Duration::from_secs(12), "fails fast: {:?}", started.elapsed());
    assert_eq!(server.get_text("/readyz").await.0, 503, "readiness turns red");

    relay.restore();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, body) = server.post(&token, "application/json", json(second)).await;
        if status == 200 {
            assert_eq!(body["accepted"].as_u64().unwrap() + body["duplicates"].as_u64().unwrap(), second.len() as u64);
            assert_eq!(body["duplicates"], 0, "nothing of the batch sent during the outage was stored");
            break;
        }
        assert!(Instant::now() < deadline, "the service recovers by itself ({status})");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert_eq!(server.get_text("/readyz").await.0, 200);
    let drift = server.db.store.verify(false).await.unwrap();
    assert_eq!(drift.events_read as usize, stream.len());
    assert_eq!((drift.facts_differing, drift.rollups_differing.len()), (0, 0));
}
