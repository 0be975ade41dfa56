//! `POST /api/v1/events`: the ingest contract of events.md.

use super::error::{AppError, Result};
use super::openapi::ErrorBody;
use super::{upload, AppState};
use crate::ingest::{self, body, token, BatchReport};
use crate::store::TokenRecord;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

/// Takes the raw body: nothing of it is read before the token is checked, so a caller without a valid
/// token costs a header's worth of memory, whatever it sends.
#[utoipa::path(post, path = "/api/v1/events", tag = "ingest", security(("collector_token" = [])),
    request_body(description = "A JSON array of events, one JSON event, or NDJSON (one event a line); as it is, or in gzip or zstd with `Content-Encoding`",
        content((Vec<super::openapi::NativeEvent> = "application/json"), (String = "application/x-ndjson"))),
    responses(
        (status = 200, description = "Every event accounted for: accepted + duplicates + rejected = sent", body = BatchReport),
        (status = 400, description = "Not JSON or NDJSON at all; nothing stored", body = ErrorBody),
        (status = 401, description = "No valid collector token", body = ErrorBody),
        (status = 408, description = "The body did not arrive in time", body = ErrorBody),
        (status = 413, description = "The body is over the limit, or decodes to more than it", body = ErrorBody),
        (status = 415, description = "A `Content-Encoding` other than gzip or zstd", body = ErrorBody),
        (status = 503, description = "Busy or the database is unavailable: retry after `Retry-After`", body = ErrorBody)))]
pub async fn post_events(State(state): State<AppState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let (source, result) = handle(&state, &parts.headers, body).await;
    let response = result.into_response();
    state.metrics.record_request(&source, response.status().as_u16());
    response
}

/// Returns the source (`unknown` before the token is known) and the answer.
async fn handle(state: &AppState, headers: &HeaderMap, body: Body) -> (String, Result<Response>) {
    let (token, body) = match token_and_body(state, headers, body).await {
        Ok(read) => read,
        Err((source, e)) => return (source, Err(e)),
    };
    // Bounded work in progress: when the store falls behind, callers are told to come back rather than
    // queue without limit (agency systems retry).
    let _slot = match tokio::time::timeout(state.settings.ingest_wait, state.ingest_slots.acquire()).await {
        Ok(Ok(permit)) => permit,
        _ => {
            let busy = (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::RETRY_AFTER, "2")],
                Json(ErrorBody { error: "the service is busy storing other batches; retry after 2 seconds".into() }),
            );
            return (token.source, Ok(busy.into_response()));
        }
    };
    let result = async {
        let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(String::from);
        let registry = state.store.registry().await?;
        let now_ms = state.clock.now_ms();
        // Parsing and validating thousands of events is CPU work: off the async workers, which must stay
        // free to drive the store's writer between its statements.
        let checked = {
            let (registry, token) = (registry.clone(), token.clone());
            tokio::task::spawn_blocking(move || {
                let items = body::split(content_type.as_deref(), &body)?;
                Ok::<_, String>(ingest::check(&registry, &token, items, now_ms))
            })
            .await
            .map_err(|e| AppError::Internal(format!("validation task failed: {e}")))?
            .map_err(AppError::BadRequest)?
        };
        let report: BatchReport = ingest::store(state.store.as_ref(), checked, now_ms).await?;
        state.metrics.record_batch(&token.source, &report);
        if report.accepted > 0 {
            state.stored.notify_one();
        }
        Ok((StatusCode::OK, Json(report)).into_response())
    }
    .await;
    (token.source, result)
}

/// The collector token of a request, then its body: the body is read only once the token is valid, up
/// to --max-body-bytes (413 beyond) and within --body-timeout-seconds (408). Err carries the source
/// known so far (`unknown` before the token is).
pub(super) async fn token_and_body(state: &AppState, headers: &HeaderMap, body: Body) -> Result<(TokenRecord, axum::body::Bytes), (String, AppError)> {
    let token = authenticate(state, headers).await.map_err(|e| ("unknown".to_string(), e))?;
    let settings = &state.settings;
    match upload::read(headers, body, settings.max_body_bytes, settings.body_timeout).await {
        Ok(b) => Ok((token, b)),
        Err(e) => Err((token.source, e)),
    }
}

/// The collector token of a request, from its headers alone (the national-sync collector uses it too).
async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<TokenRecord> {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or_else(|| AppError::Unauthorized("missing bearer token: send Authorization: Bearer <token>".into()))?;
    match state.store.token_by_hash(&token::hash(presented)).await? {
        Some(t) if t.revoked_at.is_none() => Ok(t),
        _ => Err(AppError::Unauthorized("invalid or revoked token".into())),
    }
}
