//! What `/metrics` shows, read from the store and judged by the domain: one consistent snapshot.

use super::MonthFigures;
use crate::domain::{kpi, Figures, Indicator, Month, Period, Ratio, Unit};
use crate::registry::Registry;
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
/// sums them through `dvc_unit_info`). With `look_back`, it also reads a year of finished months for
/// `months_behind`, which changes rarely and costs the most.
pub async fn snapshot(store: &dyn Store, min_volume: i64, now_ms: i64, look_back: bool) -> Result<Snapshot, StoreError> {
    let registry = Registry::load(store).await?;
    let month = Month::of_millis(now_ms);
    let last = month.prev();
    let lookback = last.trailing(if look_back { BEHIND_LOOKBACK } else { 1 });
    let mut series: HashMap<String, UnitSeries> =
        registry.units.all().iter().map(|u| (u.code.clone(), UnitSeries::default())).collect();
    for indicator in Indicator::ALL {
        let i = slot(indicator);
        let rows = store.rollups(indicator, lookback[0], month).await?;
        let by_month: Vec<MonthFigures> = lookback.iter().map(|m| MonthFigures::new(&rows, *m)).collect();
        let current = MonthFigures::new(&rows, month);
        for u in registry.units.all() {
            let s = series.get_mut(&u.code).expect("every unit");
            s.month[i] = current.own(&u.code);
            s.last_month[i] = by_month.last().map(|f| f.own(&u.code)).unwrap_or_default();
            s.target[i] = registry.targets.resolve(u, month, indicator).map(|t| t.value);
            s.last_target[i] = registry.targets.resolve(u, last, indicator).map(|t| t.value);
            s.status[i] = kpi::status(s.month[i], s.target[i], min_volume, month.period(now_ms));
            s.last_status[i] = kpi::status(s.last_month[i], s.last_target[i], min_volume, last.period(now_ms));
            if look_back {
                let history: Vec<(Figures, Option<Ratio>)> = lookback
                    .iter()
                    .zip(&by_month)
                    .map(|(m, f)| (f.own(&u.code), registry.targets.resolve(u, *m, indicator).map(|t| t.value)))
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
