//! dvc-monitor: which departments and communes handle citizens' dossiers fully online, month by month.

pub mod alerting;
pub mod bench;
pub mod commands;
pub mod config;
pub mod demo;
pub mod domain;
pub mod ingest;
pub mod metrics;
pub mod registry;
pub mod report;
pub mod store;
pub mod web;

pub use web::{build_router, AppState, Clock, Settings};

/// Serves the router on an already-bound listener (tests bind port 0) until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    axum::serve(listener, router).with_graceful_shutdown(shutdown).await?;
    Ok(())
}
