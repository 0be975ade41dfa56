//! The built-in evaluator, for deployments without Prometheus: the rules of `rules.rs` on the latest
//! metrics snapshot, on a schedule. New and ended alerts go to the dispatcher, or, when an Alertmanager
//! is configured, every active alert is pushed to its v2 API (and Alertmanager routes them back to
//! `/api/v1/alertmanager`).

use super::rules::{self, SourceWindow};
use super::{Alert, AlertState};
use crate::web::AppState;
use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

/// Per source: events and rejected events counted so far.
type Totals = BTreeMap<String, (u64, u64)>;

/// The window over which a source's reject share is measured.
const REJECT_WINDOW: Duration = Duration::from_secs(15 * 60);

pub async fn run(state: AppState, every: Duration) {
    let cfg = state.settings.alerts.clone();
    let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().expect("http client");
    let mut firing: BTreeMap<String, Alert> = BTreeMap::new();
    let mut samples: VecDeque<(Instant, Totals)> = VecDeque::new();
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        let Some(snapshot) = state.latest_snapshot() else { continue };
        let totals = state.metrics.ingest_totals();
        samples.push_back((Instant::now(), totals.clone()));
        while samples.len() > 1 && samples[0].0.elapsed() > REJECT_WINDOW {
            samples.pop_front();
        }
        let windows: BTreeMap<String, SourceWindow> = totals
            .iter()
            .map(|(source, (events, rejected))| {
                let (e0, r0) = samples[0].1.get(source).copied().unwrap_or((0, 0));
                (source.clone(), SourceWindow { events: events - e0, rejected: rejected - r0 })
            })
            .collect();
        let now = state.clock.now_ms();
        let active: BTreeMap<String, Alert> =
            rules::evaluate(&snapshot, &windows, now, &cfg.rules).into_iter().map(|a| (a.key(), a)).collect();
        let ended: Vec<Alert> = firing
            .iter()
            .filter(|(k, _)| !active.contains_key(*k))
            .map(|(_, a)| Alert { state: AlertState::Resolved, ..a.clone() })
            .collect();
        // Times for Alertmanager, on its clock; a firing alert keeps its start time.
        let wall = cfg.alertmanager_clock.now_rfc3339();
        let mut next = active;
        for (k, a) in next.iter_mut() {
            a.starts_at = firing.get(k).map(|before| before.starts_at.clone()).unwrap_or_else(|| wall.clone());
        }
        let started: Vec<Alert> = next.iter().filter(|(k, _)| !firing.contains_key(*k)).map(|(_, a)| a.clone()).collect();
        match &cfg.alertmanager_url {
            Some(url) => {
                let body: Vec<serde_json::Value> = next
                    .values()
                    .map(|a| am_alert(a, None, &cfg.rules.public_url))
                    .chain(ended.iter().map(|a| am_alert(a, Some(&wall), &cfg.rules.public_url)))
                    .collect();
                if !body.is_empty() {
                    let pushed = http.post(format!("{}/api/v2/alerts", url.trim_end_matches('/'))).json(&body).send().await;
                    match pushed {
                        Ok(r) if r.status().is_success() => {}
                        Ok(r) => tracing::warn!(status = %r.status(), "Alertmanager refused the alerts"),
                        Err(e) => tracing::warn!(error = %e, "Alertmanager unreachable"),
                    }
                }
            }
            None => {
                let changes: Vec<Alert> = started.into_iter().chain(ended).collect();
                if let Err(e) = state.dispatcher.dispatch(changes).await {
                    tracing::warn!(error = %e, "alert dispatch failed");
                }
            }
        }
        firing = next;
    }
}

/// An alert in the shape of Alertmanager's `POST /api/v2/alerts`.
fn am_alert(a: &Alert, ends_at: Option<&str>, public_url: &str) -> serde_json::Value {
    let mut v = serde_json::json!({
        "labels": a.labels,
        "annotations": a.annotations,
        "startsAt": a.starts_at,
        "generatorURL": format!("{public_url}/alerts"),
    });
    if let Some(end) = ends_at {
        v["endsAt"] = end.into();
    }
    v
}
