//! Ingest: parse → validate → authorise (token scope) → one transaction per batch.

pub mod body;
pub mod history;
pub mod national_sync;
pub mod token;

use crate::domain::{event, scope, Scope};
use std::sync::Arc;
use crate::registry::Registry;
use crate::store::{Outcome, Store, StoreError, TokenRecord};
use serde::Serialize;

#[derive(Debug, Default, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct BatchReport {
    pub accepted: usize,
    pub duplicates: usize,
    pub rejected: Vec<Rejection>,
    /// How many of `rejected` are conflicts.
    #[serde(skip)]
    pub conflicts: usize,
    /// How many of `rejected` reached a dossier held outside the token's scope (the rest failed validation).
    #[serde(skip)]
    pub foreign: usize,
}

#[derive(Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Rejection {
    /// Position of the event in the batch, from 0 (for NDJSON: among the non-blank lines).
    pub index: usize,
    pub id: Option<String>,
    pub error: String,
}

/// A batch after validation: the valid events with their positions, and what was rejected.
pub struct Checked {
    valid: Vec<event::Event>,
    /// The token's scope: the store judges each new event's dossier by it (`domain::scope`).
    scope: Arc<Scope>,
    positions: Vec<(usize, Option<String>)>,
    report: BatchReport,
}

impl Checked {
    /// What validation refused, by position in the batch.
    pub fn rejected(&self) -> &[Rejection] {
        &self.report.rejected
    }
}

/// Validates every element against the contract, the registry and the token's scope. Pure CPU work:
/// the HTTP handler runs it on a blocking thread so the store's writer is never kept waiting.
pub fn check(registry: &Registry, token: &TokenRecord, items: Vec<body::Item>, now_ms: i64) -> Checked {
    let mut report = BatchReport::default();
    let mut valid = Vec::with_capacity(items.len());
    let mut positions = Vec::with_capacity(items.len());
    let scope = Arc::new(Scope::of(&token.scope, &registry.units));
    for (index, item) in items.into_iter().enumerate() {
        // Echoed so the sender can find the event; a value too long to be an id comes back shortened.
        let id = item.as_ref().ok().and_then(|v| v.get("id")).and_then(|v| v.as_str()).map(|s| event::cut(s.to_string(), event::MAX_ID_CHARS));
        let checked = item.and_then(|v| event::validate(v, &token.source, registry, now_ms)).and_then(|e| {
            if scope.covers(&e.unit) {
                Ok(e)
            } else {
                Err(format!("unit {:?} is outside the scope of this token ({})", e.unit, scope.label()))
            }
        });
        match checked {
            Ok(e) => {
                valid.push(e);
                positions.push((index, id));
            }
            Err(error) => report.rejected.push(Rejection { index, id, error }),
        }
    }
    Checked { valid, scope, positions, report }
}

/// Stores the valid events of a checked batch together and accounts for each element once:
/// `accepted + duplicates + rejected.len()` equals the number of elements.
pub async fn store(store: &dyn Store, checked: Checked, now_ms: i64) -> Result<BatchReport, StoreError> {
    let Checked { valid, scope, positions, mut report } = checked;
    let outcomes = if valid.is_empty() {
        Vec::new()
    } else {
        let scopes = scope.repeated(valid.len());
        store.ingest(valid, scopes, now_ms).await?.outcomes
    };
    for ((index, id), outcome) in positions.into_iter().zip(outcomes) {
        match outcome {
            Outcome::Accepted => report.accepted += 1,
            Outcome::Duplicate => report.duplicates += 1,
            Outcome::Conflict => {
                report.conflicts += 1;
                report.rejected.push(Rejection {
                    index,
                    id,
                    error: "conflict: an event with this id was already received from this source with different content".into(),
                })
            }
            Outcome::Foreign { dossier, holder } => {
                report.foreign += 1;
                report.rejected.push(Rejection { index, id, error: scope::foreign_dossier(&dossier, &holder, &scope) })
            }
        }
    }
    report.rejected.sort_by_key(|r| r.index);
    Ok(report)
}
