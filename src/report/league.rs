//! The league table of one unit kind and period (month, quarter, half or year), within a province or
//! nationwide.

use super::vietnamese;
use super::figures::{Ledger, Reading};
use crate::domain::kpi::{self, Judgement};
use crate::domain::{league, Figures, Indicator, Month, Period, UnitKind};
use crate::registry::Registry;
use crate::store::{ClosedMonth, Store, StoreError};
use serde::Serialize;

#[derive(Debug, Clone)]
pub struct LeagueQuery {
    pub period: Period,
    pub kind: UnitKind,
    pub indicator: Indicator,
    pub parent: Option<String>,
    /// Only units of this function, across provinces (`peers::key`).
    pub peer: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LeagueTable {
    /// The month, when the period is one (api.md's field); null for a quarter, half or year.
    #[schema(value_type = Option<String>, example = "2026-11")]
    pub month: Option<Month>,
    /// `YYYY-MM`, `YYYY-Qn`, `YYYY-Hn` or `YYYY`.
    #[schema(value_type = String, example = "2026-Q4")]
    pub period: Period,
    pub indicator: Indicator,
    pub kind: UnitKind,
    pub parent: Option<String>,
    pub rows: Vec<LeagueRow>,
    /// Set when the month is closed: `rows` are then the table as published.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed: Option<ClosedMonth>,
    /// For a closed month whose figures late events have changed since: the table with them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<Vec<LeagueRow>>,
}

/// A row as api.md lists its fields.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct LeagueRow {
    pub rank: Option<u32>,
    pub unit: String,
    pub name: String,
    /// Figures, rate, target, gap and status, as `kpi::judge` judged them (serialized flat).
    #[serde(flatten)]
    pub judged: Judgement,
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
    let ledger = Ledger::read(store, q.indicator, &[q.period.prev(), q.period], now_ms).await?;
    let mut table = compute(&ledger, registry, q, Reading::AsPublished, min_volume, now_ms).0;
    if let Some(closed) = ledger.closed(q.period) {
        table.closed = Some(closed);
        // The same table from the live figures of the month (the month before as published, if closed).
        let revision = compute(&ledger, registry, q, Reading::Live, min_volume, now_ms).0.rows;
        let figures = |rows: &[LeagueRow]| rows.iter().map(|r| (r.unit.clone(), r.judged.figures.numerator, r.judged.figures.denominator)).collect::<std::collections::BTreeSet<_>>();
        if figures(&revision) != figures(&table.rows) {
            table.revision = Some(revision);
        }
    }
    Ok(table)
}

/// How many months the sparklines of the league page show, ending with the month asked for.
pub const HISTORY_MONTHS: usize = 12;

/// The league page: the table split into ranked units and units with too little data, each with
/// about two years of periods (a year of months) for its sparkline, optionally filtered by a search on
/// names and codes.
#[derive(Debug)]
pub struct LeagueBoard {
    pub period: Period,
    pub indicator: Indicator,
    pub kind: UnitKind,
    pub parent: Option<String>,
    /// The periods of `BoardRow::history`, oldest first, ending with `period`.
    pub periods: Vec<Period>,
    /// Rate descending; units of equal rank by name in Vietnamese order.
    pub ranked: Vec<BoardRow>,
    /// Insufficient data or no dossiers, by name in Vietnamese order.
    pub unranked: Vec<BoardRow>,
    /// The search as typed, when one was given.
    pub search: Option<String>,
    /// Rows of the whole table, before the search.
    pub total: usize,
    /// Ranked rows of the whole table, and units with the minimum volume in the period before.
    pub ranked_total: usize,
    pub ranked_before: usize,
    /// Every row of the whole table summed (for provinces nationwide: the nation), and the mean of the
    /// ranked rows' rates.
    pub sum: Figures,
    pub average: Option<f64>,
    pub peer: Option<String>,
    /// Set when the month is closed: the figures are the published ones.
    pub closed: Option<ClosedMonth>,
    /// How many months of the period are closed (read as published).
    pub closed_months: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BoardRow {
    pub row: LeagueRow,
    /// The province the unit belongs to (its own name for a province), to tell apart units of the same
    /// name in nationwide tables.
    pub province: Option<String>,
    /// One entry per period of `LeagueBoard::periods` (a denominator of 0 is a gap).
    pub history: Vec<Figures>,
}

impl LeagueBoard {
    /// Every row shown, ranked first.
    pub fn rows(&self) -> impl Iterator<Item = &BoardRow> {
        self.ranked.iter().chain(&self.unranked)
    }
}

/// The league page's data, from one store call for the whole year.
pub async fn league_board(
    store: &dyn Store,
    registry: &Registry,
    q: &LeagueQuery,
    search: Option<&str>,
    min_volume: i64,
    now_ms: i64,
) -> Result<LeagueBoard, StoreError> {
    let ledger = Ledger::read(store, q.indicator, &q.period.trailing(q.period.kind().history_len()), now_ms).await?;
    Ok(board(&ledger, registry, q, search, min_volume, now_ms))
}

/// The league page's data from a ledger of the periods up to `q.period` (pure; the benchmark's entry).
pub fn board(
    ledger: &Ledger,
    registry: &Registry,
    q: &LeagueQuery,
    search: Option<&str>,
    min_volume: i64,
    now_ms: i64,
) -> LeagueBoard {
    let (table, mut history) = compute(ledger, registry, q, Reading::AsPublished, min_volume, now_ms);
    let total = table.rows.len();
    let ranked_total = table.rows.iter().filter(|r| r.rank.is_some()).count();
    let sum: Figures = table.rows.iter().map(|r| Figures::new(r.judged.figures.numerator, r.judged.figures.denominator)).sum();
    let ranked_rates: Vec<f64> = table.rows.iter().filter(|r| r.rank.is_some()).filter_map(|r| r.judged.rate).collect();
    let average = (!ranked_rates.is_empty()).then(|| ranked_rates.iter().sum::<f64>() / ranked_rates.len() as f64);
    let before = ledger.periods().len().checked_sub(2);
    let ranked_before = before.map_or(0, |i| {
        let enough = |f: &Figures| kpi::status(*f, None, min_volume, crate::domain::Progress::Finished).is_ranked();
        history.values().filter(|h| h.get(i).is_some_and(enough)).count()
    });
    let search = search.map(str::trim).filter(|s| !s.is_empty());
    let wanted = search.map(vietnamese::fold);
    let (mut ranked, mut unranked) = (Vec::with_capacity(ranked_total), Vec::with_capacity(total - ranked_total));
    table
        .rows
        .into_iter()
        .filter(|r| {
            wanted.as_deref().is_none_or(|w| {
                vietnamese::matches(&format!("{} {}", vietnamese::fold(&r.name), r.unit.to_lowercase()), w)
            })
        })
        .map(|row| BoardRow {
            history: history.remove(row.unit.as_str()).unwrap_or_default(),
            province: registry.units.ancestor_of_kind(&row.unit, UnitKind::Province).map(|p| p.name.clone()),
            row,
        })
        .for_each(|r| if r.row.rank.is_some() { ranked.push(r) } else { unranked.push(r) });
    // Equal ranks, and the unranked list, read best in name order.
    let by_name = |r: &BoardRow| (r.row.rank, vietnamese::name_key(&r.row.name), r.row.unit.clone());
    // Ranks are nearly all distinct: the ranked rows' name keys are made only for ties.
    ranked.sort_by(|a, b| a.row.rank.cmp(&b.row.rank).then_with(|| by_name(a).cmp(&by_name(b))));
    unranked.sort_by_cached_key(by_name);
    LeagueBoard {
        period: q.period,
        indicator: q.indicator,
        kind: q.kind,
        parent: q.parent.clone(),
        periods: ledger.periods().to_vec(),
        ranked,
        unranked,
        search: search.map(str::to_string),
        total,
        ranked_total,
        ranked_before,
        sum,
        average,
        peer: q.peer.clone(),
        closed: ledger.closed(q.period),
        closed_months: ledger.closed_months(q.period),
    }
}

/// Whether the page should open on the current month (`board`, read with the month before it): once
/// at least half as many units are ranked in it as in the month before, and at least one. Early in a
/// month, a day of data ranks a handful of units and moves ranks by a dozen places: the pages then open
/// on the last finished month, and the current one stays a choice away, marked provisional.
pub fn current_month_tells(board: &LeagueBoard) -> bool {
    board.ranked_total >= 1 && 2 * board.ranked_total >= board.ranked_before
}

/// The table of `q.period` (the ledger's last period, read as `reading`, ranked against the period
/// before it as published) and each unit's figures for every period of the ledger, as published.
fn compute<'r>(
    ledger: &Ledger,
    registry: &'r Registry,
    q: &LeagueQuery,
    reading: Reading,
    min_volume: i64,
    now_ms: i64,
) -> (LeagueTable, foldhash::HashMap<&'r str, Vec<Figures>>) {
    let periods = ledger.periods();
    debug_assert!(periods.len() >= 2 && periods.last() == Some(&q.period) && ledger.indicator() == q.indicator);
    let units = super::scorecard::units(registry, q.kind, q.parent.as_deref(), q.peer.as_deref());
    // Each unit's series, in the order of `units`.
    let series: Vec<Vec<Figures>> = units.iter().map(|u| ledger.series(&registry.units, &u.code)).collect();
    let entries = |i: usize, reading: Reading| {
        let period = periods[i];
        let progress = period.progress(now_ms);
        units
            .iter()
            .zip(&series)
            .map(|(u, history)| {
                let f = match reading {
                    Reading::AsPublished => history[i],
                    Reading::Live => ledger.figures(&registry.units, &u.code, period, reading),
                };
                league::Entry { unit: u.code.clone(), judgement: ledger.judge_in(registry, u, period, progress, reading, f, min_volume) }
            })
            .collect::<Vec<_>>()
    };
    let last = periods.len() - 1;
    let table = league::league(entries(last, reading), entries(last - 1, Reading::AsPublished));
    let table = LeagueTable {
        month: q.period.as_month(),
        period: q.period,
        indicator: q.indicator,
        kind: q.kind,
        parent: q.parent.clone(),
        rows: table
            .into_iter()
            .map(|r| LeagueRow {
                name: registry.units.get(&r.unit).map(|u| u.name.clone()).unwrap_or_default(),
                rank: r.rank,
                unit: r.unit,
                judged: r.judged,
                rate_change: r.rate_change,
                rank_change: r.rank_change,
            })
            .collect(),
        closed: None,
        revision: None,
    };
    let history = units.iter().map(|u| u.code.as_str()).zip(series).collect();
    (table, history)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Target, TargetScope, Targets, Unit, UnitTree};
    use crate::store::RollupRow;

    fn registry() -> Registry {
        let u = |code: &str, name: &str, kind, parent: Option<&str>| Unit {
            code: code.into(),
            name: name.into(),
            kind,
            parent: parent.map(Into::into),
        };
        let units = vec![
            u("VN", "Việt Nam", UnitKind::Nation, None),
            u("31", "Hải Phòng", UnitKind::Province, Some("VN")),
            u("01", "Hà Nội", UnitKind::Province, Some("VN")),
            u("c1", "Phường Hồng Bàng", UnitKind::Commune, Some("31")),
            u("c2", "Phường Đồ Sơn", UnitKind::Commune, Some("31")),
            u("c3", "Phường Dương Kinh", UnitKind::Commune, Some("31")),
            u("c4", "Xã An Lão", UnitKind::Commune, Some("31")),
            u("c5", "Phường Ba Đình", UnitKind::Commune, Some("01")),
        ];
        Registry {
            units: UnitTree::new(units),
            terms: Default::default(),
            procedure_names: Default::default(),
            sender_codes: Default::default(),
            targets: Targets::new(vec![Target {
                scope: TargetScope::Kind(UnitKind::Commune),
                year: 2026,
                month: None,
                indicator: Indicator::Completion,
                value: "0.5".parse().unwrap(),
                source: "t.csv, dòng 2".into(),
            }]),
        }
    }

    fn rollup(unit: &str, month: &str, n: i64, d: i64) -> RollupRow {
        RollupRow { unit: unit.into(), month: month.parse().unwrap(), figures: Figures::new(n, d) }
    }

    fn query(kind: UnitKind, parent: Option<&str>) -> LeagueQuery {
        LeagueQuery { period: "2026-11".parse().unwrap(), kind, indicator: Indicator::Completion, parent: parent.map(Into::into), peer: None }
    }

    /// 2026-12-16: November is finished.
    const NOW: i64 = 1_797_354_000_000;

    fn ledger() -> Ledger {
        Ledger::from_rollups(Indicator::Completion, rollups(), &"2026-11".parse::<Month>().unwrap().trailing(HISTORY_MONTHS))
    }

    fn rollups() -> Vec<RollupRow> {
        vec![
            // c1 and c2 tie at 0.6; c3 0.9; c4 under the minimum volume; c5 in Hà Nội.
            rollup("c1", "2026-11", 6, 10),
            rollup("c2", "2026-11", 12, 20),
            rollup("c3", "2026-11", 9, 10),
            rollup("c4", "2026-11", 1, 2),
            rollup("c5", "2026-11", 5, 10),
            rollup("c1", "2026-10", 3, 10),
            rollup("c1", "2026-01", 1, 10),
            // Outside the year: ignored.
            rollup("c1", "2025-11", 10, 10),
        ]
    }

    #[test]
    fn board_splits_ranked_and_unranked_and_orders_ties_by_name() {
        let reg = registry();
        let b = board(&ledger(), &reg, &query(UnitKind::Commune, Some("31")), None, 10, NOW);
        let ranked: Vec<(Option<u32>, &str)> = b.ranked.iter().map(|r| (r.row.rank, r.row.name.as_str())).collect();
        // The API lists c2 before c1 (larger denominator); the page reads by name: Đồ Sơn after Hồng Bàng.
        assert_eq!(ranked, [(Some(1), "Phường Dương Kinh"), (Some(2), "Phường Đồ Sơn"), (Some(2), "Phường Hồng Bàng")]);
        assert_eq!(b.unranked.iter().map(|r| r.row.unit.as_str()).collect::<Vec<_>>(), ["c4"]);
        assert_eq!(b.total, 4);
        assert_eq!(b.periods.len(), 12);
        assert_eq!(b.periods[0].to_string(), "2025-12");
        let c1 = b.ranked.iter().find(|r| r.row.unit == "c1").unwrap();
        assert_eq!(c1.history[11], Figures::new(6, 10));
        assert_eq!(c1.history[10], Figures::new(3, 10));
        assert_eq!(c1.history[1], Figures::new(1, 10));
        assert_eq!(c1.history[0], Figures::default(), "a gap, not last year's November");
        // In October c1 was alone, so first: down one.
        assert_eq!(c1.row.rank_change, Some(-1));
    }

    #[test]
    fn search_keeps_ranks_of_the_whole_table() {
        let reg = registry();
        let b = board(&ledger(), &reg, &query(UnitKind::Commune, Some("31")), Some(" hong bang "), 10, NOW);
        assert_eq!(b.ranked.len(), 1);
        assert_eq!((b.ranked[0].row.unit.as_str(), b.ranked[0].row.rank), ("c1", Some(2)));
        assert_eq!(b.search.as_deref(), Some("hong bang"));
        assert_eq!(b.total, 4);
        let d = board(&ledger(), &reg, &query(UnitKind::Commune, Some("31")), Some("do son"), 10, NOW);
        assert_eq!(d.rows().map(|r| r.row.unit.as_str()).collect::<Vec<_>>(), ["c2"]);
        let code = board(&ledger(), &reg, &query(UnitKind::Commune, None), Some("C5"), 10, NOW);
        assert_eq!(code.rows().map(|r| r.row.unit.as_str()).collect::<Vec<_>>(), ["c5"]);
    }

    #[test]
    fn provinces_nationwide_sum_their_subtrees() {
        let reg = registry();
        let b = board(&ledger(), &reg, &query(UnitKind::Province, None), None, 10, NOW);
        let rows: Vec<(&str, i64, i64)> = b.rows().map(|r| (r.row.unit.as_str(), r.row.judged.figures.numerator, r.row.judged.figures.denominator)).collect();
        assert_eq!(rows, [("31", 28, 42), ("01", 5, 10)]);
        assert_eq!(b.ranked[0].history[10], Figures::new(3, 10));
    }
}
