//! `POST /api/v1/national-sync/dossiers` and `/steps`: the national-sync collector
//! (`ingest::national_sync`), with the tokens, limits and load shedding of `POST /api/v1/events`, and
//! answers in the shape provincial systems handle (`{"error_code", "message"}`).

use super::error::{AppError, Result};
use super::{ingest, AppState};
use crate::ingest::national_sync::{self, Answer, Call};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

/// Dossier snapshots (create or update), one or a list, bare or in the wrappings real systems send.
#[utoipa::path(post, path = "/api/v1/national-sync/dossiers", tag = "ingest", security(("collector_token" = [])),
    request_body(description = "A snapshot (`HoSoDongBoDVC`), a list, `{\"data\": [...]}` or `{\"hoSo\": {...}, \"tienTrinhDongBo\": [...]}`; as it is, or in gzip or zstd with `Content-Encoding`", content = Object, content_type = "application/json"),
    responses(
        (status = 200, description = "`error_code` \"0\": stored; per dossier in `results` when a list was sent (\"0\" stored, \"1\" refused, \"2\" send again later)", body = Answer),
        (status = 400, description = "Not a snapshot or step list at all", body = Answer),
        (status = 401, description = "No valid collector token", body = Answer),
        (status = 413, description = "The body is over the limit, or decodes to more than it", body = Answer),
        (status = 415, description = "A `Content-Encoding` other than gzip or zstd", body = Answer),
        (status = 503, description = "Busy or the database is unavailable: retry after `Retry-After`", body = Answer)))]
pub async fn post_dossiers(State(state): State<AppState>, request: Request) -> Response {
    post(state, request, Call::Dossiers).await
}

/// Processing steps (`QuaTrinhXuLyDongBoDVC`), in chunks.
#[utoipa::path(post, path = "/api/v1/national-sync/steps", tag = "ingest", security(("collector_token" = [])),
    request_body(description = "A list of steps, or `{\"data\": [...]}`; as it is, or in gzip or zstd with `Content-Encoding`", content = Object, content_type = "application/json"),
    responses(
        (status = 200, description = "`error_code` \"0\": stored; per dossier in `results` when a list was sent (\"0\" stored, \"1\" refused, \"2\" send again later)", body = Answer),
        (status = 400, description = "Not a snapshot or step list at all", body = Answer),
        (status = 401, description = "No valid collector token", body = Answer),
        (status = 413, description = "The body is over the limit, or decodes to more than it", body = Answer),
        (status = 415, description = "A `Content-Encoding` other than gzip or zstd", body = Answer),
        (status = 503, description = "Busy or the database is unavailable: retry after `Retry-After`", body = Answer)))]
pub async fn post_steps(State(state): State<AppState>, request: Request) -> Response {
    post(state, request, Call::Steps).await
}

async fn post(state: AppState, request: Request, call: Call) -> Response {
    let (parts, body) = request.into_parts();
    let (source, result) = handle(&state, &parts.headers, body, call).await;
    let response = match result {
        Ok(response) => response,
        Err(e) => in_shape(e).await,
    };
    state.metrics.record_request(&source, response.status().as_u16());
    response
}

/// Returns the source (`unknown` before the token is known) and the answer. As for native events, the
/// token is checked from the headers before any of the body is read.
async fn handle(state: &AppState, headers: &HeaderMap, body: Body, call: Call) -> (String, Result<Response>) {
    let (token, body) = match ingest::token_and_body(state, headers, body).await {
        Ok(read) => read,
        Err((source, e)) => return (source, Err(e)),
    };
    let settings = &state.settings;
    let _slot = match tokio::time::timeout(settings.ingest_wait, state.ingest_slots.acquire()).await {
        Ok(Ok(permit)) => permit,
        _ => {
            let busy = Answer { error_code: "503".into(), message: "the service is busy storing other batches; retry after 2 seconds".into(), results: None };
            return (token.source, Ok((StatusCode::SERVICE_UNAVAILABLE, [(header::RETRY_AFTER, "2")], Json(busy)).into_response()));
        }
    };
    let result = async {
        let registry = state.store.registry().await?;
        let now_ms = state.clock.now_ms();
        // Reading and mapping a large body is CPU work: off the async workers.
        let plan = {
            let (registry, source) = (registry.clone(), token.source.clone());
            tokio::task::spawn_blocking(move || national_sync::plan(&registry, &source, call, &body, now_ms))
                .await
                .map_err(|e| AppError::Internal(format!("national-sync task failed: {e}")))?
                .map_err(AppError::BadRequest)?
        };
        let collected = national_sync::collect(state.store.as_ref(), &registry, &token, plan, now_ms).await?;
        if !collected.unmapped.is_empty() {
            let seen: Vec<(String, String)> = collected.unmapped.iter().map(|c| (token.source.clone(), c.clone())).collect();
            state.store.record_unmapped_codes(&seen, now_ms).await?;
        }
        state.metrics.record_batch(&token.source, &collected.events);
        state.metrics.record_national_sync(&token.source, call.as_str(), &collected.answer.tally());
        if collected.events.accepted > 0 {
            state.stored.notify_one();
        }
        Ok((StatusCode::OK, Json(collected.answer)).into_response())
    }
    .await;
    (token.source, result)
}

/// An error of the service (401, 400, 408, 413, 503…) in the answer shape: the HTTP status as
/// `error_code`, the same message, the same headers (`WWW-Authenticate`, `Retry-After`, `Connection`).
async fn in_shape(e: AppError) -> Response {
    let response = e.into_response();
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024).await.unwrap_or_default();
    let message = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| v.get("error").and_then(|m| m.as_str()).map(String::from))
        .unwrap_or_default();
    parts.headers.remove(header::CONTENT_LENGTH);
    let answer = Answer { error_code: parts.status.as_u16().to_string(), message, results: None };
    (parts.status, parts.headers, Json(answer)).into_response()
}
