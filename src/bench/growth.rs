//! `bench --store-sizes`: the same figures on one store as it grows. The store is pre-filled with a
//! year of history before the measured year (other dossiers, the same simulator) through the path a
//! history import takes (`ingest::check` then `ingest::store` in batches of 5,000 events, several in flight
//! so that the group commit joins them into larger transactions: no HTTP);
//! at each size a fresh service takes a new stream of the measured year over HTTP, then the reads are
//! timed. Each figure is printed beside its value at the first size, and the keyed raw insert is
//! measured at the same size (a copy of the stored events with their key) as the ingest's ceiling.

use super::report::Stats;
use super::{client_asking, generate_with_prefix, ingest_bodies, post_all, raw_rows, time_requests, Backend, BenchArgs, Service, BROWSERS_ACCEPT};
use crate::demo::{province, simulator};
use crate::domain::Month;
use crate::store::{self, Store, TokenRecord};
use anyhow::Context;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One size's figures, in the order they are printed.
struct Stage {
    /// Events stored before the measured stream.
    stored: u64,
    figures: Vec<(&'static str, Stats)>,
}

const PREFILL_BATCH: usize = 5000;
/// Pre-fill batches in flight at once.
const PREFILL_AHEAD: usize = 6;

#[allow(clippy::too_many_arguments)]
pub async fn run(
    args: &BenchArgs,
    name: &str,
    backend: &Backend,
    units: &[crate::domain::Unit],
    procedures: &[province::SampleProcedure],
    targets: &[crate::domain::Target],
    now: i64,
) -> anyhow::Result<String> {
    let mut sizes = args.store_sizes.clone();
    sizes.sort_unstable();
    let largest = *sizes.last().context("--store-sizes names at least one size")?;
    let (url, pg_name) = super::fresh_database(backend, 90).await?;
    let secret = super::prepare(&url, units, procedures, targets).await?;
    let store = store::connect(&url).await?;
    let registry = store.registry().await?;
    // The same token the service checks, for the pre-fill's own checks (its hash is never compared).
    let token = super::nation_token_record(units, String::new(), 0);

    // The history: the twelve months before the measured year, scaled to the largest size.
    let measured_first = Month::of_millis(now).trailing(12)[0];
    let history_end = measured_first.start_millis() - 1;
    // The history is simulated on a thread of its own, a few batches ahead of the store.
    let (send, mut batches) = tokio::sync::mpsc::channel::<Vec<String>>(PREFILL_AHEAD);
    let wanted = sizes.clone();
    let (units_owned, procedures_owned) = (units.to_vec(), procedures.to_vec());
    std::thread::spawn(move || {
        let mut history = History::new(&units_owned, &procedures_owned, largest, history_end);
        let mut given = 0u64;
        for size in wanted {
            while given < size {
                let Some(lines) = history.next_batch(PREFILL_BATCH.min((size - given) as usize)) else { return };
                given += lines.len() as u64;
                if send.blocking_send(lines).is_err() {
                    return;
                }
            }
        }
    });
    let mut stored: u64 = 0;
    let mut given: u64 = 0;
    let mut stages = Vec::new();
    for (k, &size) in sizes.iter().enumerate() {
        let t = Instant::now();
        let before = stored;
        // Several batches in flight: each is checked on a thread of its own while others are stored,
        // and the store's group commit gathers those waiting into one transaction.
        let mut inflight = futures_util::stream::FuturesUnordered::new();
        loop {
            tokio::select! {
                Some(lines) = batches.recv(), if given < size && inflight.len() < PREFILL_AHEAD => {
                    given += lines.len() as u64;
                    inflight.push(prefill(store.as_ref(), &registry, &token, lines, now));
                }
                Some(done) = futures_util::StreamExt::next(&mut inflight) => stored += done?,
                else => break,
            }
        }
        eprintln!(
            "{name}: pre-filled to {stored} events ({} in {:.0} s, {:.0}/s)",
            stored - before,
            t.elapsed().as_secs_f64(),
            (stored - before) as f64 / t.elapsed().as_secs_f64().max(1e-9)
        );
        if let (Some(dir), Backend::Sqlite(_)) = (&args.keep_stores, backend) {
            keep_store(&url, dir, stored)?;
        }
        // A new stream of the measured year for each size: other dossiers, so none is a duplicate.
        let lines = Arc::new(generate_with_prefix(units, procedures, args.events, now, &format!("S{k}")));
        let mut figures = Vec::new();
        let (service, _) = Service::start(&url).await?;
        let bodies = ingest_bodies(&lines, args.batch, args.body_encoding)?;
        let t = Instant::now();
        let accepted = post_all(&service.base, &secret, &bodies, args.clients).await?;
        let secs = t.elapsed().as_secs_f64();
        figures.push(("ingest over HTTP (events/s)", Stats::of(&[accepted as f64 / secs])));
        eprintln!("{name}: at {stored}: {accepted} events over HTTP in {secs:.1} s ({:.0}/s)", accepted as f64 / secs);
        service.trace_peak(name, "after the ingest");
        let prefilled = stored;
        stored += accepted;
        let client = client_asking(&[])?;
        let fresh = client_asking(&[("cache-control", "no-cache")])?;
        // What Chromium and Firefox send: the service answers in zstd.
        let fresh_compressed = client_asking(&[("cache-control", "no-cache"), ("accept-encoding", BROWSERS_ACCEPT)])?;
        let month = Month::of_millis(now).prev();
        let api = format!("{}/api/v1/league?kind=commune&month={month}", service.base);
        let html = format!("{}/?kind=commune&parent=&month={month}", service.base);
        figures.push(("league table, 3,321 communes, JSON API (ms)", Stats::of(&time_requests(&client, &api, args.requests).await?)));
        figures.push(("the same table computed anew (ms)", Stats::of(&time_requests(&fresh, &api, args.requests).await?)));
        figures.push(("the league page rendered anew (ms)", Stats::of(&time_requests(&fresh, &html, args.requests).await?)));
        figures.push(("the same compressed, as browsers ask (ms)", Stats::of(&time_requests(&fresh_compressed, &html, args.requests).await?)));
        service.trace_peak(name, "after the league reads");
        tokio::time::sleep(Duration::from_secs(2)).await;
        let metrics = format!("{}/metrics", service.base);
        figures.push(("/metrics (ms)", Stats::of(&time_requests(&client, &metrics, args.requests).await?)));
        figures.push(("/metrics in gzip, as Prometheus asks (ms)", Stats::of(&time_requests(&client_asking(&[("accept-encoding", "gzip")])?, &metrics, args.requests).await?)));
        if let Some(rss) = service.peak_rss() {
            figures.push(("peak resident memory of the service (MB)", Stats::of(&[rss as f64 / 1e6])));
        }
        drop(service);
        let raw = raw_keyed_at_size(&url, &raw_rows(&lines), args.batch).await?;
        figures.push(("raw keyed insert at this size (rows/s)", Stats::of(&[raw])));
        figures.push(("ingest / raw keyed insert", Stats::of(&[accepted as f64 / secs / raw])));
        stages.push(Stage { stored: prefilled, figures });
    }
    drop(store);
    super::drop_database(backend, pg_name).await;
    Ok(table(name, &stages))
}

/// Copies the SQLite store at `url` (its file and WAL, while nothing writes to it) to `dir/<stored>.db`,
/// and waits until the copy is on disk: gigabytes of a copy still being written back would share the
/// disk with the measured ingest that follows.
fn keep_store(url: &str, dir: &std::path::Path, stored: u64) -> anyhow::Result<()> {
    let path = url.strip_prefix("sqlite://").context("a SQLite URL")?;
    std::fs::create_dir_all(dir)?;
    for ext in ["", "-wal"] {
        let from = format!("{path}{ext}");
        if std::path::Path::new(&from).exists() {
            let to = dir.join(format!("{stored}.db{ext}"));
            std::fs::copy(&from, &to).with_context(|| format!("cannot copy {from} to {}", to.display()))?;
            std::fs::File::open(&to)?.sync_all().with_context(|| format!("cannot write {} to disk", to.display()))?;
        }
    }
    eprintln!("kept the store of {stored} events as {}", dir.join(format!("{stored}.db")).display());
    Ok(())
}

/// `bench --ingest-into`: --events new events over HTTP into an existing store, with a service of this
/// build. The stream's dossier codes start with `I` and the number of events stored, so that a copy of
/// one store always takes the same stream and none of it is a duplicate.
pub async fn ingest_into(
    args: &BenchArgs,
    url: &str,
    units: &[crate::domain::Unit],
    procedures: &[province::SampleProcedure],
    now: i64,
) -> anyhow::Result<()> {
    let stored: i64 = if url.starts_with("sqlite:") {
        sqlx::query_scalar("SELECT count(*) FROM events").fetch_one(&sqlx::SqlitePool::connect(url).await?).await?
    } else {
        sqlx::query_scalar("SELECT count(*) FROM events").fetch_one(&sqlx::PgPool::connect(url).await?).await?
    };
    let store = store::connect(url).await?;
    let secret = super::nation_token(store.as_ref(), units, now).await?;
    drop(store);
    let lines = Arc::new(generate_with_prefix(units, procedures, args.events, now, &format!("I{stored}")));
    let (service, _) = Service::start(url).await?;
    let bodies = ingest_bodies(&lines, args.batch, args.body_encoding)?;
    let t = Instant::now();
    let accepted = post_all(&service.base, &secret, &bodies, args.clients).await?;
    let secs = t.elapsed().as_secs_f64();
    let rss = service.peak_rss().map_or("unknown".to_string(), |b| format!("{:.0} MB", b as f64 / 1e6));
    println!("{stored} events stored: {accepted} new events over HTTP in {secs:.2} s ({:.0}/s); peak resident memory {rss}", accepted as f64 / secs);
    Ok(())
}

/// Stores history lines as a history import does; returns the events accepted.
async fn prefill(store: &dyn Store, registry: &Arc<crate::registry::Registry>, token: &TokenRecord, lines: Vec<String>, now: i64) -> anyhow::Result<u64> {
    let (registry, token) = (registry.clone(), token.clone());
    let checked = tokio::task::spawn_blocking(move || {
        let items = lines.iter().map(|l| serde_json::from_str(l).map_err(|e| e.to_string())).collect();
        crate::ingest::check(&registry, &token, items, now)
    })
    .await?;
    let report = crate::ingest::store(store, checked, now).await?;
    Ok(report.accepted as u64)
}

/// The rate of the keyed raw insert into a table holding as many rows as `events` does now.
async fn raw_keyed_at_size(url: &str, rows: &[crate::domain::Event], batch: usize) -> anyhow::Result<f64> {
    let copy = "CREATE TABLE raw_events AS SELECT * FROM events";
    let elapsed = if url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(url).await?;
        sqlx::query("DROP TABLE IF EXISTS raw_events").execute(&pool).await?;
        sqlx::query(copy).execute(&pool).await?;
        super::raw_sqlite_into(&pool, rows, batch, true).await?
    } else {
        let pool = sqlx::PgPool::connect(url).await?;
        sqlx::query("DROP TABLE IF EXISTS raw_events").execute(&pool).await?;
        sqlx::query(copy).execute(&pool).await?;
        super::raw_pg_into(&pool, rows, batch, true).await?
    };
    Ok(rows.len() as f64 / elapsed)
}

/// The history stream, delivered day by day as the simulator delivers it, handed out in batches.
struct History {
    sim: simulator::Simulator,
    days: std::vec::IntoIter<i64>,
    end: i64,
    pending: std::collections::VecDeque<String>,
}

impl History {
    fn new(units: &[crate::domain::Unit], procedures: &[province::SampleProcedure], events: u64, end: i64) -> History {
        let (sim, days) = super::year_simulator(units, procedures, 7, events, end, "G");
        History { sim, days: days.into_iter(), end, pending: Default::default() }
    }

    /// Up to `n` lines, or none once the year is delivered.
    fn next_batch(&mut self, n: usize) -> Option<Vec<String>> {
        while self.pending.len() < n {
            let Some(d) = self.days.next() else { break };
            self.sim.simulate_day(d);
            self.pending.extend(self.sim.delivered((d + 86_400_000).min(self.end)));
        }
        let take = n.min(self.pending.len());
        (take > 0).then(|| self.pending.drain(..take).collect())
    }
}

/// One row per figure, one column per size, each beside its ratio to the first size.
fn table(backend: &str, stages: &[Stage]) -> String {
    let mut s = format!("Growth, {backend}: each figure at each store size, and its ratio to the first size.\n\n| measure |");
    for st in stages {
        s.push_str(&format!(" {} events stored |", st.stored));
    }
    s.push_str("\n| --- |");
    s.push_str(&" --- |".repeat(stages.len()));
    s.push('\n');
    let Some(first) = stages.first() else { return s };
    for (i, (what, base)) in first.figures.iter().enumerate() {
        s.push_str(&format!("| {what} |"));
        for st in stages {
            let v = st.figures.get(i).map(|f| f.1);
            match v {
                Some(v) if std::ptr::eq(st, first) => s.push_str(&format!(" {} |", v.show())),
                Some(v) => s.push_str(&format!(" {} ({:.2}) |", v.show(), v.median / base.median)),
                None => s.push_str(" — |"),
            }
        }
        s.push('\n');
    }
    s
}
