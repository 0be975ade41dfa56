//! HTTP: the ingest endpoint, the JSON/CSV read API and the pages, on one router.

pub mod api;
pub mod error;
pub mod format;
pub mod ingest;
pub mod pages;
pub mod params;

use crate::store::Store;
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
        .route("/", get(pages::league::page))
        .route("/units/{code}", get(pages::unit::page))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
