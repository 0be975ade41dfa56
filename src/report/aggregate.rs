//! Aggregates for the national committee: per province, or the nation, summed from every unit under it.

use super::figures::{Ledger, Reading};
use crate::domain::{Indicator, Month, Period, UnitKind};
use crate::registry::Registry;
use crate::store::{Store, StoreError};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = AggregateLevel)]
pub enum Level {
    Province,
    Nation,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Aggregate {
    /// The month, when the period is one; null for a quarter, half or year.
    #[schema(value_type = Option<String>, example = "2026-11")]
    pub month: Option<Month>,
    /// `YYYY-MM`, `YYYY-Qn`, `YYYY-Hn` or `YYYY`.
    #[schema(value_type = String, example = "2026-Q4")]
    pub period: Period,
    pub indicator: Indicator,
    pub level: Level,
    pub rows: Vec<AggregateRow>,
}

#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct AggregateRow {
    pub unit: String,
    pub name: String,
    pub numerator: i64,
    pub denominator: i64,
    pub rate: Option<f64>,
}

/// Code and name of the national row when the registry has no unit of kind `nation`.
pub const NATION_CODE: &str = "VN";
pub const NATION_NAME: &str = "Toàn quốc";

pub async fn aggregate(
    store: &dyn Store,
    registry: &Registry,
    period: Period,
    level: Level,
    indicator: Indicator,
    now_ms: i64,
) -> Result<Aggregate, StoreError> {
    // Closed months as published, as the league table reads them.
    let ledger = Ledger::read(store, indicator, &[period], now_ms).await?;
    let figures = |code: &str| ledger.figures(&registry.units, code, period, Reading::AsPublished);
    let row = |unit: String, name: String, f: crate::domain::Figures| AggregateRow {
        unit,
        name,
        numerator: f.numerator,
        denominator: f.denominator,
        rate: f.rate(),
    };
    let rows = match level {
        Level::Province => registry
            .units
            .of_kind(UnitKind::Province, None)
            .into_iter()
            .map(|u| row(u.code.clone(), u.name.clone(), figures(&u.code)))
            .collect(),
        // The nation is every unit in the registry, whether or not one unit of kind nation heads the tree.
        Level::Nation => {
            let nation = registry.units.of_kind(UnitKind::Nation, None);
            let (code, name) = match nation.as_slice() {
                [n] => (n.code.clone(), n.name.clone()),
                _ => (NATION_CODE.to_string(), NATION_NAME.to_string()),
            };
            vec![row(code, name, ledger.total(period, Reading::AsPublished))]
        }
    };
    Ok(Aggregate { month: period.as_month(), period, indicator, level, rows })
}
