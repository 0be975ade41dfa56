//! Alerting: the built-in rules (the same as `alerts/*.yml` for Prometheus), recipients from the unit
//! registry, delivery by email and webhook, and the alert history. Alertmanager's webhook and the
//! built-in evaluator both end in `dispatch`.

pub mod deliver;
pub mod dispatch;
pub mod evaluator;
pub mod mask;
pub mod message;
pub mod repeats;
pub mod rules;
pub mod schedule;

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertState {
    Firing,
    Resolved,
}

impl AlertState {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertState::Firing => "firing",
            AlertState::Resolved => "resolved",
        }
    }
}

/// An alert as Alertmanager knows it: identity in labels, text in annotations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    pub state: AlertState,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// RFC 3339.
    pub starts_at: String,
}

impl Alert {
    pub fn name(&self) -> &str {
        self.labels.get("alertname").map(String::as_str).unwrap_or("")
    }
    pub fn label(&self, k: &str) -> Option<&str> {
        self.labels.get(k).map(String::as_str)
    }
    pub fn annotation(&self, k: &str) -> &str {
        self.annotations.get(k).map(String::as_str).unwrap_or("")
    }
    /// Identity for the evaluator's firing set: the labels.
    pub fn key(&self) -> String {
        self.labels.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")
    }
}
