//! The digest of a province for a meeting: its headline figures against target, its departments'
//! table, its communes summarised by band with the lowest named, the changes since the period before,
//! and the units that fell behind. The monthly meeting report is the digest of a finished period; the
//! weekly quick report is the digest of the month so far with the last seven days beside it.
//!
//! Everything is read through the ledger and the league (`figures`, `league`), so a digest says what
//! the league table and the unit pages say.

use super::figures::{Ledger, Reading};
use super::league::{league_board, league_table, BoardRow, LeagueBoard, LeagueQuery};
use crate::domain::kpi::{Judgement, Status};
use crate::domain::{DossierFacts, Figures, Indicator, Month, Period, Progress, Unit, UnitKind};
use crate::registry::Registry;
use crate::store::{Store, StoreError};
use std::collections::HashMap;

/// Communes below this rate are urgent, and below `WATCH` to be watched, where no target is set: the
/// bands provincial dashboards use in their weekly reports.
pub const URGENT: f64 = 0.8;
pub const WATCH: f64 = 0.9;
/// How many of the lowest communes a digest names.
pub const LOWEST: usize = 5;

#[derive(Debug, Clone)]
pub struct Headline {
    pub indicator: Indicator,
    pub judged: Judgement,
    /// The rate of the period before, as published.
    pub before: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Band {
    Met,
    BelowTarget,
    Urgent,
    Watch,
    Good,
}

impl Band {
    pub fn label_vi(self) -> &'static str {
        match self {
            Band::Met => "Đạt chỉ tiêu (hoặc đúng tiến độ)",
            Band::BelowTarget => "Dưới chỉ tiêu",
            Band::Urgent => "Dưới 80 % (cần xử lý ngay)",
            Band::Watch => "Từ 80 % đến dưới 90 % (theo dõi)",
            Band::Good => "Từ 90 % trở lên",
        }
    }

    /// The status colour the band is shown in.
    pub fn class(self) -> &'static str {
        match self {
            Band::Met | Band::Good => "ok",
            Band::Watch => "warn",
            Band::BelowTarget | Band::Urgent => "bad",
        }
    }
}

/// The communes of a province, counted by band.
#[derive(Debug, Clone)]
pub struct CommuneBands {
    /// True when communes are judged against targets (bands met / below target); else by rate.
    pub by_target: bool,
    pub bands: Vec<(Band, usize)>,
    /// The lowest ranked communes, lowest first.
    pub lowest: Vec<Lowest>,
    /// Counted over the last seven days (the weekly report) rather than the period.
    pub over_week: bool,
    /// Communes with too few dossiers to judge.
    pub unranked: usize,
    pub total: usize,
}

/// One of the lowest communes.
#[derive(Debug, Clone)]
pub struct Lowest {
    pub unit: String,
    pub name: String,
    pub figures: Figures,
    pub target: Option<f64>,
}

/// A unit whose status went from met or on track to below target.
#[derive(Debug, Clone)]
pub struct FellBehind {
    pub unit: String,
    pub name: String,
    pub kind: UnitKind,
    pub rate: Option<f64>,
    pub target: Option<f64>,
    pub before: Status,
    pub now: Status,
}

/// The last seven days, counted from the dossiers themselves (a week is not a rollup period).
#[derive(Debug, Clone)]
pub struct Week {
    pub from_ms: i64,
    pub to_ms: i64,
    /// The province's completion figures, and each department's, in the departments' table order.
    pub province: Figures,
    pub departments: Vec<(String, String, Figures)>,
    /// Every department's and commune's figures of the week, by code.
    pub by_unit: HashMap<String, Figures>,
}

#[derive(Debug)]
pub struct Digest {
    pub province: Unit,
    pub period: Period,
    pub provisional: bool,
    pub headline: Vec<Headline>,
    pub departments: LeagueBoard,
    pub communes: CommuneBands,
    /// Every commune of the province, ranked (the workbook lists them all).
    pub communes_board: LeagueBoard,
    pub fell_behind: Vec<FellBehind>,
    pub week: Option<Week>,
}

/// The band of a ranked commune: against its target where communes have targets, else by rate.
pub fn band_of(row: &BoardRow, by_target: bool) -> Band {
    band(by_target, matches!(row.row.judged.status, Status::Met | Status::OnTrack), row.row.judged.rate.unwrap_or(0.0))
}

fn band(by_target: bool, reached: bool, rate: f64) -> Band {
    match (by_target, reached) {
        (true, true) => Band::Met,
        (true, false) => Band::BelowTarget,
        _ if rate < URGENT => Band::Urgent,
        _ if rate < WATCH => Band::Watch,
        _ => Band::Good,
    }
}

fn bands_of(by_target: bool, judged: &[(Band, Lowest)], unranked: usize, total: usize, over_week: bool) -> CommuneBands {
    let order: &[Band] = if by_target { &[Band::BelowTarget, Band::Met] } else { &[Band::Urgent, Band::Watch, Band::Good] };
    let bands = order.iter().map(|&b| (b, judged.iter().filter(|(x, _)| *x == b).count())).collect();
    let mut lowest: Vec<Lowest> = judged.iter().map(|(_, l)| l.clone()).collect();
    lowest.sort_by(|a, b| a.figures.rate().partial_cmp(&b.figures.rate()).unwrap_or(std::cmp::Ordering::Equal).then_with(|| a.unit.cmp(&b.unit)));
    lowest.truncate(LOWEST);
    CommuneBands { by_target, bands, lowest, unranked, total, over_week }
}

/// Counts the ranked communes of the period by band: against their targets where any has one, else by rate.
pub fn commune_bands(board: &LeagueBoard) -> CommuneBands {
    let by_target = board.rows().any(|r| r.row.judged.target.is_some());
    let judged: Vec<(Band, Lowest)> = board
        .ranked
        .iter()
        .map(|r| (band_of(r, by_target), Lowest { unit: r.row.unit.clone(), name: r.row.name.clone(), figures: Figures::new(r.row.judged.figures.numerator, r.row.judged.figures.denominator), target: r.row.judged.target.map(|t| t.as_f64()) }))
        .collect();
    bands_of(by_target, &judged, board.unranked.len(), board.total, false)
}

/// The same over the last seven days: a commune with the minimum volume in the week is banded by its
/// week's rate against its target (exactly, `kpi::reaches`), or by rate where none is set.
pub fn week_bands(board: &LeagueBoard, week: &Week, min_volume: i64) -> CommuneBands {
    let by_target = board.rows().any(|r| r.row.judged.target.is_some());
    let mut judged = Vec::new();
    let mut unranked = 0;
    for r in board.rows() {
        let f = week.by_unit.get(&r.row.unit).copied().unwrap_or_default();
        if f.denominator == 0 || f.denominator < min_volume {
            unranked += 1;
            continue;
        }
        let reached = r.row.judged.target.is_some_and(|t| crate::domain::kpi::reaches(f, t));
        let lowest = Lowest { unit: r.row.unit.clone(), name: r.row.name.clone(), figures: f, target: r.row.judged.target.map(|t| t.as_f64()) };
        judged.push((band(by_target, reached, f.rate().unwrap_or(0.0)), lowest));
    }
    bands_of(by_target, &judged, unranked, board.total, true)
}

/// Units ranked in both periods whose status went from met or on track to behind, at risk or
/// unreachable.
fn fell_behind(registry: &Registry, now: &LeagueBoard, before: &[super::league::LeagueRow]) -> Vec<FellBehind> {
    let was: HashMap<&str, Status> = before.iter().map(|r| (r.unit.as_str(), r.judged.status)).collect();
    now.rows()
        .map(|b| &b.row)
        .filter_map(|r| {
            let before = *was.get(r.unit.as_str())?;
            let fell = matches!(before, Status::Met | Status::OnTrack) && matches!(r.judged.status, Status::Behind | Status::AtRisk | Status::Unreachable);
            fell.then(|| FellBehind {
                unit: r.unit.clone(),
                name: r.name.clone(),
                kind: registry.units.get(&r.unit).map_or(UnitKind::Department, |u| u.kind),
                rate: r.judged.rate,
                target: r.judged.target.map(|t| t.as_f64()),
                before,
                now: r.judged.status,
            })
        })
        .collect()
}

/// The digest of `province` for `period`.
pub async fn digest(store: &dyn Store, registry: &Registry, province: &Unit, period: Period, min_volume: i64, now_ms: i64) -> Result<Digest, StoreError> {
    // The one-page report's headline: kpi.md's three (the index has its own page, /units/CODE/index).
    let mut headline = Vec::with_capacity(Indicator::PROVINCIAL.len());
    for indicator in Indicator::PROVINCIAL {
        let ledger = Ledger::read(store, indicator, &[period.prev(), period], now_ms).await?;
        let judged = ledger.judge(registry, province, period, Reading::AsPublished, min_volume, now_ms);
        let before = ledger.figures(&registry.units, &province.code, period.prev(), Reading::AsPublished).rate();
        headline.push(Headline { indicator, judged, before });
    }
    let query = |kind, period| LeagueQuery { period, kind, indicator: Indicator::Completion, parent: Some(province.code.clone()), peer: None };
    let departments = league_board(store, registry, &query(UnitKind::Department, period), None, min_volume, now_ms).await?;
    let communes = league_board(store, registry, &query(UnitKind::Commune, period), None, min_volume, now_ms).await?;
    // The period's statuses are the boards' own; only the period before is read again.
    let mut fallen = Vec::new();
    for (kind, board) in [(UnitKind::Department, &departments), (UnitKind::Commune, &communes)] {
        let before = league_table(store, registry, &query(kind, period.prev()), min_volume, now_ms).await?;
        fallen.extend(fell_behind(registry, board, &before.rows));
    }
    Ok(Digest {
        province: province.clone(),
        period,
        provisional: !matches!(period.progress(now_ms), Progress::Finished),
        headline,
        communes: commune_bands(&communes),
        communes_board: communes,
        departments,
        fell_behind: fallen,
        week: None,
    })
}

/// The last seven days before `now_ms`: each dossier counted at the instant `DossierFacts::counted`
/// places it, read a month at a time.
pub async fn week(store: &dyn Store, registry: &Registry, province: &Unit, departments: &LeagueBoard, communes: &LeagueBoard, now_ms: i64) -> Result<Week, StoreError> {
    const WEEK_MS: i64 = 7 * 86_400_000;
    let (from_ms, to_ms) = (now_ms - WEEK_MS, now_ms);
    let codes: Vec<String> = registry.units.subtree(&province.code).iter().map(|u| u.code.clone()).collect();
    let mut months = vec![Month::of_millis(from_ms)];
    if Month::of_millis(to_ms) != months[0] {
        months.push(Month::of_millis(to_ms));
    }
    let mut own: HashMap<String, Figures> = HashMap::new();
    for month in months {
        let dossiers: Vec<DossierFacts> = store.dossiers_in_month(&codes, month).await?;
        for d in &dossiers {
            for (indicator, at, f) in d.counted(registry.terms.get(&d.procedure).copied()) {
                // A dossier read with two months counts once: only in the month its instant falls in.
                if indicator == Indicator::Completion && (from_ms..to_ms).contains(&at) && Month::of_millis(at) == month {
                    *own.entry(d.unit.clone()).or_default() += f;
                }
            }
        }
    }
    let subtree = |code: &str| -> Figures { registry.units.subtree(code).iter().map(|u| own.get(&u.code).copied().unwrap_or_default()).sum() };
    Ok(Week {
        from_ms,
        to_ms,
        province: subtree(&province.code),
        departments: departments.rows().map(|r| (r.row.unit.clone(), r.row.name.clone(), subtree(&r.row.unit))).collect(),
        by_unit: departments.rows().chain(communes.rows()).map(|r| (r.row.unit.clone(), subtree(&r.row.unit))).collect(),
    })
}

/// The weekly quick report: the month so far, with the last seven days.
pub async fn weekly(store: &dyn Store, registry: &Registry, province: &Unit, min_volume: i64, now_ms: i64) -> Result<Digest, StoreError> {
    let mut d = digest(store, registry, province, Month::of_millis(now_ms).into(), min_volume, now_ms).await?;
    let w = week(store, registry, province, &d.departments, &d.communes_board, now_ms).await?;
    // Early in a month the month so far bands nothing: the weekly report bands the communes by their week.
    d.communes = week_bands(&d.communes_board, &w, min_volume);
    d.week = Some(w);
    Ok(d)
}
