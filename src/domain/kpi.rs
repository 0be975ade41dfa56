//! Status of a unit-month against its target, and the current-month projection (kpi.md).
//! Pure: the moment of evaluation comes in as a `Progress`; comparisons are exact integer arithmetic.

use super::indicator::Figures;
use super::month::Progress;
use super::target::{Ratio, RATIO_SCALE};
use serde::Serialize;
use std::fmt;

/// Below this many dossiers in the denominator a unit-month is not judged (kpi.md default).
pub const DEFAULT_MIN_VOLUME: i64 = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Met,
    Behind,
    OnTrack,
    AtRisk,
    Unreachable,
    InsufficientData,
    NoTarget,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Met => "met",
            Status::Behind => "behind",
            Status::OnTrack => "on_track",
            Status::AtRisk => "at_risk",
            Status::Unreachable => "unreachable",
            Status::InsufficientData => "insufficient_data",
            Status::NoTarget => "no_target",
        }
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            Status::Met => "Đạt",
            Status::Behind => "Không đạt",
            Status::OnTrack => "Đúng tiến độ",
            Status::AtRisk => "Có nguy cơ không đạt",
            Status::Unreachable => "Không thể đạt",
            Status::InsufficientData => "Chưa đủ dữ liệu",
            Status::NoTarget => "Chưa giao chỉ tiêu",
        }
    }

    /// Ranked statuses take part in the order of the league table.
    pub fn is_ranked(self) -> bool {
        self != Status::InsufficientData
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// rate ≥ target, exactly.
pub fn reaches(figures: Figures, target: Ratio) -> bool {
    figures.denominator > 0
        && figures.numerator as i128 * RATIO_SCALE as i128 >= target.millionths() as i128 * figures.denominator as i128
}

/// The month-end outlook of the current month, for display.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Projection {
    /// D: the denominator the month is heading for at the present pace.
    pub projected_denominator: f64,
    /// How many more fully-online dossiers are needed among those still to come.
    pub needed: f64,
    /// D − denominator: dossiers still to come.
    pub remaining: f64,
}

pub fn project(figures: Figures, target: Ratio, elapsed_ms: i64, length_ms: i64) -> Projection {
    let d = figures.denominator as f64 * length_ms as f64 / elapsed_ms as f64;
    Projection {
        projected_denominator: d,
        needed: target.as_f64() * d - figures.numerator as f64,
        remaining: d - figures.denominator as f64,
    }
}

/// needed > remaining, in integers: with elapsed = e/L, D = den·L/e, the test
/// t·D − N > D − den becomes T·den·L − N·e·S > den·(L − e)·S with t = T/S.
fn unreachable(figures: Figures, target: Ratio, elapsed_ms: i64, length_ms: i64) -> bool {
    let (n, den) = (figures.numerator as i128, figures.denominator as i128);
    let (e, l, t, s) = (elapsed_ms as i128, length_ms as i128, target.millionths() as i128, RATIO_SCALE as i128);
    t * den * l - n * e * s > den * (l - e) * s
}

/// The status of one unit-month. Insufficient volume comes first: a unit with 3 dossiers is never judged.
pub fn status(figures: Figures, target: Option<Ratio>, min_volume: i64, period: Progress) -> Status {
    if figures.denominator == 0 || figures.denominator < min_volume {
        return Status::InsufficientData;
    }
    let Some(target) = target else { return Status::NoTarget };
    let reached = reaches(figures, target);
    let (elapsed_ms, length_ms) = match period {
        Progress::Finished => return if reached { Status::Met } else { Status::Behind },
        Progress::Current { elapsed_ms, length_ms } => (elapsed_ms, length_ms),
        // Only events stamped a few minutes ahead can land in a month not begun; judge them as its first instant.
        Progress::NotStarted => (1, 31 * 86_400_000),
    };
    if reached {
        Status::OnTrack
    } else if unreachable(figures, target, elapsed_ms, length_ms) {
        Status::Unreachable
    } else {
        Status::AtRisk
    }
}

/// A unit and period judged: its figures, the target that applies, and everything derived from them.
/// `judge` is the one place where rate, gap, status and outlook are derived; the league, the unit page,
/// its history and exports read them from here.
///
/// Serialized flat, as the read API lists a unit's figures: `numerator`, `denominator`, `rate`, `target`,
/// `gap`, `status` (the outlook only where a reader adds it).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Judgement {
    #[serde(flatten)]
    pub figures: Figures,
    pub rate: Option<f64>,
    pub target: Option<Ratio>,
    /// rate − target, where both exist.
    pub gap: Option<f64>,
    pub status: Status,
    /// The month-end outlook, for the current period with a target and dossiers.
    #[serde(skip)]
    pub projection: Option<Projection>,
}

/// Judges `figures` against `target` with the minimum volume in force, in `period`.
pub fn judge(figures: Figures, target: Option<Ratio>, min_volume: i64, period: Progress) -> Judgement {
    let rate = figures.rate();
    Judgement {
        figures,
        rate,
        target,
        gap: rate.zip(target).map(|(r, t)| r - t.as_f64()),
        status: status(figures, target, min_volume, period),
        projection: match (period, target) {
            (Progress::Current { elapsed_ms, length_ms }, Some(t)) if figures.denominator > 0 => Some(project(figures, t, elapsed_ms, length_ms)),
            _ => None,
        },
    }
}

/// Consecutive finished months with status `behind`, counting back from the most recent.
/// `history` lists the months' statuses oldest first, ending with the last finished month.
pub fn months_behind(history: &[Status]) -> u32 {
    history.iter().rev().take_while(|s| **s == Status::Behind).count() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> Ratio {
        s.parse().unwrap()
    }
    fn f(n: i64, d: i64) -> Figures {
        Figures::new(n, d)
    }
    const DAY: i64 = 86_400_000;
    fn current(days_elapsed: i64) -> Progress {
        Progress::Current { elapsed_ms: days_elapsed * DAY, length_ms: 30 * DAY }
    }

    #[test]
    fn finished_month_met_or_behind_with_exact_boundary() {
        assert_eq!(status(f(7, 10), Some(r("0.7")), 10, Progress::Finished), Status::Met);
        assert_eq!(status(f(69, 100), Some(r("0.7")), 10, Progress::Finished), Status::Behind);
        // 2/3 against 0.666667: just below.
        assert_eq!(status(f(20, 30), Some(r("0.666667")), 10, Progress::Finished), Status::Behind);
        assert_eq!(status(f(20, 30), Some(r("0.666666")), 10, Progress::Finished), Status::Met);
        assert_eq!(status(f(0, 10), Some(r("0")), 10, Progress::Finished), Status::Met);
        assert_eq!(status(f(10, 10), Some(r("1")), 10, Progress::Finished), Status::Met);
    }

    #[test]
    fn min_volume_before_target() {
        assert_eq!(status(f(0, 9), Some(r("0.7")), 10, Progress::Finished), Status::InsufficientData);
        assert_eq!(status(f(3, 3), None, 10, Progress::Finished), Status::InsufficientData);
        assert_eq!(status(f(0, 0), Some(r("0.7")), 0, Progress::Finished), Status::InsufficientData);
        assert_eq!(status(f(5, 10), None, 10, Progress::Finished), Status::NoTarget);
        assert_eq!(status(f(5, 10), None, 10, current(3)), Status::NoTarget);
    }

    #[test]
    fn current_month_on_track() {
        assert_eq!(status(f(8, 10), Some(r("0.8")), 10, current(1)), Status::OnTrack);
    }

    #[test]
    fn current_month_projection_at_risk_or_unreachable() {
        // 10 days of 30 gone, 60 of 100 online, target 0.8: D = 300, needed = 240 − 60 = 180 of 200 to come.
        assert_eq!(status(f(60, 100), Some(r("0.8")), 10, current(10)), Status::AtRisk);
        let p = project(f(60, 100), r("0.8"), 10 * DAY, 30 * DAY);
        assert!((p.projected_denominator - 300.0).abs() < 1e-9);
        assert!((p.needed - 180.0).abs() < 1e-9);
        assert!((p.remaining - 200.0).abs() < 1e-9);
        // 20 days gone, 60 of 100: D = 150, needed = 120 − 60 = 60 > 50 to come.
        assert_eq!(status(f(60, 100), Some(r("0.8")), 10, current(20)), Status::Unreachable);
        // Exactly needed = remaining is still reachable: 15 days, 50 of 100, target 0.75:
        // D = 200, needed = 150 − 50 = 100 = D − den.
        assert_eq!(status(f(50, 100), Some(r("0.75")), 10, current(15)), Status::AtRisk);
        assert_eq!(status(f(49, 100), Some(r("0.75")), 10, current(15)), Status::Unreachable);
        // The whole month elapsed (last instant): nothing left to come.
        assert_eq!(status(f(79, 100), Some(r("0.8")), 10, current(30)), Status::Unreachable);
    }

    #[test]
    fn consecutive_months_behind() {
        let t = Some(r("0.7"));
        let judged = |h: &[(Figures, Option<Ratio>)]| h.iter().map(|(f, t)| status(*f, *t, 10, Progress::Finished)).collect::<Vec<_>>();
        let h = judged(&[(f(9, 10), t), (f(5, 10), t), (f(6, 10), t), (f(1, 10), t)]);
        assert_eq!(months_behind(&h), 3);
        assert_eq!(months_behind(&h[..1]), 0);
        // A month with too few dossiers, or without a target, breaks the run.
        assert_eq!(months_behind(&judged(&[(f(1, 10), t), (f(1, 5), t), (f(1, 10), t)])), 1);
        assert_eq!(months_behind(&judged(&[(f(1, 10), None)])), 0);
        assert_eq!(months_behind(&[]), 0);
    }

    #[test]
    fn not_started_month_is_judged_as_its_first_instant() {
        assert_eq!(status(f(10, 10), Some(r("0.8")), 10, Progress::NotStarted), Status::OnTrack);
        assert_eq!(status(f(1, 10), Some(r("0.8")), 10, Progress::NotStarted), Status::AtRisk);
    }
}
