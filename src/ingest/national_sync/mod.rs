//! The national-sync collector: what provincial systems already push to the national portal
//! (`shared/spec/national-sync.md`), taken as it is and turned into native events.
//!
//! The pipeline of a request: read the body into structs that hold only the needed fields (`wire`,
//! personal data is skipped while reading); map each snapshot and step to drafts of events
//! (`snapshot`, `step`); find the events derived before for those dossiers by their id prefix and give
//! each draft its id (`ids`); then the same validation, scope check and `Store::ingest` as
//! `POST /api/v1/events` (`ingest::check`, `ingest::store`). A dossier is stored whole or not at all:
//! when any event of it fails validation, none of its events is handed to the store.
//!
//! Steps of a dossier not yet known from their source are held (`Store::hold_steps`: dossier, status,
//! time) and answered "0"; when a snapshot of that dossier from that source is collected, its held steps
//! join its drafts, get the ids they would have had if sent after it, and are deleted once stored.

pub mod ids;
pub mod snapshot;
pub mod step;
pub mod time;
pub mod wire;

use super::{body, BatchReport, Rejection};
use crate::domain::event::{cut, MAX_REASON_CHARS};
use crate::domain::{Event, HeldStep};
use crate::registry::Registry;
use crate::store::{Store, StoreError, TokenRecord};
use serde::Serialize;
use snapshot::{Draft, Reader, Refused};
use std::collections::{HashMap, HashSet};

/// Which call a request is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    /// Create or update dossiers: snapshots, one or a list, in any of the wrappings.
    Dossiers,
    /// Processing history: a list of steps.
    Steps,
}

impl Call {
    pub fn as_str(self) -> &'static str {
        match self {
            Call::Dossiers => "dossiers",
            Call::Steps => "steps",
        }
    }
}

/// `error_code` of an answer: what the sender should do.
pub const STORED: &str = "0";
/// Refused: the data must change (a field, a code without a mapping, a unit outside the token's scope).
pub const REFUSED: &str = "1";
/// Not stored now; the same request later may be (a concurrent correction, a full list of held steps).
pub const RETRY: &str = "2";

/// Steps of dossiers not yet known from their source are held until the snapshot arrives: at most this
/// many per source (beyond it, steps are answered "2" and nothing of them is held)…
pub const MAX_HELD_STEPS_PER_SOURCE: i64 = 100_000;
/// …and for at most this long after they arrived, by the service's clock (90 days): older ones are
/// dropped when steps are next held, and never folded in.
pub const HELD_STEPS_MAX_AGE_MS: i64 = 90 * 86_400_000;

/// The answer, in the shape these systems handle: `error_code` "0" on success. `results` lists each
/// dossier when the sender sent a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Answer {
    pub error_code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub results: Option<Vec<DossierAnswer>>,
}

/// What became of one dossier (a snapshot with its steps, or the steps of one dossier).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DossierAnswer {
    /// The dossier code when it is one; null when what was sent is not a code.
    #[serde(rename = "MaHoSo")]
    pub dossier: Option<String>,
    pub error_code: String,
    pub message: String,
}

/// What a request did: the answer, the events' outcomes (for the ingest metrics), and the unit codes
/// that lacked a mapping.
pub struct Collected {
    pub answer: Answer,
    pub events: BatchReport,
    pub unmapped: Vec<String>,
}

/// One dossier of a request, as read.
enum Group {
    Refused(Refused, &'static str),
    /// A snapshot's dossier with its events, and the steps sent with it.
    Mapped { dossier: snapshot::Dossier, steps: Vec<Draft>, left: usize },
    /// Steps of a dossier whose unit and procedure are those its stored snapshot gave.
    Steps { dossier: String, steps: Vec<Draft>, left: usize },
}

impl Group {
    fn dossier(&self) -> Option<&str> {
        match self {
            Group::Refused(r, _) => r.dossier.as_deref(),
            Group::Mapped { dossier, .. } => Some(&dossier.code),
            Group::Steps { dossier, .. } => Some(dossier),
        }
    }
}

/// A request read and mapped, before the store is asked: pure CPU work (run it off the async workers).
pub struct Plan {
    listed: bool,
    groups: Vec<Group>,
}

impl Plan {
    /// Several plans as one (the dossiers of each in order), so that a file read a line at a time is
    /// stored in batches, with the same events and ids as one request holding them all.
    pub fn merge(plans: impl IntoIterator<Item = Plan>) -> Plan {
        let mut groups = Vec::new();
        for p in plans {
            groups.extend(p.groups);
        }
        Plan { listed: true, groups }
    }

    /// The first reason any dossier of the plan would be refused, judged without the store: the
    /// mapping's refusals, then the events' validation and the token's scope. Ids are not judged
    /// (they depend on what is stored); conflicts only show when storing.
    pub fn first_problem(&self, registry: &Registry, token: &TokenRecord, now_ms: i64) -> Option<String> {
        for group in &self.groups {
            let (code, unit, procedure, drafts) = match group {
                Group::Refused(r, _) => return Some(r.message.clone()),
                Group::Steps { .. } => return Some("steps without their snapshot: a file holds snapshots".into()),
                Group::Mapped { dossier, steps, .. } => {
                    (&dossier.code, &dossier.unit, &dossier.procedure, dossier.drafts.iter().chain(steps))
                }
            };
            let mut items = Vec::new();
            for draft in drafts {
                match ids::assign(&token.source, code, unit, procedure, draft, &[]) {
                    Ok(e) => items.push(Ok(wire_event(&e))),
                    Err(why) => return Some(why),
                }
            }
            if let Some(r) = super::check(registry, token, items, now_ms).rejected().first() {
                return Some(r.error.clone());
            }
        }
        None
    }
}

/// Reads and maps a request's body. Err refuses the whole body (a `400`), quoting none of it.
pub fn plan(registry: &Registry, source: &str, call: Call, body: &[u8], now_ms: i64) -> Result<Plan, String> {
    let body = std::str::from_utf8(body).map_err(|e| format!("the body is not UTF-8 (byte {})", e.valid_up_to()))?;
    let reader = Reader { source, registry, now_ms };
    match call {
        Call::Dossiers => {
            let read = wire::dossiers(body)?;
            let groups = read.envelopes.iter().map(|e| snapshot_group(&reader, e)).collect();
            Ok(Plan { listed: read.listed, groups })
        }
        Call::Steps => {
            let (steps, listed) = wire::steps(body)?;
            Ok(Plan { listed, groups: step_groups(&reader, &steps) })
        }
    }
}

fn snapshot_group(reader: &Reader, e: &wire::Envelope) -> Group {
    let mapped = wire::snapshot(e.snapshot).map_err(|m| Refused::new(None, m)).and_then(|s| reader.read(&s, e.madonvi.as_ref()));
    let dossier = match mapped {
        Ok(d) => d,
        Err(r) => return Group::Refused(r, REFUSED),
    };
    let (mut steps, mut left) = (Vec::new(), 0);
    for raw in &e.steps {
        let step = wire::step(raw).map_err(|m| Refused::new(Some(&dossier.code), m)).and_then(|s| reader.step(&s));
        match step {
            Ok(s) if s.dossier != dossier.code => {
                let why = "tienTrinhDongBo holds a step of another dossier; nothing of this dossier was stored";
                return Group::Refused(Refused::new(Some(&dossier.code), why), REFUSED);
            }
            Ok(s) => match s.draft {
                Some(d) => steps.push(d),
                None => left += 1,
            },
            Err(r) => return Group::Refused(Refused { dossier: Some(dossier.code.clone()), ..r }, REFUSED),
        }
    }
    Group::Mapped { dossier, steps, left }
}

/// Steps grouped by dossier, in the order each dossier first appears; a step that names no dossier
/// code is a group of its own.
fn step_groups(reader: &Reader, raw: &[&serde_json::value::RawValue]) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for (n, raw) in raw.iter().enumerate() {
        let step = wire::step(raw).map_err(|m| Refused::new(None, m)).and_then(|s| reader.step(&s));
        let (code, outcome) = match step {
            Ok(s) => (s.dossier.clone(), Ok(s)),
            Err(r) => match r.dossier.clone() {
                Some(code) => (code, Err(r)),
                None => {
                    let message = format!("step {n} (from 0): {}", r.message);
                    groups.push(Group::Refused(Refused::new(None, message), REFUSED));
                    continue;
                }
            },
        };
        let at = *index.entry(code.clone()).or_insert_with(|| {
            groups.push(Group::Steps { dossier: code.clone(), steps: Vec::new(), left: 0 });
            groups.len() - 1
        });
        match (&mut groups[at], outcome) {
            (Group::Refused(..), _) => {}
            (g, Err(r)) => *g = Group::Refused(r, REFUSED),
            (Group::Steps { steps, left, .. }, Ok(s)) => match s.draft {
                Some(d) => steps.push(d),
                None => *left += 1,
            },
            (Group::Mapped { .. }, Ok(_)) => unreachable!("step groups hold steps"),
        }
    }
    groups
}

/// The unit and procedure a dossier's stored events give it: those of its newest intake revision,
/// else of any event derived for it.
fn whereabouts(dossier: &str, known: &[Event]) -> Option<(String, String)> {
    let intake = ids::prefix(dossier) + "received/";
    known
        .iter()
        .filter(|e| e.id.starts_with(&intake))
        .min_by(|a, b| a.id.cmp(&b.id))
        .or_else(|| known.first())
        .map(|e| (e.unit.clone(), e.procedure.clone()))
}

/// Stores what a plan maps to, through validation, the token's scope and `Store::ingest`, and answers.
pub async fn collect(store: &dyn Store, registry: &Registry, token: &TokenRecord, plan: Plan, now_ms: i64) -> Result<Collected, StoreError> {
    let Plan { listed, groups } = plan;
    let prefixes: Vec<String> = groups.iter().filter(|g| !matches!(g, Group::Refused(..))).filter_map(Group::dossier).map(ids::prefix).collect();
    let mut known: HashMap<String, Vec<Event>> = HashMap::new();
    if !prefixes.is_empty() {
        for e in store.events_with_id_prefix(&token.source, &prefixes).await? {
            known.entry(e.dossier.clone()).or_default().push(e);
        }
    }

    // Steps held for the snapshots' dossiers join them, as if sent with them.
    let snapshots: Vec<String> =
        groups.iter().filter_map(|g| if let Group::Mapped { dossier, .. } = g { Some(dossier.code.clone()) } else { None }).collect();
    let mut held: HashMap<String, Vec<Draft>> = HashMap::new();
    if !snapshots.is_empty() {
        for s in store.held_steps(&token.source, &snapshots, now_ms.saturating_sub(HELD_STEPS_MAX_AGE_MS)).await? {
            held.entry(s.dossier).or_default().push(Draft::step(s.status, s.at));
        }
    }
    let mut folded = vec![0usize; groups.len()];
    // Steps of dossiers not known yet, to be held: (group, steps).
    let mut to_hold: Vec<(usize, Vec<HeldStep>)> = Vec::new();

    // Each group's events with their ids; the events of a request join what is known, so a dossier
    // sent twice in one request is judged against its first copy.
    let mut outcomes: Vec<Option<(&'static str, String)>> = vec![None; groups.len()];
    let mut unmapped = Vec::new();
    let mut items: Vec<body::Item> = Vec::new();
    let mut owner: Vec<usize> = Vec::new();
    let mut left_over = vec![0usize; groups.len()];
    // Events of each group new to the store, and stored before (the same snapshot or step sent again).
    let stored_before: HashSet<String> = known.values().flatten().map(|e| e.id.clone()).collect();
    let mut made_here: HashSet<String> = HashSet::new();
    let mut counts = vec![(0usize, 0usize); groups.len()];
    for (g, group) in groups.iter().enumerate() {
        let (code, unit, procedure, drafts, left) = match group {
            Group::Refused(r, code) => {
                unmapped.extend(r.unmapped.clone());
                outcomes[g] = Some((code, r.message.clone()));
                continue;
            }
            Group::Mapped { dossier, steps, left } => {
                let waiting = held.get(&dossier.code).map_or(&[][..], Vec::as_slice);
                folded[g] = waiting.len();
                let drafts: Vec<&Draft> = dossier.drafts.iter().chain(steps).chain(waiting).collect();
                (&dossier.code, dossier.unit.clone(), dossier.procedure.clone(), drafts, *left)
            }
            Group::Steps { dossier, steps, left } => match whereabouts(dossier, known.get(dossier).map_or(&[], Vec::as_slice)) {
                Some((unit, procedure)) => (dossier, unit, procedure, steps.iter().collect(), *left),
                None => {
                    left_over[g] = *left;
                    let held = steps.iter().map(|d| HeldStep { dossier: dossier.clone(), status: d.status, at: d.at }).collect();
                    to_hold.push((g, held));
                    continue;
                }
            },
        };
        left_over[g] = left;
        let mut made = Vec::with_capacity(drafts.len());
        for draft in drafts {
            let seen = known.entry(code.clone()).or_default();
            match ids::assign(&token.source, code, &unit, &procedure, draft, seen) {
                Ok(e) => {
                    seen.push(e.clone());
                    made.push(e);
                }
                Err(why) => {
                    outcomes[g] = Some((REFUSED, why));
                    break;
                }
            }
        }
        if outcomes[g].is_none() {
            for e in made {
                if stored_before.contains(&e.id) {
                    counts[g].1 += 1;
                } else if made_here.insert(e.id.clone()) {
                    counts[g].0 += 1;
                }
                items.push(Ok(wire_event(&e)));
                owner.push(g);
            }
        }
    }

    if !to_hold.is_empty() {
        let all: Vec<HeldStep> = to_hold.iter().flat_map(|(_, s)| s.iter().cloned()).collect();
        let taken = store.hold_steps(&token.source, &all, now_ms, MAX_HELD_STEPS_PER_SOURCE, HELD_STEPS_MAX_AGE_MS).await?;
        for (g, steps) in &to_hold {
            outcomes[*g] = Some(if taken {
                let mut m = format!(
                    "held: {} steps wait for this dossier's snapshot from this system and become events when it arrives \
                     (kept for 90 days); nothing is counted until then",
                    steps.len()
                );
                if left_over[*g] > 0 {
                    m.push_str(&format!("; {} steps of status 2 or 10 are left to the snapshot's NgayTiepNhan and NgayTra", left_over[*g]));
                }
                (STORED, m)
            } else {
                let m = format!(
                    "this dossier is not known from this system yet and the system already holds {MAX_HELD_STEPS_PER_SOURCE} steps \
                     waiting for their snapshots: send the snapshots first, then these steps again; nothing of them was stored"
                );
                (RETRY, m)
            });
        }
    }

    // Validation first, on everything; a dossier with any refused event is left out whole, then the
    // rest is validated again and stored. Positions are of the second pass from here on.
    let first = super::check(registry, token, items.clone(), now_ms);
    let mut invalid: Vec<Rejection> = Vec::new();
    for r in first.rejected() {
        let g = owner[r.index];
        if outcomes[g].is_none() {
            outcomes[g] = Some((REFUSED, r.error.clone()));
        }
        invalid.push(Rejection { index: r.index, id: None, error: String::new() });
    }
    let (kept, kept_owner): (Vec<body::Item>, Vec<usize>) =
        items.into_iter().zip(owner).filter(|(_, g)| outcomes[*g].is_none()).unzip();
    let checked = super::check(registry, token, kept, now_ms);
    let mut report = super::store(store, checked, now_ms).await?;
    for r in &report.rejected {
        let g = kept_owner[r.index];
        if outcomes[g].is_none() {
            let code = if r.error.starts_with("conflict") { RETRY } else { REFUSED };
            outcomes[g] = Some((code, r.error.clone()));
        }
    }
    report.rejected.extend(invalid);
    // Held steps that are events now are held no longer.
    let released: Vec<String> = (0..groups.len())
        .filter(|g| folded[*g] > 0 && outcomes[*g].is_none())
        .filter_map(|g| groups[g].dossier().map(String::from))
        .collect();
    if !released.is_empty() {
        store.release_held_steps(&token.source, &released).await?;
    }

    let results: Vec<DossierAnswer> = groups
        .iter()
        .enumerate()
        .map(|(g, group)| {
            let (code, message) = match outcomes[g].take() {
                Some((code, why)) => (code, why),
                None => {
                    let (new, old) = counts[g];
                    let mut m = format!("stored: {new} new events, {old} stored before");
                    if folded[g] > 0 {
                        m.push_str(&format!("; {} steps held before the snapshot are events now", folded[g]));
                    }
                    if left_over[g] > 0 {
                        m.push_str(&format!("; {} steps of status 2 or 10 are left to the snapshot's NgayTiepNhan and NgayTra", left_over[g]));
                    }
                    (STORED, m)
                }
            };
            DossierAnswer { dossier: group.dossier().map(String::from), error_code: code.into(), message: cut(message, MAX_REASON_CHARS) }
        })
        .collect();
    Ok(Collected { answer: answer(listed, results), events: report, unmapped })
}

impl Answer {
    /// How many dossiers were stored, refused, and are to be sent again.
    pub fn tally(&self) -> [(&'static str, usize); 3] {
        let codes: Vec<&str> = match &self.results {
            Some(results) => results.iter().map(|r| r.error_code.as_str()).collect(),
            None => vec![self.error_code.as_str()],
        };
        let count = |code: &str| codes.iter().filter(|c| **c == code).count();
        [("stored", count(STORED)), ("refused", count(REFUSED)), ("retry", count(RETRY))]
    }
}

/// One dossier's answer as the whole answer, or a summary with every dossier's.
fn answer(listed: bool, results: Vec<DossierAnswer>) -> Answer {
    if !listed && results.len() == 1 {
        let only = results.into_iter().next().expect("one");
        return Answer { error_code: only.error_code, message: only.message, results: None };
    }
    let count = |code: &str| results.iter().filter(|r| r.error_code == code).count();
    let (stored, refused, retry) = (count(STORED), count(REFUSED), count(RETRY));
    let error_code = if refused > 0 { REFUSED } else if retry > 0 { RETRY } else { STORED };
    let message = format!("{stored} of {} dossiers stored, {refused} refused, {retry} to send again later", results.len());
    Answer { error_code: error_code.into(), message, results: Some(results) }
}

/// An event in the native contract's shape, for `event::validate`.
fn wire_event(e: &Event) -> serde_json::Value {
    let mut v = serde_json::json!({
        "id": e.id, "dossier": e.dossier, "unit": e.unit, "procedure": e.procedure,
        "status": e.status.as_str(), "at": time::rfc3339(e.at),
    });
    if let Some(c) = e.channel {
        v["channel"] = c.as_str().into();
    }
    if let Some(c) = e.result_delivery {
        v["result_delivery"] = c.as_str().into();
    }
    if let Some(d) = e.due {
        v["due"] = time::rfc3339(d).into();
    }
    if let Some(p) = e.payment {
        v["payment"] = p.as_str().into();
    }
    if let serde_json::Value::Object(marks) = serde_json::to_value(e.marks).expect("plain fields") {
        v.as_object_mut().expect("an object").extend(marks);
    }
    v
}
