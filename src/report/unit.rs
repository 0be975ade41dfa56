//! One unit's month: its three indicators against target, and the breakdown by procedure.

use super::history::{self, IndicatorHistory};
use super::league::HISTORY_MONTHS;
use super::shortfall::{self, Shortfalls};
use super::MonthFigures;
use crate::domain::kpi::{self, Projection};
use crate::domain::{DossierFacts, Figures, Indicator, Level, Month, Ratio, Unit};
use crate::registry::Registry;
use crate::store::{RollupRow, Store, StoreError};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Serialize)]
pub struct UnitReport {
    pub unit: String,
    pub name: String,
    pub kind: crate::domain::UnitKind,
    pub parent: Option<String>,
    pub month: Month,
    /// Target and status of the headline indicator (completion).
    pub target: Option<Ratio>,
    pub status: kpi::Status,
    pub indicators: Vec<IndicatorFigures>,
    pub procedures: Vec<ProcedureBreakdown>,
}

#[derive(Debug, Serialize)]
pub struct IndicatorFigures {
    pub indicator: Indicator,
    pub numerator: i64,
    pub denominator: i64,
    pub rate: Option<f64>,
    pub target: Option<Ratio>,
    /// Where the target comes from (file and line of the import).
    pub target_source: Option<String>,
    pub gap: Option<f64>,
    pub status: kpi::Status,
    /// Month-end outlook, while the month runs and a target applies.
    pub projection: Option<Projection>,
}

#[derive(Debug, Serialize)]
pub struct ProcedureBreakdown {
    pub procedure: String,
    pub name: String,
    pub level: Option<Level>,
    pub completion: Figures,
    pub intake: Figures,
    pub on_time: Figures,
}

pub async fn unit_report(
    store: &dyn Store,
    registry: &Registry,
    unit: &Unit,
    month: Month,
    min_volume: i64,
    now_ms: i64,
) -> Result<UnitReport, StoreError> {
    let mut rows = Vec::with_capacity(3);
    for indicator in Indicator::ALL {
        rows.push(store.rollups(indicator, month, month).await?);
    }
    let dossiers = store.dossiers_in_month(&subtree_codes(registry, unit), month).await?;
    Ok(build_report(registry, unit, month, &rows, &dossiers, min_volume, now_ms))
}

/// Everything the unit page shows: the month, the year before it, and what would raise the rate.
#[derive(Debug, Serialize)]
pub struct UnitPage {
    pub report: UnitReport,
    /// One per indicator, in `Indicator::ALL` order, each over `HISTORY_MONTHS` months.
    pub history: Vec<IndicatorHistory>,
    pub shortfalls: Shortfalls,
}

/// The unit page's data: three rollup reads (one per indicator, a year each) and one read of the
/// month's dossiers.
pub async fn unit_page(
    store: &dyn Store,
    registry: &Registry,
    unit: &Unit,
    month: Month,
    min_volume: i64,
    now_ms: i64,
) -> Result<UnitPage, StoreError> {
    let months = month.trailing(HISTORY_MONTHS);
    let mut rows = Vec::with_capacity(3);
    for indicator in Indicator::ALL {
        rows.push(store.rollups(indicator, months[0], month).await?);
    }
    let dossiers = store.dossiers_in_month(&subtree_codes(registry, unit), month).await?;
    let report = build_report(registry, unit, month, &rows, &dossiers, min_volume, now_ms);
    let history = Indicator::ALL
        .iter()
        .zip(&rows)
        .map(|(&indicator, rows)| history::from_rollups(rows, registry, unit, indicator, &months, min_volume, now_ms))
        .collect();
    let shortfalls = shortfall::analyse(&dossiers, &registry.levels, &registry.procedure_names, month);
    Ok(UnitPage { report, history, shortfalls })
}

fn subtree_codes(registry: &Registry, unit: &Unit) -> Vec<String> {
    registry.units.subtree(&unit.code).iter().map(|u| u.code.clone()).collect()
}

/// The report from rollups of each indicator (in `Indicator::ALL` order, covering `month`) and the
/// facts of the month's dossiers of the unit and every unit under it.
pub fn build_report(
    registry: &Registry,
    unit: &Unit,
    month: Month,
    rows: &[Vec<RollupRow>],
    dossiers: &[DossierFacts],
    min_volume: i64,
    now_ms: i64,
) -> UnitReport {
    let mut indicators = Vec::with_capacity(3);
    for (indicator, rows) in Indicator::ALL.into_iter().zip(rows) {
        let f = MonthFigures::new(rows, month).of(&registry.units, &unit.code);
        let target = registry.targets.resolve(unit, month, indicator);
        let j = kpi::judge(f, target.map(|t| t.value), min_volume, month.period(now_ms));
        indicators.push(IndicatorFigures {
            indicator,
            numerator: f.numerator,
            denominator: f.denominator,
            rate: j.rate,
            target: j.target,
            target_source: target.map(|t| t.source.clone()),
            gap: j.gap,
            status: j.status,
            projection: j.projection,
        });
    }
    let mut by_procedure: BTreeMap<String, [Figures; 3]> = BTreeMap::new();
    for d in dossiers {
        let level = registry.levels.get(&d.procedure).copied();
        for (key, f) in d.contributions(level) {
            if key.month == month {
                let slot = Indicator::ALL.iter().position(|i| *i == key.indicator).expect("listed");
                by_procedure.entry(d.procedure.clone()).or_default()[slot] += f;
            }
        }
    }
    let procedures = by_procedure
        .into_iter()
        .map(|(code, [completion, intake, on_time])| ProcedureBreakdown {
            name: registry.procedure_names.get(&code).cloned().unwrap_or_default(),
            level: registry.levels.get(&code).copied(),
            procedure: code,
            completion,
            intake,
            on_time,
        })
        .collect();
    let headline = &indicators[0];
    UnitReport {
        unit: unit.code.clone(),
        name: unit.name.clone(),
        kind: unit.kind,
        parent: unit.parent.clone(),
        month,
        target: headline.target,
        status: headline.status,
        indicators,
        procedures,
    }
}
