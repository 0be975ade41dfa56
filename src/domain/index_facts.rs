//! The facts of a dossier that Decision 766's dossier indicators read, beyond those of kpi.md: the
//! marks senders attach to events (electronic result, digitised, re-used data, fee), the end of
//! processing, and the supplement requests with their answer. Each is the earliest or latest event of
//! some kind, so, like the other facts, they fold in any order without reading other events again.

use super::event::{Event, EventKey, Status};
use serde::{Deserialize, Serialize};

/// What the index indicators read of a dossier.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexFacts {
    /// From the latest event carrying each mark.
    pub result_file: Option<bool>,
    pub digitised: Option<bool>,
    pub reused_data: Option<bool>,
    pub fee: Option<bool>,
    /// The earliest `resolved` event: processing finished (NgayKetThucXuLy).
    pub resolved_at: Option<i64>,
    /// The earliest `stopped` or `refused` event.
    pub halted_at: Option<i64>,
    /// The earliest `supplement_requested` event.
    pub supplement_at: Option<i64>,
    /// Supplement requests: 0, 1, or 2 for two or more.
    pub supplements: u8,
    /// The earliest event marked `supplement_answered`.
    pub answered_at: Option<i64>,
}

/// The keys of the events the facts come from, so that a later event is folded by comparing keys.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexKeys {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_file: Option<EventKey>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digitised: Option<EventKey>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reused_data: Option<EventKey>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee: Option<EventKey>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved: Option<EventKey>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub halted: Option<EventKey>,
    /// The two earliest supplement requests (two distinct events are enough to say "more than one").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supplement: Option<EventKey>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub second_supplement: Option<EventKey>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered: Option<EventKey>,
}

/// The facts and their keys, as a dossier row stores them (`store::index_record` gives the stored form).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexRecord {
    pub facts: IndexFacts,
    pub keys: IndexKeys,
}

fn earlier(e: &Event, k: &Option<EventKey>) -> bool {
    k.as_ref().is_none_or(|k| e.order_key() < (k.at, k.id.as_str(), k.source.as_str()))
}

fn later(e: &Event, k: &Option<EventKey>) -> bool {
    k.as_ref().is_none_or(|k| e.order_key() > (k.at, k.id.as_str(), k.source.as_str()))
}

fn same(e: &Event, k: &Option<EventKey>) -> bool {
    k.as_ref().is_some_and(|k| e.order_key() == (k.at, k.id.as_str(), k.source.as_str()))
}

/// Takes one more event of the dossier into account; folding an event twice changes nothing.
pub fn fold(f: &mut IndexFacts, k: &mut IndexKeys, e: &Event) {
    {
        let m = e.marks;
        for (value, fact, key) in [
            (m.result_file, &mut f.result_file, &mut k.result_file),
            (m.digitised, &mut f.digitised, &mut k.digitised),
            (m.reused_data, &mut f.reused_data, &mut k.reused_data),
            (m.fee, &mut f.fee, &mut k.fee),
        ] {
            if let Some(v) = value {
                if later(e, key) {
                    *key = Some(EventKey::of(e));
                    *fact = Some(v);
                }
            }
        }
        if m.supplement_answered == Some(true) && earlier(e, &k.answered) {
            k.answered = Some(EventKey::of(e));
            f.answered_at = Some(e.at);
        }
        match e.status {
            Status::Resolved if earlier(e, &k.resolved) => {
                k.resolved = Some(EventKey::of(e));
                f.resolved_at = Some(e.at);
            }
            Status::Stopped | Status::Refused if earlier(e, &k.halted) => {
                k.halted = Some(EventKey::of(e));
                f.halted_at = Some(e.at);
            }
            Status::SupplementRequested if !same(e, &k.supplement) && !same(e, &k.second_supplement) => {
                if earlier(e, &k.supplement) {
                    k.second_supplement = k.supplement.take();
                    k.supplement = Some(EventKey::of(e));
                } else if earlier(e, &k.second_supplement) {
                    k.second_supplement = Some(EventKey::of(e));
                }
                f.supplement_at = k.supplement.as_ref().map(|k| k.at);
                f.supplements = k.supplement.is_some() as u8 + k.second_supplement.is_some() as u8;
            }
            _ => {}
        }
    }
}

/// How the index judges a dossier's timeliness (national-sync.md, "How the national index reads these
/// fields"), and the instant that places the judgement in a month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timeliness {
    /// Processing ended (or is taken to have ended) at `at`, on time or not.
    Ended { at: i64, on_time: bool },
    /// Still open, due at `due` (supplement time added): late once the month of `due` has ended
    /// without an end of processing.
    Open { due: i64 },
}

/// The end of processing as the index takes it: `resolved`, else `returned`, else `stopped` or `refused`.
pub fn end_of_processing(facts: &IndexFacts, returned_at: Option<i64>) -> Option<i64> {
    facts.resolved_at.or(returned_at).or(facts.halted_at)
}

/// How long processing took: from intake to the end of processing, less the applicant's time when one
/// supplement request was answered (as `timeliness` counts it). None before the end, or without intake.
pub fn processing_time(facts: &IndexFacts, received_at: Option<i64>, returned_at: Option<i64>) -> Option<i64> {
    let (start, end) = (received_at?, end_of_processing(facts, returned_at)?);
    let pause = match (facts.supplements, facts.supplement_at, facts.answered_at) {
        (1, Some(asked), Some(answered)) if asked <= answered && answered <= end => answered - asked,
        _ => 0,
    };
    Some((end - start - pause).max(0))
}

/// The index's timeliness of a dossier with a due date; none without one.
///
/// - No supplement request: the end of processing against the due date.
/// - One request, not answered: processing ends at the request (the unit has done its part then).
/// - One request, answered: the applicant's time (request to answer) is subtracted from the end of
///   processing, and added to the due date while the dossier is open. An end between the request and
///   the answer counts as the request.
/// - More than one request: late, at the end of processing (or open, late once past due).
pub fn timeliness(facts: &IndexFacts, returned_at: Option<i64>, due: Option<i64>) -> Option<Timeliness> {
    let due = due?;
    let end = end_of_processing(facts, returned_at);
    Some(match (facts.supplements, facts.supplement_at) {
        (1, Some(asked)) => match facts.answered_at.filter(|a| *a >= asked) {
            None => match end {
                Some(at) if at < asked => Timeliness::Ended { at, on_time: at <= due },
                _ => Timeliness::Ended { at: asked, on_time: asked <= due },
            },
            Some(answered) => {
                let pause = answered - asked;
                match end {
                    Some(at) if at >= answered => Timeliness::Ended { at, on_time: at - pause <= due },
                    Some(at) if at >= asked => Timeliness::Ended { at, on_time: asked <= due },
                    Some(at) => Timeliness::Ended { at, on_time: at <= due },
                    None => Timeliness::Open { due: due.saturating_add(pause) },
                }
            }
        },
        (0, _) => match end {
            Some(at) => Timeliness::Ended { at, on_time: at <= due },
            None => Timeliness::Open { due },
        },
        _ => match end {
            Some(at) => Timeliness::Ended { at, on_time: false },
            None => Timeliness::Open { due },
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;

    fn ended(end: i64) -> IndexFacts {
        IndexFacts { resolved_at: Some(end), ..IndexFacts::default() }
    }

    #[test]
    fn end_of_processing_by_priority() {
        let f = IndexFacts { resolved_at: Some(5), halted_at: Some(1), ..IndexFacts::default() };
        assert_eq!(end_of_processing(&f, Some(3)), Some(5));
        assert_eq!(end_of_processing(&IndexFacts { resolved_at: None, ..f }, Some(3)), Some(3));
        assert_eq!(end_of_processing(&IndexFacts { resolved_at: None, ..f }, None), Some(1));
        assert_eq!(end_of_processing(&IndexFacts::default(), None), None);
    }

    #[test]
    fn timeliness_without_supplements() {
        let due = 100 * H;
        assert_eq!(timeliness(&ended(due), None, Some(due)), Some(Timeliness::Ended { at: due, on_time: true }));
        assert_eq!(timeliness(&ended(due + 1), None, Some(due)), Some(Timeliness::Ended { at: due + 1, on_time: false }));
        assert_eq!(timeliness(&IndexFacts::default(), None, Some(due)), Some(Timeliness::Open { due }));
        assert_eq!(timeliness(&ended(due), None, None), None);
    }

    #[test]
    fn one_supplement_request_ends_there_or_pauses_the_clock() {
        let due = 100 * H;
        let asked = IndexFacts { supplement_at: Some(90 * H), supplements: 1, ..IndexFacts::default() };
        // Not answered: processing ends at the request, on time when asked before the due date.
        assert_eq!(timeliness(&asked, None, Some(due)), Some(Timeliness::Ended { at: 90 * H, on_time: true }));
        assert_eq!(timeliness(&asked, None, Some(80 * H)), Some(Timeliness::Ended { at: 90 * H, on_time: false }));
        // Answered 30 hours later: 30 hours are the applicant's, subtracted from the end.
        let answered = IndexFacts { answered_at: Some(120 * H), ..asked };
        assert_eq!(timeliness(&IndexFacts { resolved_at: Some(130 * H), ..answered }, None, Some(due)), Some(Timeliness::Ended { at: 130 * H, on_time: true }));
        assert_eq!(timeliness(&IndexFacts { resolved_at: Some(131 * H), ..answered }, None, Some(due)), Some(Timeliness::Ended { at: 131 * H, on_time: false }));
        // Still open: the due date moves by the applicant's time.
        assert_eq!(timeliness(&answered, None, Some(due)), Some(Timeliness::Open { due: 130 * H }));
        // An answer before the request is none.
        let early = IndexFacts { answered_at: Some(10 * H), ..asked };
        assert_eq!(timeliness(&early, None, Some(due)), Some(Timeliness::Ended { at: 90 * H, on_time: true }));
    }

    #[test]
    fn processing_time_leaves_out_the_applicant_s_time() {
        let f = IndexFacts { supplement_at: Some(10 * H), supplements: 1, answered_at: Some(40 * H), resolved_at: Some(50 * H), ..IndexFacts::default() };
        assert_eq!(processing_time(&f, Some(0), None), Some(20 * H));
        assert_eq!(processing_time(&IndexFacts { supplements: 2, ..f }, Some(0), None), Some(50 * H));
        assert_eq!(processing_time(&IndexFacts { resolved_at: None, ..f }, Some(0), Some(60 * H)), Some(30 * H));
        assert_eq!(processing_time(&IndexFacts { resolved_at: None, ..f }, Some(0), None), None);
        assert_eq!(processing_time(&f, None, None), None);
    }

    #[test]
    fn more_than_one_supplement_request_is_late() {
        let f = IndexFacts { supplement_at: Some(10 * H), supplements: 2, resolved_at: Some(20 * H), ..IndexFacts::default() };
        assert_eq!(timeliness(&f, None, Some(100 * H)), Some(Timeliness::Ended { at: 20 * H, on_time: false }));
        assert_eq!(timeliness(&IndexFacts { resolved_at: None, ..f }, None, Some(100 * H)), Some(Timeliness::Open { due: 100 * H }));
    }
}
