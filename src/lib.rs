//! dvc-monitor: which departments and communes handle citizens' dossiers fully online, month by month.

pub mod alerting;
pub mod bench;
pub mod clock;
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

pub use clock::Clock;
pub use web::{build_router, AppState, Settings};

/// What one connection may hold, and for how long: bounds on what slow or hostile clients can take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerLimits {
    /// A request's headers (and the next request on an idle keep-alive connection) must arrive within
    /// this; otherwise the connection is closed.
    pub header_read_timeout: std::time::Duration,
    /// Connections served at once; further clients wait in the listen queue until one closes.
    pub max_connections: usize,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits { header_read_timeout: std::time::Duration::from_secs(10), max_connections: 512 }
    }
}

/// Serves the router on an already-bound listener (tests bind port 0) until `shutdown` completes, with
/// the default [`ServerLimits`].
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    serve_with(listener, router, ServerLimits::default(), shutdown).await
}

/// Largest read buffer of a connection: headers beyond it are refused (431). Bodies are read through it
/// in pieces, so it also bounds what an idle or slow connection holds.
const MAX_CONNECTION_BUFFER: usize = 64 * 1024;

/// Serves HTTP/1.1 on the listener with `limits` until `shutdown` completes; then stops accepting, lets
/// the requests in flight finish (idle connections are closed) and returns once every connection is gone.
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    limits: ServerLimits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use hyper_util::service::TowerToHyperService;
    use std::sync::Arc;

    let max = limits.max_connections.clamp(1, tokio::sync::Semaphore::MAX_PERMITS);
    let slots = Arc::new(tokio::sync::Semaphore::new(max));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout).max_buf_size(MAX_CONNECTION_BUFFER);
    loop {
        // A free slot first: at the limit, new clients wait in the kernel's listen queue.
        let slot = tokio::select! {
            permit = slots.clone().acquire_owned() => permit.expect("never closed"),
            _ = &mut shutdown => break,
        };
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(router.clone());
        let builder = builder.clone();
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let conn = builder.serve_connection(TokioIo::new(stream), service);
            let mut conn = std::pin::pin!(conn);
            let mut stopping = false;
            loop {
                tokio::select! {
                    result = conn.as_mut() => {
                        if let Err(e) = result {
                            tracing::debug!(%remote, error = %e, "connection ended");
                        }
                        break;
                    }
                    _ = stop.wait_for(|s| *s), if !stopping => {
                        stopping = true;
                        conn.as_mut().graceful_shutdown();
                    }
                }
            }
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    // Every connection gives its slot back when it ends.
    let _all = slots.acquire_many(max as u32).await.expect("never closed");
    Ok(())
}
