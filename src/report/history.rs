//! A unit's year, month by month: each indicator's figures judged by the ledger, closed months as
//! published.

use super::figures::{Ledger, Reading};
use crate::domain::kpi::Judgement;
use crate::domain::{Indicator, Month, Unit};
use crate::registry::Registry;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthPoint {
    pub month: Month,
    #[serde(flatten)]
    pub judged: Judgement,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndicatorHistory {
    pub indicator: Indicator,
    /// Oldest first.
    pub months: Vec<MonthPoint>,
}

/// One indicator's months of the ledger for a unit (its own figures and every unit's under it).
pub fn from_ledger(ledger: &Ledger, registry: &Registry, unit: &Unit, min_volume: i64, now_ms: i64) -> IndicatorHistory {
    let months = ledger
        .months()
        .iter()
        .map(|&month| MonthPoint { month, judged: ledger.judge(registry, unit, month, Reading::AsPublished, min_volume, now_ms) })
        .collect();
    IndicatorHistory { indicator: ledger.indicator(), months }
}
