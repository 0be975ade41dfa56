//! HTTP: the ingest endpoint, the JSON/CSV read API and the pages, on one router.

pub mod api;
pub mod error;
pub mod format;
pub mod ingest;
pub mod observe;
pub mod pages;
pub mod params;

use crate::metrics::Metrics;
use crate::report::snapshot::snapshot;
use crate::store::Store;
use std::time::{Duration, Instant};
use tokio::sync::Notify;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use std::sync::Arc;
use tower_http::trace::TraceLayer;

/// What the time is, for statuses of the current month. Tests and replays fix it.
#[derive(Debug, Clone, Copy)]
pub enum Clock {
    System,
    Fixed(i64),
}

impl Clock {
    pub fn now_ms(self) -> i64 {
        match self {
            Clock::System => chrono::Utc::now().timestamp_millis(),
            Clock::Fixed(ms) => ms,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    /// Below this denominator a unit-month is `insufficient_data` (kpi.md).
    pub min_volume: i64,
    /// Largest accepted request body; larger ones get 413.
    pub max_body_bytes: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { min_volume: crate::domain::kpi::DEFAULT_MIN_VOLUME, max_body_bytes: 16 * 1024 * 1024 }
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
}

/// How often the metrics snapshot is refreshed without ingest, and how often it looks back a year.
const REFRESH_EVERY: Duration = Duration::from_secs(15);
const LOOK_BACK_EVERY: Duration = Duration::from_secs(300);

impl AppState {
    /// The state of a running service; starts the metrics refresher (call inside a Tokio runtime).
    pub fn new(store: Arc<dyn Store>, settings: Settings, clock: Clock) -> AppState {
        let state = AppState { store, settings: Arc::new(settings), clock, metrics: Arc::new(Metrics::new()), stored: Arc::new(Notify::new()) };
        tokio::spawn(refresh_metrics(state.clone()));
        state
    }
}

/// Keeps the unit series of `/metrics` in step with the store: after ingest (at most once a second),
/// every 15 s otherwise, and with a year's look-back every 5 minutes. Reading the store, rather than
/// counting in memory, keeps replicas on one database in agreement.
async fn refresh_metrics(state: AppState) {
    let mut looked_back: Option<Instant> = None;
    loop {
        let look_back = looked_back.is_none_or(|t| t.elapsed() >= LOOK_BACK_EVERY);
        match snapshot(state.store.as_ref(), state.settings.min_volume, state.clock.now_ms(), look_back).await {
            Ok(s) => {
                state.metrics.apply(&s);
                if look_back {
                    looked_back = Some(Instant::now());
                }
            }
            Err(e) => tracing::warn!(error = %e, "metrics refresh failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(REFRESH_EVERY) => {}
            _ = state.stored.notified() => tokio::time::sleep(Duration::from_secs(1)).await,
        }
    }
}

pub fn build_router(state: AppState) -> Router {
    let max_body = state.settings.max_body_bytes;
    Router::new()
        .route("/api/v1/events", post(ingest::post_events).layer(DefaultBodyLimit::max(max_body)))
        .route("/api/v1/league", get(api::league))
        .route("/api/v1/units/{code}", get(api::unit))
        .route("/api/v1/aggregate", get(api::aggregate))
        .route("/healthz", get(api::healthz))
        .route("/readyz", get(api::readyz))
        .route("/metrics", get(observe::metrics))
        .route("/", get(pages::league::page))
        .route("/units/{code}", get(pages::unit::page))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), observe::time_requests))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
