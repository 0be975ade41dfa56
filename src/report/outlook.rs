//! What a unit's judgement means for the rest of its period, in the terms a head of unit acts on.
//!
//! While the period runs, "2 more fully-online dossiers" would mislead: the denominator keeps growing.
//! The outlook is therefore the share of the dossiers still to come (at the present pace) that must be
//! fully online for the period to end at target, and whether that is possible at all. Once the
//! period is over nothing can change, so the outlook says by how much the target was missed (in points
//! and in dossiers out of the same denominator).

use super::shortfall::needed_for_target;
use crate::domain::kpi::Judgement;
use crate::domain::Progress;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outlook {
    /// The period runs and the target still asks for something of the dossiers to come.
    Needs {
        /// About how many of them must be fully online.
        needed: i64,
        /// About how many dossiers are still to come.
        remaining: i64,
        /// needed / remaining; above 1 when even all of them would not do.
        share: f64,
    },
    /// The period runs and the fully-online dossiers so far already make the target at the projected
    /// volume, whatever the dossiers to come.
    Secured,
    /// The period is over and the target was met.
    Met,
    /// The period is over and the rate ended `points` below target: `dossiers` more fully-online
    /// dossiers (out of the same denominator) would have met it.
    Missed { points: f64, dossiers: i64 },
    /// No target, no dossiers, or a period not begun: nothing to say.
    Nothing,
}

impl Outlook {
    /// Whether the target can still be met: false only when more dossiers are needed than are to come.
    pub fn possible(self) -> bool {
        !matches!(self, Outlook::Needs { share, .. } if share > 1.0)
    }
}

pub fn outlook(judged: &Judgement, progress: Progress) -> Outlook {
    let (Some(target), Some(rate)) = (judged.target, judged.rate) else { return Outlook::Nothing };
    let f = judged.figures;
    match progress {
        Progress::NotStarted => Outlook::Nothing,
        Progress::Finished if crate::domain::kpi::reaches(f, target) => Outlook::Met,
        Progress::Finished => Outlook::Missed {
            points: target.as_f64() - rate,
            dossiers: needed_for_target(f.numerator, f.denominator, target).unwrap_or(0),
        },
        Progress::Current { .. } => match judged.projection {
            Some(p) if p.needed > 0.0 => {
                let remaining = p.remaining.round().max(0.0) as i64;
                let needed = p.needed.ceil() as i64;
                let share = if p.remaining > 0.0 { p.needed / p.remaining } else { f64::INFINITY };
                Outlook::Needs { needed, remaining, share }
            }
            Some(_) => Outlook::Secured,
            None => Outlook::Nothing,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::kpi::judge;
    use crate::domain::{Figures, Ratio};

    const DAY: i64 = 86_400_000;

    fn target(s: &str) -> Option<Ratio> {
        s.parse().ok()
    }

    #[test]
    fn a_running_month_asks_for_a_share_of_the_dossiers_to_come() {
        // Day 6 of 30: 40 dossiers so far, 18 fully online, target 80 %. At this pace about 200 in the
        // month, 160 to come; 0.8 × 200 − 18 = 142 of them must be fully online: 89 %.
        let j = judge(Figures::new(18, 40), target("0.8"), 10, Progress::Current { elapsed_ms: 6 * DAY, length_ms: 30 * DAY });
        match outlook(&j, Progress::Current { elapsed_ms: 6 * DAY, length_ms: 30 * DAY }) {
            Outlook::Needs { needed, remaining, share } => {
                assert_eq!((needed, remaining), (142, 160));
                assert!((share - 142.0 / 160.0).abs() < 1e-9);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn impossible_when_more_are_needed_than_are_to_come() {
        let now = Progress::Current { elapsed_ms: 27 * DAY, length_ms: 30 * DAY };
        let j = judge(Figures::new(10, 90), target("0.9"), 10, now);
        let o = outlook(&j, now);
        assert!(!o.possible(), "{o:?}");
    }

    #[test]
    fn above_target_still_asks_for_a_share_until_the_target_is_secured() {
        // 9 of 10 on day 10 of 30 is above 80 %, but 30 are coming in all: 15 of the 20 to come must be.
        let now = Progress::Current { elapsed_ms: 10 * DAY, length_ms: 30 * DAY };
        assert_eq!(outlook(&judge(Figures::new(9, 10), target("0.8"), 1, now), now), Outlook::Needs { needed: 15, remaining: 20, share: 0.75 });
        let late = Progress::Current { elapsed_ms: 29 * DAY, length_ms: 30 * DAY };
        assert_eq!(outlook(&judge(Figures::new(29, 29), target("0.8"), 1, late), late), Outlook::Secured);
    }

    #[test]
    fn a_finished_month_says_by_how_much_it_missed() {
        let j = judge(Figures::new(70, 100), target("0.8"), 10, Progress::Finished);
        match outlook(&j, Progress::Finished) {
            Outlook::Missed { points, dossiers } => {
                assert!((points - 0.1).abs() < 1e-9);
                assert_eq!(dossiers, 10);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(outlook(&judge(Figures::new(80, 100), target("0.8"), 10, Progress::Finished), Progress::Finished), Outlook::Met);
        assert_eq!(outlook(&judge(Figures::new(80, 100), None, 10, Progress::Finished), Progress::Finished), Outlook::Nothing);
    }
}
