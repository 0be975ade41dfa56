//! The scorecard: units down the side, and across either the three indicators of one period or one
//! indicator over the periods before it; every cell judged by the ledger (the same status as the
//! league table and the unit page), with its trend against the period before, and a total row (rates
//! of the summed figures) and an average row (the mean of the ranked units' rates).

use super::figures::{Ledger, Reading};
use super::{peers, vietnamese};
use crate::domain::kpi::{Judgement, Status};
use crate::domain::{Figures, Indicator, Period, Unit, UnitKind};
use crate::registry::Registry;
use crate::store::{Store, StoreError};
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Completion, intake and on time of one period.
    Indicators,
    /// The national index's dossier indicators of one period.
    Index,
    /// One indicator over the periods up to this one.
    Periods,
}

#[derive(Debug, Clone)]
pub struct ScorecardQuery {
    pub period: Period,
    pub kind: UnitKind,
    pub parent: Option<String>,
    /// Only units of this function (`peers::key`).
    pub peer: Option<String>,
    pub layout: Layout,
    /// The indicator of `Layout::Periods`.
    pub indicator: Indicator,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trend {
    Up,
    Down,
    Same,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Column {
    pub indicator: Indicator,
    pub period: Period,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScoreCell {
    pub judged: Judgement,
    /// Against the same indicator in the period before; none without a rate on either side.
    pub trend: Option<Trend>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScoreRow {
    pub unit: String,
    pub name: String,
    pub province: Option<String>,
    pub cells: Vec<ScoreCell>,
}

#[derive(Debug)]
pub struct Scorecard {
    pub query: ScorecardQuery,
    pub columns: Vec<Column>,
    /// In Vietnamese name order.
    pub rows: Vec<ScoreRow>,
    /// Per column: the figures of every row summed.
    pub total: Vec<Figures>,
    /// Per column: the mean of the rates of the rows with a ranked status, and how many there were.
    pub average: Vec<(Option<f64>, usize)>,
}

fn trend(now: Option<f64>, before: Option<f64>) -> Option<Trend> {
    let (now, before) = (now?, before?);
    Some(if (now - before).abs() < 1e-12 {
        Trend::Same
    } else if now > before {
        Trend::Up
    } else {
        Trend::Down
    })
}

/// The units of the card: the kind under the parent, of one function if asked.
pub fn units<'r>(registry: &'r Registry, kind: UnitKind, parent: Option<&str>, peer: Option<&str>) -> Vec<&'r Unit> {
    let mut units = registry.units.of_kind(kind, parent);
    if let Some(p) = peer {
        units.retain(|u| peers::key(&registry.units, u) == p);
    }
    units
}

pub async fn scorecard(store: &dyn Store, registry: &Registry, q: &ScorecardQuery, min_volume: i64, now_ms: i64) -> Result<Scorecard, StoreError> {
    let (indicators, periods): (Vec<Indicator>, Vec<Period>) = match q.layout {
        Layout::Indicators => (Indicator::PROVINCIAL.to_vec(), q.period.trailing(2)),
        Layout::Index => (Indicator::ALL.into_iter().filter(|i| i.is_index()).collect(), q.period.trailing(2)),
        Layout::Periods => (vec![q.indicator], q.period.trailing(q.period.kind().history_len() + 1)),
    };
    let mut ledgers = Vec::with_capacity(indicators.len());
    for &i in &indicators {
        ledgers.push(Ledger::read(store, i, &periods, now_ms).await?);
    }
    Ok(build(&ledgers, registry, q, min_volume, now_ms))
}

/// The card from one ledger per indicator shown, each covering the card's periods and the one before
/// the first (pure; tests and the benchmark).
pub fn build(ledgers: &[Ledger], registry: &Registry, q: &ScorecardQuery, min_volume: i64, now_ms: i64) -> Scorecard {
    let units = units(registry, q.kind, q.parent.as_deref(), q.peer.as_deref());
    // Each (indicator, period) column, with the period before it for the trend.
    let columns: Vec<(usize, Period, Period)> = match q.layout {
        Layout::Indicators | Layout::Index => (0..ledgers.len()).map(|i| (i, q.period, q.period.prev())).collect(),
        Layout::Periods => ledgers[0].periods().iter().skip(1).map(|p| (0, *p, p.prev())).collect(),
    };
    // One pass over the ledger per (indicator, period) read, every unit's subtree summed.
    let mut sums: HashMap<(usize, Period), super::figures::UnitMap<Figures>> = HashMap::new();
    for &(i, p, before) in &columns {
        for period in [p, before] {
            sums.entry((i, period)).or_insert_with(|| ledgers[i].rolled_up(&registry.units, period, Reading::AsPublished));
        }
    }
    let figures = |i: usize, p: Period, code: &str| sums[&(i, p)].get(code).copied().unwrap_or_default();
    let mut rows: Vec<ScoreRow> = units
        .iter()
        .map(|u| ScoreRow {
            unit: u.code.clone(),
            name: u.name.clone(),
            province: registry.units.ancestor_of_kind(&u.code, UnitKind::Province).map(|p| p.name.clone()),
            cells: columns
                .iter()
                .map(|&(i, p, before)| {
                    let judged = ledgers[i].judge_figures(registry, u, p, Reading::AsPublished, figures(i, p, &u.code), min_volume, now_ms);
                    ScoreCell { trend: trend(judged.rate, figures(i, before, &u.code).rate()), judged }
                })
                .collect(),
        })
        .collect();
    rows.sort_by_cached_key(|r| (vietnamese::name_key(&r.name), r.unit.clone()));
    let total = (0..columns.len()).map(|c| rows.iter().map(|r| r.cells[c].judged.figures).sum()).collect();
    let average = (0..columns.len())
        .map(|c| {
            let rates: Vec<f64> = rows.iter().map(|r| &r.cells[c].judged).filter(|j| j.status.is_ranked()).filter_map(|j| j.rate).collect();
            ((!rates.is_empty()).then(|| rates.iter().sum::<f64>() / rates.len() as f64), rates.len())
        })
        .collect();
    Scorecard {
        query: q.clone(),
        columns: columns.iter().map(|&(i, period, _)| Column { indicator: ledgers[i].indicator(), period }).collect(),
        rows,
        total,
        average,
    }
}

/// How many cells of each status a column has, for the legend.
pub fn status_counts(card: &Scorecard, column: usize) -> Vec<(Status, usize)> {
    let mut counts: Vec<(Status, usize)> = Vec::new();
    for r in &card.rows {
        let s = r.cells[column].judged.status;
        match counts.iter_mut().find(|(x, _)| *x == s) {
            Some((_, n)) => *n += 1,
            None => counts.push((s, 1)),
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Target, TargetScope, Targets, UnitTree};
    use crate::store::RollupRow;

    fn registry() -> Registry {
        let u = |code: &str, name: &str, kind, parent: Option<&str>| Unit { code: code.into(), name: name.into(), kind, parent: parent.map(Into::into) };
        Registry {
            units: UnitTree::new(vec![
                u("31", "Thành phố Hải Phòng", UnitKind::Province, None),
                u("31-STP", "Sở Tư pháp", UnitKind::Department, Some("31")),
                u("31-SYT", "Sở Y tế", UnitKind::Department, Some("31")),
            ]),
            terms: Default::default(),
            procedure_names: Default::default(),
            sender_codes: Default::default(),
            targets: Targets::new(vec![Target {
                scope: TargetScope::Kind(UnitKind::Department),
                year: 2026,
                month: None,
                indicator: Indicator::Completion,
                value: "0.5".parse().unwrap(),
                source: "t".into(),
            }]),
        }
    }

    fn rollup(unit: &str, month: &str, n: i64, d: i64) -> RollupRow {
        RollupRow { unit: unit.into(), month: month.parse().unwrap(), figures: Figures::new(n, d) }
    }

    /// 2027-01-10: the whole of 2026 is finished.
    const NOW: i64 = 1_799_514_000_000;

    #[test]
    fn periods_layout_judges_each_period_with_its_trend_and_totals() {
        let reg = registry();
        let period: Period = "2026-Q4".parse().unwrap();
        let periods = period.trailing(period.kind().history_len() + 1);
        let rows = vec![
            rollup("31-STP", "2026-07", 3, 10),
            rollup("31-STP", "2026-11", 8, 10),
            rollup("31-SYT", "2026-08", 9, 10),
            rollup("31-SYT", "2026-12", 2, 10),
        ];
        let ledger = Ledger::from_rollups(Indicator::Completion, rows, &periods);
        let q = ScorecardQuery { period, kind: UnitKind::Department, parent: Some("31".into()), peer: None, layout: Layout::Periods, indicator: Indicator::Completion };
        let card = build(&[ledger], &reg, &q, 5, NOW);
        assert_eq!(card.columns.len(), 8);
        assert_eq!(card.columns.last().unwrap().period, period);
        let stp = &card.rows[0];
        assert_eq!(stp.unit, "31-STP", "name order: Sở Tư pháp before Sở Y tế");
        let q3 = &stp.cells[6];
        let q4 = &stp.cells[7];
        assert_eq!((q3.judged.figures, q3.judged.status), (Figures::new(3, 10), Status::Behind));
        assert_eq!((q4.judged.figures, q4.judged.status, q4.trend), (Figures::new(8, 10), Status::Met, Some(Trend::Up)));
        assert_eq!(card.rows[1].cells[7].trend, Some(Trend::Down));
        assert_eq!(card.total[7], Figures::new(10, 20), "the rate of the sums");
        assert_eq!(card.average[7], (Some(0.5), 2), "the mean of 80 % and 20 %");
        assert_eq!(card.total[0], Figures::default());
        assert_eq!(card.average[0], (None, 0));
    }
}
