//! Event ids derived from the dossier and what each event says, so that a snapshot sent again is a
//! duplicate and a corrected one outranks what it corrects under kpi.md's earliest/latest rules.
//!
//! - A status change that is no fact of its own (registered, refused, supplement, finished, a step):
//!   `ns/{MaHoSo}/{status code}/{hash}`, the hash of its unit, procedure, status and time. The same
//!   content always has the same id (a duplicate); other content another id (a new event).
//! - The facts that a correction replaces carry a revision: `ns/{MaHoSo}/received/{rev}`,
//!   `ns/{MaHoSo}/returned/{rev}`, `ns/{MaHoSo}/payment/{rev}`, `ns/{MaHoSo}/marks/{rev}`, four digits. When the newest revision
//!   stored from this source says the same, its id is used again (a duplicate); otherwise the next
//!   revision is made. Intake and return take the *earliest* event (ties by id), so their revisions
//!   count down from 9999: a corrected intake at the same time has the smaller id and wins. Payment
//!   and the marks take the *latest* event, so their revisions count up from 0000.
//!
//! What this cannot do, since events are append-only and the earliest intake or return always counts:
//! a correction that moves `NgayTiepNhan` or `NgayTra` later, or removes one, leaves the earlier event
//! in force; a payment moved to an earlier latest time loses to the earlier snapshot's.

use super::snapshot::{Draft, Kind};
use crate::domain::Event;
use sha2::{Digest, Sha256};

/// The prefix of every id derived for this dossier: the store finds them by it.
pub fn prefix(dossier: &str) -> String {
    format!("ns/{dossier}/")
}

fn fact_name(kind: Kind) -> Option<&'static str> {
    match kind {
        Kind::Received => Some("received"),
        Kind::Returned => Some("returned"),
        Kind::Payment => Some("payment"),
        Kind::Marks => Some("marks"),
        Kind::Step => None,
    }
}

/// The revision of a stored event of this fact, if its id is one.
fn revision(id: &str, fact_prefix: &str) -> Option<u32> {
    let rest = id.strip_prefix(fact_prefix)?;
    (rest.len() == 4 && rest.bytes().all(|b| b.is_ascii_digit())).then(|| rest.parse().ok()).flatten()
}

/// Whether two events say the same, whatever their ids.
pub fn same_content(a: &Event, b: &Event) -> bool {
    (a.dossier.as_str(), a.unit.as_str(), a.procedure.as_str(), a.status, a.at, a.channel, a.result_delivery, a.due, a.payment, a.marks)
        == (b.dossier.as_str(), b.unit.as_str(), b.procedure.as_str(), b.status, b.at, b.channel, b.result_delivery, b.due, b.payment, b.marks)
}

/// The event a draft becomes, with its id: `known` holds the events of this dossier stored from this
/// source (and those made earlier in the same request). Err when a fact has run out of revisions.
pub fn assign(source: &str, dossier: &str, unit: &str, procedure: &str, draft: &Draft, known: &[Event]) -> Result<Event, String> {
    let mut event = Event {
        source: source.to_string(),
        id: String::new(),
        dossier: dossier.to_string(),
        unit: unit.to_string(),
        procedure: procedure.to_string(),
        status: draft.status,
        at: draft.at,
        channel: draft.channel,
        result_delivery: draft.result_delivery,
        due: draft.due,
        payment: draft.payment,
        marks: draft.marks,
    };
    let Some(name) = fact_name(draft.kind) else {
        // Marks (a supplement answered) join the hash only when present, so unmarked steps keep their ids.
        let marks = draft.marks.to_column().map(|m| format!("\n{m}")).unwrap_or_default();
        let digest = Sha256::digest(format!("{unit}\n{procedure}\n{}\n{}{marks}", draft.status.code(), draft.at).as_bytes());
        event.id = format!("{}{}/{}", prefix(dossier), draft.status.code(), &hex::encode(digest)[..16]);
        return Ok(event);
    };
    let fact_prefix = format!("{}{name}/", prefix(dossier));
    let counts_up = matches!(draft.kind, Kind::Payment | Kind::Marks);
    let newest = known
        .iter()
        .filter_map(|e| revision(&e.id, &fact_prefix).map(|r| (r, e)))
        .max_by_key(|(r, _)| if counts_up { *r as i64 } else { -(*r as i64) });
    let rev = match newest {
        Some((_, stored)) if same_content(stored, &event) => {
            event.id = stored.id.clone();
            return Ok(event);
        }
        Some((r, _)) if counts_up => r.checked_add(1).filter(|r| *r <= 9999),
        Some((r, _)) => r.checked_sub(1),
        None if counts_up => Some(0),
        None => Some(9999),
    };
    let rev = rev.ok_or_else(|| format!("{name} of this dossier was corrected 10,000 times; no further correction is taken"))?;
    event.id = format!("{fact_prefix}{rev:04}");
    Ok(event)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::event::{Channel, Payment, Status};

    fn received(channel: Channel) -> Draft {
        Draft { kind: Kind::Received, channel: Some(channel), ..Draft::step(Status::Received, 1_740_792_600_000) }
    }

    fn make(draft: &Draft, known: &[Event]) -> Event {
        assign("igate", "H31-1", "31-STP", "1.001612", draft, known).unwrap()
    }

    #[test]
    fn the_same_content_has_the_same_id() {
        let first = make(&received(Channel::Online), &[]);
        assert_eq!(first.id, "ns/H31-1/received/9999");
        assert_eq!(make(&received(Channel::Online), std::slice::from_ref(&first)), first);
        let step = make(&Draft::step(Status::Processing, 5), &[]);
        assert_eq!(make(&Draft::step(Status::Processing, 5), &[]).id, step.id);
        assert!(step.id.starts_with("ns/H31-1/4/") && step.id.len() == "ns/H31-1/4/".len() + 16, "{}", step.id);
        assert_ne!(make(&Draft::step(Status::Processing, 6), &[]).id, step.id);
    }

    #[test]
    fn a_correction_outranks_what_it_corrects() {
        let first = make(&received(Channel::InPerson), &[]);
        let second = make(&received(Channel::Online), std::slice::from_ref(&first));
        assert_eq!(second.id, "ns/H31-1/received/9998");
        assert!(second.order_key() < first.order_key(), "the correction is the earliest intake");
        // Going back to the first content is a correction too: the newest revision decides.
        let third = make(&received(Channel::InPerson), &[first.clone(), second.clone()]);
        assert_eq!(third.id, "ns/H31-1/received/9997");
        assert_eq!(make(&received(Channel::InPerson), &[first, second, third.clone()]), third);

        let paid = |p| Draft { kind: Kind::Payment, payment: Some(p), ..Draft::step(Status::PaymentRequested, 7) };
        let a = make(&paid(Payment::Offline), &[]);
        let b = make(&paid(Payment::Online), std::slice::from_ref(&a));
        assert_eq!((a.id.as_str(), b.id.as_str()), ("ns/H31-1/payment/0000", "ns/H31-1/payment/0001"));
        assert!(b.order_key() > a.order_key(), "the correction is the latest payment");
    }

    #[test]
    fn revisions_run_out_with_a_reason() {
        let mut last = make(&received(Channel::Online), &[]);
        last.id = "ns/H31-1/received/0000".into();
        let e = assign("igate", "H31-1", "31-STP", "1.001612", &received(Channel::Postal), &[last]).unwrap_err();
        assert!(e.contains("corrected 10,000 times"), "{e}");
    }
}
