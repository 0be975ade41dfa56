//! `POST /api/v1/alertmanager`: Alertmanager's webhook payload (version 4) into the dispatcher.

use super::{Alert, AlertState};
use crate::web::error::{AppError, Result};
use crate::web::AppState;
use axum::extract::State;
use axum::http::{header, HeaderMap};
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

pub async fn receive(State(state): State<AppState>, headers: HeaderMap, Json(payload): Json<Payload>) -> Result<Json<serde_json::Value>> {
    if let Some(expected) = &state.settings.alerts.webhook_token {
        let presented = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
        if presented.map(str::trim) != Some(expected.as_str()) {
            return Err(AppError::Unauthorized("invalid or missing Alertmanager token".into()));
        }
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
