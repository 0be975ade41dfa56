//! A unit's recent periods (a year of months, two years of quarters…): each indicator's figures judged
//! by the ledger, closed months as published.

use super::figures::{Ledger, Reading};
use crate::domain::kpi::Judgement;
use crate::domain::{Indicator, Period, Unit};
use crate::registry::Registry;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodPoint {
    pub period: Period,
    #[serde(flatten)]
    pub judged: Judgement,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndicatorHistory {
    pub indicator: Indicator,
    /// Oldest first.
    pub points: Vec<PeriodPoint>,
}

/// One indicator's periods of the ledger for a unit (its own figures and every unit's under it).
pub fn from_ledger(ledger: &Ledger, registry: &Registry, unit: &Unit, min_volume: i64, now_ms: i64) -> IndicatorHistory {
    let points = ledger
        .periods()
        .iter()
        .map(|&period| PeriodPoint { period, judged: ledger.judge(registry, unit, period, Reading::AsPublished, min_volume, now_ms) })
        .collect();
    IndicatorHistory { indicator: ledger.indicator(), points }
}
