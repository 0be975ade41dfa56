//! The national index (Decision 766/QĐ-TTg) estimated from the province's own dossiers: for a unit and
//! period, each dossier-based component of the scheme with its figures (the unit and every unit under
//! it, closed months as published), the points it earns, the points lost and how many more dossiers
//! would earn them back; for a province or the nation, its units ranked by the estimate as well.

use super::figures::{Ledger, Reading};
use crate::domain::index_scheme::{Component, Scheme, Score};
use crate::domain::{Indicator, Period, Unit, UnitKind};
use crate::registry::Registry;
use crate::store::{Store, StoreError};
use serde::Serialize;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ComponentScore {
    #[serde(flatten)]
    pub component: Component,
    #[serde(flatten)]
    pub score: Score,
}

/// A unit's estimate: the sum of its components' points, over the components that apply to it (those
/// with dossiers in the period).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UnitEstimate {
    pub unit: String,
    pub name: String,
    pub kind: UnitKind,
    pub points: f64,
    /// The points the applicable components could earn.
    pub max_points: f64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IndexEstimate {
    pub unit: String,
    pub name: String,
    pub kind: UnitKind,
    /// `YYYY-MM`, `YYYY-Qn`, `YYYY-Hn` or `YYYY`.
    #[schema(value_type = String, example = "2026-11")]
    pub period: Period,
    /// Always true: computed from this service's dossiers, not the portal's published index.
    pub estimate: bool,
    pub scheme_source: String,
    pub scheme_date: String,
    pub components: Vec<ComponentScore>,
    pub points: f64,
    pub max_points: f64,
    /// The points the scheme's dossier components can earn at most (every component applying).
    pub scheme_points: f64,
    /// For a province or the nation: the units under it (departments, then communes), by the share of
    /// their applicable points earned, highest first.
    pub units: Vec<UnitEstimate>,
}

fn sum(scores: impl Iterator<Item = (f64, Score)>) -> (f64, f64) {
    scores.filter_map(|(max, s)| s.points.map(|p| (p, max))).fold((0.0, 0.0), |(p, m), (a, b)| (p + a, m + b))
}

/// Reads one ledger per component (the period only) and scores `unit` and, for a province or the
/// nation, each unit under it.
pub async fn estimate(store: &dyn Store, registry: &Registry, scheme: &Scheme, unit: &Unit, period: Period, now_ms: i64) -> Result<IndexEstimate, StoreError> {
    let mut ledgers: Vec<Ledger> = Vec::with_capacity(scheme.components.len());
    for c in &scheme.components {
        ledgers.push(Ledger::read(store, c.indicator, &[period], now_ms).await?);
    }
    let score = |code: &str| -> Vec<Score> {
        scheme.components.iter().zip(&ledgers).map(|(c, l)| c.score(l.figures(&registry.units, code, period, Reading::AsPublished))).collect()
    };
    let scores = score(&unit.code);
    let (points, max_points) = sum(scheme.components.iter().map(|c| c.max_points).zip(scores.iter().copied()));
    let mut units = Vec::new();
    if matches!(unit.kind, UnitKind::Province | UnitKind::Nation) {
        let under = |kind| if unit.kind == UnitKind::Nation { registry.units.of_kind(kind, None) } else { registry.units.of_kind(kind, Some(&unit.code)) };
        let kinds: &[UnitKind] = if unit.kind == UnitKind::Nation { &[UnitKind::Province] } else { &[UnitKind::Department, UnitKind::Commune] };
        for &kind in kinds {
            let mut of_kind: Vec<UnitEstimate> = under(kind)
                .into_iter()
                .map(|u| {
                    let (points, max_points) = sum(scheme.components.iter().map(|c| c.max_points).zip(score(&u.code)));
                    UnitEstimate { unit: u.code.clone(), name: u.name.clone(), kind, points, max_points }
                })
                .filter(|e| e.max_points > 0.0)
                .collect();
            // By the share of the points their components could earn: a unit without fees (no online
            // payment component) is not ranked below one with them for points it could never have.
            of_kind.sort_by(|a, b| (b.points / b.max_points).total_cmp(&(a.points / a.max_points)).then_with(|| a.unit.cmp(&b.unit)));
            units.extend(of_kind);
        }
    }
    Ok(IndexEstimate {
        unit: unit.code.clone(),
        name: unit.name.clone(),
        kind: unit.kind,
        period,
        estimate: true,
        scheme_source: scheme.source.clone(),
        scheme_date: scheme.date.clone(),
        components: scheme.components.iter().cloned().zip(scores).map(|(component, score)| ComponentScore { component, score }).collect(),
        points,
        max_points,
        scheme_points: scheme.components.iter().map(|c| c.max_points).sum(),
        units,
    })
}

/// Whether `indicator` feeds a component of `scheme`.
pub fn in_scheme(scheme: &Scheme, indicator: Indicator) -> bool {
    scheme.components.iter().any(|c| c.indicator == indicator)
}
