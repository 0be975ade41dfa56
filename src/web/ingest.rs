//! `POST /api/v1/events`: the ingest contract of events.md.

use super::error::{AppError, Result};
use super::AppState;
use crate::ingest::{body, ingest_batch, token, BatchReport};
use crate::registry::Registry;
use crate::store::TokenRecord;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::Json;

pub async fn post_events(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<Json<BatchReport>> {
    let token = authenticate(&state, &headers).await?;
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let items = body::split(content_type, &body).map_err(AppError::BadRequest)?;
    let registry = Registry::load(state.store.as_ref()).await?;
    let report = ingest_batch(state.store.as_ref(), &registry, &token, items, state.clock.now_ms()).await?;
    tracing::debug!(
        source = %token.source,
        accepted = report.accepted,
        duplicates = report.duplicates,
        rejected = report.rejected.len(),
        "batch ingested"
    );
    Ok(Json(report))
}

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
