//! The monthly league table of one unit kind, within a province or nationwide.

use super::MonthFigures;
use crate::domain::{kpi, league, Indicator, Month, Ratio, UnitKind};
use crate::registry::Registry;
use crate::store::{Store, StoreError};
use serde::Serialize;

#[derive(Debug, Clone)]
pub struct LeagueQuery {
    pub month: Month,
    pub kind: UnitKind,
    pub indicator: Indicator,
    pub parent: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct LeagueTable {
    pub month: Month,
    pub indicator: Indicator,
    pub kind: UnitKind,
    pub parent: Option<String>,
    pub rows: Vec<LeagueRow>,
}

/// A row as api.md lists its fields.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LeagueRow {
    pub rank: Option<u32>,
    pub unit: String,
    pub name: String,
    pub numerator: i64,
    pub denominator: i64,
    pub rate: Option<f64>,
    pub target: Option<Ratio>,
    pub gap: Option<f64>,
    pub status: kpi::Status,
    pub rate_change: Option<f64>,
    pub rank_change: Option<i64>,
}

pub async fn league_table(
    store: &dyn Store,
    registry: &Registry,
    q: &LeagueQuery,
    min_volume: i64,
    now_ms: i64,
) -> Result<LeagueTable, StoreError> {
    let prev = q.month.prev();
    let rows = store.rollups(q.indicator, prev, q.month).await?;
    let units = registry.units.of_kind(q.kind, q.parent.as_deref());
    let entries = |month: Month| {
        let figures = MonthFigures::new(&rows, month);
        units
            .iter()
            .map(|u| {
                let f = figures.of(&registry.units, &u.code);
                let target = registry.targets.resolve(u, month, q.indicator).map(|t| t.value);
                league::Entry {
                    unit: u.code.clone(),
                    figures: f,
                    target,
                    status: kpi::status(f, target, min_volume, month.period(now_ms)),
                }
            })
            .collect::<Vec<_>>()
    };
    let table = league::league(entries(q.month), entries(prev));
    Ok(LeagueTable {
        month: q.month,
        indicator: q.indicator,
        kind: q.kind,
        parent: q.parent.clone(),
        rows: table
            .into_iter()
            .map(|r| LeagueRow {
                name: registry.units.get(&r.unit).map(|u| u.name.clone()).unwrap_or_default(),
                rank: r.rank,
                unit: r.unit,
                numerator: r.numerator,
                denominator: r.denominator,
                rate: r.rate,
                target: r.target,
                gap: r.gap,
                status: r.status,
                rate_change: r.rate_change,
                rank_change: r.rank_change,
            })
            .collect(),
    })
}
