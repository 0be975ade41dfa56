//! "What would raise the rate": the eligible dossiers returned in a month that were not fully online,
//! by the step of the fully-online test they failed (`DossierFacts::shortfalls`), per procedure, with
//! the percentage points each fix would add to the unit's completion rate.
//!
//! How dossiers are counted. A dossier that failed exactly one step is counted under that step as
//! "only this step": fixing that step alone makes it fully online, so fixing every such dossier adds
//! `only / denominator` to the rate. A dossier that failed two or three steps becomes fully online only
//! when all of them are fixed: it is counted once under "several steps" (adding `several / denominator`
//! when all are fixed), never among the "only" counts, and appears in the "with this step" count of each
//! step it failed. So only counts + several = dossiers not fully online = denominator − numerator, and the
//! points of the "only" counts and of "several" add up to the distance to 100 %.

use crate::domain::{DossierFacts, Month, Period, ProcedureTerms, Ratio, Shortfall};
use crate::domain::target::RATIO_SCALE;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// The steps in the order of the fully-online test.
pub const STEPS: [Shortfall; 3] = [Shortfall::SubmittedOffline, Shortfall::ResultInPerson, Shortfall::FeePaidOffline];

/// What a leader reads for each step.
pub fn step_label(s: Shortfall) -> &'static str {
    match s {
        Shortfall::SubmittedOffline => "Không nộp trực tuyến",
        Shortfall::ResultInPerson => "Nhận kết quả trực tiếp",
        Shortfall::FeePaidOffline => "Nộp phí, lệ phí trực tiếp",
    }
}

/// A longer explanation of each step, for the page.
pub fn step_help(s: Shortfall) -> &'static str {
    match s {
        Shortfall::SubmittedOffline => "hồ sơ nộp tại quầy, qua bưu chính, hoặc không ghi nhận tiếp nhận",
        Shortfall::ResultInPerson => "kết quả không trả qua mạng hoặc bưu chính công ích",
        Shortfall::FeePaidOffline => "phí, lệ phí nộp tại quầy thay vì thanh toán trực tuyến",
    }
}

/// The step as the read API and the data exports name it.
pub fn step_slug(s: Shortfall) -> &'static str {
    match s {
        Shortfall::SubmittedOffline => "submitted_offline",
        Shortfall::ResultInPerson => "result_in_person",
        Shortfall::FeePaidOffline => "fee_paid_offline",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct StepImpact {
    #[serde(serialize_with = "serialize_step")]
    pub step: Shortfall,
    /// Dossiers that failed this step and no other.
    pub only: i64,
    /// Dossiers that failed this step, whatever else they failed.
    pub with_step: i64,
    /// What fixing the `only` dossiers adds to the unit's rate (a fraction: 0.05 = 5 points).
    pub gain: Option<f64>,
}

fn serialize_step<S: serde::Serializer>(s: &Shortfall, ser: S) -> Result<S::Ok, S::Error> {
    ser.serialize_str(step_slug(*s))
}

/// The shortfalls of a group of dossiers (the unit, or one procedure), measured against the unit's
/// denominator.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Breakdown {
    /// Eligible dossiers of the group returned in the month, and how many were fully online.
    pub numerator: i64,
    pub denominator: i64,
    /// One per step of `STEPS`.
    pub steps: Vec<StepImpact>,
    /// Dossiers that failed two steps or more.
    pub several: i64,
    /// What fixing every step of the `several` dossiers adds to the unit's rate.
    pub several_gain: Option<f64>,
    /// denominator − numerator.
    pub not_online: i64,
    /// What making every dossier of the group fully online adds to the unit's rate.
    pub all_gain: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProcedureShortfalls {
    pub procedure: String,
    pub name: String,
    #[serde(flatten)]
    pub breakdown: Breakdown,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Shortfalls {
    pub period: Period,
    #[serde(flatten)]
    pub unit: Breakdown,
    /// Procedures with at least one dossier not fully online, most such dossiers first.
    pub procedures: Vec<ProcedureShortfalls>,
}

#[derive(Default, Clone, Copy)]
struct Tally {
    numerator: i64,
    denominator: i64,
    only: [i64; 3],
    with_step: [i64; 3],
    several: i64,
}

impl Tally {
    fn add(&mut self, failed: &[Shortfall]) {
        self.denominator += 1;
        match failed {
            [] => self.numerator += 1,
            [one] => self.only[slot(*one)] += 1,
            _ => self.several += 1,
        }
        for s in failed {
            self.with_step[slot(*s)] += 1;
        }
    }

    fn breakdown(&self, unit_denominator: i64) -> Breakdown {
        let gain = |n: i64| (unit_denominator > 0).then(|| n as f64 / unit_denominator as f64);
        let not_online = self.denominator - self.numerator;
        Breakdown {
            numerator: self.numerator,
            denominator: self.denominator,
            steps: STEPS
                .iter()
                .map(|&step| StepImpact {
                    step,
                    only: self.only[slot(step)],
                    with_step: self.with_step[slot(step)],
                    gain: gain(self.only[slot(step)]),
                })
                .collect(),
            several: self.several,
            several_gain: gain(self.several),
            not_online,
            all_gain: gain(not_online),
        }
    }
}

fn slot(s: Shortfall) -> usize {
    STEPS.iter().position(|x| *x == s).expect("listed")
}

/// The shortfalls of a period, counted a read of dossiers at a time (a long period month by month, so
/// that one month's dossiers are in memory at once).
#[derive(Default)]
pub struct ShortfallCount {
    unit: Tally,
    by_procedure: BTreeMap<String, Tally>,
}

impl ShortfallCount {
    /// Counts the eligible dossiers returned within `within` (the completion indicator's denominator).
    /// `dossiers` may hold others (received in it, returned outside, other levels): they are skipped.
    pub fn add(&mut self, dossiers: &[DossierFacts], levels: &ProcedureTerms, within: Period) {
        for d in dossiers {
            let returned_within = d.returned_at.is_some_and(|at| within.contains(Month::of_millis(at)));
            if !returned_within || !d.is_eligible(levels.get(&d.procedure).map(|t| t.level)) {
                continue;
            }
            let failed = d.shortfalls();
            self.unit.add(&failed);
            match self.by_procedure.get_mut(&d.procedure) {
                Some(t) => t.add(&failed),
                None => self.by_procedure.entry(d.procedure.clone()).or_default().add(&failed),
            }
        }
    }

    pub fn finish(self, names: &HashMap<String, String>, period: Period) -> Shortfalls {
        let unit = self.unit;
        let mut procedures: Vec<ProcedureShortfalls> = self
            .by_procedure
            .into_iter()
            .filter(|(_, t)| t.denominator > t.numerator)
            .map(|(code, t)| ProcedureShortfalls {
                name: names.get(&code).cloned().unwrap_or_default(),
                procedure: code,
                breakdown: t.breakdown(unit.denominator),
            })
            .collect();
        procedures.sort_by(|a, b| b.breakdown.not_online.cmp(&a.breakdown.not_online).then_with(|| a.procedure.cmp(&b.procedure)));
        Shortfalls { period, unit: unit.breakdown(unit.denominator), procedures }
    }
}

/// Counts the shortfalls of the eligible dossiers returned in `period`, from one read of dossiers.
pub fn analyse(dossiers: &[DossierFacts], levels: &ProcedureTerms, names: &HashMap<String, String>, period: impl Into<Period>) -> Shortfalls {
    let period = period.into();
    let mut count = ShortfallCount::default();
    count.add(dossiers, levels, period);
    count.finish(names, period)
}

/// How many more fully-online dossiers (out of the same denominator) would reach `target`: the
/// smallest k with (numerator + k) / denominator ≥ target, exactly; None without dossiers.
pub fn needed_for_target(numerator: i64, denominator: i64, target: Ratio) -> Option<i64> {
    if denominator <= 0 {
        return None;
    }
    // ceil(target · denominator) in millionths.
    let scaled = target.millionths() as i128 * denominator as i128;
    let want = (scaled + RATIO_SCALE as i128 - 1) / RATIO_SCALE as i128;
    Some((want as i64 - numerator).max(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Channel, Level, Payment};

    fn month() -> Month {
        "2026-11".parse().unwrap()
    }

    fn dossier(procedure: &str, channel: Channel, delivery: Channel, payment: Option<Payment>) -> DossierFacts {
        let at = month().start_millis() + 86_400_000;
        DossierFacts {
            code: format!("D-{procedure}-{channel:?}-{delivery:?}-{payment:?}"),
            unit: "U".into(),
            procedure: procedure.into(),
            received_at: Some(at),
            channel: Some(channel),
            returned_at: Some(at + 3_600_000),
            result_delivery: Some(delivery),
            payment,
            due: None,
            index: Default::default(),
        }
    }

    fn levels() -> ProcedureTerms {
        [("P1", Level::Full), ("P2", Level::Full), ("P3", Level::Partial)]
            .into_iter()
            .map(|(c, level)| (c.to_string(), crate::domain::Terms { level, paper_result: false }))
            .collect()
    }

    #[test]
    fn counts_single_and_several_steps_and_their_points() {
        use Channel::*;
        let off = Some(Payment::Offline);
        let mut ds = vec![
            dossier("P1", Online, Online, None),       // fully online
            dossier("P1", Online, Postal, None),       // fully online
            dossier("P1", InPerson, Online, None),     // only submitted offline
            dossier("P1", Postal, Online, None),       // only submitted offline
            dossier("P1", Online, InPerson, None),     // only result in person
            dossier("P2", Online, Online, off),        // only fee offline
            dossier("P2", InPerson, InPerson, off),    // three steps
            dossier("P2", InPerson, InPerson, None),   // two steps
            dossier("P3", InPerson, InPerson, None),   // not eligible: skipped
        ];
        // Returned next month: outside this month's denominator.
        let mut late = dossier("P1", InPerson, Online, None);
        late.returned_at = Some(month().end_millis());
        ds.push(late);
        // Received, not returned: outside.
        let mut open = dossier("P1", InPerson, Online, None);
        open.returned_at = None;
        ds.push(open);

        let s = analyse(&ds, &levels(), &HashMap::new(), month());
        let u = &s.unit;
        assert_eq!((u.numerator, u.denominator, u.not_online, u.several), (2, 8, 6, 2));
        let only: Vec<i64> = u.steps.iter().map(|s| s.only).collect();
        let with: Vec<i64> = u.steps.iter().map(|s| s.with_step).collect();
        assert_eq!(only, [2, 1, 1]);
        assert_eq!(with, [4, 3, 2]);
        assert_eq!(only.iter().sum::<i64>() + u.several, u.not_online);
        assert_eq!(u.steps[0].gain, Some(2.0 / 8.0));
        assert_eq!(u.several_gain, Some(2.0 / 8.0));
        assert_eq!(u.all_gain, Some(6.0 / 8.0));

        // Per procedure, against the unit's denominator; most dossiers not online first.
        let p: Vec<(&str, i64, i64, i64)> =
            s.procedures.iter().map(|p| (p.procedure.as_str(), p.breakdown.numerator, p.breakdown.denominator, p.breakdown.not_online)).collect();
        assert_eq!(p, [("P1", 2, 5, 3), ("P2", 0, 3, 3)]);
        assert_eq!(s.procedures[1].breakdown.steps[2].only, 1);
        assert_eq!(s.procedures[1].breakdown.steps[2].gain, Some(1.0 / 8.0));
        assert_eq!(s.procedures[1].breakdown.several_gain, Some(2.0 / 8.0));
    }

    #[test]
    fn nothing_to_fix() {
        let s = analyse(&[dossier("P1", Channel::Online, Channel::Online, None)], &levels(), &HashMap::new(), month());
        assert_eq!((s.unit.numerator, s.unit.denominator, s.unit.not_online), (1, 1, 0));
        assert!(s.procedures.is_empty());
        let empty = analyse(&[], &levels(), &HashMap::new(), month());
        assert_eq!(empty.unit.all_gain, None);
        assert!(empty.unit.steps.iter().all(|s| s.gain.is_none()));
    }

    #[test]
    fn needed_is_exact() {
        let t = |s: &str| s.parse::<Ratio>().unwrap();
        assert_eq!(needed_for_target(2, 5, t("0.5")), Some(1)); // 3/5 = 0.6 ≥ 0.5; 2.5 rounds up to 3
        assert_eq!(needed_for_target(7, 10, t("0.7")), Some(0));
        assert_eq!(needed_for_target(9, 10, t("0.7")), Some(0));
        assert_eq!(needed_for_target(0, 3, t("0.666667")), Some(3)); // 2/3 is just below
        assert_eq!(needed_for_target(0, 3, t("0.666666")), Some(2));
        assert_eq!(needed_for_target(0, 0, t("0.5")), None);
    }
}
