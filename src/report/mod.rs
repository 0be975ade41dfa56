//! Reports: what the API, the pages and (later) metrics and alerts read. Each fetches figures from the
//! store and leaves every judgement to the domain's kpi, league and target rules.

pub mod aggregate;
pub mod closing;
pub mod history;
pub mod league;
pub mod shortfall;
pub mod snapshot;
pub mod unit;
pub mod vietnamese;

use crate::domain::{Figures, Month, UnitTree};
use crate::store::RollupRow;
use std::collections::HashMap;

/// Rollup figures of one month and indicator, summed over any unit's subtree on demand.
pub struct MonthFigures {
    by_unit: HashMap<String, Figures>,
}

impl MonthFigures {
    pub fn new(rows: &[RollupRow], month: Month) -> MonthFigures {
        let mut by_unit: HashMap<String, Figures> = HashMap::new();
        for r in rows.iter().filter(|r| r.month == month) {
            *by_unit.entry(r.unit.clone()).or_default() += r.figures;
        }
        MonthFigures { by_unit }
    }

    /// A unit's figures: its own plus those of every unit under it (sums of numerators and denominators).
    pub fn of(&self, tree: &UnitTree, code: &str) -> Figures {
        tree.subtree(code).iter().filter_map(|u| self.by_unit.get(&u.code)).copied().sum()
    }

    /// Every unit's subtree figures at once (what `of` gives for each), in one pass over the figures:
    /// each unit's own figures are added to it and to each of its ancestors.
    pub fn rolled_up(&self, tree: &UnitTree) -> HashMap<String, Figures> {
        let mut out: HashMap<String, Figures> = HashMap::with_capacity(self.by_unit.len() * 2);
        for (code, f) in &self.by_unit {
            if !tree.contains(code) {
                continue;
            }
            for u in tree.ancestors_or_self(code) {
                *out.entry(u.code.clone()).or_default() += *f;
            }
        }
        out
    }

    /// The unit's own figures, without the units under it.
    pub fn own(&self, code: &str) -> Figures {
        self.by_unit.get(code).copied().unwrap_or_default()
    }

    /// Everything, whatever unit it belongs to.
    pub fn total(&self) -> Figures {
        self.by_unit.values().copied().sum()
    }
}
