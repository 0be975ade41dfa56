//! Closing a month (chốt số liệu): each unit's figures and target, published as they stand.

use super::figures::{Ledger, Reading};
use crate::domain::{Indicator, Month};
use crate::store::{PublishedRow, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum CloseError {
    #[error("{0} is not over yet: only a finished month can be closed")]
    NotOver(Month),
    #[error("{0} is already closed")]
    AlreadyClosed(Month),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Publishes `month`; returns how many unit figures were published.
pub async fn close_month(store: &dyn Store, month: Month, min_volume: i64, now_ms: i64) -> Result<usize, CloseError> {
    if now_ms < month.end_millis() {
        return Err(CloseError::NotOver(month));
    }
    let registry = store.registry().await?;
    let mut published = Vec::new();
    for indicator in Indicator::ALL {
        let ledger = Ledger::read(store, indicator, &[month], now_ms).await?;
        for u in registry.units.all() {
            published.push(PublishedRow {
                unit: u.code.clone(),
                indicator,
                figures: ledger.own(&u.code, month, Reading::Live),
                target: registry.targets.resolve(u, month, indicator).map(|t| t.value),
            });
        }
    }
    if !store.close_month(month, &published, min_volume, now_ms).await? {
        return Err(CloseError::AlreadyClosed(month));
    }
    Ok(published.len())
}
