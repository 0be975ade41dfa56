//! Prometheus metrics from the service's own registry (see docs/metrics.md). Unit figures come from
//! a store snapshot refreshed in the background; pipeline counters are counted where they happen.

use crate::domain::Indicator;
use crate::ingest::BatchReport;
use crate::report::snapshot::Snapshot;
use prometheus::{
    Encoder, Gauge, GaugeVec, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry, TextEncoder,
};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

pub struct Metrics {
    /// Families that change only with a snapshot: encoded once per snapshot, served as bytes.
    snapshot_registry: Registry,
    snapshot_text: std::sync::RwLock<Arc<Vec<u8>>>,
    /// Families counted as things happen (pipeline, HTTP, process): encoded at each scrape.
    live_registry: Registry,
    completed: IntCounterVec,
    completed_online: IntCounterVec,
    received: IntCounterVec,
    received_online: IntCounterVec,
    month_numerator: IntGaugeVec,
    month_denominator: IntGaugeVec,
    last_numerator: IntGaugeVec,
    last_denominator: IntGaugeVec,
    target: GaugeVec,
    last_target: GaugeVec,
    months_behind: IntGaugeVec,
    status: IntGaugeVec,
    last_status: IntGaugeVec,
    unit_info: IntGaugeVec,
    elapsed: Gauge,
    min_volume: IntGauge,
    ingest_events: IntCounterVec,
    ingest_requests: IntCounterVec,
    source_last: GaugeVec,
    source_scope: IntGaugeVec,
    http: HistogramVec,
    /// Label sets set by the last snapshot, so that vanished ones are removed (not reset, which would
    /// let a scrape see an empty family).
    present: Mutex<Present>,
}

#[derive(Default)]
struct Present {
    targets: HashSet<(String, &'static str)>,
    last_targets: HashSet<(String, &'static str)>,
    info: HashSet<[String; 4]>,
    statuses: HashSet<[String; 3]>,
    last_statuses: HashSet<[String; 3]>,
    scopes: HashSet<(String, String)>,
}

fn counter(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    let c = IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric");
    registry.register(Box::new(c.clone())).expect("registered once");
    c
}

fn gauge(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntGaugeVec {
    let g = IntGaugeVec::new(Opts::new(name, help), labels).expect("valid metric");
    registry.register(Box::new(g.clone())).expect("registered once");
    g
}

fn float_gauge(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> GaugeVec {
    let g = GaugeVec::new(Opts::new(name, help), labels).expect("valid metric");
    registry.register(Box::new(g.clone())).expect("registered once");
    g
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let r = Registry::new();
        let live = Registry::new();
        let ui = &["unit", "indicator"];
        let elapsed = Gauge::new("dvc_month_elapsed_ratio", "Share of the current month (UTC+07:00) that has passed.").expect("valid");
        r.register(Box::new(elapsed.clone())).expect("registered once");
        let min_volume = IntGauge::new("dvc_min_volume", "Denominators below this are insufficient_data.").expect("valid");
        r.register(Box::new(min_volume.clone())).expect("registered once");
        let http = HistogramVec::new(
            HistogramOpts::new("dvc_http_request_duration_seconds", "HTTP request durations by route template.")
                .buckets(vec![0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]),
            &["method", "route", "status"],
        )
        .expect("valid");
        live.register(Box::new(http.clone())).expect("registered once");
        #[cfg(target_os = "linux")]
        live.register(Box::new(prometheus::process_collector::ProcessCollector::for_self())).expect("registered once");
        Metrics {
            completed: counter(&r, "dvc_dossiers_completed_total", "Eligible dossiers returned (completion denominator), as first recorded.", &["unit"]),
            completed_online: counter(&r, "dvc_dossiers_completed_fully_online_total", "Eligible dossiers returned fully online (completion numerator), as first recorded.", &["unit"]),
            received: counter(&r, "dvc_dossiers_received_total", "Eligible dossiers received (intake denominator), as first recorded.", &["unit"]),
            received_online: counter(&r, "dvc_dossiers_received_online_total", "Eligible dossiers submitted online (intake numerator), as first recorded.", &["unit"]),
            month_numerator: gauge(&r, "dvc_unit_month_numerator", "Numerator of the indicator for the current month to date.", ui),
            month_denominator: gauge(&r, "dvc_unit_month_denominator", "Denominator of the indicator for the current month to date.", ui),
            last_numerator: gauge(&r, "dvc_unit_last_month_numerator", "Numerator of the indicator for the previous month.", ui),
            last_denominator: gauge(&r, "dvc_unit_last_month_denominator", "Denominator of the indicator for the previous month.", ui),
            target: float_gauge(&r, "dvc_unit_target_ratio", "Target rate that applies this month.", ui),
            last_target: float_gauge(&r, "dvc_unit_last_month_target_ratio", "Target rate that applied last month.", ui),
            status: gauge(&r, "dvc_unit_status", "Status of the indicator this month (kpi.md), value 1.", &["unit", "indicator", "status"]),
            last_status: gauge(&r, "dvc_unit_last_month_status", "Status of the indicator for the previous month, value 1.", &["unit", "indicator", "status"]),
            months_behind: gauge(&r, "dvc_unit_months_behind", "Consecutive finished months behind target, up to last month.", ui),
            unit_info: gauge(&r, "dvc_unit_info", "The unit registry: one series per unit, value 1.", &["unit", "parent", "kind", "name"]),
            ingest_events: counter(&live, "dvc_ingest_events_total", "Events received, by source and outcome.", &["source", "outcome"]),
            ingest_requests: counter(&live, "dvc_ingest_requests_total", "Ingest requests, by source and HTTP status code.", &["source", "code"]),
            source_last: float_gauge(&r, "dvc_source_last_event_timestamp_seconds", "When the last valid event from the source was received.", &["source"]),
            source_scope: gauge(&r, "dvc_source_scope_info", "Unit codes a source's tokens may write to, value 1.", &["source", "scope"]),
            elapsed,
            min_volume,
            http,
            snapshot_registry: r,
            snapshot_text: std::sync::RwLock::new(Arc::new(Vec::new())),
            live_registry: live,
            present: Mutex::new(Present::default()),
        }
    }

    /// Brings the unit series and source gauges to the snapshot; units whose series are the same as in
    /// `previous` are skipped (most of them, between two refreshes).
    pub fn apply(&self, s: &Snapshot, previous: Option<&Snapshot>) {
        self.elapsed.set(s.elapsed);
        self.min_volume.set(s.min_volume);
        let mut targets = HashSet::new();
        let mut last_targets = HashSet::new();
        let mut info = HashSet::new();
        let mut statuses = HashSet::new();
        let mut last_statuses = HashSet::new();
        for u in &s.units {
            let Some(series) = s.series.get(&u.code) else { continue };
            let code = u.code.as_str();
            let unchanged = previous.and_then(|p| p.series.get(code)) == Some(series);
            if !unchanged {
                raise(&self.completed, code, series.counters[0].denominator);
                raise(&self.completed_online, code, series.counters[0].numerator);
                raise(&self.received, code, series.counters[1].denominator);
                raise(&self.received_online, code, series.counters[1].numerator);
            }
            for (i, indicator) in Indicator::ALL.iter().enumerate() {
                let labels = [code, indicator.as_str()];
                // The label sets still count as present; only the values need no update.
                if unchanged {
                    let status = [u.code.clone(), indicator.as_str().to_string(), series.status[i].as_str().to_string()];
                    statuses.insert(status);
                    last_statuses.insert([u.code.clone(), indicator.as_str().to_string(), series.last_status[i].as_str().to_string()]);
                    if series.target[i].is_some() {
                        targets.insert((u.code.clone(), indicator.as_str()));
                    }
                    if series.last_target[i].is_some() {
                        last_targets.insert((u.code.clone(), indicator.as_str()));
                    }
                    continue;
                }
                self.month_numerator.with_label_values(&labels).set(series.month[i].numerator);
                self.month_denominator.with_label_values(&labels).set(series.month[i].denominator);
                self.last_numerator.with_label_values(&labels).set(series.last_month[i].numerator);
                self.last_denominator.with_label_values(&labels).set(series.last_month[i].denominator);
                if let Some(behind) = series.months_behind {
                    self.months_behind.with_label_values(&labels).set(behind[i] as i64);
                }
                let status = [u.code.clone(), indicator.as_str().to_string(), series.status[i].as_str().to_string()];
                self.status.with_label_values(&status.each_ref().map(String::as_str)).set(1);
                statuses.insert(status);
                let last = [u.code.clone(), indicator.as_str().to_string(), series.last_status[i].as_str().to_string()];
                self.last_status.with_label_values(&last.each_ref().map(String::as_str)).set(1);
                last_statuses.insert(last);
                if let Some(t) = series.target[i] {
                    self.target.with_label_values(&labels).set(t.as_f64());
                    targets.insert((u.code.clone(), indicator.as_str()));
                }
                if let Some(t) = series.last_target[i] {
                    self.last_target.with_label_values(&labels).set(t.as_f64());
                    last_targets.insert((u.code.clone(), indicator.as_str()));
                }
            }
            let labels = [u.code.clone(), u.parent.clone().unwrap_or_default(), u.kind.to_string(), u.name.clone()];
            self.unit_info.with_label_values(&labels.each_ref().map(String::as_str)).set(1);
            info.insert(labels);
        }
        for (source, seconds) in &s.sources {
            self.source_last.with_label_values(&[source.as_str()]).set(*seconds);
        }
        let scopes: HashSet<(String, String)> = s.scopes.iter().cloned().collect();
        for (source, scope) in &scopes {
            self.source_scope.with_label_values(&[source.as_str(), scope.as_str()]).set(1);
        }
        let mut present = self.present.lock().expect("not poisoned");
        for (unit, indicator) in present.targets.difference(&targets) {
            let _ = self.target.remove_label_values(&[unit.as_str(), indicator]);
        }
        for (unit, indicator) in present.last_targets.difference(&last_targets) {
            let _ = self.last_target.remove_label_values(&[unit.as_str(), indicator]);
        }
        for labels in present.info.difference(&info) {
            let _ = self.unit_info.remove_label_values(&labels.each_ref().map(String::as_str));
        }
        for labels in present.statuses.difference(&statuses) {
            let _ = self.status.remove_label_values(&labels.each_ref().map(String::as_str));
        }
        for labels in present.last_statuses.difference(&last_statuses) {
            let _ = self.last_status.remove_label_values(&labels.each_ref().map(String::as_str));
        }
        for (source, scope) in present.scopes.difference(&scopes) {
            let _ = self.source_scope.remove_label_values(&[source.as_str(), scope.as_str()]);
        }
        *present = Present { targets, last_targets, info, statuses, last_statuses, scopes };
        drop(present);
        let text = encode(&self.snapshot_registry);
        *self.snapshot_text.write().expect("not poisoned") = Arc::new(text);
    }

    /// Counts and logs one ingest batch: the one place where pipeline outcomes are recorded.
    pub fn record_batch(&self, source: &str, report: &BatchReport) {
        let invalid = report.rejected.len() - report.conflicts;
        for (outcome, n) in [("accepted", report.accepted), ("duplicate", report.duplicates), ("conflict", report.conflicts), ("invalid", invalid)] {
            self.ingest_events.with_label_values(&[source, outcome]).inc_by(n as u64);
        }
        tracing::debug!(source, accepted = report.accepted, duplicates = report.duplicates, conflicts = report.conflicts, invalid, "batch ingested");
        // Counts and positions only: a rejected event's content is the caller's, and may hold what must not be logged.
        if let Some(first) = report.rejected.first() {
            tracing::info!(source, rejected = report.rejected.len(), first_index = first.index, "events rejected");
        }
    }

    pub fn record_request(&self, source: &str, code: u16) {
        self.ingest_requests.with_label_values(&[source, &code.to_string()]).inc();
    }

    pub fn observe_http(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.http.with_label_values(&[method, route, &status.to_string()]).observe(seconds);
    }

    /// Events and rejected events (invalid or conflicting) counted so far, per source.
    pub fn ingest_totals(&self) -> std::collections::BTreeMap<String, (u64, u64)> {
        use prometheus::core::Collector;
        let mut out: std::collections::BTreeMap<String, (u64, u64)> = Default::default();
        for family in self.ingest_events.collect() {
            for m in family.get_metric() {
                let label = |name: &str| m.get_label().iter().find(|l| l.name() == name).map(|l| l.value().to_string()).unwrap_or_default();
                let n = m.get_counter().value() as u64;
                let entry = out.entry(label("source")).or_default();
                entry.0 += n;
                if matches!(label("outcome").as_str(), "invalid" | "conflict") {
                    entry.1 += n;
                }
            }
        }
        out
    }

    /// The text exposition: the snapshot families as encoded at the last `apply`, then the live ones.
    /// CPU work: call it off the async workers (as `apply` is).
    pub fn encode(&self) -> Vec<u8> {
        let snapshot = self.snapshot_text.read().expect("not poisoned").clone();
        let mut out = Vec::with_capacity(snapshot.len() + 64 * 1024);
        out.extend_from_slice(&snapshot);
        out.extend_from_slice(&encode(&self.live_registry));
        out
    }
}

fn encode(registry: &Registry) -> Vec<u8> {
    let mut out = Vec::with_capacity(256 * 1024);
    TextEncoder::new().encode(&registry.gather(), &mut out).expect("text encoding cannot fail");
    out
}

/// Counters only grow: add the difference to the stored total.
fn raise(c: &IntCounterVec, unit: &str, total: i64) {
    let counter = c.with_label_values(&[unit]);
    let total = total.max(0) as u64;
    if total > counter.get() {
        counter.inc_by(total - counter.get());
    }
}
