//! How a dossier row stores its index facts and their keys (`dossiers.index_record`), compactly.
//!
//! Every dossier of a batch is read and rewritten, so the bytes of this column are paid on every page
//! a batch writes. The facts are not stored: each is a key's instant, a count of keys, or a mark's value,
//! so they are derived from the keys on reading. A key an earlier fact already names (one event often
//! carries all four marks) is stored once and named by its place; a mark's key that is one of the row's
//! own keys (the intake event is its anchor, the fee's event its payment key, the result's event its
//! returned key) is named by a letter; the source the keys share is written once. A typical record takes
//! a fifth to a quarter of the bytes of the plain JSON of the facts and keys (`BENCHMARKS.md`), which
//! had pushed a SQLite row of a dossier past the size at which it spills to overflow pages.
//!
//! Shape (JSON; every field optional): `{"s": source, "k": [[at, id] | [at, id, source], …],
//! "rf"|"dg"|"ru"|"fe": [value, place | "a"|"r"|"p"|"d"], "rs"|"hl"|"s1"|"s2"|"an": place}` (result
//! file, digitised, re-used data, fee; resolved, halted, first and second supplement request, answered;
//! a place is an index into `k`; the letters name the row's anchor, returned, payment and due-from keys).
//! The facts need only `k`, so the dossier lists read them without the row's keys. Rows written by the
//! build that introduced the column (`{"facts": …, "keys": …}`) are still read.

use crate::domain::event::EventKey;
use crate::domain::index_facts::{IndexFacts, IndexKeys, IndexRecord};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Compact {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    s: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    k: Vec<Key>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rf: Option<(bool, Ref)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    dg: Option<(bool, Ref)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ru: Option<(bool, Ref)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    fe: Option<(bool, Ref)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rs: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    hl: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    s1: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    s2: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    an: Option<usize>,
}

/// Where a mark's key is: a place in `k`, or one of the row's own keys by its letter.
#[derive(Serialize, Deserialize, Clone, Copy)]
#[serde(untagged)]
enum Ref {
    Place(usize),
    Row(RowKey),
}

#[derive(Serialize, Deserialize, Clone, Copy)]
enum RowKey {
    #[serde(rename = "a")]
    Anchor,
    #[serde(rename = "r")]
    Returned,
    #[serde(rename = "p")]
    Payment,
    #[serde(rename = "d")]
    DueFrom,
}

/// The keys a dossier row holds in columns of their own, which a mark's key may name rather than repeat.
#[derive(Clone, Copy, Default)]
pub struct RowKeys<'a> {
    pub anchor: Option<&'a EventKey>,
    pub returned: Option<&'a EventKey>,
    pub payment: Option<&'a EventKey>,
    pub due_from: Option<&'a EventKey>,
}

impl<'a> RowKeys<'a> {
    fn letter_of(&self, key: &EventKey) -> Option<RowKey> {
        [(self.anchor, RowKey::Anchor), (self.returned, RowKey::Returned), (self.payment, RowKey::Payment), (self.due_from, RowKey::DueFrom)]
            .into_iter()
            .find_map(|(k, letter)| (k == Some(key)).then_some(letter))
    }

    fn get(&self, letter: RowKey) -> Option<&'a EventKey> {
        match letter {
            RowKey::Anchor => self.anchor,
            RowKey::Returned => self.returned,
            RowKey::Payment => self.payment,
            RowKey::DueFrom => self.due_from,
        }
    }
}

/// A key whose source is the record's `s`, or one with its own source.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum Key {
    Shared(i64, String),
    Own(i64, String, String),
}

/// The plain shape of the first rows of this column.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Plain {
    facts: IndexFacts,
    keys: IndexKeys,
}

/// Collects distinct keys in the order they are first named.
struct Table<'a> {
    source: Option<&'a str>,
    keys: Vec<&'a EventKey>,
}

impl<'a> Table<'a> {
    fn place(&mut self, key: &'a Option<EventKey>) -> Option<usize> {
        let key = key.as_ref()?;
        self.source.get_or_insert(key.source.as_str());
        Some(match self.keys.iter().position(|k| *k == key) {
            Some(i) => i,
            None => {
                self.keys.push(key);
                self.keys.len() - 1
            }
        })
    }

    fn mark(&mut self, row: &RowKeys<'_>, value: Option<bool>, key: &'a Option<EventKey>) -> Option<(bool, Ref)> {
        let value = value?;
        Some((value, match row.letter_of(key.as_ref()?) {
            Some(letter) => Ref::Row(letter),
            None => Ref::Place(self.place(key)?),
        }))
    }
}

/// The stored form of a dossier's index facts and keys (none when it has none of them). The facts must
/// be those the keys give (as `index_facts::fold` keeps them); the marks' values come from the facts.
pub fn to_column(facts: &IndexFacts, keys: &IndexKeys, row: RowKeys<'_>) -> Option<String> {
    if *facts == IndexFacts::default() && *keys == IndexKeys::default() {
        return None;
    }
    let mut table = Table { source: None, keys: Vec::with_capacity(4) };
    let mut c = Compact {
        rf: table.mark(&row, facts.result_file, &keys.result_file),
        dg: table.mark(&row, facts.digitised, &keys.digitised),
        ru: table.mark(&row, facts.reused_data, &keys.reused_data),
        fe: table.mark(&row, facts.fee, &keys.fee),
        rs: table.place(&keys.resolved),
        hl: table.place(&keys.halted),
        s1: table.place(&keys.supplement),
        s2: table.place(&keys.second_supplement),
        an: table.place(&keys.answered),
        ..Compact::default()
    };
    let shared = table.source;
    c.k = table
        .keys
        .iter()
        .map(|k| match shared {
            Some(s) if s == k.source => Key::Shared(k.at, k.id.clone()),
            _ => Key::Own(k.at, k.id.clone(), k.source.clone()),
        })
        .collect();
    c.s = shared.map(str::to_string);
    Some(serde_json::to_string(&c).expect("plain fields"))
}

/// A dossier's index facts and keys from their stored form and the row's own keys; none stored reads
/// as none known. Given no row keys (`RowKeys::default()`), the facts are whole and a mark's key that
/// names a row key by its letter is left out.
pub fn from_column(text: Option<&str>, row: RowKeys<'_>) -> Result<IndexRecord, String> {
    let Some(text) = text else { return Ok(IndexRecord::default()) };
    let c: Compact = match serde_json::from_str(text) {
        Ok(c) => c,
        Err(compact) => {
            return match serde_json::from_str::<Plain>(text) {
                Ok(p) => Ok(IndexRecord { facts: p.facts, keys: p.keys }),
                Err(_) => Err(format!("index_record: {compact}")),
            }
        }
    };
    let keys: Vec<EventKey> = c
        .k
        .into_iter()
        .map(|k| match k {
            Key::Shared(at, id) => {
                c.s.clone().map(|source| EventKey { at, id, source }).ok_or("index_record: a key without a source".to_string())
            }
            Key::Own(at, id, source) => Ok(EventKey { at, id, source }),
        })
        .collect::<Result<_, _>>()?;
    let key = |i: Option<usize>| -> Result<Option<EventKey>, String> {
        i.map(|i| keys.get(i).cloned().ok_or(format!("index_record: no key {i}"))).transpose()
    };
    let marked = |m: Option<(bool, Ref)>| -> Result<(Option<bool>, Option<EventKey>), String> {
        Ok(match m {
            None => (None, None),
            Some((v, Ref::Place(i))) => (Some(v), key(Some(i))?),
            Some((v, Ref::Row(letter))) => (Some(v), row.get(letter).cloned()),
        })
    };
    let (result_file, result_file_key) = marked(c.rf)?;
    let (digitised, digitised_key) = marked(c.dg)?;
    let (reused_data, reused_data_key) = marked(c.ru)?;
    let (fee, fee_key) = marked(c.fe)?;
    let keys = IndexKeys {
        result_file: result_file_key,
        digitised: digitised_key,
        reused_data: reused_data_key,
        fee: fee_key,
        resolved: key(c.rs)?,
        halted: key(c.hl)?,
        supplement: key(c.s1)?,
        second_supplement: key(c.s2)?,
        answered: key(c.an)?,
    };
    let at = |k: &Option<EventKey>| k.as_ref().map(|k| k.at);
    let facts = IndexFacts {
        result_file,
        digitised,
        reused_data,
        fee,
        resolved_at: at(&keys.resolved),
        halted_at: at(&keys.halted),
        supplement_at: at(&keys.supplement),
        supplements: keys.supplement.is_some() as u8 + keys.second_supplement.is_some() as u8,
        answered_at: at(&keys.answered),
    };
    Ok(IndexRecord { facts, keys })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::event::{Event, Marks, Status};
    use crate::domain::index_facts::fold;
    use proptest::prelude::*;

    fn event(id: &str, source: &str, at: i64, status: Status, marks: Marks) -> Event {
        Event {
            source: source.into(),
            id: id.into(),
            dossier: "H1".into(),
            unit: "U".into(),
            procedure: "P".into(),
            status,
            at,
            channel: None,
            result_delivery: None,
            due: None,
            payment: None,
            marks,
        }
    }

    fn record(events: &[Event]) -> IndexRecord {
        let mut r = IndexRecord::default();
        for e in events {
            fold(&mut r.facts, &mut r.keys, e);
        }
        r
    }

    #[test]
    fn one_event_carrying_every_mark_is_stored_once() {
        let marks = Marks { result_file: Some(true), digitised: Some(true), reused_data: Some(false), fee: Some(true), supplement_answered: None };
        let r = record(&[
            event("ns/H1/marks/0004", "door-31", 1_767_723_137_000, Status::Processing, marks),
            event("ns/H1/9/c1ef", "door-31", 1_767_683_370_000, Status::Resolved, Marks::default()),
        ]);
        let text = to_column(&r.facts, &r.keys, RowKeys::default()).expect("facts");
        assert_eq!(
            text,
            r#"{"s":"door-31","k":[[1767723137000,"ns/H1/marks/0004"],[1767683370000,"ns/H1/9/c1ef"]],"rf":[true,0],"dg":[true,0],"ru":[false,0],"fe":[true,0],"rs":1}"#
        );
        assert_eq!(from_column(Some(&text), RowKeys::default()).unwrap(), r);
    }

    #[test]
    fn marks_on_the_rows_own_events_are_named_by_letter() {
        let intake = event("H1-2", "igate", 100, Status::Received, Marks { digitised: Some(true), reused_data: Some(true), ..Marks::default() });
        let fee = event("H1-4", "igate", 200, Status::PaymentRequested, Marks { fee: Some(true), ..Marks::default() });
        let result = event("H1-6", "igate", 400, Status::Returned, Marks { result_file: Some(false), ..Marks::default() });
        let resolved = event("H1-5", "igate", 300, Status::Resolved, Marks::default());
        let r = record(&[intake.clone(), fee.clone(), result.clone(), resolved]);
        let (a, p, t) = (EventKey::of(&intake), EventKey::of(&fee), EventKey::of(&result));
        let row = RowKeys { anchor: Some(&a), returned: Some(&t), payment: Some(&p), due_from: Some(&a) };
        let text = to_column(&r.facts, &r.keys, row).expect("facts");
        assert_eq!(text, r#"{"s":"igate","k":[[300,"H1-5"]],"rf":[false,"r"],"dg":[true,"a"],"ru":[true,"a"],"fe":[true,"p"],"rs":0}"#);
        assert_eq!(from_column(Some(&text), row).unwrap(), r);
        // Without the row's keys, the facts are whole; only the marks' keys are unknown.
        let facts_only = from_column(Some(&text), RowKeys::default()).unwrap();
        assert_eq!(facts_only.facts, r.facts);
        assert_eq!((facts_only.keys.fee, facts_only.keys.resolved), (None, r.keys.resolved));
    }

    #[test]
    fn the_plain_shape_of_earlier_rows_is_read() {
        let marks = Marks { fee: Some(false), ..Marks::default() };
        let r = record(&[event("e1", "a", 10, Status::SupplementRequested, marks), event("e2", "b", 20, Status::Stopped, Marks::default())]);
        let plain = serde_json::json!({ "facts": r.facts, "keys": r.keys }).to_string();
        assert_eq!(from_column(Some(&plain), RowKeys::default()).unwrap(), r);
    }

    #[test]
    fn nothing_stored_is_nothing_known_and_bad_text_is_an_error() {
        assert_eq!(from_column(None, RowKeys::default()).unwrap(), IndexRecord::default());
        assert_eq!(to_column(&IndexFacts::default(), &IndexKeys::default(), RowKeys::default()), None);
        for bad in ["", "{", r#"{"rs":0}"#, r#"{"k":[[1,"x"]],"rs":0}"#, r#"{"zz":1}"#, r#"{"fe":[true,"x"]}"#, r#"{"fe":[true,3]}"#] {
            assert!(from_column(Some(bad), RowKeys::default()).is_err(), "{bad}");
        }
    }

    proptest! {
        /// Whatever the events and whichever of them the row's own keys are, the stored form reads back
        /// as the record folded from them.
        #[test]
        fn reads_back_what_was_folded(
            events in prop::collection::vec(
                (0..4usize, 0..3usize, 0..5i64, 0..Status::ALL.len(), any::<[Option<bool>; 5]>()),
                1..12,
            ),
            row in any::<[Option<prop::sample::Index>; 4]>(),
        ) {
            let events: Vec<Event> = events
                .into_iter()
                .map(|(id, source, at, status, m)| {
                    let marks = Marks { result_file: m[0], digitised: m[1], reused_data: m[2], fee: m[3], supplement_answered: m[4] };
                    event(&format!("e{id}"), ["a", "b", "c"][source], at, Status::ALL[status], marks)
                })
                .collect();
            let keys: Vec<Option<EventKey>> = row.iter().map(|i| i.as_ref().map(|i| EventKey::of(i.get(&events)))).collect();
            let row = RowKeys { anchor: keys[0].as_ref(), returned: keys[1].as_ref(), payment: keys[2].as_ref(), due_from: keys[3].as_ref() };
            let r = record(&events);
            prop_assert_eq!(from_column(to_column(&r.facts, &r.keys, row).as_deref(), row).unwrap(), r);
        }
    }
}
