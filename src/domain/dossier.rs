//! A dossier's facts, derived from the set of its events (never from arrival order), and what the
//! dossier contributes to the monthly rollups.

use super::event::{Channel, Event, Payment, Status};
use super::indicator::{Figures, Indicator};
use super::month::Month;
use super::procedure::Level;
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
}

/// Derives the facts of one dossier from all of its events, as kpi.md states. None for no events.
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
    })
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

    /// What this dossier adds to the rollups: at most one entry per indicator.
    pub fn contributions(&self, level: Option<Level>) -> Vec<(RollupKey, Figures)> {
        let eligible = self.is_eligible(level);
        let key = |at: i64, indicator| RollupKey { unit: self.unit.clone(), month: Month::of_millis(at), indicator };
        let mut out = Vec::with_capacity(3);
        if let (true, Some(at)) = (eligible, self.returned_at) {
            out.push((key(at, Indicator::Completion), Figures::new(self.is_fully_online() as i64, 1)));
        }
        if let (true, Some(at)) = (eligible, self.received_at) {
            out.push((key(at, Indicator::Intake), Figures::new((self.channel == Some(Channel::Online)) as i64, 1)));
        }
        if let (Some(at), Some(on_time)) = (self.returned_at, self.is_on_time()) {
            out.push((key(at, Indicator::OnTime), Figures::new(on_time as i64, 1)));
        }
        out
    }
}

/// One cell of the monthly rollup table.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RollupKey {
    pub unit: String,
    pub month: Month,
    pub indicator: Indicator,
}

/// Net changes to apply to the rollups, summed per key; zero changes are dropped.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RollupDelta(BTreeMap<RollupKey, Figures>);

impl RollupDelta {
    /// Records that a dossier's facts moved from `old` to `new`.
    pub fn record(&mut self, old: Option<(&DossierFacts, Option<Level>)>, new: Option<(&DossierFacts, Option<Level>)>) {
        if let Some((facts, level)) = old {
            for (k, f) in facts.contributions(level) {
                *self.0.entry(k).or_default() += -f;
            }
        }
        if let Some((facts, level)) = new {
            for (k, f) in facts.contributions(level) {
                *self.0.entry(k).or_default() += f;
            }
        }
    }

    /// Non-zero changes in key order (a fixed lock order for concurrent writers).
    pub fn changes(&self) -> impl Iterator<Item = (&RollupKey, Figures)> {
        self.0.iter().filter(|(_, f)| !f.is_zero()).map(|(k, f)| (k, *f))
    }

    pub fn into_map(self) -> BTreeMap<RollupKey, Figures> {
        self.0.into_iter().filter(|(_, f)| !f.is_zero()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

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
        let c = f.contributions(Some(Level::Full));
        let nov: Month = "2026-11".parse().unwrap();
        let oct: Month = "2026-10".parse().unwrap();
        assert_eq!(c.len(), 3);
        assert_eq!((c[0].0.month, c[0].0.indicator, c[0].1), (nov, Indicator::Completion, Figures::new(1, 1)));
        assert_eq!((c[1].0.month, c[1].0.indicator, c[1].1), (oct, Indicator::Intake, Figures::new(1, 1)));
        assert_eq!((c[2].0.month, c[2].0.indicator, c[2].1), (nov, Indicator::OnTime, Figures::new(1, 1)));
        // Not eligible: only on_time, which counts dossiers of any level.
        let c = f.contributions(Some(Level::Partial));
        assert_eq!(c.iter().map(|(k, _)| k.indicator).collect::<Vec<_>>(), [Indicator::OnTime]);
        // Received, never returned: intake only.
        let open = DossierFacts { returned_at: None, result_delivery: None, ..f.clone() };
        assert_eq!(open.contributions(Some(Level::Full)).iter().map(|(k, _)| k.indicator).collect::<Vec<_>>(), [Indicator::Intake]);
        // Returned one millisecond late.
        let late = DossierFacts { returned_at: Some(f.due.unwrap() + 1), ..f };
        assert_eq!(late.is_on_time(), Some(false));
    }

    #[test]
    fn delta_moves_counts_between_units() {
        let old = facts(Channel::Online, Channel::Online, None);
        let new = DossierFacts { unit: "V".into(), ..old.clone() };
        let mut d = RollupDelta::default();
        d.record(Some((&old, Some(Level::Full))), Some((&new, Some(Level::Full))));
        let m = d.into_map();
        assert_eq!(m.len(), 6);
        assert!(m.iter().all(|(k, f)| if k.unit == "U" { *f == Figures::new(-1, -1) } else { *f == Figures::new(1, 1) }));
        let mut same = RollupDelta::default();
        same.record(Some((&new, Some(Level::Full))), Some((&new, Some(Level::Full))));
        assert!(same.into_map().is_empty());
    }
}
