//! `dvc-monitor bench`: national-scale figures, each next to its baseline, on SQLite and PostgreSQL.
//! The service runs as a child process (the real binary), so its memory and start-up are its own.

mod growth;
mod history_files;
mod report;
mod snapshots;

use crate::demo::{province, simulator};
use crate::domain::Month;
use crate::ingest::token;
use crate::store::{self, TokenRecord};
use anyhow::{bail, Context};
use clap::Args;
use report::{Figure, Stats};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Args, Clone)]
pub struct BenchArgs {
    /// Events to generate over a year of national history (all 34 provinces, 3,321 communes)
    #[arg(long, default_value_t = 1_000_000)]
    pub events: usize,
    /// Concurrent HTTP clients posting NDJSON
    #[arg(long, default_value_t = 4)]
    pub clients: usize,
    /// Events per request
    #[arg(long, default_value_t = 5000)]
    pub batch: usize,
    /// Ingest runs per backend, each on a fresh database (median and spread)
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// Requests per latency figure
    #[arg(long, default_value_t = 30)]
    pub requests: usize,
    /// PostgreSQL server to create benchmark databases on (e.g. postgres://postgres@127.0.0.1:5432/postgres); none: SQLite only
    #[arg(long, env = "DVC_BENCH_POSTGRES")]
    pub postgres: Option<String>,
    /// With --postgres: measure PostgreSQL only
    #[arg(long, requires = "postgres")]
    pub no_sqlite: bool,
    /// Where to write the figures as Markdown (also printed)
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Instead of the benchmark: write the files a history import is measured on to this folder (the
    /// dossiers of --events as a JSON array of snapshots and as an .xlsx list with personal columns,
    /// and a database to import them into as the source `bench`)
    #[arg(long)]
    pub history_files: Option<PathBuf>,
    /// With --history-files: how many dossiers (a dossier takes about five events of --events)
    #[arg(long, default_value_t = 200_000)]
    pub history_dossiers: usize,
    /// Instead of the single-store figures: pre-fill one store per backend to each of these sizes in
    /// stored events (e.g. 1000000,10000000,50000000) with a year of history through the import's path,
    /// and measure at each: ingest over HTTP of --events new events, the league table repeated and anew,
    /// the page rendered anew, /metrics and peak memory, each beside its value at the first size
    #[arg(long, value_delimiter = ',')]
    pub store_sizes: Vec<u64>,
    /// With --store-sizes, SQLite: keep a copy of the store as pre-filled to each size in this folder
    /// (`<size>.db` with its WAL), for --ingest-into
    #[arg(long)]
    pub keep_stores: Option<PathBuf>,
    /// Instead of the benchmark: post --events new events (dossiers not in the store) over HTTP to a
    /// service of this build on this existing store (sqlite://PATH or postgres://…), and print the rate
    /// and the service's peak memory. The store keeps the events: run it on a copy
    #[arg(long)]
    pub ingest_into: Option<String>,
    /// How the senders encode the ingest's bodies (`Content-Encoding`): plain, or gzip or zstd at their
    /// default levels. The bodies are encoded before the timing starts, as senders on other machines would
    #[arg(long, value_enum, default_value_t = BodyEncoding::Plain)]
    pub body_encoding: BodyEncoding,
}

/// The `Content-Encoding` of the benchmark's ingest bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BodyEncoding {
    Plain,
    Gzip,
    Zstd,
}

impl BodyEncoding {
    fn header(self) -> Option<&'static str> {
        match self {
            BodyEncoding::Plain => None,
            BodyEncoding::Gzip => Some("gzip"),
            BodyEncoding::Zstd => Some("zstd"),
        }
    }

    /// `", bodies in gzip"` for the figures' heading; empty when plain.
    pub fn heading(self) -> String {
        self.header().map(|h| format!(", bodies in {h}")).unwrap_or_default()
    }

    fn encode(self, body: String) -> anyhow::Result<axum::body::Bytes> {
        use std::io::Write;
        Ok(match self {
            BodyEncoding::Plain => body.into(),
            BodyEncoding::Gzip => {
                let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
                encoder.write_all(body.as_bytes())?;
                encoder.finish()?.into()
            }
            BodyEncoding::Zstd => zstd::encode_all(body.as_bytes(), 0)?.into(),
        })
    }
}

/// The ingest's request bodies: `batch` lines of NDJSON each, encoded as `encoding` says.
fn ingest_bodies(lines: &[String], batch: usize, encoding: BodyEncoding) -> anyhow::Result<IngestBodies> {
    let bodies = lines.chunks(batch.max(1)).map(|c| encoding.encode(c.join("\n"))).collect::<anyhow::Result<_>>()?;
    Ok(IngestBodies { bodies, encoding })
}

/// Request bodies ready to post, and how they are encoded.
pub struct IngestBodies {
    bodies: Vec<axum::body::Bytes>,
    encoding: BodyEncoding,
}

impl IngestBodies {
    /// The bytes sent, all bodies.
    fn bytes(&self) -> usize {
        self.bodies.iter().map(|b| b.len()).sum()
    }
}

/// `now`: the instant the benchmark's year of events ends at.
pub async fn run(args: &BenchArgs, now: i64) -> anyhow::Result<()> {
    if let Some(dir) = &args.history_files {
        return history_files::write(dir, args, now).await;
    }
    let started = Instant::now();
    let year = Month::of_millis(now).year();
    let (units, procedures, targets) = province::nation(year)?;
    if let Some(url) = &args.ingest_into {
        return growth::ingest_into(args, url, &units, &procedures, now).await;
    }
    if !args.store_sizes.is_empty() {
        return growth_run(args, &units, &procedures, &targets, now).await;
    }
    eprintln!("generating {} events for {} units over 12 months…", args.events, units.len());
    let lines = generate(&units, &procedures, args.events, now);
    eprintln!("generated {} events in {:.1} s", lines.len(), started.elapsed().as_secs_f64());
    let lines = Arc::new(lines);
    let mut figures = Vec::new();
    let dir = tempfile::tempdir()?;
    let backends = backends(args, dir.path());
    for (name, backend) in &backends {
        figures.extend(bench_backend(name, backend, args, &units, &procedures, &targets, &lines, now).await?);
    }
    let text = report::markdown(&figures, args, lines.len(), units.len());
    println!("{text}");
    if let Some(out) = &args.out {
        std::fs::write(out, &text).with_context(|| format!("cannot write {}", out.display()))?;
    }
    Ok(())
}

/// The backends to measure, by name: SQLite in `dir` (unless `--no-sqlite`), then PostgreSQL when given.
fn backends(args: &BenchArgs, dir: &std::path::Path) -> Vec<(&'static str, Backend)> {
    let sqlite = (!args.no_sqlite).then(|| ("SQLite", Backend::Sqlite(dir.to_path_buf())));
    let postgres = args.postgres.as_ref().map(|pg| ("PostgreSQL", Backend::Postgres(pg.clone())));
    sqlite.into_iter().chain(postgres).collect()
}

/// `bench --store-sizes`: the growth tables of each backend, printed and written to `--out`.
async fn growth_run(
    args: &BenchArgs,
    units: &[crate::domain::Unit],
    procedures: &[province::SampleProcedure],
    targets: &[crate::domain::Target],
    now: i64,
) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let backends = backends(args, dir.path());
    let mut text = format!(
        "Growth benchmark: {} new events over HTTP at each size, {} clients × {} events per request{}, {} requests per latency figure.\n\n",
        args.events, args.clients, args.batch, args.body_encoding.heading(), args.requests
    );
    for (name, backend) in &backends {
        let table = growth::run(args, name, backend, units, procedures, targets, now).await?;
        // Each backend's table as soon as it is measured: a long run keeps what it has.
        eprintln!("{table}");
        text.push_str(&table);
        text.push('\n');
    }
    println!("{text}");
    if let Some(out) = &args.out {
        std::fs::write(out, &text).with_context(|| format!("cannot write {}", out.display()))?;
    }
    Ok(())
}

/// A year of national history from the demo simulator, scaled to about `target` events.
fn generate(units: &[crate::domain::Unit], procedures: &[province::SampleProcedure], target: usize, now: i64) -> Vec<String> {
    generate_with_prefix(units, procedures, target, now, "H")
}

/// The same, with dossier codes starting with `prefix` (another stream of other dossiers).
fn generate_with_prefix(units: &[crate::domain::Unit], procedures: &[province::SampleProcedure], target: usize, now: i64, prefix: &str) -> Vec<String> {
    let (mut sim, days) = year_simulator(units, procedures, 1, target as u64, now, prefix);
    let mut out = Vec::with_capacity(target + target / 10);
    for d in days {
        sim.simulate_day(d);
        out.extend(sim.delivered((d + 86_400_000).min(now)));
    }
    out.truncate(target);
    out
}

/// A simulator of the twelve months ending at `end` whose volume makes the year about `target` events
/// (calibrated on its first week), and the days to simulate.
fn year_simulator(
    units: &[crate::domain::Unit],
    procedures: &[province::SampleProcedure],
    seed: u64,
    target: u64,
    end: i64,
    prefix: &str,
) -> (simulator::Simulator, Vec<i64>) {
    let first = Month::of_millis(end).trailing(12)[0];
    let days = simulator::days(first, simulator::day_start(end));
    let mut probe = simulator::Simulator::new(units, procedures, seed, simulator::curve_origin(end), 1.0);
    for d in &days[..7] {
        probe.simulate_day(*d);
    }
    let per_week = probe.generated.max(1) as f64;
    let volume = target as f64 / (per_week * days.len() as f64 / 7.0);
    let mut sim = simulator::Simulator::new(units, procedures, seed, simulator::curve_origin(end), volume);
    sim.set_prefix(prefix);
    (sim, days)
}

enum Backend {
    Sqlite(PathBuf),
    Postgres(String),
}

/// A fresh database for one run: its URL, and for PostgreSQL the name to drop.
async fn fresh_database(backend: &Backend, run: usize) -> anyhow::Result<(String, Option<String>)> {
    match backend {
        Backend::Sqlite(dir) => {
            let path = dir.join(format!("bench-{run}.db"));
            for ext in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{ext}", path.display()));
            }
            Ok((format!("sqlite://{}", path.display()), None))
        }
        Backend::Postgres(admin) => {
            let name = format!("dvc_bench_{}_{run}", std::process::id());
            let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(admin).await.context("connecting to PostgreSQL")?;
            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn).await?;
            sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await?;
            let (server, _) = admin.rsplit_once('/').context("the PostgreSQL URL names a database")?;
            Ok((format!("{server}/{name}"), Some(name)))
        }
    }
}

async fn drop_database(backend: &Backend, name: Option<String>) {
    if let (Backend::Postgres(admin), Some(name)) = (backend, name) {
        if let Ok(mut conn) = <sqlx::PgConnection as sqlx::Connection>::connect(admin).await {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn).await;
        }
    }
}

/// The service as a child process on a free loopback port.
struct Service {
    child: Child,
    base: String,
    /// Run under DVC_BENCH_SERVICE_WRAPPER, in a process group of its own.
    wrapped: bool,
}

impl Service {
    async fn start(url: &str) -> anyhow::Result<(Service, Duration)> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let started = Instant::now();
        // DVC_BENCH_SERVICE_WRAPPER runs the service under another program (a heap profiler such as
        // `heaptrack -o FILE`); the peak memory read from /proc is then the wrapper's.
        let wrapper = std::env::var("DVC_BENCH_SERVICE_WRAPPER").unwrap_or_default();
        let mut words = wrapper.split_whitespace();
        let exe = std::env::current_exe()?;
        let mut command = match words.next() {
            Some(program) => {
                let mut c = Command::new(program);
                // A group of its own, so that dropping the service stops the wrapper and what it runs.
                use std::os::unix::process::CommandExt;
                c.args(words).arg(&exe).process_group(0);
                c
            }
            None => Command::new(&exe),
        };
        let child = command
            .args(["--database-url", url, "serve", "--listen", &format!("127.0.0.1:{port}"), "--alert-eval-seconds", "0"])
            // The service's own log level: warnings, unless DVC_BENCH_SERVICE_LOG names another filter
            // (`dvc_monitor::store=debug` shows where each ingest transaction spends its time).
            .env("DVC_LOG", std::env::var("DVC_BENCH_SERVICE_LOG").unwrap_or_else(|_| "warn".into()))
            .stdout(Stdio::null())
            .spawn()?;
        let service = Service { child, base: format!("http://127.0.0.1:{port}"), wrapped: !wrapper.trim().is_empty() };
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Ok(r) = client.get(format!("{}/readyz", service.base)).send().await {
                if r.status().is_success() {
                    return Ok((service, started.elapsed()));
                }
            }
            if Instant::now() > deadline {
                bail!("the service did not become ready");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Prints the peak resident memory so far, to see which step raised it.
    fn trace_peak(&self, name: &str, when: &str) {
        if let Some(rss) = self.peak_rss() {
            eprintln!("{name}: peak resident memory of the service {when}: {:.0} MB", rss as f64 / 1e6);
        }
    }

    /// Peak resident memory so far (VmHWM), in bytes.
    fn peak_rss(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        line.split_whitespace().nth(1)?.parse::<u64>().ok().map(|kb| kb * 1024)
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        if self.wrapped {
            let _ = Command::new("kill").arg("--").arg(format!("-{}", self.child.id())).status();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[allow(clippy::too_many_arguments)]
async fn bench_backend(
    name: &str,
    backend: &Backend,
    args: &BenchArgs,
    units: &[crate::domain::Unit],
    procedures: &[province::SampleProcedure],
    targets: &[crate::domain::Target],
    lines: &Arc<Vec<String>>,
    now: i64,
) -> anyhow::Result<Vec<Figure>> {
    let mut ingest = Vec::new();
    let mut raw = Vec::new();
    let mut raw_keyed = Vec::new();
    let rows = raw_rows(lines);
    let mut kept: Option<(String, Option<String>)> = None;
    let bodies = ingest_bodies(lines, args.batch, args.body_encoding)?;
    eprintln!("{name}: {} requests, {:.1} MB as sent{}", bodies.bodies.len(), bodies.bytes() as f64 / 1e6, args.body_encoding.heading());
    for run in 0..args.runs.max(1) {
        let (url, pg_name) = fresh_database(backend, run).await?;
        let secret = prepare(&url, units, procedures, targets).await?;
        let (service, _) = Service::start(&url).await?;
        let t = Instant::now();
        let accepted = post_all(&service.base, &secret, &bodies, args.clients).await?;
        let secs = t.elapsed().as_secs_f64();
        ingest.push(accepted as f64 / secs);
        eprintln!("{name}: run {}: {accepted} events accepted in {secs:.1} s ({:.0}/s)", run + 1, accepted as f64 / secs);
        drop(service);
        raw.push(raw_insert_rate(&url, &rows, args.batch, false).await?);
        raw_keyed.push(raw_insert_rate(&url, &rows, args.batch, true).await?);
        eprintln!(
            "{name}: run {}: raw bulk insert {:.0} rows/s, {:.0} rows/s with the (source, id) key",
            run + 1,
            raw.last().unwrap(),
            raw_keyed.last().unwrap()
        );
        if run + 1 < args.runs.max(1) {
            drop_database(backend, pg_name).await;
        } else {
            kept = Some((url, pg_name));
        }
    }
    let (url, pg_name) = kept.expect("at least one run");
    let mut out = vec![
        Figure::ratio(name, "ingest over HTTP (events/s)", Stats::of(&ingest), "raw bulk insert (rows/s)", Stats::of(&raw)),
        Figure::ratio(name, "ingest over HTTP (events/s)", Stats::of(&ingest), "raw bulk insert, unique (source, id) (rows/s)", Stats::of(&raw_keyed)),
    ];

    // The same dossiers through the national-sync collector, one snapshot each, on a fresh database.
    let sync = snapshots::from_events(lines);
    let (sync_url, sync_pg) = fresh_database(backend, args.runs.max(1)).await?;
    let secret = prepare(&sync_url, units, procedures, targets).await?;
    let (service, _) = Service::start(&sync_url).await?;
    let t = Instant::now();
    let stored = post_snapshots(&service.base, &secret, &sync, args.clients, 1000).await?;
    let secs = t.elapsed().as_secs_f64();
    let metrics = reqwest::get(format!("{}/metrics", service.base)).await?.text().await?;
    let events: f64 = metrics
        .lines()
        .filter(|l| l.starts_with("dvc_ingest_events_total{") && l.contains("outcome=\"accepted\"") && l.contains("source=\"bench\""))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    eprintln!("{name}: national-sync: {stored} of {} snapshots stored ({events} events) in {secs:.1} s", sync.len());
    out.push(Figure::single(name, &format!("national-sync collector over HTTP, {} snapshots of 1,000 (snapshots/s)", sync.len()), Stats::of(&[stored as f64 / secs])));
    out.push(Figure::ratio(name, "national-sync collector over HTTP (events/s)", Stats::of(&[events / secs]), "native ingest over HTTP (events/s)", Stats::of(&ingest)));
    drop(service);
    drop_database(backend, sync_pg).await;

    // Reads on the full database of the last run, after a restart: start-up time first.
    let (service, startup) = Service::start(&url).await?;
    let client = client_asking(&[])?;
    let month = Month::of_millis(now).prev();
    let api = format!("{}/api/v1/league?kind=commune&month={month}", service.base);
    let html = format!("{}/?kind=commune&parent=&month={month}", service.base);
    let api_times = time_requests(&client, &api, args.requests).await?;
    let html_times = time_requests(&client, &html, args.requests).await?;
    let fresh = client_asking(&[("cache-control", "no-cache")])?;
    // What Chromium and Firefox send: the service answers in zstd.
    let fresh_compressed = client_asking(&[("cache-control", "no-cache"), ("accept-encoding", BROWSERS_ACCEPT)])?;
    let rendered_times = time_requests(&fresh, &html, args.requests).await?;
    let rendered_compressed_times = time_requests(&fresh_compressed, &html, args.requests).await?;
    let html_size = fresh.get(&html).send().await?.bytes().await?.len();
    let html_compressed_size = fresh_compressed.get(&html).send().await?.bytes().await?.len();
    let api_fresh_times = time_requests(&fresh, &api, args.requests).await?;
    let naive = naive_group_by(&url, month, args.requests.min(5)).await?;
    out.push(Figure::ratio(name, "league table, 3,321 communes, JSON API (ms)", Stats::of(&api_times), "naive GROUP BY over raw events (ms)", Stats::of(&naive)));
    out.push(Figure::ratio(name, "the same table computed anew, `Cache-Control: no-cache` (ms)", Stats::of(&api_fresh_times), "naive GROUP BY over raw events (ms)", Stats::of(&naive)));
    out.push(Figure::ratio(name, "league table, 3,321 communes, HTML page (ms)", Stats::of(&html_times), "naive GROUP BY over raw events (ms)", Stats::of(&naive)));
    out.push(Figure::ratio(name, &format!("the same page rendered anew, `Cache-Control: no-cache`, {:.1} MB (ms)", html_size as f64 / 1e6), Stats::of(&rendered_times), "naive GROUP BY over raw events (ms)", Stats::of(&naive)));
    out.push(Figure::ratio(name, &format!("the same compressed, as browsers ask, {:.2} MB (ms)", html_compressed_size as f64 / 1e6), Stats::of(&rendered_compressed_times), "naive GROUP BY over raw events (ms)", Stats::of(&naive)));
    // Let the metrics snapshot settle, then time the scrape.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let metrics_url = format!("{}/metrics", service.base);
    let size = client.get(&metrics_url).send().await?.bytes().await?.len();
    let metrics_times = time_requests(&client, &metrics_url, args.requests).await?;
    out.push(Figure::single(name, &format!("/metrics for {} units, {:.1} MB (ms)", units.len(), size as f64 / 1e6), Stats::of(&metrics_times)));
    let gzip = client_asking(&[("accept-encoding", "gzip")])?;
    let gzip_size = gzip.get(&metrics_url).send().await?.bytes().await?.len();
    let metrics_gzip_times = time_requests(&gzip, &metrics_url, args.requests).await?;
    out.push(Figure::single(name, &format!("the same in gzip, as Prometheus asks, {:.1} MB (ms)", gzip_size as f64 / 1e6), Stats::of(&metrics_gzip_times)));
    out.push(Figure::single(name, "start-up on the full database, to ready (ms)", Stats::of(&[startup.as_secs_f64() * 1000.0])));
    if let Some(rss) = service.peak_rss() {
        out.push(Figure::single(name, "peak resident memory of the service (MB)", Stats::of(&[rss as f64 / 1e6])));
    }
    drop(service);
    drop_database(backend, pg_name).await;
    Ok(out)
}

/// Fills a fresh database's registry and gives it a nationwide collector token (returned).
async fn prepare(url: &str, units: &[crate::domain::Unit], procedures: &[province::SampleProcedure], targets: &[crate::domain::Target]) -> anyhow::Result<String> {
    let store = store::connect(url).await?;
    store.upsert_units(units).await?;
    store.upsert_procedures(&procedures.iter().map(|p| p.procedure.clone()).collect::<Vec<_>>()).await?;
    store.upsert_targets(targets).await?;
    nation_token(store.as_ref(), units, 0).await
}

/// The benchmark's collector token: source `bench`, scoped to the nation; `hash` is left to the caller.
fn nation_token_record(units: &[crate::domain::Unit], hash: String, created_at: i64) -> TokenRecord {
    let scope = units.iter().filter(|u| u.kind == crate::domain::UnitKind::Nation).map(|u| u.code.clone()).collect();
    TokenRecord { hash, source: "bench".into(), scope, created_at, revoked_at: None }
}

/// Gives the store a nationwide collector token created at `created_at`; returns its secret.
async fn nation_token(store: &dyn store::Store, units: &[crate::domain::Unit], created_at: i64) -> anyhow::Result<String> {
    let secret = token::generate();
    store.insert_token(&nation_token_record(units, token::hash(&secret), created_at)).await?;
    Ok(secret)
}

/// Posts the snapshots as OpenCPS-style lists (`{"data": [...]}`) of `batch` from `clients` concurrent
/// clients; returns how many were stored (`error_code` "0").
async fn post_snapshots(base: &str, token: &str, snapshots: &[serde_json::Value], clients: usize, batch: usize) -> anyhow::Result<u64> {
    let bodies = snapshots.chunks(batch).map(|c| axum::body::Bytes::from(serde_json::json!({ "data": c }).to_string())).collect();
    let stored = |v: &serde_json::Value| v["results"].as_array().map_or(0, |rs| rs.iter().filter(|d| d["error_code"] == "0").count() as u64);
    post_bodies(&format!("{base}/api/v1/national-sync/dossiers"), token, "application/json", None, bodies, clients, stored).await
}

/// Posts every line in NDJSON batches from `clients` concurrent clients; returns the events accepted.
async fn post_all(base: &str, token: &str, bodies: &IngestBodies, clients: usize) -> anyhow::Result<u64> {
    let accepted = |v: &serde_json::Value| v["accepted"].as_u64().unwrap_or(0);
    let url = format!("{base}/api/v1/events");
    // Cloning `Bytes` shares the encoded bodies: each run posts the same ones.
    post_bodies(&url, token, "application/x-ndjson", bodies.encoding.header(), bodies.bodies.clone(), clients, accepted).await
}

/// Posts `bodies` from `clients` concurrent clients, each taking the next body not yet sent; sums what
/// `count` reads from each answer.
async fn post_bodies(
    url: &str,
    token: &str,
    content_type: &'static str,
    encoding: Option<&'static str>,
    bodies: Vec<axum::body::Bytes>,
    clients: usize,
    count: fn(&serde_json::Value) -> u64,
) -> anyhow::Result<u64> {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(600)).build()?;
    let bodies = Arc::new(bodies);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..clients.max(1) {
        let (client, bodies, next) = (client.clone(), bodies.clone(), next.clone());
        let (url, token) = (url.to_string(), token.to_string());
        tasks.push(tokio::spawn(async move {
            let mut counted = 0u64;
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(body) = bodies.get(i) else { return anyhow::Ok(counted) };
                let mut request = client.post(&url).bearer_auth(&token).header("content-type", content_type).body(body.clone());
                if let Some(encoding) = encoding {
                    request = request.header("content-encoding", encoding);
                }
                let r = request.send().await?;
                if !r.status().is_success() {
                    bail!("{url} answered {}", r.status());
                }
                counted += count(&r.json().await?);
            }
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await??;
    }
    Ok(total)
}

/// The `Accept-Encoding` of Chromium and Firefox.
pub const BROWSERS_ACCEPT: &str = "gzip, deflate, br, zstd";

/// A client of the benchmarks that sends `headers` with each request (`Cache-Control: no-cache` for a
/// fresh page, `Accept-Encoding` for a compressed one; it does not decode: the bytes are what is timed).
fn client_asking(headers: &[(&'static str, &'static str)]) -> anyhow::Result<reqwest::Client> {
    let mut map = reqwest::header::HeaderMap::new();
    for (name, value) in headers {
        map.insert(*name, value.parse()?);
    }
    Ok(reqwest::Client::builder().timeout(Duration::from_secs(120)).default_headers(map).build()?)
}

async fn time_requests(client: &reqwest::Client, url: &str, n: usize) -> anyhow::Result<Vec<f64>> {
    let first = client.get(url).send().await?;
    if !first.status().is_success() {
        bail!("{url} answered {}", first.status());
    }
    first.bytes().await?;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        client.get(url).send().await?.bytes().await?;
        out.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(out)
}

/// The same rows as the ingest, inserted as they are: one multi-row INSERT per batch, one transaction
/// per batch, no parsing, no facts, no rollups. The ceiling the ingest path is measured against.
/// With `keyed`, the table has the unique (source, id) index that idempotent ingest needs.
async fn raw_insert_rate(url: &str, events: &[crate::domain::Event], batch: usize, keyed: bool) -> anyhow::Result<f64> {
    let rows = events.len();
    let elapsed = match url.starts_with("sqlite:") {
        true => {
            let pool = sqlx::SqlitePool::connect(url).await?;
            raw_sqlite(&pool, events, batch, keyed).await?
        }
        false => {
            let pool = sqlx::PgPool::connect(url).await?;
            raw_pg(&pool, events, batch, keyed).await?
        }
    };
    Ok(rows as f64 / elapsed)
}

/// The generated lines as event rows, parsed once for every raw insert.
fn raw_rows(lines: &[String]) -> Vec<crate::domain::Event> {
    lines
        .iter()
        .filter_map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).ok()?;
            crate::domain::event::validate(v, "raw", &AnyCatalog, i64::MAX / 2).ok()
        })
        .collect()
}

struct AnyCatalog;
impl crate::domain::Catalog for AnyCatalog {
    fn has_unit(&self, _: &str) -> bool {
        true
    }
    fn has_procedure(&self, _: &str) -> bool {
        true
    }
}

macro_rules! raw_insert {
    ($name:ident, $into:ident, $db:ty, $pool:ty) => {
        async fn $name(pool: &$pool, events: &[crate::domain::Event], batch: usize, keyed: bool) -> anyhow::Result<f64> {
            sqlx::query("DROP TABLE IF EXISTS raw_events").execute(pool).await?;
            sqlx::query("CREATE TABLE raw_events AS SELECT * FROM events WHERE 1 = 0").execute(pool).await?;
            $into(pool, events, batch, keyed).await
        }

        /// Times the insert into the table `raw_events` as it is (keyed first when asked), then drops it.
        async fn $into(pool: &$pool, events: &[crate::domain::Event], batch: usize, keyed: bool) -> anyhow::Result<f64> {
            if keyed {
                sqlx::query("CREATE UNIQUE INDEX raw_events_key ON raw_events (source, id)").execute(pool).await?;
            }
            let t = Instant::now();
            for chunk in events.chunks(batch) {
                let mut tx = pool.begin().await?;
                for rows in chunk.chunks(crate::store::CHUNK) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(format!("INSERT INTO raw_events ({}, stored_at) ", crate::store::EVENT_COLUMNS));
                    qb.push_values(rows, |mut b, e| {
                        crate::store::bind_event!(b, e, 0i64);
                    });
                    qb.build().execute(&mut *tx).await?;
                }
                tx.commit().await?;
            }
            let secs = t.elapsed().as_secs_f64();
            sqlx::query("DROP TABLE raw_events").execute(pool).await?;
            Ok(secs)
        }
    };
}
raw_insert!(raw_sqlite, raw_sqlite_into, sqlx::Sqlite, sqlx::SqlitePool);
raw_insert!(raw_pg, raw_pg_into, sqlx::Postgres, sqlx::PgPool);

/// What a BI tool would run on the same database for the same table: completion by commune for a
/// month, straight from the raw events (and still not exact: no dossier facts, no late events).
async fn naive_group_by(url: &str, month: Month, n: usize) -> anyhow::Result<Vec<f64>> {
    let sql = "SELECT unit, COUNT(*) AS returned, \
               SUM(CASE WHEN result_delivery IN ('online', 'postal') THEN 1 ELSE 0 END) AS online \
               FROM events WHERE status = 'returned' AND at >= $1 AND at < $2 GROUP BY unit ORDER BY 3 DESC";
    let (start, end) = (month.start_millis(), month.end_millis());
    let mut out = Vec::new();
    if url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(url).await?;
        for _ in 0..n {
            let t = Instant::now();
            let rows: Vec<(String, i64, i64)> = sqlx::query_as(sql).bind(start).bind(end).fetch_all(&pool).await?;
            std::hint::black_box(rows);
            out.push(t.elapsed().as_secs_f64() * 1000.0);
        }
    } else {
        let pool = sqlx::PgPool::connect(url).await?;
        for _ in 0..n {
            let t = Instant::now();
            let rows: Vec<(String, i64, i64)> = sqlx::query_as(sql).bind(start).bind(end).fetch_all(&pool).await?;
            std::hint::black_box(rows);
            out.push(t.elapsed().as_secs_f64() * 1000.0);
        }
    }
    Ok(out)
}

