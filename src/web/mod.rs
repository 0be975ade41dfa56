//! HTTP: the ingest endpoint, the JSON/CSV read API and the pages, on one router.

pub mod alertmanager;
pub mod api;
pub mod background;
pub mod credential;
pub mod error;
pub mod export;
pub mod format;
pub mod ingest;
pub mod national_sync;
pub mod observe;
pub mod openapi;
pub mod page_buffers;
pub mod page_cache;
pub mod pages;
pub mod params;
pub mod upload;
pub mod viewer;
pub mod weekly;

use crate::alerting::deliver::{ConfigError, Deliverer};
use crate::alerting::dispatch::Dispatcher;
use crate::metrics::Metrics;
use crate::report::snapshot::{snapshot, Snapshot};
use std::sync::RwLock;
use crate::store::Store;
use std::time::{Duration, Instant};
use tokio::sync::Notify;
use axum::routing::{get, post};
use axum::Router;
use std::sync::Arc;
use tower_http::trace::TraceLayer;

pub use crate::clock::Clock;

#[derive(Debug, Clone)]
pub struct Settings {
    /// Below this denominator a unit-month is `insufficient_data` (kpi.md).
    pub min_volume: i64,
    /// Largest accepted request body; larger ones get 413.
    pub max_body_bytes: usize,
    /// A request body (read only once its sender is authenticated) must arrive within this; else 408.
    pub body_timeout: Duration,
    /// When set, pages, read API and exports ask for it (Bearer, or Basic with any user name).
    pub viewer_token: Option<String>,
    /// Ingest requests processed at once; more wait up to `ingest_wait`, then get 503 with Retry-After.
    pub max_concurrent_ingest: usize,
    pub ingest_wait: Duration,
    pub alerts: AlertSettings,
    /// The demo serves a local inbox of its heads' messages (`demo::inbox`): the alert list links to it.
    pub demo_inbox: bool,
    /// When the weekly quick report goes out (`web::weekly`); none: never on its own.
    pub weekly_report: Option<crate::alerting::schedule::WeeklySchedule>,
    /// The national index's points (`/units/CODE/index`).
    pub index_scheme: std::sync::Arc<crate::domain::index_scheme::Scheme>,
    /// `/metrics` writes the unit families of the index's indicators too.
    pub metrics_index_indicators: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            min_volume: crate::domain::kpi::DEFAULT_MIN_VOLUME,
            max_body_bytes: 16 * 1024 * 1024,
            body_timeout: Duration::from_secs(60),
            viewer_token: None,
            max_concurrent_ingest: 8,
            ingest_wait: Duration::from_secs(5),
            alerts: AlertSettings::default(),
            demo_inbox: false,
            weekly_report: None,
            index_scheme: std::sync::Arc::new(crate::domain::index_scheme::Scheme::shipped()),
            metrics_index_indicators: false,
        }
    }
}

/// Alerting: where messages go, and the built-in evaluator.
#[derive(Debug, Clone)]
pub struct AlertSettings {
    pub rules: crate::alerting::rules::Settings,
    /// `smtp://host:port` and the sender's mailbox; without it, alerts go to webhooks only.
    pub smtp_url: Option<String>,
    pub smtp_from: String,
    /// Bearer token Alertmanager must present on `/api/v1/alertmanager`.
    pub webhook_token: Option<String>,
    /// Accept `/api/v1/alertmanager` without a token (`--alertmanager-open`). Without a token and
    /// without this, the endpoint refuses every request.
    pub webhook_open: bool,
    /// The built-in evaluator's period; None turns it off (Prometheus evaluates the rules instead).
    pub evaluate_every: Option<Duration>,
    /// Push the built-in evaluator's alerts to this Alertmanager instead of delivering them directly.
    pub alertmanager_url: Option<String>,
    /// Group messages per recipient and send them every period instead of at once.
    pub digest: Option<Duration>,
    /// The clock of the times sent to Alertmanager (`startsAt`, `endsAt`): Alertmanager expires alerts
    /// on its own, real clock, whatever instant the figures are judged at (a test's fixed day, `demo --now`).
    pub alertmanager_clock: Clock,
}

impl Default for AlertSettings {
    fn default() -> Self {
        AlertSettings {
            rules: Default::default(),
            smtp_url: None,
            smtp_from: "dvc-monitor <dvc-monitor@localhost>".into(),
            webhook_token: None,
            webhook_open: false,
            evaluate_every: None,
            alertmanager_url: None,
            digest: None,
            alertmanager_clock: Clock::System,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub settings: Arc<Settings>,
    pub clock: Clock,
    pub metrics: Arc<Metrics>,
    /// Wakes the metrics refresher after a batch is stored.
    pub stored: Arc<Notify>,
    /// The latest metrics snapshot, which the built-in alert evaluator reads too.
    pub snapshot: Arc<RwLock<Option<Arc<Snapshot>>>>,
    pub dispatcher: Arc<Dispatcher>,
    /// Bounds the ingest requests in progress (see `Settings::max_concurrent_ingest`).
    pub ingest_slots: Arc<tokio::sync::Semaphore>,
    /// Rendered league pages (`page_cache.rs`).
    pub pages: Arc<page_cache::PageCache>,
    /// Buffers of rendered pages kept between requests (`page_buffers.rs`).
    pub page_buffers: Arc<page_buffers::PageBuffers>,
}

/// How often the metrics snapshot is refreshed without ingest, and how often it looks back a year.
const REFRESH_EVERY: Duration = Duration::from_secs(15);
const LOOK_BACK_EVERY: Duration = Duration::from_secs(60);
/// After a stored batch, wait this long so that a stream of batches costs one refresh.
const AFTER_INGEST: Duration = Duration::from_secs(5);

impl AppState {
    /// The state of a service; builds values only (no task is started: see `start_background`). Fails
    /// on an unusable SMTP setting.
    pub fn new(store: Arc<dyn Store>, settings: Settings, clock: Clock) -> Result<AppState, ConfigError> {
        let a = &settings.alerts;
        let deliverer = Deliverer::new(a.smtp_url.as_deref(), &a.smtp_from)?;
        let dispatcher = Dispatcher::new(store.clone(), clock, deliverer, a.digest);
        let settings_slots = settings.max_concurrent_ingest.max(1);
        let exported = crate::metrics::exported_indicators(settings.metrics_index_indicators);
        let state = AppState {
            store,
            settings: Arc::new(settings),
            clock,
            metrics: Arc::new(Metrics::with_indicators(exported)),
            stored: Arc::new(Notify::new()),
            snapshot: Arc::new(RwLock::new(None)),
            dispatcher,
            ingest_slots: Arc::new(tokio::sync::Semaphore::new(settings_slots)),
            pages: Arc::new(page_cache::PageCache::new(8, crate::store::CACHE_TTL)),
            // One spare buffer: the page cache holds the others while they are served.
            page_buffers: page_buffers::PageBuffers::new(1, 16 << 20),
        };
        Ok(state)
    }

    /// Starts what a running service does on its own: the metrics refresher, and when configured the
    /// alert evaluator and the digest of alert messages (inside a Tokio runtime). Called by the serve
    /// command (and the demo, and tests that serve), not by the constructor, so the parts can be built
    /// and tested without tasks running behind them.
    pub fn start_background(&self) {
        tokio::spawn(refresh_metrics(self.clone()));
        if let Some(every) = self.settings.alerts.evaluate_every {
            tokio::spawn(background::evaluate_alerts(self.clone(), every));
        }
        if self.settings.alerts.digest.is_some() {
            tokio::spawn(self.dispatcher.clone().run_digest());
        }
        if let Some(schedule) = self.settings.weekly_report {
            tokio::spawn(weekly::run(self.clone(), schedule));
        }
    }

    pub fn latest_snapshot(&self) -> Option<Arc<Snapshot>> {
        self.snapshot.read().expect("not poisoned").clone()
    }
}

/// Keeps the unit series of `/metrics` in step with the store: after ingest (at most every 5 s),
/// every 15 s otherwise, and with a year's look-back at most once a minute. Reading the store, rather than
/// counting in memory, keeps replicas on one database in agreement.
async fn refresh_metrics(state: AppState) {
    let mut looked_back: Option<Instant> = None;
    loop {
        let look_back = looked_back.is_none_or(|t| t.elapsed() >= LOOK_BACK_EVERY);
        match snapshot(state.store.as_ref(), state.settings.min_volume, state.clock.now_ms(), look_back).await {
            Ok(mut s) => {
                if look_back {
                    looked_back = Some(Instant::now());
                } else if let Some(previous) = state.latest_snapshot() {
                    // Months behind change at most with late events; keep the last look-back's count.
                    for (unit, series) in s.series.iter_mut() {
                        series.months_behind = previous.series.get(unit).and_then(|p| p.months_behind);
                    }
                }
                let s = Arc::new(s);
                // Writing ~100,000 series is CPU work: off the async workers.
                let (metrics, snap) = (state.metrics.clone(), s.clone());
                if let Err(e) = tokio::task::spawn_blocking(move || metrics.apply(&snap)).await {
                    tracing::error!(error = %e, "metrics update failed");
                }
                *state.snapshot.write().expect("not poisoned") = Some(s);
            }
            Err(e) => tracing::warn!(error = %e, "metrics refresh failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(REFRESH_EVERY) => {}
            _ = state.stored.notified() => tokio::time::sleep(AFTER_INGEST).await,
        }
    }
}

/// Headers every answer carries: no sniffing, no framing, no referrer, and a policy that allows only
/// this site's own resources (the pages need no script; their styles are inline).
async fn security_headers(mut response: axum::response::Response) -> axum::response::Response {
    use axum::http::{header, HeaderValue};
    let h = response.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'"),
    );
    response
}

/// Responses in gzip or zstd when the client accepts them: the commune league page is megabytes of HTML
/// that a provincial network carries in a tenth of the bytes, and Prometheus asks for gzip. The fastest
/// level: the gain over it is a few bytes, its cost a few milliseconds per megabyte. Workbooks are zip
/// archives already; bodies under 32 bytes gain nothing.
fn compression() -> tower_http::compression::CompressionLayer<impl tower_http::compression::Predicate> {
    use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
    use tower_http::compression::{CompressionLayer, CompressionLevel};
    CompressionLayer::new()
        .quality(CompressionLevel::Fastest)
        .compress_when(DefaultPredicate::new().and(NotForContentType::const_new("application/vnd.openxmlformats")))
}

pub fn build_router(state: AppState) -> Router {
    build_router_with(state, Router::new(), Router::new())
}

/// The service's routes with more of them: `open_extra` beside the ingest endpoints, `read_extra` beside
/// the pages (behind the viewer credential when one is set); both under the same layers (the demo's inbox).
pub fn build_router_with(state: AppState, open_extra: Router<AppState>, read_extra: Router<AppState>) -> Router {
    // What leaders read: public, or behind the viewer credential when one is configured.
    let read = Router::new()
        .route("/api/v1/league", get(api::league))
        .route("/api/v1/units/{code}", get(api::unit))
        .route("/api/v1/units/{code}/dossiers", get(api::unit_dossiers))
        .route("/api/v1/units/{code}/index", get(api::unit_index))
        .route("/api/v1/aggregate", get(api::aggregate))
        .route("/api/v1/alerts", get(api::alerts))
        .route("/api/v1/targets", get(api::targets))
        .route("/api/v1/sender-codes/unmapped", get(api::unmapped_sender_codes))
        .route("/sender-codes", get(pages::senders::page))
        .route("/alerts", get(pages::alerts::page))
        .route("/runbook", get(pages::runbook::page))
        .route("/", get(pages::league::page))
        .route("/units/{code}", get(pages::unit::page))
        .route("/scorecard", get(pages::scorecard::page))
        .route("/report", get(pages::report::monthly))
        .route("/report/week", get(pages::report::weekly))
        .route("/units/{code}/dossiers", get(pages::dossiers::page))
        .route("/units/{code}/index", get(pages::index::page))
        .route("/export/league.csv", get(export::league_csv))
        .route("/export/league.xlsx", get(export::league_xlsx))
        .route("/export/report.xlsx", get(export::report_xlsx))
        .route("/export/report-week.xlsx", get(export::report_week_xlsx))
        .route("/export/units/{file}", get(export::unit))
        .route("/export/units/{code}/{file}", get(export::unit_dossiers))
        .merge(read_extra)
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), viewer::require));
    Router::new()
        // Bodies are read by the handlers themselves, after authentication (`upload.rs`).
        .route("/api/v1/events", post(ingest::post_events))
        .route("/api/v1/national-sync/dossiers", post(national_sync::post_dossiers))
        .route("/api/v1/national-sync/steps", post(national_sync::post_steps))
        .route("/healthz", get(api::healthz))
        .route("/api/v1/openapi.json", get(openapi::openapi_json))
        .route("/readyz", get(api::readyz))
        .route("/metrics", get(observe::metrics))
        .route("/api/v1/alertmanager", post(alertmanager::receive))
        .merge(open_extra)
        .merge(read)
        .layer(compression())
        // Every request, matched or not, so that unknown paths and methods are counted (as `other`).
        .layer(axum::middleware::from_fn_with_state(state.clone(), observe::time_requests))
        .layer(axum::middleware::map_response(security_headers))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
