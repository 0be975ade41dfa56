//! Prometheus metrics from the service's own registry (see docs/metrics.md). Unit figures come from
//! a store snapshot refreshed in the background; pipeline counters are counted where they happen.

use crate::ingest::BatchReport;
use crate::report::snapshot::Snapshot;
use prometheus::{Encoder, HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry, TextEncoder};
use bytes::Bytes;

mod exposition;

pub struct Metrics {
    /// Families that change only with a snapshot, written as text once per snapshot, served as bytes.
    snapshot_text: std::sync::RwLock<Bytes>,
    /// Families counted as things happen (pipeline, HTTP, process): encoded at each scrape.
    live_registry: Registry,
    ingest_events: IntCounterVec,
    ingest_requests: IntCounterVec,
    national_sync: IntCounterVec,
    http: HistogramVec,
    /// The indicators whose unit families the text carries.
    indicators: Vec<crate::domain::Indicator>,
}

fn counter(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    let c = IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric");
    registry.register(Box::new(c.clone())).expect("registered once");
    c
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

/// The indicators `/metrics` writes unit families for: kpi.md's three, and the national index's six when
/// asked (`serve --metrics-index-indicators`), which nearly triples the text (7.4 to 19.7 MB for the
/// nation) and the time to scrape it.
pub fn exported_indicators(index_too: bool) -> Vec<crate::domain::Indicator> {
    crate::domain::Indicator::ALL.into_iter().filter(|i| index_too || !i.is_index()).collect()
}

impl Metrics {
    pub fn new() -> Metrics {
        Metrics::with_indicators(exported_indicators(false))
    }

    pub fn with_indicators(indicators: Vec<crate::domain::Indicator>) -> Metrics {
        let live = Registry::new();
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
            ingest_events: counter(&live, "dvc_ingest_events_total", "Events received, by source and outcome.", &["source", "outcome"]),
            ingest_requests: counter(&live, "dvc_ingest_requests_total", "Ingest requests, by source and HTTP status code.", &["source", "code"]),
            national_sync: counter(
                &live,
                "dvc_national_sync_dossiers_total",
                "Dossiers of national-sync requests, by source, call and what became of them.",
                &["source", "call", "outcome"],
            ),
            http,
            snapshot_text: std::sync::RwLock::new(Bytes::new()),
            live_registry: live,
            indicators,
        }
    }

    /// Writes the unit series and source gauges of the snapshot as the text served until the next one.
    /// Written straight from the snapshot rather than through ~50,000 registry children: a fraction
    /// of the memory, and the series of a vanished unit or target go with the snapshot that drops them.
    pub fn apply(&self, s: &Snapshot) {
        // Sized from the last text, a little over: a growing buffer would double past 16 MB and copy.
        let last = self.snapshot_text.read().expect("not poisoned").len();
        let text = exposition::write(s, &self.indicators, (last + last / 16).max(1 << 20));
        *self.snapshot_text.write().expect("not poisoned") = Bytes::from(text);
    }

    /// Counts and logs one ingest batch: the one place where pipeline outcomes are recorded.
    pub fn record_batch(&self, source: &str, report: &BatchReport) {
        let invalid = report.rejected.len() - report.conflicts - report.foreign;
        let outcomes = [
            ("accepted", report.accepted),
            ("duplicate", report.duplicates),
            ("conflict", report.conflicts),
            ("foreign", report.foreign),
            ("invalid", invalid),
        ];
        for (outcome, n) in outcomes {
            self.ingest_events.with_label_values(&[source, outcome]).inc_by(n as u64);
        }
        tracing::debug!(source, accepted = report.accepted, duplicates = report.duplicates, conflicts = report.conflicts, foreign = report.foreign, invalid, "batch ingested");
        // Counts and positions only: a rejected event's content is the caller's, and may hold what must not be logged.
        if let Some(first) = report.rejected.first() {
            tracing::info!(source, rejected = report.rejected.len(), first_index = first.index, "events rejected");
        }
    }

    /// Counts what became of the dossiers of one national-sync request (`stored`, `refused`, `retry`).
    pub fn record_national_sync(&self, source: &str, call: &str, tally: &[(&str, usize)]) {
        for (outcome, n) in tally {
            self.national_sync.with_label_values(&[source, call, outcome]).inc_by(*n as u64);
        }
    }

    pub fn record_request(&self, source: &str, code: u16) {
        self.ingest_requests.with_label_values(&[source, &code.to_string()]).inc();
    }

    pub fn observe_http(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.http.with_label_values(&[method, route, &status.to_string()]).observe(seconds);
    }

    /// Events and rejected events (invalid, conflicting, or for a dossier outside the token's scope)
    /// counted so far, per source.
    pub fn ingest_totals(&self) -> std::collections::BTreeMap<String, (u64, u64)> {
        use prometheus::core::Collector;
        let mut out: std::collections::BTreeMap<String, (u64, u64)> = Default::default();
        for family in self.ingest_events.collect() {
            for m in family.get_metric() {
                let label = |name: &str| m.get_label().iter().find(|l| l.name() == name).map(|l| l.value().to_string()).unwrap_or_default();
                let n = m.get_counter().value() as u64;
                let entry = out.entry(label("source")).or_default();
                entry.0 += n;
                if matches!(label("outcome").as_str(), "invalid" | "conflict" | "foreign") {
                    entry.1 += n;
                }
            }
        }
        out
    }

    /// The text exposition in two parts to send one after the other: the snapshot families as encoded
    /// at the last `apply` (shared, not copied: it is most of the text), then the live ones.
    /// CPU work: call it off the async workers (as `apply` is).
    pub fn encode(&self) -> [Bytes; 2] {
        let snapshot = self.snapshot_text.read().expect("not poisoned").clone();
        [snapshot, Bytes::from(encode(&self.live_registry))]
    }
}

fn encode(registry: &Registry) -> Vec<u8> {
    let mut out = Vec::with_capacity(256 * 1024);
    TextEncoder::new().encode(&registry.gather(), &mut out).expect("text encoding cannot fail");
    out
}
