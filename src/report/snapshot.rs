//! What `/metrics` shows, read from the store and judged by the domain: one consistent snapshot.

use super::league::Published;
use super::MonthFigures;
use crate::domain::{kpi, Figures, Indicator, Month, Period, Ratio, Unit};
use crate::store::{Store, StoreError};
use std::collections::HashMap;

/// How many finished months `months_behind` looks back.
pub const BEHIND_LOOKBACK: usize = 12;

#[derive(Debug, Clone, PartialEq)]
pub struct UnitSeries {
    /// Month to date, then last month.
    pub month: [Figures; 3],
    pub last_month: [Figures; 3],
    pub target: [Option<Ratio>; 3],
    pub last_target: [Option<Ratio>; 3],
    pub counters: [Figures; 3],
    /// Status this month (kpi.md), and for last month.
    pub status: [kpi::Status; 3],
    pub last_status: [kpi::Status; 3],
    /// This month's outlook, from the same judgement as `status` (`kpi::judge`).
    pub projection: [Option<kpi::Projection>; 3],
    /// None when the snapshot did not look back (see `snapshot`).
    pub months_behind: Option<[u32; 3]>,
}

impl Default for UnitSeries {
    fn default() -> Self {
        UnitSeries {
            month: Default::default(),
            last_month: Default::default(),
            target: Default::default(),
            last_target: Default::default(),
            counters: Default::default(),
            status: [kpi::Status::InsufficientData; 3],
            last_status: [kpi::Status::InsufficientData; 3],
            projection: [None; 3],
            months_behind: None,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub units: Vec<Unit>,
    pub series: HashMap<String, UnitSeries>,
    pub elapsed: f64,
    pub min_volume: i64,
    /// Source → last valid event, in seconds.
    pub sources: Vec<(String, f64)>,
    pub scopes: Vec<(String, String)>,
}

fn slot(i: Indicator) -> usize {
    Indicator::ALL.iter().position(|x| *x == i).expect("listed")
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
    let mut series: HashMap<String, UnitSeries> =
        registry.units.all().iter().map(|u| (u.code.clone(), UnitSeries::default())).collect();
    for indicator in Indicator::ALL {
        let i = slot(indicator);
        let mut rows = store.rollups(indicator, lookback[0], month).await?;
        let read: Vec<Month> = lookback.iter().copied().chain([month]).collect();
        let published = Published::overlay(store, indicator, &read, &mut rows).await?;
        let by_month: Vec<MonthFigures> = lookback.iter().map(|m| MonthFigures::new(&rows, *m)).collect();
        let current = MonthFigures::new(&rows, month);
        let last_figures = by_month.last().expect("at least last month");
        let current_sums = current.rolled_up(&registry.units);
        let last_sums = last_figures.rolled_up(&registry.units);
        let history_sums: Vec<HashMap<String, Figures>> =
            if look_back { by_month.iter().map(|f| f.rolled_up(&registry.units)).collect() } else { Vec::new() };
        let sum = |sums: &HashMap<String, Figures>, code: &str| sums.get(code).copied().unwrap_or_default();
        for u in registry.units.all() {
            let s = series.get_mut(&u.code).expect("every unit");
            s.month[i] = current.own(&u.code);
            s.last_month[i] = last_figures.own(&u.code);
            let (target, volume) = published.judge(&registry, u, month, indicator, min_volume);
            let (last_target, last_volume) = published.judge(&registry, u, last, indicator, min_volume);
            s.target[i] = target;
            s.last_target[i] = last_target;
            let judged = kpi::judge(sum(&current_sums, &u.code), target, volume, month.period(now_ms));
            s.status[i] = judged.status;
            s.projection[i] = judged.projection;
            s.last_status[i] = kpi::judge(sum(&last_sums, &u.code), last_target, last_volume, last.period(now_ms)).status;
            if look_back {
                let history: Vec<(Figures, Option<Ratio>)> = lookback
                    .iter()
                    .zip(&history_sums)
                    .map(|(m, f)| (sum(f, &u.code), published.judge(&registry, u, *m, indicator, min_volume).0))
                    .collect();
                s.months_behind.get_or_insert([0; 3])[i] = kpi::months_behind(&history, min_volume);
            }
        }
    }
    for c in store.counters().await? {
        if let Some(s) = series.get_mut(&c.unit) {
            s.counters[slot(c.indicator)] = c.figures;
        }
    }
    let elapsed = match month.period(now_ms) {
        Period::Current { elapsed_ms, length_ms } => elapsed_ms as f64 / length_ms as f64,
        _ => 1.0,
    };
    Ok(Snapshot {
        units: registry.units.all().to_vec(),
        series,
        elapsed,
        min_volume,
        sources: store.sources().await?.into_iter().map(|(s, ms)| (s, ms as f64 / 1000.0)).collect(),
        scopes: store.token_scopes().await?,
    })
}
