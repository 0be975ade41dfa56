//! Property: whatever the order of a dossier event stream, however it is split into batches and
//! however often events repeat, the rollups equal those computed from the set of events alone.

mod common;

use common::{Backend, TestDb};
use dvc_monitor::domain::dossier::derive;
use dvc_monitor::domain::event::Status;
use dvc_monitor::domain::event::Marks;
use dvc_monitor::domain::{Channel, Event, Figures, Indicator, Level, Month, Payment, RollupKey, Terms};
use dvc_monitor::store::{ProcedureTerms, Store};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};

const UNITS: [&str; 2] = ["A", "B"];
const PROCEDURES: [&str; 2] = ["PF", "PP"];
/// 2026-10-31T12:00:00+07:00: events spread over ±3 days cross the October/November boundary.
const BASE_MS: i64 = 1_793_422_800_000;
const HOUR: i64 = 3_600_000;

/// Loads made by the operator: every unit in scope (the ownership rule has tests of its own).
fn everything(n: usize) -> Vec<std::sync::Arc<dvc_monitor::domain::Scope>> {
    std::sync::Arc::new(dvc_monitor::domain::Scope::everything()).repeated(n)
}

fn levels() -> ProcedureTerms {
    HashMap::from([
        ("PF".to_string(), Terms { level: Level::Full, paper_result: true }),
        ("PP".to_string(), Terms { level: Level::Partial, paper_result: false }),
    ])
}

fn event_strategy() -> impl Strategy<Value = Event> {
    (0..6usize, 0..2usize, 0..2usize, 1..=10i64, -72..72i64, 0..4usize, 0..4usize, 0..3usize, proptest::option::of(-72..96i64), 0..243u32)
        .prop_map(|(dossier, unit, procedure, status, hour, channel, delivery, payment, due, marks)| {
            // Each of the index's marks absent, false or true (base-3 digits); an answer only true.
            let mark = |k: u32| [None, Some(false), Some(true)][(marks / 3u32.pow(k) % 3) as usize];
            let status = Status::from_code(status).unwrap();
            let pick = |i: usize| Channel::ALL.get(i).copied();
            Event {
                source: "s".into(),
                id: String::new(),
                dossier: format!("D{dossier}"),
                unit: UNITS[unit].into(),
                procedure: PROCEDURES[procedure].into(),
                status,
                at: BASE_MS + hour * HOUR,
                channel: if status == Status::Received { Some(pick(channel % 3).unwrap()) } else { pick(channel) },
                result_delivery: if status == Status::Returned { Some(pick(delivery % 3).unwrap()) } else { pick(delivery) },
                due: due.map(|h| BASE_MS + h * HOUR),
                payment: [None, Some(Payment::Online), Some(Payment::Offline)][payment],
                marks: Marks {
                    result_file: mark(0),
                    digitised: mark(1),
                    reused_data: mark(2),
                    fee: mark(3),
                    supplement_answered: mark(4).filter(|v| *v),
                },
            }
        })
}

/// The expected rollups: facts from each dossier's set of events, summed.
fn model(events: &[Event]) -> BTreeMap<RollupKey, Figures> {
    let mut by_dossier: BTreeMap<&str, Vec<Event>> = BTreeMap::new();
    for e in events {
        by_dossier.entry(&e.dossier).or_default().push(e.clone());
    }
    let levels = levels();
    let mut out: BTreeMap<RollupKey, Figures> = BTreeMap::new();
    for evs in by_dossier.values() {
        let f = derive(evs).unwrap();
        for (k, fig) in f.contributions(levels.get(&f.procedure).copied()) {
            *out.entry(k).or_default() += fig;
        }
    }
    out.retain(|_, f| !f.is_zero());
    out
}

async fn stored(store: &dyn Store, prefix: &str) -> BTreeMap<RollupKey, Figures> {
    let (from, to) = ("2026-10".parse::<Month>().unwrap(), "2026-11".parse::<Month>().unwrap());
    let mut out = BTreeMap::new();
    for indicator in Indicator::STORED {
        for r in store.rollups(indicator, from, to).await.unwrap() {
            if r.unit.starts_with(prefix) && !r.figures.is_zero() {
                out.insert(RollupKey { unit: r.unit, month: r.month, indicator }, r.figures);
            }
        }
    }
    out
}

fn run(backend: Backend, cases: u32) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    if backend == Backend::Postgres && common::postgres_admin_url().is_none() {
        eprintln!("SKIPPED rollup properties on postgres: DVC_TEST_POSTGRES is not set");
        return;
    }
    let db = rt.block_on(TestDb::new(backend));
    let catalogue: Vec<dvc_monitor::domain::Procedure> = levels()
        .into_iter()
        .map(|(code, t)| dvc_monitor::domain::Procedure { name: code.clone(), code, level: t.level, paper_result: t.paper_result })
        .collect();
    rt.block_on(db.store.upsert_procedures(&catalogue)).unwrap();
    let case = AtomicUsize::new(0);
    let mut runner = TestRunner::new(Config { cases, ..Config::default() });
    let strategy = (proptest::collection::vec(event_strategy(), 1..40), any::<u64>());
    runner
        .run(&strategy, |(mut events, seed)| {
            // Each run (shrinking included) writes under a fresh prefix, so runs share one database.
            let prefix = format!("c{}-", case.fetch_add(1, Ordering::SeqCst));
            for (i, e) in events.iter_mut().enumerate() {
                e.id = format!("{prefix}e{i}");
                e.dossier = format!("{prefix}{}", e.dossier);
                e.unit = format!("{prefix}{}", e.unit);
            }
            let expected = model(&events);
            // Shuffle, repeat some events, split into random batches.
            let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(seed);
            let mut stream = events.clone();
            let repeats: Vec<Event> = events.iter().filter(|_| rand::Rng::random_bool(&mut rng, 0.3)).cloned().collect();
            stream.extend(repeats);
            rand::seq::SliceRandom::shuffle(stream.as_mut_slice(), &mut rng);
            let got = rt.block_on(async {
                let mut rest = stream.as_slice();
                while !rest.is_empty() {
                    let n = rand::Rng::random_range(&mut rng, 1..=rest.len());
                    db.store.ingest(rest[..n].to_vec(), everything(n), BASE_MS).await.unwrap();
                    rest = &rest[n..];
                }
                stored(db.store.as_ref(), &prefix).await
            });
            prop_assert_eq!(got, expected);
            Ok(())
        })
        .unwrap();
    assert!(case.load(Ordering::SeqCst) >= cases as usize);
}

#[test]
fn any_order_any_repeats_same_rollups_sqlite() {
    run(Backend::Sqlite, 128);
}

#[test]
fn any_order_any_repeats_same_rollups_postgres() {
    run(Backend::Postgres, 64);
}
