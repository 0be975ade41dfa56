//! The built-in evaluator, for deployments without Prometheus: the rules of `rules.rs` on the latest
//! metrics snapshot, on a schedule. New and ended alerts go to the dispatcher, or, when an Alertmanager
//! is configured, every active alert is pushed to its v2 API (and Alertmanager routes them back to
//! `/api/v1/alertmanager`).

use super::rules::{self, SourceWindow};
use super::{Alert, AlertState};
use crate::report::snapshot::Snapshot;
use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

/// Per source: events and rejected events counted so far.
type Totals = BTreeMap<String, (u64, u64)>;

/// The window over which a source's reject share is measured.
const REJECT_WINDOW: Duration = Duration::from_secs(15 * 60);

/// What the evaluator remembers between runs: the alerts firing, and samples of the sources' totals
/// for the reject window. Its `step` is pure: no clock, no I/O.
#[derive(Debug, Default)]
pub struct Evaluator {
    firing: BTreeMap<String, Alert>,
    samples: VecDeque<(Instant, Totals)>,
}

/// One evaluation's outcome: every active alert, and which of them started and which ended.
#[derive(Debug, Default, PartialEq)]
pub struct Step {
    pub active: Vec<Alert>,
    pub started: Vec<Alert>,
    pub ended: Vec<Alert>,
}

impl Evaluator {
    /// Evaluates the rules on `snapshot` at `now_ms` (the instant figures are judged at). `at` is the
    /// monotonic time of this run, for the reject window; `wall` the time a new alert starts at.
    pub fn step(&mut self, snapshot: &Snapshot, totals: Totals, at: Instant, now_ms: i64, wall: &str, cfg: &rules::Settings) -> Step {
        self.samples.push_back((at, totals.clone()));
        while self.samples.len() > 1 && at.saturating_duration_since(self.samples[0].0) > REJECT_WINDOW {
            self.samples.pop_front();
        }
        let windows: BTreeMap<String, SourceWindow> = totals
            .iter()
            .map(|(source, (events, rejected))| {
                let (e0, r0) = self.samples[0].1.get(source).copied().unwrap_or((0, 0));
                (source.clone(), SourceWindow { events: events - e0, rejected: rejected - r0 })
            })
            .collect();
        let mut next: BTreeMap<String, Alert> = rules::evaluate(snapshot, &windows, now_ms, cfg).into_iter().map(|a| (a.key(), a)).collect();
        let ended: Vec<Alert> = self
            .firing
            .iter()
            .filter(|(k, _)| !next.contains_key(*k))
            .map(|(_, a)| Alert { state: AlertState::Resolved, ..a.clone() })
            .collect();
        // A firing alert keeps its start time.
        for (k, a) in next.iter_mut() {
            a.starts_at = self.firing.get(k).map(|before| before.starts_at.clone()).unwrap_or_else(|| wall.to_string());
        }
        let started: Vec<Alert> = next.iter().filter(|(k, _)| !self.firing.contains_key(*k)).map(|(_, a)| a.clone()).collect();
        let active = next.values().cloned().collect();
        self.firing = next;
        Step { active, started, ended }
    }
}

/// An alert in the shape of Alertmanager's `POST /api/v2/alerts`.
pub fn am_alert(a: &Alert, ends_at: Option<&str>, public_url: &str) -> serde_json::Value {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerting::rules::tests::snapshot;
    use crate::domain::kpi::Status;

    /// 2026-11-18, the instant every run is judged at (a fixed clock).
    const NOW: i64 = 1_795_000_000_000;

    fn names(alerts: &[Alert]) -> Vec<&str> {
        alerts.iter().map(|a| a.name()).collect()
    }

    #[test]
    fn an_alert_starts_once_keeps_its_start_and_ends_when_its_rule_stops() {
        let cfg = rules::Settings::default();
        let fresh = NOW as f64 / 1000.0;
        let (t0, mut evaluator) = (Instant::now(), Evaluator::default());
        let behind = snapshot(Status::AtRisk, Status::Behind, 0, fresh);
        let first = evaluator.step(&behind, Totals::new(), t0, NOW, "2026-11-18T03:33:20+00:00", &cfg);
        assert_eq!(names(&first.started), ["DvcUnitAtRisk", "DvcUnitBehindLastMonth"]);
        assert!(first.ended.is_empty());
        assert!(first.started.iter().all(|a| a.starts_at == "2026-11-18T03:33:20+00:00" && a.state == AlertState::Firing));

        let again = evaluator.step(&behind, Totals::new(), t0 + Duration::from_secs(60), NOW + 60_000, "2026-11-18T03:34:20+00:00", &cfg);
        assert!(again.started.is_empty() && again.ended.is_empty(), "{again:?}");
        assert!(again.active.iter().all(|a| a.starts_at == "2026-11-18T03:33:20+00:00"), "a firing alert keeps its start");

        let recovered = snapshot(Status::OnTrack, Status::Met, 0, fresh);
        let last = evaluator.step(&recovered, Totals::new(), t0 + Duration::from_secs(120), NOW + 120_000, "later", &cfg);
        assert!(last.active.is_empty() && last.started.is_empty());
        assert_eq!(names(&last.ended), ["DvcUnitAtRisk", "DvcUnitBehindLastMonth"]);
        assert!(last.ended.iter().all(|a| a.state == AlertState::Resolved));
    }

    #[test]
    fn the_reject_share_is_measured_over_the_last_fifteen_minutes() {
        let cfg = rules::Settings::default();
        let fresh = NOW as f64 / 1000.0;
        let ok = snapshot(Status::OnTrack, Status::Met, 0, fresh);
        let totals = |events, rejected| Totals::from([("igate".to_string(), (events, rejected))]);
        let (t0, mut evaluator) = (Instant::now(), Evaluator::default());
        let minute = Duration::from_secs(60);
        assert!(evaluator.step(&ok, totals(1000, 10), t0, NOW, "w", &cfg).active.is_empty());
        // 100 events in a minute, 30 of them rejected: one alert per province the source feeds.
        let high = evaluator.step(&ok, totals(1100, 40), t0 + minute, NOW + 60_000, "w", &cfg);
        assert_eq!(names(&high.started), ["DvcSourceHighRejectRate", "DvcSourceHighRejectRate"]);
        // Twenty minutes later without new events, the window holds none: the alerts end.
        let quiet = evaluator.step(&ok, totals(1100, 40), t0 + 20 * minute, NOW + 1_200_000, "w", &cfg);
        assert_eq!(names(&quiet.ended), ["DvcSourceHighRejectRate", "DvcSourceHighRejectRate"]);
    }
}
