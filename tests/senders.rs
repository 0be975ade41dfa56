//! Every sender is untrusted: a token changes only the figures of units in its scope, whatever dossier
//! codes it sends; a retry is always safe; one sender's batch never fails another's. On both backends.

mod common;

use common::{create_token, seed_registry, synthetic_stream, Backend, TestDb, TestServer};
use dvc_monitor::domain::event::Status;
use dvc_monitor::domain::{Event, Scope};
use dvc_monitor::store::Outcome;
use dvc_monitor::Settings;
use serde_json::{json, Value};
use std::sync::Arc;

const NOW: &str = "2026-12-16T00:00:00+07:00";

fn array(events: &[Value]) -> String {
    Value::Array(events.to_vec()).to_string()
}

/// Ten fully-online dossiers of 31-STP returned in November, as province 31's system sends them.
fn hai_phong_dossiers() -> Vec<Value> {
    let mut out = Vec::new();
    for d in 0..10 {
        let code = format!("H31.05-261110-{d:04}");
        out.push(json!({"id": format!("hp-{d}-r"), "dossier": code, "unit": "31-STP", "procedure": "1.001612",
            "status": "received", "at": "2026-11-10T08:00:00+07:00", "channel": "online"}));
        out.push(json!({"id": format!("hp-{d}-t"), "dossier": code, "unit": "31-STP", "procedure": "1.001612",
            "status": "returned", "at": "2026-11-12T08:00:00+07:00", "result_delivery": "online", "payment": "online"}));
    }
    out
}

async fn completion(server: &TestServer, unit: &str) -> (i64, i64) {
    let u = server.get_json(&format!("/api/v1/units/{unit}?month=2026-11")).await;
    let c = u["indicators"].as_array().unwrap().iter().find(|i| i["indicator"] == "completion").cloned();
    let c = c.unwrap_or_else(|| u["indicators"]["completion"].clone());
    (c["numerator"].as_i64().unwrap_or(0), c["denominator"].as_i64().unwrap_or(0))
}

/// The attack of issue 13: province 01's token sends, for its own unit, the codes of dossiers that
/// province 31's system stored for 31-STP: an earlier `received`, a `payment: offline`, an earlier
/// `returned`. Each is refused with a reason naming the dossier and the scope; nothing changes.
async fn a_token_changes_only_the_figures_of_units_in_its_scope(backend: Backend) {
    let db = TestDb::new(backend).await;
    seed_registry(db.store.as_ref()).await;
    let hp = create_token(db.store.as_ref(), "igate-hp", &["31"]).await;
    let hn = create_token(db.store.as_ref(), "igate-hn", &["01"]).await;
    let server = TestServer::start(db, NOW, Settings::default()).await;
    let (status, answer) = server.post(&hp, "application/json", array(&hai_phong_dossiers())).await;
    assert_eq!((status, answer["accepted"].clone()), (200, json!(20)), "{answer}");
    assert_eq!(completion(&server, "31-STP").await, (10, 10));

    let attack: Vec<Value> = (0..3)
        .flat_map(|d| {
            let code = format!("H31.05-261110-{d:04}");
            [
                json!({"id": format!("x-{d}-r"), "dossier": code, "unit": "01-STP", "procedure": "1.001612",
                    "status": "received", "at": "2026-11-01T08:00:00+07:00", "channel": "in_person"}),
                json!({"id": format!("x-{d}-p"), "dossier": code, "unit": "01-STP", "procedure": "1.001612",
                    "status": "processing", "at": "2026-11-30T08:00:00+07:00", "payment": "offline"}),
                json!({"id": format!("x-{d}-t"), "dossier": code, "unit": "01-STP", "procedure": "1.001612",
                    "status": "returned", "at": "2026-11-02T08:00:00+07:00", "result_delivery": "in_person"}),
            ]
        })
        .collect();
    let (status, answer) = server.post(&hn, "application/json", array(&attack)).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!((answer["accepted"].clone(), answer["duplicates"].clone()), (json!(0), json!(0)), "{answer}");
    let rejected = answer["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 9, "{answer}");
    for (i, r) in rejected.iter().enumerate() {
        let why = r["error"].as_str().unwrap();
        assert_eq!(r["index"], json!(i));
        assert!(why.contains(&format!("\"H31.05-261110-{:04}\"", i / 3)), "names the dossier: {why}");
        assert!(why.contains("\"31-STP\"") && why.contains("scope (01)"), "names the holder and the scope: {why}");
    }
    assert_eq!(completion(&server, "31-STP").await, (10, 10), "31-STP keeps its figures");
    assert_eq!(completion(&server, "01-STP").await, (0, 0), "01-STP gains nothing");
    // Nothing of the refused events was stored: the store holds exactly the 20 events of 31's system,
    // and a recomputation from them agrees with every stored figure.
    let drift = server.db.store.verify(false).await.unwrap();
    assert_eq!(drift.events_read, 20);
    assert_eq!((drift.facts_differing, drift.rollups_differing.len()), (0, 0));
    // The same attack sent again is refused again, never taken for a duplicate.
    let (_, again) = server.post(&hn, "application/json", array(&attack)).await;
    assert_eq!(again["rejected"].as_array().unwrap().len(), 9, "{again}");
}

/// Several systems of one province report one dossier: the one-stop-shop system (scope: the
/// province) records the intake, the department's own system (scope: the department) the return.
/// A department's system cannot reach another department's dossier.
async fn systems_within_a_scope_share_a_dossier(backend: Backend) {
    let db = TestDb::new(backend).await;
    seed_registry(db.store.as_ref()).await;
    let one_stop = create_token(db.store.as_ref(), "mot-cua-31", &["31"]).await;
    let justice = create_token(db.store.as_ref(), "stp-31", &["31-STP"]).await;
    let building = create_token(db.store.as_ref(), "sxd-31", &["31-SXD"]).await;
    let server = TestServer::start(db, NOW, Settings::default()).await;
    let intake = json!({"id": "mc-1", "dossier": "H31-A", "unit": "31-STP", "procedure": "1.001612",
        "status": "received", "at": "2026-11-10T08:00:00+07:00", "channel": "online"});
    assert_eq!(server.post(&one_stop, "application/json", intake.to_string()).await.1["accepted"], json!(1));
    let ret = json!({"id": "stp-1", "dossier": "H31-A", "unit": "31-STP", "procedure": "1.001612",
        "status": "returned", "at": "2026-11-11T08:00:00+07:00", "result_delivery": "online"});
    assert_eq!(server.post(&justice, "application/json", ret.to_string()).await.1["accepted"], json!(1));
    assert_eq!(completion(&server, "31-STP").await, (1, 1));

    // 31-SXD's system, for its own unit, reaching 31-STP's dossier: refused.
    let offline = json!({"id": "sxd-1", "dossier": "H31-A", "unit": "31-SXD", "procedure": "1.001612",
        "status": "processing", "at": "2026-11-12T08:00:00+07:00", "payment": "offline"});
    let (_, answer) = server.post(&building, "application/json", offline.to_string()).await;
    assert_eq!(answer["accepted"], json!(0), "{answer}");
    assert!(answer["rejected"][0]["error"].as_str().unwrap().contains("scope (31-SXD)"), "{answer}");
    assert_eq!(completion(&server, "31-STP").await, (1, 1));

    // The province's one-stop shop may move the dossier within the province (an earlier intake at
    // 31-SXD): both units lie in its scope. Afterwards 31-STP's own system no longer reaches it.
    let earlier = json!({"id": "mc-0", "dossier": "H31-A", "unit": "31-SXD", "procedure": "1.001612",
        "status": "received", "at": "2026-11-09T08:00:00+07:00", "channel": "online"});
    assert_eq!(server.post(&one_stop, "application/json", earlier.to_string()).await.1["accepted"], json!(1));
    assert_eq!(completion(&server, "31-STP").await, (0, 0));
    assert_eq!(completion(&server, "31-SXD").await, (1, 1));
    let late = json!({"id": "stp-2", "dossier": "H31-A", "unit": "31-STP", "procedure": "1.001612",
        "status": "processing", "at": "2026-11-13T08:00:00+07:00", "payment": "offline"});
    let (_, answer) = server.post(&justice, "application/json", late.to_string()).await;
    assert!(answer["rejected"][0]["error"].as_str().unwrap().contains("belongs to unit \"31-SXD\""), "{answer}");
    // A retry of what 31-STP's system stored before the move is still a duplicate.
    let (_, answer) = server.post(&justice, "application/json", ret.to_string()).await;
    assert_eq!((answer["duplicates"].clone(), answer["rejected"].clone()), (json!(1), json!([])), "{answer}");
}

fn event(source: &str, id: &str, dossier: &str, unit: &str, status: Status, at: i64) -> Event {
    Event {
        source: source.into(),
        id: id.into(),
        dossier: dossier.into(),
        unit: unit.into(),
        procedure: "1.001612".into(),
        status,
        at,
        channel: (status == Status::Received).then_some(dvc_monitor::domain::Channel::Online),
        result_delivery: None,
        due: None,
        payment: None,
        marks: Default::default(),
    }
}

/// Batches that share one transaction (group commit) are judged in the order they were sent, each
/// against the dossier as the events before it left it: the same answers as one by one.
async fn a_shared_transaction_judges_in_sending_order(backend: Backend) {
    let db = TestDb::new(backend).await;
    seed_registry(db.store.as_ref()).await;
    let registry = db.store.registry().await.unwrap();
    let hn = Arc::new(Scope::of(&["01".into()], &registry.units));
    let hp = Arc::new(Scope::of(&["31".into()], &registry.units));
    const T: i64 = 1_794_000_000_000;
    let events = vec![
        event("hn", "1", "D", "01-STP", Status::Received, T),
        event("hp", "1", "D", "31-STP", Status::Received, T - 1000),
        event("hn", "2", "D", "01-STP", Status::Processing, T + 1000),
        event("hp", "1", "D", "31-STP", Status::Received, T - 1000),
    ];
    let scopes = vec![hn.clone(), hp.clone(), hn.clone(), hp.clone()];
    let done = db.store.ingest(events, scopes, T).await.unwrap();
    let foreign = Outcome::Foreign { dossier: "D".into(), holder: "01-STP".into() };
    assert_eq!(done.outcomes, vec![Outcome::Accepted, foreign.clone(), Outcome::Accepted, foreign]);
    let drift = db.store.verify(false).await.unwrap();
    assert_eq!((drift.events_read, drift.facts_differing), (2, 0));
}

/// Re-sending any stored batch, of any size up to the body limit, answers 200 with every event a
/// duplicate; the new events of a partly stored batch are stored.
async fn any_stored_batch_sent_again_is_all_duplicates(backend: Backend) {
    let db = TestDb::new(backend).await;
    seed_registry(db.store.as_ref()).await;
    let token = create_token(db.store.as_ref(), "igate", &["31"]).await;
    let server = TestServer::start(db, NOW, Settings::default()).await;
    let stream = synthetic_stream(21, 4000);
    let n = stream.len();
    assert!(n > 10_000, "{n}");
    let (first, _) = stream.split_at(n * 2 / 3);
    let (status, answer) = server.post(&token, "application/json", array(first)).await;
    assert_eq!((status, answer["accepted"].as_u64()), (200, Some(first.len() as u64)), "{answer}");
    for _ in 0..2 {
        let (status, answer) = server.post(&token, "application/json", array(first)).await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["duplicates"].as_u64(), Some(first.len() as u64));
        assert_eq!(answer["rejected"], json!([]));
    }
    let (status, answer) = server.post(&token, "application/x-ndjson", stream.iter().map(Value::to_string).collect::<Vec<_>>().join("\n")).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!((answer["accepted"].as_u64(), answer["duplicates"].as_u64()), (Some((n - first.len()) as u64), Some(first.len() as u64)));
    let drift = server.db.store.verify(false).await.unwrap();
    assert_eq!((drift.events_read, drift.facts_differing, drift.rollups_differing.len()), (n as u64, 0, 0));
}

/// Four systems retrying their stored batches at once (their transactions grouped): every answer is
/// 200 and every event a duplicate.
async fn concurrent_retries_are_duplicates(backend: Backend) {
    let db = TestDb::new(backend).await;
    seed_registry(db.store.as_ref()).await;
    let mut tokens = Vec::new();
    for s in 0..4 {
        tokens.push(create_token(db.store.as_ref(), &format!("sys-{s}"), &["31"]).await);
    }
    let server = Arc::new(TestServer::start(db, NOW, Settings::default()).await);
    let stream = synthetic_stream(5, 600);
    assert!(stream.len() >= 1200);
    let batches: Vec<String> = stream.chunks(300).take(4).map(array).collect();
    for (token, batch) in tokens.iter().zip(&batches) {
        assert_eq!(server.post(token, "application/json", batch.clone()).await.0, 200);
    }
    let mut tasks = Vec::new();
    for (token, batch) in tokens.into_iter().zip(batches) {
        let server = server.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..10 {
                let (status, answer) = server.post(&token, "application/json", batch.clone()).await;
                assert_eq!(status, 200, "{answer}");
                assert_eq!((answer["accepted"].clone(), answer["duplicates"].clone(), answer["rejected"].clone()), (json!(0), json!(300), json!([])));
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}

/// Two copies of one conflicting event in a batch are two conflicts; two copies of a new event are
/// one stored and one duplicate.
async fn copies_in_one_batch_share_their_fate(backend: Backend) {
    let db = TestDb::new(backend).await;
    seed_registry(db.store.as_ref()).await;
    let token = create_token(db.store.as_ref(), "igate", &["31"]).await;
    let server = TestServer::start(db, NOW, Settings::default()).await;
    let e = json!({"id": "e1", "dossier": "D1", "unit": "31-STP", "procedure": "1.001612",
        "status": "received", "at": "2026-11-10T08:00:00+07:00", "channel": "online"});
    let (_, answer) = server.post(&token, "application/json", array(&[e.clone(), e.clone()])).await;
    assert_eq!((answer["accepted"].clone(), answer["duplicates"].clone()), (json!(1), json!(1)), "{answer}");
    let mut changed = e.clone();
    changed["channel"] = json!("in_person");
    let (_, answer) = server.post(&token, "application/json", array(&[changed.clone(), changed, e])).await;
    assert_eq!((answer["accepted"].clone(), answer["duplicates"].clone()), (json!(0), json!(1)), "{answer}");
    let rejected = answer["rejected"].as_array().unwrap();
    assert_eq!(rejected.iter().map(|r| r["index"].as_u64().unwrap()).collect::<Vec<_>>(), vec![0, 1], "{answer}");
    assert!(rejected.iter().all(|r| r["error"].as_str().unwrap().starts_with("conflict")), "{answer}");

    // A rejected event's id is echoed so the sender can find it, but never a megabyte of it.
    let mut huge = json!({"id": "x".repeat(1_000_000), "dossier": "D2", "unit": "31-STP", "procedure": "1.001612",
        "status": "received", "at": "2026-11-10T08:00:00+07:00", "channel": "online"});
    let (status, answer) = server.post(&token, "application/json", huge.to_string()).await;
    assert_eq!(status, 200);
    assert_eq!(answer["rejected"][0]["id"].as_str().unwrap().chars().count(), 129, "128 characters and an ellipsis");
    huge["id"] = json!("y");
    assert_eq!(server.post(&token, "application/json", huge.to_string()).await.1["accepted"], json!(1));
}

/// A batch that breaks the shared transaction (here a database trigger refuses one event id, as a
/// value the database cannot store would) fails only its own request: the batches grouped with it
/// are stored apart and answered 200.
async fn one_senders_failure_never_fails_anothers(backend: Backend) {
    let db = TestDb::new(backend).await;
    seed_registry(db.store.as_ref()).await;
    poison(&db.url, backend).await;
    let mut tokens = Vec::new();
    for s in 0..6 {
        tokens.push(create_token(db.store.as_ref(), &format!("sys-{s}"), &["31"]).await);
    }
    let bad = create_token(db.store.as_ref(), "broken", &["31"]).await;
    let server = Arc::new(TestServer::start(db, NOW, Settings { max_concurrent_ingest: 16, ..Settings::default() }).await);
    let stream = synthetic_stream(8, 3000);
    let mut tasks = Vec::new();
    for (s, token) in tokens.into_iter().enumerate() {
        let server = server.clone();
        let mine: Vec<Value> = stream.iter().skip(s).step_by(6).cloned().collect();
        tasks.push(tokio::spawn(async move {
            let mut stored = 0;
            for chunk in mine.chunks(100) {
                let (status, answer) = server.post(&token, "application/json", array(chunk)).await;
                assert_eq!(status, 200, "a clean batch is never failed by another's: {answer}");
                stored += answer["accepted"].as_u64().unwrap();
            }
            stored
        }));
    }
    let poisoner = {
        let server = server.clone();
        tokio::spawn(async move {
            let mut failed = 0;
            for i in 0..40 {
                let e = json!({"id": "poison", "dossier": format!("P{i}"), "unit": "31-STP", "procedure": "1.001612",
                    "status": "received", "at": "2026-11-10T08:00:00+07:00", "channel": "online"});
                let (status, _) = server.post(&bad, "application/json", e.to_string()).await;
                failed += (status == 500) as u32;
            }
            failed
        })
    };
    let mut stored = 0;
    for t in tasks {
        stored += t.await.unwrap();
    }
    assert_eq!(stored as usize, stream.len());
    assert_eq!(poisoner.await.unwrap(), 40, "the poisoned batch fails on its own");
}

/// A trigger that refuses the event id `poison`.
async fn poison(url: &str, backend: Backend) {
    match backend {
        Backend::Sqlite => {
            let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect(url).await.unwrap();
            sqlx::query("CREATE TRIGGER poison BEFORE INSERT ON events WHEN NEW.id = 'poison' BEGIN SELECT RAISE(ABORT, 'poisoned'); END")
                .execute(&mut conn)
                .await
                .unwrap();
        }
        Backend::Postgres => {
            let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(url).await.unwrap();
            sqlx::raw_sql(
                "CREATE FUNCTION poison() RETURNS trigger AS $$ BEGIN IF NEW.id = 'poison' THEN RAISE EXCEPTION 'poisoned'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql;
                 CREATE TRIGGER poison BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION poison();",
            )
            .execute(&mut conn)
            .await
            .unwrap();
        }
    }
}

backend_tests!(
    token_scope_bounds_figures => crate::a_token_changes_only_the_figures_of_units_in_its_scope,
    shared_dossiers => crate::systems_within_a_scope_share_a_dossier,
    grouped_ownership => crate::a_shared_transaction_judges_in_sending_order,
    stored_batch_again => crate::any_stored_batch_sent_again_is_all_duplicates,
    concurrent_retries => crate::concurrent_retries_are_duplicates,
    copies_in_a_batch => crate::copies_in_one_batch_share_their_fate,
    failure_isolation => crate::one_senders_failure_never_fails_anothers,
);
