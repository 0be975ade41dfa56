//! What a running service does on its own, started by the serve command (`AppState::start_background`):
//! the alert evaluator's schedule and deliveries. (The metrics refresher lives beside the state in `mod.rs`.)

use super::AppState;
use crate::alerting::evaluator::{am_alert, Evaluator};
use crate::alerting::Alert;
use std::time::{Duration, Instant};

/// Runs the built-in evaluator (`alerting::evaluator`) every `every` on the latest metrics snapshot, and
/// hands what started and ended to Alertmanager or the dispatcher, until the task is dropped.
pub async fn evaluate_alerts(state: AppState, every: Duration) {
    let cfg = state.settings.alerts.clone();
    let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().expect("http client");
    let mut evaluator = Evaluator::default();
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        let Some(snapshot) = state.latest_snapshot() else { continue };
        // Times for Alertmanager run on its clock; the figures are judged at the service's.
        let wall = cfg.alertmanager_clock.now_rfc3339();
        let step = evaluator.step(&snapshot, state.metrics.ingest_totals(), Instant::now(), state.clock.now_ms(), &wall, &cfg.rules);
        match &cfg.alertmanager_url {
            Some(url) => {
                let body: Vec<serde_json::Value> = step
                    .active
                    .iter()
                    .map(|a| am_alert(a, None, &cfg.rules.public_url))
                    .chain(step.ended.iter().map(|a| am_alert(a, Some(&wall), &cfg.rules.public_url)))
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
                let changes: Vec<Alert> = step.started.into_iter().chain(step.ended).collect();
                if let Err(e) = state.dispatcher.dispatch(changes).await {
                    tracing::warn!(error = %e, "alert dispatch failed");
                }
            }
        }
    }
}

