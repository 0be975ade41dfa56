//! Ingest: parse → validate → authorise (token scope) → one transaction per batch.

pub mod body;
pub mod token;

use crate::domain::event;
use crate::registry::Registry;
use crate::store::{Outcome, Store, StoreError, TokenRecord};
use serde::Serialize;

#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct BatchReport {
    pub accepted: usize,
    pub duplicates: usize,
    pub rejected: Vec<Rejection>,
    /// How many of `rejected` are conflicts (the rest failed validation).
    #[serde(skip)]
    pub conflicts: usize,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Rejection {
    /// Position of the event in the batch, from 0 (for NDJSON: among the non-blank lines).
    pub index: usize,
    pub id: Option<String>,
    pub error: String,
}

/// A batch after validation: the valid events with their positions, and what was rejected.
pub struct Checked {
    valid: Vec<event::Event>,
    positions: Vec<(usize, Option<String>)>,
    report: BatchReport,
}

/// Validates every element against the contract, the registry and the token's scope. Pure CPU work:
/// the HTTP handler runs it on a blocking thread so the store's writer is never kept waiting.
pub fn check(registry: &Registry, token: &TokenRecord, items: Vec<body::Item>, now_ms: i64) -> Checked {
    let mut report = BatchReport::default();
    let mut valid = Vec::with_capacity(items.len());
    let mut positions = Vec::with_capacity(items.len());
    for (index, item) in items.into_iter().enumerate() {
        let id = item.as_ref().ok().and_then(|v| v.get("id")).and_then(|v| v.as_str()).map(String::from);
        let checked = item.and_then(|v| event::validate(v, &token.source, registry, now_ms)).and_then(|e| {
            if token.scope.iter().any(|s| registry.units.is_within(&e.unit, s)) {
                Ok(e)
            } else {
                Err(format!("unit {:?} is outside the scope of this token ({})", e.unit, token.scope.join(", ")))
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
    Checked { valid, positions, report }
}

/// Stores the valid events of a checked batch together and accounts for each element once:
/// `accepted + duplicates + rejected.len()` equals the number of elements.
pub async fn store(store: &dyn Store, registry: &Registry, checked: Checked, now_ms: i64) -> Result<BatchReport, StoreError> {
    let Checked { valid, positions, mut report } = checked;
    let outcomes = if valid.is_empty() { Vec::new() } else { store.ingest(valid, &registry.levels, now_ms).await?.outcomes };
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
        }
    }
    report.rejected.sort_by_key(|r| r.index);
    Ok(report)
}
