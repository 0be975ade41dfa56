//! `POST /api/v1/alertmanager`: Alertmanager's webhook payload (version 4) into the dispatcher.

use super::error::{AppError, Result};
use super::{credential, upload, AppState};
use crate::alerting::{Alert, AlertState};
use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::Json;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Payload {
    pub alerts: Vec<PayloadAlert>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PayloadAlert {
    pub status: String,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    #[serde(default)]
    pub starts_at: String,
}

/// Checks Alertmanager's credential before reading anything of the body: with `--alertmanager-token`
/// the request must carry `Authorization: Bearer <token>`; without a token the endpoint is closed unless
/// the operator opened it explicitly (`--alertmanager-open`).
pub async fn receive(State(state): State<AppState>, request: Request) -> Result<Json<serde_json::Value>> {
    let (parts, body) = request.into_parts();
    authorise(&state, &parts.headers)?;
    let body = upload::read(&parts.headers, body, state.settings.max_body_bytes, state.settings.body_timeout).await?;
    let payload: Payload =
        serde_json::from_slice(&body).map_err(|e| AppError::BadRequest(format!("not an Alertmanager webhook payload (version 4): {e}")))?;
    // What the alert history cannot hold is refused whole, before anything is delivered or recorded.
    let texts = payload.alerts.iter().flat_map(|a| a.labels.iter().chain(&a.annotations).flat_map(|(k, v)| [k, v]).chain([&a.status, &a.starts_at]));
    if texts.into_iter().any(|t| t.contains('\0')) {
        return Err(AppError::BadRequest("a label, annotation, status or time contains a NUL character".into()));
    }
    let alerts: Vec<Alert> = payload
        .alerts
        .into_iter()
        .map(|a| Alert {
            state: if a.status == "resolved" { AlertState::Resolved } else { AlertState::Firing },
            labels: a.labels,
            annotations: a.annotations,
            starts_at: a.starts_at,
        })
        .collect();
    let received = alerts.len();
    let records = state.dispatcher.dispatch(alerts).await?;
    let sent = records.iter().filter(|r| r.outcome == "sent").count();
    Ok(Json(serde_json::json!({"received": received, "sent": sent, "failed": records.len() - sent})))
}

fn authorise(state: &AppState, headers: &HeaderMap) -> Result<()> {
    let alerts = &state.settings.alerts;
    match alerts.webhook_token.as_deref() {
        Some(expected) => match credential::bearer(headers) {
            Some(presented) if credential::matches(presented, expected) => Ok(()),
            Some(_) => Err(AppError::Unauthorized("invalid Alertmanager token".into())),
            None => Err(AppError::Unauthorized(
                "missing Alertmanager token: send Authorization: Bearer <--alertmanager-token> (http_config.authorization in the receiver)".into(),
            )),
        },
        None if alerts.webhook_open => Ok(()),
        None => Err(AppError::Forbidden(
            "this endpoint is closed: start dvc-monitor with --alertmanager-token (and give Alertmanager the same token) or, where only Alertmanager can reach it, --alertmanager-open".into(),
        )),
    }
}
