//! One unit's period (a month, quarter, half or year): its three indicators against target, and the
//! breakdown by procedure.

use super::history::{self, IndicatorHistory};
use super::shortfall::{ShortfallCount, Shortfalls};
use super::figures::{Ledger, Reading};
use crate::domain::kpi::{self, Judgement, Projection};
use crate::domain::{DossierFacts, Figures, Indicator, Level, Month, Period, Ratio, Unit};
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
    /// The month, when the period is one; null for a quarter, half or year.
    #[schema(value_type = Option<String>, example = "2026-11")]
    pub month: Option<Month>,
    /// `YYYY-MM`, `YYYY-Qn`, `YYYY-Hn` or `YYYY`.
    #[schema(value_type = String, example = "2026-11")]
    pub period: Period,
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
    /// From the period's dossiers as they stand now (late events included, even for a closed month).
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
    /// The average processing time of the procedure's dossiers returned in the period.
    pub processing: ProcessingTime,
}

/// From intake to the end of processing, less the applicant's time answering one supplement request
/// (`index_facts::processing_time`), averaged over the dossiers returned in the period.
#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
pub struct ProcessingTime {
    pub dossiers: i64,
    pub average_days: Option<f64>,
}

const DAY_MS: f64 = 86_400_000.0;

impl ProcessingTime {
    /// The average of `dossiers` processing times totalling `total_ms`.
    fn of(total_ms: i64, dossiers: i64) -> ProcessingTime {
        ProcessingTime { dossiers, average_days: (dossiers > 0).then(|| total_ms as f64 / dossiers as f64 / DAY_MS) }
    }

    /// The average over all the procedures' dossiers (a total row), each procedure weighted by its dossiers.
    pub fn overall(procedures: &[ProcedureBreakdown]) -> ProcessingTime {
        let dossiers = procedures.iter().map(|p| p.processing.dossiers).sum();
        let days: f64 = procedures.iter().filter_map(|p| Some(p.processing.average_days? * p.processing.dossiers as f64)).sum();
        ProcessingTime { dossiers, average_days: (dossiers > 0).then(|| days / dossiers as f64) }
    }
}

pub async fn unit_report(
    store: &dyn Store,
    registry: &Registry,
    unit: &Unit,
    period: Period,
    min_volume: i64,
    now_ms: i64,
) -> Result<UnitReport, StoreError> {
    let ledgers = ledgers(store, &[period], now_ms).await?;
    let tally = DossierTally::read(store, registry, unit, period).await?;
    Ok(build_report(registry, unit, period, &ledgers, &tally, min_volume, now_ms))
}

/// Everything the unit page shows: the period, the periods before it, and what would raise the rate.
#[derive(Debug, Serialize)]
pub struct UnitPage {
    pub report: UnitReport,
    /// One per indicator of `Indicator::PROVINCIAL`, in that order, each over `PeriodKind::history_len` periods.
    pub history: Vec<IndicatorHistory>,
    pub shortfalls: Shortfalls,
}

/// The unit page's data: three ledgers (one per indicator, about two years each) and the period's
/// dossiers, read a month at a time.
pub async fn unit_page(
    store: &dyn Store,
    registry: &Registry,
    unit: &Unit,
    period: Period,
    min_volume: i64,
    now_ms: i64,
) -> Result<UnitPage, StoreError> {
    let ledgers = ledgers(store, &period.trailing(period.kind().history_len()), now_ms).await?;
    let tally = DossierTally::read(store, registry, unit, period).await?;
    let report = build_report(registry, unit, period, &ledgers, &tally, min_volume, now_ms);
    // The periods before, for kpi.md's three indicators; the index's have their page (`report::index`).
    let history = ledgers
        .iter()
        .filter(|l| Indicator::PROVINCIAL.contains(&l.indicator()))
        .map(|l| history::from_ledger(l, registry, unit, min_volume, now_ms))
        .collect();
    let shortfalls = tally.shortfalls.finish(&registry.procedure_names, period);
    Ok(UnitPage { report, history, shortfalls })
}

/// One ledger per indicator, in `Indicator::ALL` order.
async fn ledgers(store: &dyn Store, periods: &[Period], now_ms: i64) -> Result<Vec<Ledger>, StoreError> {
    let mut out = Vec::with_capacity(Indicator::ALL.len());
    for indicator in Indicator::ALL {
        out.push(Ledger::read(store, indicator, periods, now_ms).await?);
    }
    Ok(out)
}

/// What the dossiers of a unit (and every unit under it) in a period add up to, by procedure, and
/// their shortfalls: counted from the dossiers as they stand now.
#[derive(Default)]
pub struct DossierTally {
    /// Per procedure: completion, intake and on-time figures, in `Indicator::PROVINCIAL` order.
    by_procedure: BTreeMap<String, [Figures; 3]>,
    /// Per procedure: the processing time (ms) of the dossiers returned in the period, and how many.
    processing: BTreeMap<String, (i64, i64)>,
    pub shortfalls: ShortfallCount,
}

impl DossierTally {
    /// Reads the period a month at a time, so that a year of a province never sits in memory at once.
    pub async fn read(store: &dyn Store, registry: &Registry, unit: &Unit, period: Period) -> Result<DossierTally, StoreError> {
        let codes: Vec<String> = registry.units.subtree(&unit.code).iter().map(|u| u.code.clone()).collect();
        let mut tally = DossierTally::default();
        for month in period.months() {
            let dossiers = store.dossiers_in_month(&codes, month).await?;
            tally.add(&dossiers, registry, month.into());
        }
        Ok(tally)
    }

    /// Counts what `dossiers` contribute within `within`; contributions to other months are skipped,
    /// so a dossier read with two months (received in one, returned in the next) counts once in each.
    pub fn add(&mut self, dossiers: &[DossierFacts], registry: &Registry, within: Period) {
        for d in dossiers {
            let level = registry.terms.get(&d.procedure).copied();
            for (key, f) in d.contributions(level) {
                // The breakdown by procedure shows kpi.md's three indicators.
                let Some(slot) = Indicator::PROVINCIAL.iter().position(|i| *i == key.indicator) else { continue };
                if within.contains(key.month) {
                    self.by_procedure.entry(d.procedure.clone()).or_default()[slot] += f;
                }
            }
            let returned_within = d.returned_at.is_some_and(|at| within.contains(crate::domain::Month::of_millis(at)));
            if let (true, Some(ms)) = (returned_within, d.processing_time()) {
                let (total, n) = self.processing.entry(d.procedure.clone()).or_default();
                *total += ms;
                *n += 1;
            }
        }
        self.shortfalls.add(dossiers, &registry.terms, within);
    }
}

/// The report from one ledger per indicator (in `Indicator::ALL` order, covering `period`) and the
/// tally of the period's dossiers of the unit and every unit under it.
pub fn build_report(
    registry: &Registry,
    unit: &Unit,
    period: Period,
    ledgers: &[Ledger],
    tally: &DossierTally,
    min_volume: i64,
    now_ms: i64,
) -> UnitReport {
    let indicators_as = |reading: Reading| -> Vec<IndicatorFigures> {
        ledgers
            .iter()
            .map(|l| {
                let judged = l.judge(registry, unit, period, reading, min_volume, now_ms);
                let standard = l.standard(registry, unit, period, reading, min_volume);
                IndicatorFigures { indicator: l.indicator(), judged, target_source: standard.target_source.map(str::to_string), projection: judged.projection }
            })
            .collect()
    };
    let indicators = indicators_as(Reading::AsPublished);
    let closed = ledgers.first().and_then(|l| l.closed(period));
    let revision = closed.map(|_| indicators_as(Reading::Live)).filter(|live| {
        live.iter().zip(&indicators).any(|(a, b)| a.judged.figures != b.judged.figures)
    });
    let procedures = tally
        .by_procedure
        .iter()
        .map(|(code, &[completion, intake, on_time])| ProcedureBreakdown {
            name: registry.procedure_names.get(code).cloned().unwrap_or_default(),
            level: registry.terms.get(code).map(|t| t.level),
            procedure: code.clone(),
            completion,
            intake,
            on_time,
            processing: tally.processing.get(code).map_or(ProcessingTime::of(0, 0), |&(total, n)| ProcessingTime::of(total, n)),
        })
        .collect();
    let headline = indicators[0].judged;
    UnitReport {
        unit: unit.code.clone(),
        name: unit.name.clone(),
        kind: unit.kind,
        parent: unit.parent.clone(),
        month: period.as_month(),
        period,
        target: headline.target,
        status: headline.status,
        indicators,
        closed,
        revision,
        procedures,
    }
}
