//! One unit's month: its three indicators against target, and the breakdown by procedure.

use super::history::{self, IndicatorHistory};
use super::league::HISTORY_MONTHS;
use super::shortfall::{self, Shortfalls};
use super::figures::{Ledger, Reading};
use crate::domain::kpi::{self, Judgement, Projection};
use crate::domain::{DossierFacts, Figures, Indicator, Level, Month, Ratio, Unit};
use crate::registry::Registry;
use crate::store::{ClosedMonth, Store, StoreError};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UnitReport {
    pub unit: String,
    pub name: String,
    pub kind: crate::domain::UnitKind,
    pub parent: Option<String>,
    pub month: Month,
    /// Target and status of the headline indicator (completion).
    pub target: Option<Ratio>,
    pub status: kpi::Status,
    /// For a closed month, as published (the league table's figures).
    pub indicators: Vec<IndicatorFigures>,
    /// Set when the month is closed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed: Option<ClosedMonth>,
    /// For a closed month whose figures late events have changed since: the indicators as they stand.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<Vec<IndicatorFigures>>,
    /// From the month's dossiers as they stand now (late events included, even for a closed month).
    pub procedures: Vec<ProcedureBreakdown>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IndicatorFigures {
    pub indicator: Indicator,
    /// Figures, rate, target, gap and status, from the ledger's one judgement.
    #[serde(flatten)]
    pub judged: Judgement,
    /// Where the target comes from (file and line of the import); none for a published target.
    pub target_source: Option<String>,
    /// Month-end outlook, while the month runs and a target applies.
    pub projection: Option<Projection>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
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
    let ledgers = ledgers(store, &[month]).await?;
    let dossiers = store.dossiers_in_month(&subtree_codes(registry, unit), month).await?;
    Ok(build_report(registry, unit, month, &ledgers, &dossiers, min_volume, now_ms))
}

/// Everything the unit page shows: the month, the year before it, and what would raise the rate.
#[derive(Debug, Serialize)]
pub struct UnitPage {
    pub report: UnitReport,
    /// One per indicator, in `Indicator::ALL` order, each over `HISTORY_MONTHS` months.
    pub history: Vec<IndicatorHistory>,
    pub shortfalls: Shortfalls,
}

/// The unit page's data: three ledgers (one per indicator, a year each) and one read of the month's
/// dossiers.
pub async fn unit_page(
    store: &dyn Store,
    registry: &Registry,
    unit: &Unit,
    month: Month,
    min_volume: i64,
    now_ms: i64,
) -> Result<UnitPage, StoreError> {
    let ledgers = ledgers(store, &month.trailing(HISTORY_MONTHS)).await?;
    let dossiers = store.dossiers_in_month(&subtree_codes(registry, unit), month).await?;
    let report = build_report(registry, unit, month, &ledgers, &dossiers, min_volume, now_ms);
    let history = ledgers.iter().map(|l| history::from_ledger(l, registry, unit, min_volume, now_ms)).collect();
    let shortfalls = shortfall::analyse(&dossiers, &registry.levels, &registry.procedure_names, month);
    Ok(UnitPage { report, history, shortfalls })
}

/// One ledger per indicator, in `Indicator::ALL` order.
async fn ledgers(store: &dyn Store, months: &[Month]) -> Result<Vec<Ledger>, StoreError> {
    let mut out = Vec::with_capacity(Indicator::ALL.len());
    for indicator in Indicator::ALL {
        out.push(Ledger::read(store, indicator, months).await?);
    }
    Ok(out)
}

fn subtree_codes(registry: &Registry, unit: &Unit) -> Vec<String> {
    registry.units.subtree(&unit.code).iter().map(|u| u.code.clone()).collect()
}

/// The report from one ledger per indicator (in `Indicator::ALL` order, covering `month`) and the
/// facts of the month's dossiers of the unit and every unit under it.
pub fn build_report(
    registry: &Registry,
    unit: &Unit,
    month: Month,
    ledgers: &[Ledger],
    dossiers: &[DossierFacts],
    min_volume: i64,
    now_ms: i64,
) -> UnitReport {
    let indicators_as = |reading: Reading| -> Vec<IndicatorFigures> {
        ledgers
            .iter()
            .map(|l| {
                let judged = l.judge(registry, unit, month, reading, min_volume, now_ms);
                let standard = l.standard(registry, unit, month, reading, min_volume);
                IndicatorFigures { indicator: l.indicator(), judged, target_source: standard.target_source.map(str::to_string), projection: judged.projection }
            })
            .collect()
    };
    let indicators = indicators_as(Reading::AsPublished);
    let closed = ledgers.first().and_then(|l| l.closed(month));
    let revision = closed.map(|_| indicators_as(Reading::Live)).filter(|live| {
        live.iter().zip(&indicators).any(|(a, b)| a.judged.figures != b.judged.figures)
    });
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
    let headline = indicators[0].judged;
    UnitReport {
        unit: unit.code.clone(),
        name: unit.name.clone(),
        kind: unit.kind,
        parent: unit.parent.clone(),
        month,
        target: headline.target,
        status: headline.status,
        indicators,
        closed,
        revision,
        procedures,
    }
}
