//! The rendered league page (and JSON table) is served again only while nothing it shows has changed: an event for
//! one of its months, or a target, renders it anew; an event for a later month does not.

mod common;

use common::{create_token, seed_registry, Backend, TestDb, TestServer};
use dvc_monitor::domain::{Ratio, Target, TargetScope};
use dvc_monitor::Settings;
use serde_json::{json, Value};

const NOW: &str = "2026-12-16T00:00:00+07:00";

fn returned(code: &str, month: u32, online: bool) -> Vec<Value> {
    vec![
        json!({"id": format!("{code}-r"), "dossier": code, "unit": "31-STP", "procedure": "1.001612", "status": "received",
               "at": format!("2026-{month:02}-03T08:00:00+07:00"), "channel": "online"}),
        json!({"id": format!("{code}-t"), "dossier": code, "unit": "31-STP", "procedure": "1.001612", "status": "returned",
               "at": format!("2026-{month:02}-04T09:00:00+07:00"), "result_delivery": if online { "online" } else { "in_person" }}),
    ]
}

async fn scenario(backend: Backend) {
    let db = TestDb::new(backend).await;
    seed_registry(db.store.as_ref()).await;
    let token = create_token(db.store.as_ref(), "igate", &["31"]).await;
    let store = db.store.clone();
    let server = TestServer::start(db, NOW, Settings { min_volume: 1, ..Settings::default() }).await;
    let post = |events: Vec<Value>| {
        let body = serde_json::to_string(&events).unwrap();
        async { assert_eq!(server.post(&token, "application/json", body).await.0, 200) }
    };
    let page = "/?month=2026-11&kind=department&parent=31";
    post(returned("A", 11, true)).await;
    let first = server.get_text(page).await.1;
    assert!(first.contains("100,0"), "1 of 1 fully online");
    assert_eq!(server.get_text(page).await.1, first);

    // A later month is not on this page: the same page is served.
    post(returned("B", 12, false)).await;
    assert_eq!(server.get_text(page).await.1, first);

    let api = "/api/v1/league?month=2026-11&kind=department&parent=31";
    let row = |t: serde_json::Value| t["rows"].as_array().unwrap().iter().find(|r| r["unit"] == "31-STP").cloned().unwrap();
    assert_eq!(row(server.get_json(api).await)["denominator"], 1);

    // An event of November changes both: 1 of 2.
    post(returned("C", 11, false)).await;
    assert_eq!(row(server.get_json(api).await)["denominator"], 2);
    let second = server.get_text(page).await.1;
    assert_ne!(second, first);
    assert!(second.contains("50,0"), "1 of 2 fully online");

    // So does a target.
    let target = Target {
        scope: TargetScope::Unit("31-STP".into()),
        year: 2026,
        month: None,
        indicator: dvc_monitor::domain::Indicator::Completion,
        value: Ratio::from_millionths(420_000).unwrap(),
        source: "test".into(),
    };
    store.upsert_targets(&[target]).await.unwrap();
    let third = server.get_text(page).await.1;
    assert!(third.contains("42,0"), "the new target is shown");
}

backend_tests!(page_follows_its_data => crate::scenario);
