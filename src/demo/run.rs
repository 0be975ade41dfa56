//! Runs the demo: registry, history through `POST /api/v1/events` (and, for part of the units,
//! `POST /api/v1/national-sync/dossiers` and `/steps`), then live events.

use super::inbox::{self, Inbox};
use super::province::{self, DemoProvince};
use super::simulator::{self, Door, Simulator};
use crate::clock::Clock;
use crate::config::DemoArgs;
use crate::domain::{Indicator, Month};
use crate::ingest::token;
use crate::store::{Store, TokenRecord};
use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressStyle};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, Mutex};

/// Events per request, as an agency system batching its outbox would send them.
const BATCH: usize = 2000;
/// Snapshots per national-sync request (the collector takes up to 1,000).
const SNAPSHOTS_PER_REQUEST: usize = 500;

/// `clock`: the instant the history ends at and the service runs from (`demo --now`, else the machine's).
pub async fn run(database_url: &str, args: &DemoArgs, clock: Clock) -> anyhow::Result<()> {
    let store = crate::store::connect(database_url).await.with_context(|| format!("cannot open {database_url}"))?;
    let now = clock.now_ms();
    let this_month = Month::of_millis(now);
    let demo = province::build(&args.province, this_month.year())?;
    let first = this_month.trailing(args.months as usize)[0];
    let reuse = holds_history(store.as_ref(), &demo, first, this_month).await?;
    // The units every time: a database kept from an earlier version gets today's names.
    store.upsert_units(&demo.units).await?;
    if !reuse {
        let procedures: Vec<_> = demo.procedures.iter().map(|p| p.procedure.clone()).collect();
        store.upsert_procedures(&procedures).await?;
        store.upsert_targets(&demo.targets).await?;
    }
    let mut tokens = Vec::new();
    for source in [format!("demo-simulator-{}", demo.province.code), format!("demo-national-sync-{}", demo.province.code)] {
        let secret = token::generate();
        let record = TokenRecord { hash: token::hash(&secret), source, scope: vec![demo.province.code.clone()], created_at: now, revoked_at: None };
        store.insert_token(&record).await?;
        tokens.push(secret);
    }

    let listener = crate::commands::listen(&args.serve).await?;
    let address = listener.local_addr()?;
    // Reachable from this machine even when listening on every interface (0.0.0.0).
    let base = if address.ip().is_unspecified() { format!("http://127.0.0.1:{}", address.port()) } else { format!("http://{address}") };
    let mut settings = args.serve.settings();
    if args.serve.public_url == crate::config::DEFAULT_PUBLIC_URL {
        // Links in the heads' messages open this demo, wherever it listens.
        settings.alerts.rules.public_url = base.clone();
    }
    settings.demo_inbox = true;
    // Alerts are judged once the history is in, not on the half-loaded months.
    let evaluate_every = settings.alerts.evaluate_every.take();
    let inbox = Inbox::new(clock, evaluate_every.map_or(0, |d| d.as_secs()));
    // Every unit's head is made up and reachable at the inbox (a new secret each run, so always rewritten).
    store.upsert_contacts(&inbox.heads(&base, &demo.units)).await?;
    let state = crate::commands::start(store.clone(), settings, clock, &listener)?;
    let (open, read) = inbox::routes(inbox);
    let router = crate::web::build_router_with(state.clone(), open, read);
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(crate::serve_with(listener, router, args.serve.limits(), async move {
        let _ = stop_rx.await;
    }));
    let sender = Sender::new(&base, &tokens[0], &tokens[1]);

    let mut sim = Simulator::new(&demo.units, &demo.procedures, args.seed, simulator::curve_origin(now), args.volume);
    let through_sync = if args.all_native { Vec::new() } else { sim.use_national_sync_door() };
    println!(
        "Demo: {} — {} units sending dossiers ({} communes, {} departments), database {database_url}",
        demo.province.name,
        sim.unit_count(),
        demo.units.iter().filter(|u| u.kind == crate::domain::UnitKind::Commune).count(),
        demo.units.iter().filter(|u| u.kind == crate::domain::UnitKind::Department).count(),
    );
    if through_sync.is_empty() {
        println!("Doors: every unit sends native events to POST /api/v1/events.");
    } else {
        println!(
            "Doors: {} units (every third department, every fourth commune) send national-sync snapshots and steps to \
             POST /api/v1/national-sync/dossiers and /steps, with fake personal fields that are dropped: {}; the other {} send native events to POST /api/v1/events.",
            through_sync.len(),
            through_sync.join(", "),
            sim.unit_count() - through_sync.len()
        );
    }
    if reuse {
        println!("The database already holds this province's history from {first}: reusing it, with live events only (delete the file to start afresh).");
    } else {
        load_history(&mut sim, &sender, first, now).await?;
    }
    // The weekly quick report once, so that the inbox shows what leaders and heads receive on Mondays.
    if let Err(e) = crate::web::weekly::send(&state).await {
        tracing::warn!(error = %e, "weekly quick report not sent");
    }
    if let Some(every) = evaluate_every {
        tokio::spawn(crate::web::background::evaluate_alerts(state, every));
    }
    // The last line: nothing the demo prints comes after it (log lines are warnings only, by default).
    println!("Open {base}/ — league table; {base}/demo/inbox — the alert messages the units' heads receive; Ctrl-C stops.");

    if args.no_live || args.rate <= 0.0 {
        crate::commands::shutdown_signal().await;
    } else {
        tokio::select! {
            r = live(&mut sim, &sender, args.rate, clock) => r?,
            _ = crate::commands::shutdown_signal() => {}
        }
    }
    let _ = stop_tx.send(());
    server.await??;
    Ok(())
}

/// True when the database already has this province's units and rollups for the window.
async fn holds_history(store: &dyn Store, demo: &DemoProvince, first: Month, last: Month) -> anyhow::Result<bool> {
    let units = store.units().await?;
    if !units.iter().any(|u| u.code == demo.province.code) {
        return Ok(false);
    }
    let rows = store.rollups(Indicator::Intake, first, last).await?;
    Ok(rows.iter().any(|r| r.month == first && demo.units.iter().any(|u| u.code == r.unit)))
}

async fn load_history(sim: &mut Simulator, sender: &Sender, first: Month, now: i64) -> anyhow::Result<()> {
    let days = simulator::days(first, simulator::day_start(now));
    let bar = ProgressBar::new(days.len() as u64).with_style(
        ProgressStyle::with_template("{spinner} history {bar:40} {pos}/{len} days  {msg}").expect("valid template").progress_chars("█▉░"),
    );
    let started = Instant::now();
    let (tx, rx) = mpsc::channel::<Vec<String>>(4);
    let rx = Arc::new(Mutex::new(rx));
    // Two requests in flight: the next batch is parsed while the previous one commits.
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let (rx, sender) = (rx.clone(), sender.clone());
            tokio::spawn(async move {
                loop {
                    let batch = rx.lock().await.recv().await;
                    match batch {
                        Some(lines) => sender.send(lines).await?,
                        None => return anyhow::Ok(()),
                    }
                }
            })
        })
        .collect();
    for day in days {
        sim.simulate_day(day);
        let delivered = sim.deliver((day + 86_400_000).min(now));
        for chunk in delivered.events.chunks(BATCH) {
            if tx.send(chunk.to_vec()).await.is_err() {
                break;
            }
        }
        // One request at a time through the national-sync door, in delivery order.
        sender.national_sync(delivered.national_sync).await?;
        bar.set_message(sender.summary());
        bar.inc(1);
    }
    drop(tx);
    for w in workers {
        w.await??;
    }
    bar.finish_with_message(sender.summary());
    let secs = started.elapsed().as_secs_f64();
    println!(
        "History loaded in {secs:.1} s: {} ({:.0} events/s). The {} rejected events were invalid on purpose and were not stored; {} future events wait for their time.",
        sender.summary(),
        sender.sent.load(Ordering::Relaxed) as f64 / secs.max(0.001),
        sender.rejected.load(Ordering::Relaxed),
        sim.pending()
    );
    println!("National-sync door: {}.", sender.sync_summary());
    if sender.rejected.load(Ordering::Relaxed) != sim.invalid {
        bail!("the service rejected {} events, the simulator sent {} invalid ones", sender.rejected.load(Ordering::Relaxed), sim.invalid);
    }
    println!(
        "Rejected on purpose: the simulator sends a few invalid events (an unknown procedure, a missing channel, a personal-data field) \
         to show that the service refuses them with a reason and stores nothing of them. By reason:"
    );
    for (reason, n) in sender.reasons.lock().await.iter() {
        println!("  {n:>5} × {reason}");
    }
    Ok(())
}

/// New dossiers at about `rate` events a second, each day of their life passing in two minutes.
async fn live(sim: &mut Simulator, sender: &Sender, rate: f64, clock: Clock) -> anyhow::Result<()> {
    sim.set_prefix(format!("L{}-", clock.now_ms() / 1000));
    let spinner = ProgressBar::new_spinner();
    spinner.set_style(ProgressStyle::with_template("{spinner} live  {msg}").expect("valid template"));
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut owed = 0.0;
    loop {
        tick.tick().await;
        let now = clock.now_ms();
        // A dossier makes about six events over its life.
        owed += rate / 6.0;
        let count = owed.floor() as usize;
        owed -= count as f64;
        sim.simulate_live(now, count, 2.0);
        let delivered = sim.deliver(now);
        if !delivered.events.is_empty() {
            sender.send(delivered.events).await?;
        }
        sender.national_sync(delivered.national_sync).await?;
        spinner.set_message(sender.summary());
        spinner.tick();
    }
}

/// Posts NDJSON batches with the demo's token, and national-sync snapshots and steps with the second
/// token, and keeps the tally of the answers.
#[derive(Clone)]
struct Sender {
    client: reqwest::Client,
    url: String,
    token: String,
    base: String,
    sync_token: String,
    snapshots: Arc<AtomicU64>,
    step_lists: Arc<AtomicU64>,
    sent: Arc<AtomicU64>,
    accepted: Arc<AtomicU64>,
    duplicates: Arc<AtomicU64>,
    rejected: Arc<AtomicU64>,
    /// Rejected events per reason, the reason's quoted values left out (`unknown procedure "…"`).
    reasons: Arc<Mutex<std::collections::BTreeMap<String, u64>>>,
}

impl Sender {
    fn new(base: &str, token: &str, sync_token: &str) -> Sender {
        Sender {
            // Idle connections are dropped before the service's own idle limit (10 s by default), so a
            // request is not sent on a connection the service is closing.
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(120))
                .pool_idle_timeout(Duration::from_secs(5))
                .build()
                .expect("http client"),
            url: format!("{base}/api/v1/events"),
            token: token.to_string(),
            base: base.to_string(),
            sync_token: sync_token.to_string(),
            snapshots: Default::default(),
            step_lists: Default::default(),
            sent: Default::default(),
            accepted: Default::default(),
            duplicates: Default::default(),
            rejected: Default::default(),
            reasons: Default::default(),
        }
    }

    /// Sends a request, and again (three more times at most) when the connection failed before any
    /// answer came: sending again is always safe (events and snapshots are idempotent), and a kept-alive
    /// connection can fail just as a request is written on it.
    async fn deliver(&self, request: impl Fn() -> reqwest::RequestBuilder) -> reqwest::Result<reqwest::Response> {
        let mut tries = 0u64;
        loop {
            match request().send().await {
                Err(e) if tries < 3 && (e.is_request() || e.is_connect()) && !e.is_timeout() => {
                    tries += 1;
                    tracing::debug!(error = %e, "the connection failed before an answer; sending again");
                    tokio::time::sleep(Duration::from_millis(200 * tries)).await;
                }
                answer => return answer,
            }
        }
    }

    async fn send(&self, lines: Vec<String>) -> anyhow::Result<()> {
        let n = lines.len() as u64;
        let body = lines.join("\n");
        let response = self
            .deliver(|| self.client.post(&self.url).bearer_auth(&self.token).header("content-type", "application/x-ndjson").body(body.clone()))
            .await
            .context("posting events")?;
        let status = response.status();
        let body: serde_json::Value = response.json().await.unwrap_or_default();
        if !status.is_success() {
            bail!("the service answered {status}: {body}");
        }
        let count = |k: &str| body[k].as_u64().unwrap_or(0);
        self.sent.fetch_add(n, Ordering::Relaxed);
        self.accepted.fetch_add(count("accepted"), Ordering::Relaxed);
        self.duplicates.fetch_add(count("duplicates"), Ordering::Relaxed);
        let rejected = body["rejected"].as_array().cloned().unwrap_or_default();
        self.rejected.fetch_add(rejected.len() as u64, Ordering::Relaxed);
        if !rejected.is_empty() {
            let mut reasons = self.reasons.lock().await;
            for r in rejected {
                *reasons.entry(reason(r["error"].as_str().unwrap_or("?"))).or_default() += 1;
            }
        }
        Ok(())
    }

    /// Sends national-sync deliveries in order: consecutive snapshots as lists of up to 500, a step list
    /// on its own. Every dossier must be answered "0" (stored, or its steps held).
    async fn national_sync(&self, items: Vec<(Door, String)>) -> anyhow::Result<()> {
        let mut snapshots: Vec<String> = Vec::new();
        for (door, body) in items {
            match door {
                Door::Snapshot => {
                    snapshots.push(body);
                    if snapshots.len() == SNAPSHOTS_PER_REQUEST {
                        self.post_sync("dossiers", format!("[{}]", std::mem::take(&mut snapshots).join(","))).await?;
                    }
                }
                Door::Steps => {
                    if !snapshots.is_empty() {
                        self.post_sync("dossiers", format!("[{}]", std::mem::take(&mut snapshots).join(","))).await?;
                    }
                    self.post_sync("steps", body).await?;
                }
                Door::Event => bail!("a native event among the national-sync deliveries"),
            }
        }
        if !snapshots.is_empty() {
            self.post_sync("dossiers", format!("[{}]", snapshots.join(","))).await?;
        }
        Ok(())
    }

    async fn post_sync(&self, call: &str, body: String) -> anyhow::Result<()> {
        let url = format!("{}/api/v1/national-sync/{call}", self.base);
        let response = self
            .deliver(|| self.client.post(&url).bearer_auth(&self.sync_token).header("content-type", "application/json").body(body.clone()))
            .await
            .context("posting national-sync snapshots")?;
        let status = response.status();
        let answer: serde_json::Value = response.json().await.unwrap_or_default();
        if !status.is_success() || answer["error_code"] != "0" {
            let first = answer["results"].as_array().and_then(|r| r.iter().find(|r| r["error_code"] != "0")).cloned();
            bail!("the national-sync collector answered {status}: {} {}", answer["message"], first.unwrap_or_default());
        }
        let n = answer["results"].as_array().map_or(1, |r| r.len() as u64);
        match call {
            "dossiers" => self.snapshots.fetch_add(n, Ordering::Relaxed),
            _ => self.step_lists.fetch_add(1, Ordering::Relaxed),
        };
        Ok(())
    }

    fn sync_summary(&self) -> String {
        format!(
            "{} snapshots sent to POST /api/v1/national-sync/dossiers, {} step lists sent before their snapshot to /steps (held, then folded in)",
            self.snapshots.load(Ordering::Relaxed),
            self.step_lists.load(Ordering::Relaxed)
        )
    }

    fn summary(&self) -> String {
        format!(
            "{} events sent: {} accepted, {} duplicates, {} rejected",
            self.sent.load(Ordering::Relaxed),
            self.accepted.load(Ordering::Relaxed),
            self.duplicates.load(Ordering::Relaxed),
            self.rejected.load(Ordering::Relaxed)
        )
    }
}

/// A rejection's reason without the values it quotes, so that the same mistake counts once:
/// `unknown procedure "MAU.1"` → `unknown procedure "…"`.
fn reason(error: &str) -> String {
    let mut out = String::new();
    for (i, part) in error.split('"').enumerate() {
        out.push_str(if i % 2 == 1 { "…" } else { part });
        out.push('"');
    }
    out.pop();
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn reasons_leave_out_quoted_values() {
        assert_eq!(super::reason("unknown procedure \"MAU.KHONG.TON.TAI\""), "unknown procedure \"…\"");
        assert_eq!(super::reason("unknown field `ho_ten`, expected one of `id`"), "unknown field `ho_ten`, expected one of `id`");
        assert_eq!(super::reason("a \"b\" c \"d\" e"), "a \"…\" c \"…\" e");
    }
}
