//! Request durations by route template, and the `/metrics` endpoint.

use super::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::time::Instant;

/// The `route` label of requests that matched no route, and the `method` label of unusual methods: label
/// values come from fixed sets (the router's templates, the standard methods), so no request adds series.
pub const OTHER: &str = "other";

/// The standard methods keep their name; anything a client invents is `other`.
pub fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        Method::PATCH => "PATCH",
        Method::TRACE => "TRACE",
        Method::CONNECT => "CONNECT",
        _ => OTHER,
    }
}

/// Times every request, labelled by route template (`other` when none matched) and method.
pub async fn time_requests(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned()).unwrap_or_else(|| OTHER.into());
    let method = method_label(request.method());
    let started = Instant::now();
    let response = next.run(request).await;
    state.metrics.observe_http(method, &route, response.status().as_u16(), started.elapsed().as_secs_f64());
    response
}

/// Encodes on a blocking thread: gathering ~100,000 series is CPU work the async workers must not do.
pub async fn metrics(State(state): State<AppState>) -> Response {
    let metrics = state.metrics.clone();
    match tokio::task::spawn_blocking(move || metrics.encode()).await {
        Ok(parts) => {
            let length = parts.iter().map(|p| p.len()).sum::<usize>();
            let body = axum::body::Body::from_stream(futures_util::stream::iter(parts.map(Ok::<_, std::convert::Infallible>)));
            ([(header::CONTENT_TYPE, prometheus::TEXT_FORMAT.to_string()), (header::CONTENT_LENGTH, length.to_string())], body).into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "metrics encoding failed");
            axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
