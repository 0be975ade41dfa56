//! What `/metrics` shows, read from the store and judged by the domain: one consistent snapshot.

use super::figures::{Ledger, Reading, UnitMap};
use crate::domain::kpi::{self, Judgement};
use crate::domain::{Figures, Indicator, Month, Progress, Unit};
use crate::store::{Store, StoreError};
use std::collections::HashMap;

/// How many indicators a unit's series holds: those of `Indicator::ALL`, in that order.
pub const N: usize = Indicator::ALL.len();

/// How many finished months `months_behind` looks back.
pub const BEHIND_LOOKBACK: usize = 12;

#[derive(Debug, Clone, PartialEq)]
pub struct UnitSeries {
    /// The unit's own figures (without the units under it, which Prometheus sums itself): this month to
    /// date, and last month (as published, once closed).
    pub month: [Figures; N],
    pub last_month: [Figures; N],
    pub counters: [Figures; N],
    /// This month and last, judged by the ledger as the league table judges them: on the unit's
    /// subtree, a closed month as published. Statuses, targets, rates, gaps and the outlook come from here.
    pub judged: [Judgement; N],
    pub last_judged: [Judgement; N],
    /// None when the snapshot did not look back (see `snapshot`).
    pub months_behind: Option<[u32; N]>,
}

impl Default for UnitSeries {
    fn default() -> Self {
        let nothing = kpi::judge(Figures::default(), None, 0, Progress::Finished);
        UnitSeries {
            month: Default::default(),
            last_month: Default::default(),
            counters: Default::default(),
            judged: [nothing; N],
            last_judged: [nothing; N],
            months_behind: None,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// The current month at the snapshot's instant (UTC+07:00); `None` only in an empty snapshot.
    pub month: Option<Month>,
    pub units: Vec<Unit>,
    /// Boxed: a hash table sizes its slots for twice the entries, and a series is 2.5 KB; unboxed, the
    /// table of 3,866 units took 20 MB, twice over while the next snapshot is built beside the last.
    pub series: HashMap<String, Box<UnitSeries>>,
    pub elapsed: f64,
    pub min_volume: i64,
    /// Source → last valid event, in seconds.
    pub sources: Vec<(String, f64)>,
    pub scopes: Vec<(String, String)>,
}

fn slot(i: Indicator) -> Option<usize> {
    Indicator::ALL.iter().position(|x| *x == i)
}

/// Reads everything `/metrics` needs. Unit figures are each unit's own (no subtree sums: Prometheus
/// sums them through `dvc_unit_info`). Statuses and targets are judged exactly as the league table
/// judges them: on the figures of the unit's subtree (a province on the sum of its units), and for a
/// closed month on the published figures with the published targets and minimum volume. With
/// `look_back`, it also reads a year of finished months for `months_behind`, which changes rarely and
/// costs the most.
pub async fn snapshot(store: &dyn Store, min_volume: i64, now_ms: i64, look_back: bool) -> Result<Snapshot, StoreError> {
    let registry = store.registry().await?;
    let month = Month::of_millis(now_ms);
    let last = month.prev();
    let lookback = last.trailing(if look_back { BEHIND_LOOKBACK } else { 1 });
    let mut series: HashMap<String, Box<UnitSeries>> =
        registry.units.all().iter().map(|u| (u.code.clone(), Box::default())).collect();
    let months: Vec<Month> = lookback.iter().copied().chain([month]).collect();
    for indicator in Indicator::ALL {
        let i = slot(indicator).expect("listed");
        let ledger = Ledger::read(store, indicator, &months, now_ms).await?;
        let sums = |m: Month| ledger.rolled_up(&registry.units, m, Reading::AsPublished);
        let (current_sums, last_sums) = (sums(month), sums(last));
        let history_sums: Vec<UnitMap<Figures>> = if look_back { lookback.iter().map(|m| sums(*m)).collect() } else { Vec::new() };
        let sum = |sums: &UnitMap<Figures>, code: &str| sums.get(code).copied().unwrap_or_default();
        let judge = |u: &Unit, m: Month, f: Figures| ledger.judge_figures(&registry, u, m, Reading::AsPublished, f, min_volume, now_ms);
        for u in registry.units.all() {
            let s = series.get_mut(&u.code).expect("every unit");
            s.month[i] = ledger.own(&u.code, month, Reading::AsPublished);
            s.last_month[i] = ledger.own(&u.code, last, Reading::AsPublished);
            s.judged[i] = judge(u, month, sum(&current_sums, &u.code));
            s.last_judged[i] = judge(u, last, sum(&last_sums, &u.code));
            if look_back {
                let history: Vec<kpi::Status> = lookback.iter().zip(&history_sums).map(|(m, f)| judge(u, *m, sum(f, &u.code)).status).collect();
                s.months_behind.get_or_insert([0; N])[i] = kpi::months_behind(&history);
            }
        }
    }
    for c in store.counters().await? {
        // `overdue_open` has counters too; it is no series of its own.
        if let (Some(s), Some(i)) = (series.get_mut(&c.unit), slot(c.indicator)) {
            s.counters[i] = c.figures;
        }
    }
    let elapsed = match month.progress(now_ms) {
        Progress::Current { elapsed_ms, length_ms } => elapsed_ms as f64 / length_ms as f64,
        _ => 1.0,
    };
    Ok(Snapshot {
        month: Some(month),
        units: registry.units.all().to_vec(),
        series,
        elapsed,
        min_volume,
        sources: store.sources().await?.into_iter().map(|(s, ms)| (s, ms as f64 / 1000.0)).collect(),
        scopes: store.token_scopes().await?,
    })
}
