//! The one source of figures for every reader: an indicator's rollups over consecutive periods (months,
//! quarters, halves or years: sums of their months), with each closed month as it was published (its
//! figures, its targets and its minimum volume), the live figures kept beside them as the month's
//! revision; and the one place where a unit and period are judged.
//!
//! The league table, the unit page and its history, the exports, the aggregates, the metrics snapshot
//! (and through it the alert rules) all read a `Ledger`, so a closed month reads the same everywhere.

use crate::domain::kpi::{self, Judgement};
use crate::domain::{Figures, Indicator, Month, Period, Progress, Ratio, Unit, UnitTree};
use crate::registry::Registry;
use crate::store::{ClosedMonth, RollupRow, Store, StoreError};
use std::collections::HashMap;
use std::sync::Arc;
/// Maps keyed by unit code, built afresh for every table and page: foldhash rather than SipHash, whose
/// resistance to chosen keys the registry's own codes do not need (hashing was a tenth of a page anew).
pub type UnitMap<V> = foldhash::HashMap<String, V>;
use foldhash::HashMapExt;

/// At most this many units' series are reserved before a ledger is read (about the nation's units).
const MONTH_ROWS_RESERVED: usize = 8_192;

/// Which figures of a closed month to read. Months not closed read the same either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// As published at closing, judged against the published targets and minimum volume.
    AsPublished,
    /// The live figures (the revision: late events included), judged against today's registry.
    Live,
}

/// What a unit is judged against in a period: the target that applies, where it comes from, and the
/// minimum volume in force.
#[derive(Debug, Clone, PartialEq)]
pub struct Standard<'a> {
    pub target: Option<Ratio>,
    /// The import file and line of a registry target; `None` for a published one or none at all.
    pub target_source: Option<&'a str>,
    pub min_volume: i64,
}

struct Closing {
    at: ClosedMonth,
    targets: UnitMap<Option<Ratio>>,
    /// Each unit's own live figures of the month.
    live: UnitMap<Figures>,
}

/// One indicator's figures over consecutive periods of one kind, oldest first.
pub struct Ledger {
    indicator: Indicator,
    periods: Vec<Period>,
    /// Every month of `periods`, oldest first.
    months: Vec<Month>,
    /// Each unit's own figures, one per month of `months`; a closed month's are the published ones.
    own: UnitMap<Vec<Figures>>,
    closed: HashMap<Month, Closing>,
}

impl Ledger {
    /// Reads `periods` (consecutive, of one kind, oldest first; months convert) of `indicator`: one
    /// rollup read, and for each closed month its publication.
    ///
    /// `on_time_index` also counts, late, the open dossiers due in each month that has ended at `now_ms`
    /// (the `overdue_open` rollups): the index judges a dossier still open past its due date at the end
    /// of the period. A month still running counts them once it has ended.
    pub async fn read<P: Copy + Into<Period>>(store: &dyn Store, indicator: Indicator, periods: &[P], now_ms: i64) -> Result<Ledger, StoreError> {
        let mut ledger = Ledger::new(indicator, periods);
        let months = ledger.months.clone();
        let (Some(&first), Some(&last)) = (months.first(), months.last()) else {
            return Ok(ledger);
        };
        let mut slices = store.rollups_shared(indicator, first, last).await?;
        if indicator == Indicator::OnTimeIndex {
            let running = Month::of_millis(now_ms);
            let rows = store.rollups_shared(Indicator::OverdueOpen, first, last).await?;
            let overdue: Vec<RollupRow> = rows.iter().flat_map(|s| s.iter()).filter(|r| r.month < running).cloned().collect();
            slices.push(Arc::new(overdue));
        }
        let closed: HashMap<Month, ClosedMonth> = store.closed_months().await?.into_iter().filter(|(m, _)| months.contains(m)).collect();
        let mut closings = HashMap::new();
        for (month, at) in closed {
            closings.insert(month, (at, store.published(indicator, month).await?));
        }
        // Sized for the units of a month at once: growing the map row by row rehashed it a dozen times.
        let largest = slices.iter().map(|s| s.len()).max().unwrap_or(0);
        ledger.own.reserve(largest.min(MONTH_ROWS_RESERVED));
        let is_closed: Vec<bool> = months.iter().map(|m| closings.contains_key(m)).collect();
        for r in slices.iter().flat_map(|s| s.iter()) {
            let Some(i) = ledger.slot(r.month) else { continue };
            if is_closed[i] {
                let live = &mut ledger.closed.entry(r.month).or_insert_with(|| Closing::empty(closings[&r.month].0)).live;
                *live.entry(r.unit.clone()).or_default() += r.figures;
            } else {
                ledger.add_ref(&r.unit, i, r.figures);
            }
        }
        for (month, (at, published)) in closings {
            let i = ledger.slot(month).expect("a month of the ledger");
            let closing = ledger.closed.entry(month).or_insert_with(|| Closing::empty(at));
            for p in published {
                closing.targets.insert(p.unit.clone(), p.target);
                ledger.own.entry(p.unit).or_insert_with(|| vec![Figures::default(); months.len()])[i] += p.figures;
            }
        }
        Ok(ledger)
    }

    fn new<P: Copy + Into<Period>>(indicator: Indicator, periods: &[P]) -> Ledger {
        let periods: Vec<Period> = periods.iter().map(|p| (*p).into()).collect();
        let months = periods.iter().flat_map(|p| p.months()).collect();
        Ledger { indicator, periods, months, own: UnitMap::new(), closed: HashMap::new() }
    }

    /// A ledger from rollups covering `periods`, none of them closed (tests and the benchmark).
    pub fn from_rollups<P: Copy + Into<Period>>(indicator: Indicator, rows: impl IntoIterator<Item = RollupRow>, periods: &[P]) -> Ledger {
        let mut ledger = Ledger::new(indicator, periods);
        for r in rows {
            if let Some(i) = ledger.slot(r.month) {
                ledger.add(r.unit, i, r.figures);
            }
        }
        ledger
    }

    /// Where `month` sits in `months`: counted from the first (the months of consecutive periods are
    /// consecutive), since every rollup row read asks; searched for should they not be.
    fn slot(&self, month: Month) -> Option<usize> {
        let first = *self.months.first()?;
        let counted = usize::try_from(first.months_until(month)).ok().filter(|&i| self.months.get(i) == Some(&month));
        counted.or_else(|| self.months.iter().position(|m| *m == month))
    }

    fn add(&mut self, unit: String, i: usize, figures: Figures) {
        let n = self.months.len();
        self.own.entry(unit).or_insert_with(|| vec![Figures::default(); n])[i] += figures;
    }

    /// `add` of a borrowed code: copied only the first time the unit is seen.
    fn add_ref(&mut self, unit: &str, i: usize, figures: Figures) {
        match self.own.get_mut(unit) {
            Some(series) => series[i] += figures,
            None => self.add(unit.to_string(), i, figures),
        }
    }

    pub fn indicator(&self) -> Indicator {
        self.indicator
    }

    /// The periods read, oldest first.
    pub fn periods(&self) -> &[Period] {
        &self.periods
    }

    /// When `period`, a month, was closed, and with which minimum volume. A quarter, half or year has
    /// no closing of its own: its closed months are read as published all the same.
    pub fn closed(&self, period: impl Into<Period>) -> Option<ClosedMonth> {
        self.closed.get(&period.into().as_month()?).map(|c| c.at)
    }

    /// How many of the period's months are closed.
    pub fn closed_months(&self, period: impl Into<Period>) -> usize {
        period.into().months().filter(|m| self.closed.contains_key(m)).count()
    }

    fn live_of(&self, month: Month, reading: Reading) -> Option<&UnitMap<Figures>> {
        match reading {
            Reading::Live => self.closed.get(&month).map(|c| &c.live),
            Reading::AsPublished => None,
        }
    }

    /// The unit's own figures in one month, without the units under it.
    fn own_in(&self, code: &str, month: Month, reading: Reading) -> Figures {
        if let Some(live) = self.live_of(month, reading) {
            return live.get(code).copied().unwrap_or_default();
        }
        self.slot(month).and_then(|i| self.own.get(code).map(|v| v[i])).unwrap_or_default()
    }

    /// The unit's own figures, without the units under it: the sum of the period's months.
    pub fn own(&self, code: &str, period: impl Into<Period>, reading: Reading) -> Figures {
        period.into().months().map(|m| self.own_in(code, m, reading)).sum()
    }

    /// A unit's figures: its own plus those of every unit under it (sums of numerators and denominators).
    pub fn figures(&self, tree: &UnitTree, code: &str, period: impl Into<Period>, reading: Reading) -> Figures {
        let period = period.into();
        tree.subtree(code).iter().map(|u| self.own(&u.code, period, reading)).sum()
    }

    /// A unit's figures for every period of the ledger, as published.
    pub fn series(&self, tree: &UnitTree, code: &str) -> Vec<Figures> {
        let per = self.periods.first().map_or(1, |p| p.kind().months() as usize);
        if per == 1 && tree.contains(code) && !tree.has_children(code) {
            // A commune or a department over months, thousands to a page: its own series as it is.
            return self.own.get(code).cloned().unwrap_or_else(|| vec![Figures::default(); self.months.len()]);
        }
        let mut by_month = vec![Figures::default(); self.months.len()];
        for member in tree.subtree(code) {
            if let Some(own) = self.own.get(&member.code) {
                for (s, f) in by_month.iter_mut().zip(own) {
                    *s += *f;
                }
            }
        }
        by_month.chunks(per).map(|c| c.iter().copied().sum()).collect()
    }

    /// Every unit's figures (what `figures` gives for each) in one pass: each unit's own figures are
    /// added to it and to each of its ancestors. Units the registry does not know are left out.
    pub fn rolled_up(&self, tree: &UnitTree, period: impl Into<Period>, reading: Reading) -> UnitMap<Figures> {
        let mut out: UnitMap<Figures> = UnitMap::with_capacity(self.own.len() * 2);
        let mut add = |code: &str, f: Figures| {
            if tree.contains(code) {
                for u in tree.ancestors_or_self(code) {
                    *out.entry(u.code.clone()).or_default() += f;
                }
            }
        };
        for month in period.into().months() {
            if let Some(live) = self.live_of(month, reading) {
                live.iter().for_each(|(code, f)| add(code, *f));
            } else if let Some(i) = self.slot(month) {
                self.own.iter().for_each(|(code, v)| add(code, v[i]));
            }
        }
        out
    }

    /// Everything of the period, whatever unit it belongs to.
    pub fn total(&self, period: impl Into<Period>, reading: Reading) -> Figures {
        let month_total = |month: Month| match self.live_of(month, reading) {
            Some(live) => live.values().copied().sum(),
            None => self.slot(month).map(|i| self.own.values().map(|v| v[i]).sum()).unwrap_or_default(),
        };
        period.into().months().map(month_total).sum()
    }

    /// The target and minimum volume that judge `unit` in `period`: those published at closing for a
    /// closed month, else the registry's (for a quarter, half or year, the year's target) and the
    /// configured minimum volume.
    pub fn standard<'r>(&self, registry: &'r Registry, unit: &Unit, period: impl Into<Period>, reading: Reading, min_volume: i64) -> Standard<'r> {
        let period = period.into();
        let published = period.as_month().and_then(|m| self.closed.get(&m));
        match (published, reading) {
            (Some(c), Reading::AsPublished) => Standard { target: c.targets.get(&unit.code).copied().flatten(), target_source: None, min_volume: c.at.min_volume },
            _ => {
                let t = registry.targets.resolve_period(unit, period, self.indicator);
                Standard { target: t.map(|t| t.value), target_source: t.map(|t| t.source.as_str()), min_volume }
            }
        }
    }

    /// Judges `unit` in `period` on `figures` (its subtree's, as `figures` or `rolled_up` give them):
    /// the standard that applies, the share of the period elapsed at `now_ms`, then `kpi::judge`.
    #[allow(clippy::too_many_arguments)]
    pub fn judge_figures(&self, registry: &Registry, unit: &Unit, period: impl Into<Period>, reading: Reading, figures: Figures, min_volume: i64, now_ms: i64) -> Judgement {
        let period = period.into();
        self.judge_in(registry, unit, period, period.progress(now_ms), reading, figures, min_volume)
    }

    /// `judge_figures` with the period's progress given: the same for every unit of a table, which
    /// judges thousands.
    #[allow(clippy::too_many_arguments)]
    pub fn judge_in(&self, registry: &Registry, unit: &Unit, period: Period, progress: Progress, reading: Reading, figures: Figures, min_volume: i64) -> Judgement {
        let s = self.standard(registry, unit, period, reading, min_volume);
        kpi::judge(figures, s.target, s.min_volume, progress)
    }

    /// Judges `unit` in `period` on its subtree's figures.
    pub fn judge(&self, registry: &Registry, unit: &Unit, period: impl Into<Period>, reading: Reading, min_volume: i64, now_ms: i64) -> Judgement {
        let period = period.into();
        let f = self.figures(&registry.units, &unit.code, period, reading);
        self.judge_figures(registry, unit, period, reading, f, min_volume, now_ms)
    }
}

impl Closing {
    fn empty(at: ClosedMonth) -> Closing {
        Closing { at, targets: UnitMap::new(), live: UnitMap::new() }
    }
}
