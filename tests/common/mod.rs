//! Test support: a fresh database per test on either backend, and the real router on 127.0.0.1:0.
#![allow(dead_code)]

pub mod sinks;

use dvc_monitor::domain::{Procedure, Target, Unit};
use dvc_monitor::registry::import;
use dvc_monitor::store::{self, Store, TokenRecord};
use dvc_monitor::{build_router, AppState, Clock, Settings};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs a scenario once per backend: `backend_tests!(name => scenario)` makes `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident => $scenario:path),+ $(,)?) => {
        $(mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $scenario($crate::common::Backend::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if $crate::common::postgres_admin_url().is_none() {
                    eprintln!("SKIPPED {}::postgres: DVC_TEST_POSTGRES is not set", stringify!($name));
                    return;
                }
                $scenario($crate::common::Backend::Postgres).await;
            }
        })+
    };
}

/// The PostgreSQL server tests create their databases on, e.g. postgres://postgres@127.0.0.1:5432/test.
pub fn postgres_admin_url() -> Option<String> {
    std::env::var("DVC_TEST_POSTGRES").ok().filter(|s| !s.is_empty())
}

/// A database that exists for one test: a temp SQLite file, or a PostgreSQL database dropped afterwards.
pub struct TestDb {
    pub url: String,
    pub store: Arc<dyn Store>,
    _dir: Option<tempfile::TempDir>,
    pg_drop: Option<(String, String)>,
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// An empty database for one test, not yet opened by the service (no migrations applied).
pub struct EmptyDb {
    pub url: String,
    dir: Option<tempfile::TempDir>,
    pg_drop: Option<(String, String)>,
}

impl EmptyDb {
    pub async fn new(backend: Backend) -> EmptyDb {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let path = dir.path().join("test.db");
                // An empty file is an empty SQLite database.
                std::fs::File::create(&path).expect("create database file");
                let url = format!("sqlite://{}", path.display());
                EmptyDb { url, dir: Some(dir), pg_drop: None }
            }
            Backend::Postgres => {
                let admin = postgres_admin_url().expect("DVC_TEST_POSTGRES");
                let name = format!(
                    "dvc_test_{}_{}_{}",
                    std::process::id(),
                    COUNTER.fetch_add(1, Ordering::SeqCst),
                    chrono::Utc::now().timestamp_micros() % 1_000_000
                );
                let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin).await.expect("connect to PostgreSQL");
                sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.expect("create database");
                let (server, _) = admin.rsplit_once('/').expect("DVC_TEST_POSTGRES ends with /DATABASE");
                EmptyDb { url: format!("{server}/{name}"), dir: None, pg_drop: Some((admin, name)) }
            }
        }
    }

    /// Opens it as the service does (all migrations), keeping it alive as long as the `TestDb`.
    pub async fn open(mut self) -> TestDb {
        let store = store::connect(&self.url).await.expect("open store");
        TestDb { url: self.url.clone(), store, _dir: self.dir.take(), pg_drop: self.pg_drop.take() }
    }
}

impl Drop for EmptyDb {
    fn drop(&mut self) {
        drop_pg(self.pg_drop.take());
    }
}

fn drop_pg(pg_drop: Option<(String, String)>) {
    if let Some((admin, name)) = pg_drop {
        // Drop runs inside the test's runtime: use a thread with a runtime of its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            rt.block_on(async {
                if let Ok(mut conn) = <sqlx::PgConnection as sqlx::Connection>::connect(&admin).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn).await;
                }
            });
        })
        .join();
    }
}

impl TestDb {
    pub async fn new(backend: Backend) -> TestDb {
        EmptyDb::new(backend).await.open().await
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        drop_pg(self.pg_drop.take());
    }
}

/// Runs one SQL statement on the test's database directly, as an operator (or damage) would; returns
/// the rows it changed.
pub async fn execute(url: &str, sql: &str) -> u64 {
    if url.starts_with("sqlite:") {
        let mut c = <sqlx::SqliteConnection as sqlx::Connection>::connect(url).await.unwrap();
        sqlx::query(sql).execute(&mut c).await.unwrap().rows_affected()
    } else {
        let mut c = <sqlx::PgConnection as sqlx::Connection>::connect(url).await.unwrap();
        sqlx::query(sql).execute(&mut c).await.unwrap().rows_affected()
    }
}

pub const UNITS_CSV: &str = "\
code,name,kind,parent
VN,Việt Nam,nation,
31,Thành phố Hải Phòng,province,VN
01,Thành phố Hà Nội,province,VN
31-STP,Sở Tư pháp,department,31
31-SYT,Sở Y tế,department,31
31-SXD,Sở Xây dựng,department,31
31-SCT,Sở Công Thương,department,31
31-SNV,Sở Nội vụ,department,31
11311,Phường Hồng Bàng,commune,31
11312,Phường Hồng An,commune,31
01-STP,Sở Tư pháp Hà Nội,department,01
";

pub const PROCEDURES_CSV: &str = "\
code,name,level
1.001612,Cấp phiếu lý lịch tư pháp,full
2.000001,Cấp giấy phép hành nghề,full
3.000001,Cấp giấy phép xây dựng,partial
";

pub const TARGETS_CSV: &str = "\
scope,year,month,indicator,target
kind:department,2026,,,0.7
31-SYT,2026,11,completion,0.5
kind:commune,2026,,completion,0.3
";

/// Imports the sample registry through the same parsers as the CLI.
pub async fn seed_registry(store: &dyn Store) {
    let units: Vec<Unit> = import::units("units.csv", UNITS_CSV.as_bytes(), &[]).unwrap().units;
    store.upsert_units(&units).await.unwrap();
    let procedures: Vec<Procedure> = import::procedures("procedures.csv", PROCEDURES_CSV.as_bytes()).unwrap();
    store.upsert_procedures(&procedures).await.unwrap();
    let tree = dvc_monitor::domain::UnitTree::new(units);
    let targets: Vec<Target> = import::targets("targets.csv", TARGETS_CSV.as_bytes(), &tree).unwrap();
    store.upsert_targets(&targets).await.unwrap();
}

pub async fn create_token(store: &dyn Store, source: &str, scope: &[&str]) -> String {
    let secret = dvc_monitor::ingest::token::generate();
    store
        .insert_token(&TokenRecord {
            hash: dvc_monitor::ingest::token::hash(&secret),
            source: source.into(),
            scope: scope.iter().map(|s| s.to_string()).collect(),
            created_at: 0,
            revoked_at: None,
        })
        .await
        .unwrap();
    secret
}

/// The real router served on an ephemeral loopback port.
pub struct TestServer {
    pub base: String,
    pub client: reqwest::Client,
    pub db: TestDb,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl TestServer {
    pub async fn start(db: TestDb, now: &str, settings: Settings) -> TestServer {
        TestServer::start_with_limits(db, now, settings, dvc_monitor::ServerLimits::default()).await
    }

    /// The same with connection limits of the test's choosing (header timeout, connections at once).
    pub async fn start_with_limits(db: TestDb, now: &str, settings: Settings, limits: dvc_monitor::ServerLimits) -> TestServer {
        let now = chrono::DateTime::parse_from_rfc3339(now).unwrap().timestamp_millis();
        let state = AppState::new(db.store.clone(), settings, Clock::Fixed(now)).unwrap();
        state.start_background();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(dvc_monitor::serve_with(listener, build_router(state), limits, async move {
            let _ = rx.await;
        }));
        let client = reqwest::Client::builder().timeout(std::time::Duration::from_secs(30)).build().unwrap();
        TestServer { base, client, db, shutdown: Some(tx) }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        let r = self.client.get(self.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "GET {path}");
        r.json().await.unwrap()
    }

    pub async fn get_text(&self, path: &str) -> (u16, String) {
        let r = self.client.get(self.url(path)).send().await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// Posts a body with a token and content type; returns the status and the JSON answer.
    pub async fn post(&self, token: &str, content_type: &str, body: String) -> (u16, serde_json::Value) {
        let r = self
            .client
            .post(self.url("/api/v1/events"))
            .bearer_auth(token)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(serde_json::Value::Null))
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// A varied stream of valid events for Hải Phòng's sample units, October to mid-December 2026:
/// every channel, delivery and payment, due dates met and missed, dossiers never returned.
pub fn synthetic_stream(seed: u64, dossiers: usize) -> Vec<serde_json::Value> {
    use rand::{Rng, SeedableRng};
    use serde_json::json;
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let units = ["31-STP", "31-SYT", "31-SXD", "31-SCT", "31-SNV", "11311", "11312"];
    let procedures = ["1.001612", "2.000001", "3.000001"];
    let channels = ["online", "in_person", "postal"];
    // 2026-10-01T00:00+07:00 and 75 days after, to 2026-12-15.
    let start = chrono::DateTime::parse_from_rfc3339("2026-10-01T00:00:00+07:00").unwrap();
    let stamp = |minutes: i64| (start + chrono::Duration::minutes(minutes)).to_rfc3339();
    let mut out = Vec::new();
    for d in 0..dossiers {
        let code = format!("SYN-{seed}-{d}");
        let unit = units[rng.random_range(0..units.len())];
        let procedure = procedures[rng.random_range(0..procedures.len())];
        let received = rng.random_range(0..60 * 24 * 60i64);
        let mut recv = json!({"id": format!("{code}-r"), "dossier": code, "unit": unit, "procedure": procedure,
            "status": "received", "at": stamp(received), "channel": channels[rng.random_range(0..3)]});
        if rng.random_bool(0.7) {
            recv["due"] = json!(stamp(received + rng.random_range(1..10 * 24 * 60)));
        }
        out.push(recv);
        let processing = received + rng.random_range(1..2 * 24 * 60);
        let mut p = json!({"id": format!("{code}-p"), "dossier": code, "unit": unit, "procedure": procedure,
            "status": "processing", "at": stamp(processing)});
        if rng.random_bool(0.5) {
            p["payment"] = json!(if rng.random_bool(0.7) { "online" } else { "offline" });
        }
        out.push(p);
        match rng.random_range(0..10) {
            0 => out.push(json!({"id": format!("{code}-w"), "dossier": code, "unit": unit, "procedure": procedure,
                "status": "withdrawn", "at": stamp(processing + 60)})),
            1 => {}
            _ => out.push(json!({"id": format!("{code}-t"), "dossier": code, "unit": unit, "procedure": procedure,
                "status": "returned", "at": stamp(processing + rng.random_range(1..12 * 24 * 60)),
                "result_delivery": channels[rng.random_range(0..3)]})),
        }
    }
    out
}

/// League and aggregate CSVs for every month, kind and indicator of the synthetic stream.
pub async fn all_tables_csv(server: &TestServer) -> String {
    let mut out = String::new();
    for month in ["2026-10", "2026-11", "2026-12"] {
        for indicator in ["completion", "intake", "on_time"] {
            for kind in ["department", "commune"] {
                let path = format!("/api/v1/league?month={month}&kind={kind}&indicator={indicator}&parent=31&format=csv");
                let (status, body) = server.get_text(&path).await;
                assert_eq!(status, 200, "{path}");
                out.push_str(&format!("# {path}\n{body}"));
            }
            let path = format!("/api/v1/aggregate?month={month}&level=province&indicator={indicator}&format=csv");
            out.push_str(&format!("# {path}\n{}", server.get_text(&path).await.1));
        }
    }
    out
}
