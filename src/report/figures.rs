//! The one source of figures for every reader: an indicator's rollups over consecutive months, with each
//! closed month as it was published (its figures, its targets and its minimum volume), the live figures
//! kept beside them as the month's revision; and the one place where a unit and month are judged.
//!
//! The league table, the unit page and its history, the exports, the aggregates, the metrics snapshot
//! (and through it the alert rules) all read a `Ledger`, so a closed month reads the same everywhere.

use crate::domain::kpi::{self, Judgement};
use crate::domain::{Figures, Indicator, Month, Ratio, Unit, UnitTree};
use crate::registry::Registry;
use crate::store::{ClosedMonth, RollupRow, Store, StoreError};
use std::collections::HashMap;

/// Which figures of a closed month to read. Months not closed read the same either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// As published at closing, judged against the published targets and minimum volume.
    AsPublished,
    /// The live figures (the revision: late events included), judged against today's registry.
    Live,
}

/// What a unit is judged against in a month: the target that applies, where it comes from, and the
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
    targets: HashMap<String, Option<Ratio>>,
    /// Each unit's own live figures of the month.
    live: HashMap<String, Figures>,
}

/// One indicator's figures over consecutive months, oldest first.
pub struct Ledger {
    indicator: Indicator,
    months: Vec<Month>,
    /// Each unit's own figures, one per month of `months`; a closed month's are the published ones.
    own: HashMap<String, Vec<Figures>>,
    closed: HashMap<Month, Closing>,
}

impl Ledger {
    /// Reads `months` (consecutive, oldest first) of `indicator`: one rollup read, and for each closed
    /// month its publication.
    pub async fn read(store: &dyn Store, indicator: Indicator, months: &[Month]) -> Result<Ledger, StoreError> {
        let (Some(&first), Some(&last)) = (months.first(), months.last()) else {
            return Ok(Ledger::from_rollups(indicator, Vec::new(), months));
        };
        let rows = store.rollups(indicator, first, last).await?;
        let mut closings = HashMap::new();
        for &month in months {
            if let Some(at) = store.closed_month(month).await? {
                closings.insert(month, (at, store.published(indicator, month).await?));
            }
        }
        let mut ledger = Ledger { indicator, months: months.to_vec(), own: HashMap::new(), closed: HashMap::new() };
        let slots = ledger.slots();
        for r in rows {
            let Some(&i) = slots.get(&r.month) else { continue };
            if closings.contains_key(&r.month) {
                let live = &mut ledger.closed.entry(r.month).or_insert_with(|| Closing::empty(closings[&r.month].0)).live;
                *live.entry(r.unit).or_default() += r.figures;
            } else {
                ledger.add(r.unit, i, r.figures);
            }
        }
        for (month, (at, published)) in closings {
            let i = slots[&month];
            let closing = ledger.closed.entry(month).or_insert_with(|| Closing::empty(at));
            for p in published {
                closing.targets.insert(p.unit.clone(), p.target);
                ledger.own.entry(p.unit).or_insert_with(|| vec![Figures::default(); months.len()])[i] += p.figures;
            }
        }
        Ok(ledger)
    }

    /// A ledger from rollups covering `months`, none of them closed (tests and the benchmark).
    pub fn from_rollups(indicator: Indicator, rows: impl IntoIterator<Item = RollupRow>, months: &[Month]) -> Ledger {
        let mut ledger = Ledger { indicator, months: months.to_vec(), own: HashMap::new(), closed: HashMap::new() };
        let slots = ledger.slots();
        for r in rows {
            if let Some(&i) = slots.get(&r.month) {
                ledger.add(r.unit, i, r.figures);
            }
        }
        ledger
    }

    fn slots(&self) -> HashMap<Month, usize> {
        self.months.iter().enumerate().map(|(i, m)| (*m, i)).collect()
    }

    fn slot(&self, month: Month) -> Option<usize> {
        self.months.iter().position(|m| *m == month)
    }

    fn add(&mut self, unit: String, i: usize, figures: Figures) {
        let n = self.months.len();
        self.own.entry(unit).or_insert_with(|| vec![Figures::default(); n])[i] += figures;
    }

    pub fn indicator(&self) -> Indicator {
        self.indicator
    }

    pub fn months(&self) -> &[Month] {
        &self.months
    }

    /// When `month` was closed, and with which minimum volume.
    pub fn closed(&self, month: Month) -> Option<ClosedMonth> {
        self.closed.get(&month).map(|c| c.at)
    }

    fn live_of(&self, month: Month, reading: Reading) -> Option<&HashMap<String, Figures>> {
        match reading {
            Reading::Live => self.closed.get(&month).map(|c| &c.live),
            Reading::AsPublished => None,
        }
    }

    /// The unit's own figures, without the units under it.
    pub fn own(&self, code: &str, month: Month, reading: Reading) -> Figures {
        if let Some(live) = self.live_of(month, reading) {
            return live.get(code).copied().unwrap_or_default();
        }
        self.slot(month).and_then(|i| self.own.get(code).map(|v| v[i])).unwrap_or_default()
    }

    /// A unit's figures: its own plus those of every unit under it (sums of numerators and denominators).
    pub fn figures(&self, tree: &UnitTree, code: &str, month: Month, reading: Reading) -> Figures {
        tree.subtree(code).iter().map(|u| self.own(&u.code, month, reading)).sum()
    }

    /// A unit's figures for every month of the ledger, as published.
    pub fn series(&self, tree: &UnitTree, code: &str) -> Vec<Figures> {
        let mut sum = vec![Figures::default(); self.months.len()];
        for member in tree.subtree(code) {
            if let Some(own) = self.own.get(&member.code) {
                for (s, f) in sum.iter_mut().zip(own) {
                    *s += *f;
                }
            }
        }
        sum
    }

    /// Every unit's figures (what `figures` gives for each) in one pass: each unit's own figures are
    /// added to it and to each of its ancestors. Units the registry does not know are left out.
    pub fn rolled_up(&self, tree: &UnitTree, month: Month, reading: Reading) -> HashMap<String, Figures> {
        let mut out: HashMap<String, Figures> = HashMap::with_capacity(self.own.len() * 2);
        let mut add = |code: &str, f: Figures| {
            if tree.contains(code) {
                for u in tree.ancestors_or_self(code) {
                    *out.entry(u.code.clone()).or_default() += f;
                }
            }
        };
        if let Some(live) = self.live_of(month, reading) {
            live.iter().for_each(|(code, f)| add(code, *f));
        } else if let Some(i) = self.slot(month) {
            self.own.iter().for_each(|(code, v)| add(code, v[i]));
        }
        out
    }

    /// Everything of the month, whatever unit it belongs to.
    pub fn total(&self, month: Month, reading: Reading) -> Figures {
        if let Some(live) = self.live_of(month, reading) {
            return live.values().copied().sum();
        }
        self.slot(month).map(|i| self.own.values().map(|v| v[i]).sum()).unwrap_or_default()
    }

    /// The target and minimum volume that judge `unit` in `month`: those published at closing, or the
    /// registry's and the configured ones.
    pub fn standard<'r>(&self, registry: &'r Registry, unit: &Unit, month: Month, reading: Reading, min_volume: i64) -> Standard<'r> {
        match (self.closed.get(&month), reading) {
            (Some(c), Reading::AsPublished) => Standard { target: c.targets.get(&unit.code).copied().flatten(), target_source: None, min_volume: c.at.min_volume },
            _ => {
                let t = registry.targets.resolve(unit, month, self.indicator);
                Standard { target: t.map(|t| t.value), target_source: t.map(|t| t.source.as_str()), min_volume }
            }
        }
    }

    /// Judges `unit` in `month` on `figures` (its subtree's, as `figures` or `rolled_up` give them):
    /// the standard that applies, the share of the month elapsed at `now_ms`, then `kpi::judge`.
    #[allow(clippy::too_many_arguments)]
    pub fn judge_figures(&self, registry: &Registry, unit: &Unit, month: Month, reading: Reading, figures: Figures, min_volume: i64, now_ms: i64) -> Judgement {
        let s = self.standard(registry, unit, month, reading, min_volume);
        kpi::judge(figures, s.target, s.min_volume, month.period(now_ms))
    }

    /// Judges `unit` in `month` on its subtree's figures.
    pub fn judge(&self, registry: &Registry, unit: &Unit, month: Month, reading: Reading, min_volume: i64, now_ms: i64) -> Judgement {
        let f = self.figures(&registry.units, &unit.code, month, reading);
        self.judge_figures(registry, unit, month, reading, f, min_volume, now_ms)
    }
}

impl Closing {
    fn empty(at: ClosedMonth) -> Closing {
        Closing { at, targets: HashMap::new(), live: HashMap::new() }
    }
}
