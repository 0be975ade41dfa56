//! A unit's year, month by month: each indicator's figures against the target of that month, and the
//! status the kpi rules give it.

use super::MonthFigures;
use crate::domain::kpi::{self, Status};
use crate::domain::{Indicator, Month, Ratio, Unit};
use crate::registry::Registry;
use crate::store::RollupRow;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthPoint {
    pub month: Month,
    pub numerator: i64,
    pub denominator: i64,
    pub rate: Option<f64>,
    pub target: Option<Ratio>,
    /// rate − target.
    pub gap: Option<f64>,
    pub status: Status,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndicatorHistory {
    pub indicator: Indicator,
    /// Oldest first.
    pub months: Vec<MonthPoint>,
}

/// One indicator's months for a unit (its own figures and every unit's under it), from rollups that
/// cover `months`.
pub fn from_rollups(
    rows: &[RollupRow],
    registry: &Registry,
    unit: &Unit,
    indicator: Indicator,
    months: &[Month],
    min_volume: i64,
    now_ms: i64,
) -> IndicatorHistory {
    let months = months
        .iter()
        .map(|&month| {
            let f = MonthFigures::new(rows, month).of(&registry.units, &unit.code);
            let target = registry.targets.resolve(unit, month, indicator).map(|t| t.value);
            let j = kpi::judge(f, target, min_volume, month.period(now_ms));
            MonthPoint { month, numerator: f.numerator, denominator: f.denominator, rate: j.rate, target, gap: j.gap, status: j.status }
        })
        .collect();
    IndicatorHistory { indicator, months }
}
