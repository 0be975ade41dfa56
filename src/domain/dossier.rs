//! A dossier's facts, derived from the set of its events (never from arrival order), and what the
//! dossier contributes to the monthly rollups.

use super::event::{Channel, Event, EventKey, Payment, Status};
use super::index_facts::{self, IndexFacts, IndexKeys, Timeliness};
use super::indicator::{Figures, Indicator};
use super::month::Month;
use super::procedure::{Level, Terms};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DossierFacts {
    pub code: String,
    pub unit: String,
    pub procedure: String,
    pub received_at: Option<i64>,
    pub channel: Option<Channel>,
    pub returned_at: Option<i64>,
    pub result_delivery: Option<Channel>,
    pub payment: Option<Payment>,
    pub due: Option<i64>,
    /// What the national index's dossier indicators read besides.
    pub index: IndexFacts,
}

/// Derives the facts of one dossier from all of its events, as kpi.md states. None for no events.
/// This is the definition; ingest keeps a [`DossierRecord`] instead and folds each new event into it.
pub fn derive(events: &[Event]) -> Option<DossierFacts> {
    let mut sorted: Vec<&Event> = events.iter().collect();
    sorted.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
    let first = *sorted.first()?;
    let received = sorted.iter().find(|e| e.status == Status::Received).copied();
    let returned = sorted.iter().find(|e| e.status == Status::Returned).copied();
    let attributed = received.unwrap_or(first);
    Some(DossierFacts {
        code: first.dossier.clone(),
        unit: attributed.unit.clone(),
        procedure: attributed.procedure.clone(),
        received_at: received.map(|e| e.at),
        channel: received.and_then(|e| e.channel),
        returned_at: returned.map(|e| e.at),
        result_delivery: returned.and_then(|e| e.result_delivery),
        payment: sorted.iter().rev().find_map(|e| e.payment),
        due: sorted.iter().filter(|e| e.status == Status::Received).find_map(|e| e.due),
        index: derive_index(&sorted),
    })
}

/// The index facts of events sorted in kpi.md's order, each by its rule.
fn derive_index(sorted: &[&Event]) -> IndexFacts {
    let latest = |mark: fn(&Event) -> Option<bool>| sorted.iter().rev().find_map(|e| mark(e));
    let earliest = |pick: fn(&Event) -> bool| sorted.iter().find(|e| pick(e)).map(|e| e.at);
    let requests: Vec<i64> = sorted.iter().filter(|e| e.status == Status::SupplementRequested).map(|e| e.at).collect();
    IndexFacts {
        result_file: latest(|e| e.marks.result_file),
        digitised: latest(|e| e.marks.digitised),
        reused_data: latest(|e| e.marks.reused_data),
        fee: latest(|e| e.marks.fee),
        resolved_at: earliest(|e| e.status == Status::Resolved),
        halted_at: earliest(|e| matches!(e.status, Status::Stopped | Status::Refused)),
        supplement_at: requests.first().copied(),
        supplements: requests.len().min(2) as u8,
        answered_at: earliest(|e| e.marks.supplement_answered == Some(true)),
    }
}

/// Compares an event with a key without allocating.
fn before(e: &Event, key: &EventKey) -> bool {
    e.order_key() < (key.at, key.id.as_str(), key.source.as_str())
}

/// A dossier's facts together with the keys of the events each fact was taken from. Every fact is
/// the earliest or latest event of some kind, so an event arriving later, in any order, is folded in
/// by comparing it with those keys alone: folding any order of a dossier's events gives what
/// [`derive`] gives for the whole set, without reading the other events again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DossierRecord {
    pub facts: DossierFacts,
    /// The event `unit` and `procedure` come from: the earliest `received`, else the earliest event.
    pub anchor: EventKey,
    /// The earliest `returned` event.
    pub returned: Option<EventKey>,
    /// The latest event carrying a payment.
    pub payment: Option<EventKey>,
    /// The earliest `received` event carrying a due date.
    pub due_from: Option<EventKey>,
    /// The events the index facts come from.
    pub index: IndexKeys,
}

impl DossierRecord {
    /// The record of a dossier known by this one event.
    pub fn new(e: &Event) -> DossierRecord {
        let mut r = DossierRecord {
            facts: DossierFacts {
                code: e.dossier.clone(),
                unit: e.unit.clone(),
                procedure: e.procedure.clone(),
                received_at: None,
                channel: None,
                returned_at: None,
                result_delivery: None,
                payment: None,
                due: None,
                index: IndexFacts::default(),
            },
            anchor: EventKey::of(e),
            returned: None,
            payment: None,
            due_from: None,
            index: IndexKeys::default(),
        };
        r.fold(e);
        r
    }

    /// The record of all these events (of one dossier); None for none.
    pub fn of(events: &[Event]) -> Option<DossierRecord> {
        let (first, rest) = events.split_first()?;
        let mut r = DossierRecord::new(first);
        rest.iter().for_each(|e| r.fold(e));
        Some(r)
    }

    /// Takes one more event of the dossier into account. Folding an event twice changes nothing.
    pub fn fold(&mut self, e: &Event) {
        let f = &mut self.facts;
        let received = e.status == Status::Received;
        let anchored_on_received = f.received_at.is_some();
        // A received event outranks any other for the anchor; among equals, the earliest wins.
        let takes_anchor = match received {
            true => !anchored_on_received || before(e, &self.anchor),
            false => !anchored_on_received && before(e, &self.anchor),
        };
        if takes_anchor {
            self.anchor = EventKey::of(e);
            f.unit.clone_from(&e.unit);
            f.procedure.clone_from(&e.procedure);
            if received {
                f.received_at = Some(e.at);
                f.channel = e.channel;
            }
        }
        if e.status == Status::Returned && self.returned.as_ref().is_none_or(|k| before(e, k)) {
            self.returned = Some(EventKey::of(e));
            f.returned_at = Some(e.at);
            f.result_delivery = e.result_delivery;
        }
        if let Some(p) = e.payment {
            if self.payment.as_ref().is_none_or(|k| e.order_key() > (k.at, k.id.as_str(), k.source.as_str())) {
                self.payment = Some(EventKey::of(e));
                f.payment = Some(p);
            }
        }
        if received && e.due.is_some() && self.due_from.as_ref().is_none_or(|k| before(e, k)) {
            self.due_from = Some(EventKey::of(e));
            f.due = e.due;
        }
        index_facts::fold(&mut f.index, &mut self.index, e);
    }
}

/// Why an eligible dossier was not fully online; one dossier can have several.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Shortfall {
    /// Not submitted online (at the counter, by post, or no intake recorded).
    SubmittedOffline,
    /// Result collected in person.
    ResultInPerson,
    /// Fee paid at the counter.
    FeePaidOffline,
}

impl DossierFacts {
    pub fn is_eligible(&self, level: Option<Level>) -> bool {
        level == Some(Level::Full)
    }

    /// The steps of kpi.md's fully-online test that this dossier failed; empty when fully online.
    pub fn shortfalls(&self) -> Vec<Shortfall> {
        let mut out = Vec::new();
        if self.channel != Some(Channel::Online) {
            out.push(Shortfall::SubmittedOffline);
        }
        if !matches!(self.result_delivery, Some(Channel::Online | Channel::Postal)) {
            out.push(Shortfall::ResultInPerson);
        }
        if self.payment == Some(Payment::Offline) {
            out.push(Shortfall::FeePaidOffline);
        }
        out
    }

    /// Submitted online, result online or by public post, and no fee paid at a counter (Decree 42/2022).
    pub fn is_fully_online(&self) -> bool {
        self.shortfalls().is_empty()
    }

    pub fn is_on_time(&self) -> Option<bool> {
        Some(self.returned_at? <= self.due?)
    }

    /// What this dossier counts for, and the instant that places it in a month (or a week): at most
    /// one entry per indicator. The one place where a dossier's part in each indicator is decided.
    ///
    /// kpi.md's three indicators, then the national index's dossier indicators (national-sync.md, "How
    /// the national index reads these fields"), placed by the intake time unless said otherwise:
    /// - `online_submission`: dossiers of online services (level full or partial); submitted online, and
    ///   for a procedure whose result is a paper, with an electronic result.
    /// - `online_payment`: dossiers carrying a fee; paid online.
    /// - `electronic_result`: dossiers of procedures whose result is a paper, once processing gave a
    ///   result (`resolved` or `returned`); with a result file.
    /// - `digitised`: every dossier; a digitised component and a result file.
    /// - `reused_data`: every dossier; re-used stored data.
    /// - `on_time_index`: dossiers with a due date, placed by the end of processing (`index_facts::timeliness`);
    ///   an open one is placed in `overdue_open` by its due date instead.
    pub fn counted(&self, terms: Option<Terms>) -> Counts {
        let level = terms.map(|t| t.level);
        let eligible = self.is_eligible(level);
        let mut out = Counts::new();
        if let (true, Some(at)) = (eligible, self.returned_at) {
            out.push((Indicator::Completion, at, Figures::new(self.is_fully_online() as i64, 1)));
        }
        if let (true, Some(at)) = (eligible, self.received_at) {
            out.push((Indicator::Intake, at, Figures::new((self.channel == Some(Channel::Online)) as i64, 1)));
        }
        if let (Some(at), Some(on_time)) = (self.returned_at, self.is_on_time()) {
            out.push((Indicator::OnTime, at, Figures::new(on_time as i64, 1)));
        }
        let x = &self.index;
        let paper = terms.is_some_and(|t| t.paper_result);
        let has_result_file = x.result_file == Some(true);
        if let Some(at) = self.received_at {
            if matches!(level, Some(Level::Full | Level::Partial)) {
                let online = self.channel == Some(Channel::Online) && (!paper || has_result_file);
                out.push((Indicator::OnlineSubmission, at, Figures::new(online as i64, 1)));
            }
            if x.fee == Some(true) {
                out.push((Indicator::OnlinePayment, at, Figures::new((self.payment == Some(Payment::Online)) as i64, 1)));
            }
            if paper && (x.resolved_at.is_some() || self.returned_at.is_some()) {
                out.push((Indicator::ElectronicResult, at, Figures::new(has_result_file as i64, 1)));
            }
            let digitised = x.digitised == Some(true) && has_result_file;
            out.push((Indicator::Digitised, at, Figures::new(digitised as i64, 1)));
            out.push((Indicator::ReusedData, at, Figures::new((x.reused_data == Some(true)) as i64, 1)));
        }
        match index_facts::timeliness(x, self.returned_at, self.due) {
            Some(Timeliness::Ended { at, on_time }) => out.push((Indicator::OnTimeIndex, at, Figures::new(on_time as i64, 1))),
            Some(Timeliness::Open { due }) => out.push((Indicator::OverdueOpen, due, Figures::new(0, 1))),
            None => {}
        }
        out
    }

    /// The instant that places the dossier in `on_time_index` (or, open, in `overdue_open`): stored
    /// with the dossier so that the dossiers behind those figures can be selected by period.
    pub fn index_at(&self) -> Option<i64> {
        index_facts::timeliness(&self.index, self.returned_at, self.due).map(|t| match t {
            Timeliness::Ended { at, .. } => at,
            Timeliness::Open { due } => due,
        })
    }

    /// From intake to the end of processing, less the applicant's supplement time (`index_facts::processing_time`).
    pub fn processing_time(&self) -> Option<i64> {
        index_facts::processing_time(&self.index, self.received_at, self.returned_at)
    }

    /// The end of processing as the national index takes it.
    pub fn ended_at(&self) -> Option<i64> {
        index_facts::end_of_processing(&self.index, self.returned_at)
    }

    /// What this dossier adds to the rollups: `counted`, by month.
    pub fn contributions(&self, terms: Option<Terms>) -> Vec<(RollupKey, Figures)> {
        self.counted(terms)
            .into_iter()
            .map(|(indicator, at, f)| (RollupKey { unit: self.unit.clone(), month: Month::of_millis(at), indicator }, f))
            .collect()
    }
}

/// One cell of the monthly rollup table.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RollupKey {
    pub unit: String,
    pub month: Month,
    pub indicator: Indicator,
}

/// A dossier's counts (`DossierFacts::counted`): at most one per stored indicator, kept inline because
/// the writer computes them twice (before and after) for every dossier a batch changes.
pub type Counts = smallvec::SmallVec<[(Indicator, i64, Figures); Indicator::STORED.len()]>;

/// Net changes to apply to the rollups, gathered per rollup row (month, then unit: the stored table's
/// key order, and a fixed lock order for concurrent writers) with one cell per stored indicator; zero
/// changes are dropped. A row's unit is copied once, not once per indicator it touches.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RollupDelta(BTreeMap<Month, BTreeMap<String, RowCells>>);

/// The figures of one rollup row, one per `Indicator::STORED`, in that order.
pub type RowCells = [Figures; Indicator::STORED.len()];

fn stored_slot(indicator: Indicator) -> usize {
    Indicator::STORED.iter().position(|i| *i == indicator).expect("every indicator is stored")
}

impl RollupDelta {
    /// Records that a dossier's facts moved from `old` to `new`. A count the move leaves where it was
    /// (same unit, indicator, month and figures: most of a dossier's counts, for most events) is not
    /// entered at all, so a batch's work follows what changed, not how many indicators there are.
    pub fn record(&mut self, old: Option<(&DossierFacts, Option<Terms>)>, new: Option<(&DossierFacts, Option<Terms>)>) {
        let counts = |side: Option<(&DossierFacts, Option<Terms>)>| side.map(|(f, t)| f.counted(t)).unwrap_or_default();
        let (mut before, mut after) = (counts(old), counts(new));
        if let (Some((o, _)), Some((n, _))) = (old, new) {
            if o.unit == n.unit {
                let same_month = |a: i64, b: i64| a == b || Month::of_millis(a) == Month::of_millis(b);
                before.retain(|(i, at, f)| {
                    let kept = after.iter().position(|(j, bt, g)| i == j && f == g && same_month(*at, *bt));
                    kept.map(|p| after.swap_remove(p)).is_none()
                });
            }
        }
        for (facts, list, taken_out) in [(old, before, true), (new, after, false)] {
            let Some((facts, _)) = facts else { continue };
            for (indicator, at, f) in list {
                *self.cell(&facts.unit, Month::of_millis(at), indicator) += if taken_out { -f } else { f };
            }
        }
    }

    fn cell(&mut self, unit: &str, month: Month, indicator: Indicator) -> &mut Figures {
        let units = self.0.entry(month).or_default();
        if !units.contains_key(unit) {
            units.insert(unit.to_string(), Default::default());
        }
        &mut units.get_mut(unit).expect("just inserted")[stored_slot(indicator)]
    }

    /// Rows with at least one non-zero change, in (month, unit) order; a row's zero cells are zero.
    pub fn rows(&self) -> impl Iterator<Item = (Month, &str, &RowCells)> {
        self.0
            .iter()
            .flat_map(|(m, units)| units.iter().map(move |(u, cells)| (*m, u.as_str(), cells)))
            .filter(|(_, _, cells)| cells.iter().any(|f| !f.is_zero()))
    }

    /// Non-zero changes, row by row.
    pub fn changes(&self) -> impl Iterator<Item = (Month, &str, Indicator, Figures)> {
        self.rows().flat_map(|(m, u, cells)| {
            Indicator::STORED.iter().zip(cells.iter()).filter(|(_, f)| !f.is_zero()).map(move |(i, f)| (m, u, *i, *f))
        })
    }

    /// The (indicator, month) pairs with a non-zero change.
    pub fn touched(&self) -> std::collections::BTreeSet<(Indicator, Month)> {
        self.changes().map(|(m, _, i, _)| (i, m)).collect()
    }

    /// The non-zero changes by cell.
    pub fn into_map(self) -> BTreeMap<RollupKey, Figures> {
        self.changes().map(|(month, unit, indicator, f)| (RollupKey { unit: unit.to_string(), month, indicator }, f)).collect()
    }
}

impl FromIterator<(RollupKey, Figures)> for RollupDelta {
    fn from_iter<T: IntoIterator<Item = (RollupKey, Figures)>>(cells: T) -> Self {
        let mut delta = RollupDelta::default();
        for (k, f) in cells {
            *delta.cell(&k.unit, k.month, k.indicator) += f;
        }
        delta
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    const FULL: Option<Terms> = Some(Terms { level: Level::Full, paper_result: false });
    const PARTIAL: Option<Terms> = Some(Terms { level: Level::Partial, paper_result: false });

    fn t(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis()
    }

    fn ev(id: &str, unit: &str, status: Status, at: &str) -> Event {
        Event {
            source: "s".into(),
            id: id.into(),
            dossier: "D1".into(),
            unit: unit.into(),
            procedure: "P1".into(),
            status,
            at: t(at),
            channel: (status == Status::Received).then_some(Channel::Online),
            result_delivery: (status == Status::Returned).then_some(Channel::Online),
            due: None,
            payment: None,
            marks: Default::default(),
        }
    }

    #[test]
    fn unit_from_earliest_received_else_earliest_event() {
        let early = ev("a", "U1", Status::Processing, "2026-11-01T08:00:00+07:00");
        let recv = ev("b", "U2", Status::Received, "2026-11-02T08:00:00+07:00");
        assert_eq!(derive(std::slice::from_ref(&early)).unwrap().unit, "U1");
        let f = derive(&[recv.clone(), early]).unwrap();
        assert_eq!(f.unit, "U2");
        assert_eq!(f.received_at, Some(recv.at));
    }

    #[test]
    fn ties_broken_by_smallest_id() {
        let mut a = ev("b", "U1", Status::Received, "2026-11-01T08:00:00+07:00");
        a.channel = Some(Channel::InPerson);
        let b = ev("a", "U2", Status::Received, "2026-11-01T08:00:00+07:00");
        let f = derive(&[a.clone(), b.clone()]).unwrap();
        assert_eq!((f.unit.as_str(), f.channel), ("U2", Some(Channel::Online)));
        assert_eq!(derive(&[b, a]).unwrap().unit, "U2");
    }

    #[test]
    fn earliest_returned_and_latest_payment() {
        let r1 = ev("r1", "U", Status::Returned, "2026-11-05T08:00:00+07:00");
        let mut r0 = ev("r0", "U", Status::Returned, "2026-11-04T08:00:00+07:00");
        r0.result_delivery = Some(Channel::Postal);
        let mut p1 = ev("p1", "U", Status::PaymentRequested, "2026-11-03T08:00:00+07:00");
        p1.payment = Some(Payment::Offline);
        let mut p2 = ev("p2", "U", Status::Processing, "2026-11-03T09:00:00+07:00");
        p2.payment = Some(Payment::Online);
        let f = derive(&[r1, p2.clone(), r0.clone(), p1.clone()]).unwrap();
        assert_eq!(f.returned_at, Some(r0.at));
        assert_eq!(f.result_delivery, Some(Channel::Postal));
        assert_eq!(f.payment, Some(Payment::Online));
        // An event without payment does not clear an earlier one.
        let later = ev("z", "U", Status::Processing, "2026-11-09T08:00:00+07:00");
        assert_eq!(derive(&[p1, later]).unwrap().payment, Some(Payment::Offline));
    }

    #[test]
    fn due_from_earliest_received_that_carries_one() {
        let r1 = ev("r1", "U", Status::Received, "2026-11-01T08:00:00+07:00");
        let mut r2 = ev("r2", "U", Status::Received, "2026-11-02T08:00:00+07:00");
        r2.due = Some(t("2026-11-10T17:00:00+07:00"));
        let mut p = ev("p", "U", Status::Processing, "2026-10-01T08:00:00+07:00");
        p.due = Some(t("2026-10-10T17:00:00+07:00"));
        assert_eq!(derive(&[r1, r2.clone(), p]).unwrap().due, r2.due);
    }

    fn facts(channel: Channel, delivery: Channel, payment: Option<Payment>) -> DossierFacts {
        DossierFacts {
            code: "D".into(),
            unit: "U".into(),
            procedure: "P".into(),
            received_at: Some(t("2026-10-30T08:00:00+07:00")),
            channel: Some(channel),
            returned_at: Some(t("2026-11-02T08:00:00+07:00")),
            result_delivery: Some(delivery),
            payment,
            due: Some(t("2026-11-02T08:00:00+07:00")),
            index: Default::default(),
        }
    }

    #[test]
    fn fully_online_rule() {
        use Channel::*;
        assert!(facts(Online, Online, None).is_fully_online());
        assert!(facts(Online, Postal, Some(Payment::Online)).is_fully_online());
        assert!(!facts(Online, InPerson, None).is_fully_online());
        assert!(!facts(InPerson, Online, None).is_fully_online());
        assert!(!facts(Postal, Online, None).is_fully_online());
        assert!(!facts(Online, Online, Some(Payment::Offline)).is_fully_online());
        assert_eq!(
            facts(InPerson, InPerson, Some(Payment::Offline)).shortfalls(),
            [Shortfall::SubmittedOffline, Shortfall::ResultInPerson, Shortfall::FeePaidOffline]
        );
    }

    #[test]
    fn contributions_by_indicator_and_month() {
        let f = facts(Channel::Online, Channel::Online, None);
        let provincial = |c: Vec<(RollupKey, Figures)>| c.into_iter().filter(|(k, _)| Indicator::PROVINCIAL.contains(&k.indicator)).collect::<Vec<_>>();
        let c = provincial(f.contributions(FULL));
        let nov: Month = "2026-11".parse().unwrap();
        let oct: Month = "2026-10".parse().unwrap();
        assert_eq!(c.len(), 3);
        assert_eq!((c[0].0.month, c[0].0.indicator, c[0].1), (nov, Indicator::Completion, Figures::new(1, 1)));
        assert_eq!((c[1].0.month, c[1].0.indicator, c[1].1), (oct, Indicator::Intake, Figures::new(1, 1)));
        assert_eq!((c[2].0.month, c[2].0.indicator, c[2].1), (nov, Indicator::OnTime, Figures::new(1, 1)));
        // Not eligible: only on_time, which counts dossiers of any level.
        let c = provincial(f.contributions(PARTIAL));
        assert_eq!(c.iter().map(|(k, _)| k.indicator).collect::<Vec<_>>(), [Indicator::OnTime]);
        // Received, never returned: intake only.
        let open = DossierFacts { returned_at: None, result_delivery: None, ..f.clone() };
        assert_eq!(provincial(open.contributions(FULL)).iter().map(|(k, _)| k.indicator).collect::<Vec<_>>(), [Indicator::Intake]);
        // Returned one millisecond late.
        let late = DossierFacts { returned_at: Some(f.due.unwrap() + 1), ..f };
        assert_eq!(late.is_on_time(), Some(false));
    }

    /// The national index's indicators of one dossier, by the rules of `counted`.
    #[test]
    fn index_indicators_of_a_dossier() {
        use crate::domain::event::Marks;
        let nov: Month = "2026-11".parse().unwrap();
        let oct: Month = "2026-10".parse().unwrap();
        let paper = Some(Terms { level: Level::Full, paper_result: true });
        let of = |f: &DossierFacts, terms: Option<Terms>, i: Indicator| {
            f.contributions(terms).into_iter().filter(|(k, _)| k.indicator == i).map(|(k, f)| (k.month, f)).collect::<Vec<_>>()
        };
        let mut f = facts(Channel::Online, Channel::Online, Some(Payment::Online));
        // Submitted online, but a paper result without a result file: not online for the index.
        assert_eq!(of(&f, paper, Indicator::OnlineSubmission), [(oct, Figures::new(0, 1))]);
        assert_eq!(of(&f, FULL, Indicator::OnlineSubmission), [(oct, Figures::new(1, 1))]);
        assert_eq!(of(&f, Some(Terms { level: Level::Info, paper_result: false }), Indicator::OnlineSubmission), []);
        // Returned: a result; the paper procedure's electronic result is missing.
        assert_eq!(of(&f, paper, Indicator::ElectronicResult), [(oct, Figures::new(0, 1))]);
        assert_eq!(of(&f, FULL, Indicator::ElectronicResult), []);
        // No fee: no online payment figure.
        assert_eq!(of(&f, FULL, Indicator::OnlinePayment), []);
        f.index = IndexFacts { result_file: Some(true), digitised: Some(true), reused_data: Some(false), fee: Some(true), ..IndexFacts::default() };
        assert_eq!(of(&f, paper, Indicator::OnlineSubmission), [(oct, Figures::new(1, 1))]);
        assert_eq!(of(&f, paper, Indicator::ElectronicResult), [(oct, Figures::new(1, 1))]);
        assert_eq!(of(&f, FULL, Indicator::OnlinePayment), [(oct, Figures::new(1, 1))]);
        assert_eq!(of(&f, FULL, Indicator::Digitised), [(oct, Figures::new(1, 1))]);
        assert_eq!(of(&f, FULL, Indicator::ReusedData), [(oct, Figures::new(0, 1))]);
        // On time by the end of processing, placed in its month.
        assert_eq!(of(&f, FULL, Indicator::OnTimeIndex), [(nov, Figures::new(1, 1))]);
        // Still open: placed by its due date in overdue_open, not in on_time_index.
        let open = DossierFacts { returned_at: None, result_delivery: None, ..f.clone() };
        assert_eq!(of(&open, FULL, Indicator::OnTimeIndex), []);
        assert_eq!(of(&open, FULL, Indicator::OverdueOpen), [(nov, Figures::new(0, 1))]);
        // Resolved (processing finished) before the return: the end of processing is the resolution.
        let resolved = DossierFacts { index: IndexFacts { resolved_at: Some(f.due.unwrap() - 1), ..f.index }, returned_at: Some(f.due.unwrap() + 86_400_000), ..f.clone() };
        assert_eq!(of(&resolved, FULL, Indicator::OnTimeIndex), [(nov, Figures::new(1, 1))]);
        assert_eq!(of(&resolved, FULL, Indicator::OnTime), [(nov, Figures::new(0, 1))]);
        // Marks fold by their latest event.
        let mut e = Event { marks: Marks { fee: Some(true), ..Marks::default() }, ..ev("m1", "U", Status::Processing, "2026-11-01T08:00:00+07:00") };
        let later = Event { marks: Marks { fee: Some(false), ..Marks::default() }, ..ev("m2", "U", Status::Processing, "2026-11-02T08:00:00+07:00") };
        assert_eq!(derive(&[later.clone(), e.clone()]).unwrap().index.fee, Some(false));
        e.at = later.at + 1;
        assert_eq!(derive(&[later, e]).unwrap().index.fee, Some(true));
    }

    proptest::proptest! {
        /// Folding a dossier's events in any order, with repeats, gives the facts `derive` gives.
        #[test]
        fn fold_in_any_order_equals_derive(
            raw in proptest::collection::vec((1..=10i64, 0..6i64, 0..3usize, 0..2usize, 0..4usize, 0..4usize, 0..3usize, proptest::option::of(0..6i64), 0..2usize, 0..243u32), 1..12),
            order in proptest::collection::vec(proptest::prelude::any::<proptest::sample::Index>(), 0..30),
        ) {
            let pick = |i: usize| Channel::ALL.get(i).copied();
            let events: Vec<Event> = raw.iter().enumerate().map(|(n, &(status, hour, id, unit, ch, del, pay, due, source, marks))| {
                // Each mark absent, false or true (base 3 digits); an answered supplement only true.
                let mark = |k: u32| [None, Some(false), Some(true)][(marks / 3u32.pow(k) % 3) as usize];
                let status = Status::from_code(status).unwrap();
                Event {
                    // Few distinct ids and sources at few distinct times: ties at every level.
                    source: ["s1", "s2"][source].into(),
                    id: format!("e{id}-{n}").chars().take(if n % 2 == 0 { 2 } else { 6 }).collect(),
                    dossier: "D".into(),
                    unit: ["U1", "U2"][unit].into(),
                    procedure: format!("P{unit}"),
                    status,
                    at: hour * 3_600_000,
                    channel: if status == Status::Received { Some(pick(ch % 3).unwrap()) } else { pick(ch) },
                    result_delivery: if status == Status::Returned { Some(pick(del % 3).unwrap()) } else { pick(del) },
                    due: due.map(|h| h * 3_600_000),
                    payment: [None, Some(Payment::Online), Some(Payment::Offline)][pay],
                    marks: crate::domain::event::Marks {
                        result_file: mark(0),
                        digitised: mark(1),
                        reused_data: mark(2),
                        fee: mark(3),
                        supplement_answered: mark(4).filter(|v| *v),
                    },
                }
            }).collect();
            // The same (source, id) is one event: keep the first of each, as the store does.
            let mut seen = std::collections::HashSet::new();
            let events: Vec<Event> = events.into_iter().filter(|e| seen.insert((e.source.clone(), e.id.clone()))).collect();
            let mut stream: Vec<&Event> = order.iter().map(|i| i.get(&events)).collect();
            stream.extend(events.iter());
            let mut record = DossierRecord::new(stream[0]);
            for e in &stream[1..] {
                record.fold(e);
            }
            proptest::prop_assert_eq!(Some(record.facts), derive(&events));
        }
    }

    #[test]
    fn delta_moves_counts_between_units() {
        let old = facts(Channel::Online, Channel::Online, None);
        let new = DossierFacts { unit: "V".into(), ..old.clone() };
        let mut d = RollupDelta::default();
        d.record(Some((&old, FULL)), Some((&new, FULL)));
        let m = d.into_map();
        // completion, intake, on_time, online_submission and on_time_index (1 of 1); digitised and
        // reused_data (0 of 1): each leaves U and arrives at V.
        assert_eq!(m.len(), 14);
        for (k, f) in &m {
            let twin = RollupKey { unit: if k.unit == "U" { "V".into() } else { "U".into() }, ..k.clone() };
            assert_eq!(*f, -m[&twin], "{k:?}");
        }
        assert_eq!(m[&RollupKey { unit: "V".into(), month: "2026-11".parse().unwrap(), indicator: Indicator::Completion }], Figures::new(1, 1));
        let mut same = RollupDelta::default();
        same.record(Some((&new, FULL)), Some((&new, FULL)));
        assert!(same.into_map().is_empty());
    }
}
