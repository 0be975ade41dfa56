//! Closing a month: the published league table stays as it was; late events show as a revision.

mod common;

use common::{create_token, seed_registry, Backend, TestDb, TestServer};
use dvc_monitor::report::closing::{close_month, CloseError};
use dvc_monitor::Settings;
use serde_json::{json, Value};

const NOW: &str = "2026-12-16T00:00:00+07:00";

fn dossier(code: &str, unit: &str, day: u32, online: bool) -> Vec<Value> {
    vec![
        json!({"id": format!("{code}-r"), "dossier": code, "unit": unit, "procedure": "1.001612", "status": "received",
               "at": format!("2026-11-{day:02}T08:00:00+07:00"), "channel": "online"}),
        json!({"id": format!("{code}-t"), "dossier": code, "unit": unit, "procedure": "1.001612", "status": "returned",
               "at": format!("2026-11-{:02}T09:00:00+07:00", day + 1), "result_delivery": if online { "online" } else { "in_person" }}),
    ]
}

fn figures(table: &Value, unit: &str) -> (i64, i64, String) {
    let r = table.as_array().unwrap().iter().find(|r| r["unit"] == unit).unwrap();
    (r["numerator"].as_i64().unwrap(), r["denominator"].as_i64().unwrap(), r["status"].as_str().unwrap().to_string())
}

async fn scenario(backend: Backend) {
    let db = TestDb::new(backend).await;
    seed_registry(db.store.as_ref()).await;
    let token = create_token(db.store.as_ref(), "igate", &["31"]).await;
    let store = db.store.clone();
    let server = TestServer::start(db, NOW, Settings { min_volume: 3, ..Settings::default() }).await;
    let now = chrono::DateTime::parse_from_rfc3339(NOW).unwrap().timestamp_millis();

    // Sở Tư pháp: 2 of 4 fully online in November, behind its 0.7.
    let events: Vec<Value> = (0..4).flat_map(|i| dossier(&format!("A{i}"), "31-STP", 3 + i, i < 2)).collect();
    assert_eq!(server.post(&token, "application/json", serde_json::to_string(&events).unwrap()).await.0, 200);

    let month = "2026-11".parse().unwrap();
    assert!(matches!(close_month(store.as_ref(), "2026-12".parse().unwrap(), 3, now).await, Err(CloseError::NotOver(_))));
    let published = close_month(store.as_ref(), month, 3, now).await.unwrap();
    assert!(published > 0);
    assert!(matches!(close_month(store.as_ref(), month, 3, now).await, Err(CloseError::AlreadyClosed(_))));

    let path = "/api/v1/league?month=2026-11&kind=department&parent=31";
    let before = server.get_json(path).await;
    assert!(before["closed"]["closed_at"].is_i64());
    assert!(before.get("revision").is_none(), "no revision while nothing changed");
    assert_eq!(figures(&before["rows"], "31-STP"), (2, 4, "behind".into()));

    // Late events for November: three more fully-online dossiers (5 of 7, met) — and a target change.
    let late: Vec<Value> = (4..7).flat_map(|i| dossier(&format!("A{i}"), "31-STP", 10 + i, true)).collect();
    assert_eq!(server.post(&token, "application/json", serde_json::to_string(&late).unwrap()).await.0, 200);
    let after = server.get_json(path).await;
    assert_eq!(after["rows"], before["rows"], "the published table does not change");
    assert_eq!(figures(&after["revision"], "31-STP"), (5, 7, "met".into()));
    // The unit report agrees with the league table: the month as published, the late events as its revision.
    let unit = server.get_json("/api/v1/units/31-STP?month=2026-11").await;
    let completion = &unit["indicators"][0];
    assert_eq!((completion["numerator"].as_i64(), completion["denominator"].as_i64(), completion["status"].as_str()), (Some(2), Some(4), Some("behind")));
    assert!(unit["closed"]["closed_at"].is_i64());
    let revised = &unit["revision"][0];
    assert_eq!((revised["numerator"].as_i64(), revised["denominator"].as_i64(), revised["status"].as_str()), (Some(5), Some(7), Some("met")));
    assert_eq!(unit["status"], "behind");
    // The aggregates and /metrics read the month as published too.
    let aggregate = server.get_json("/api/v1/aggregate?month=2026-11&level=province").await;
    let province = aggregate["rows"].as_array().unwrap().iter().find(|r| r["unit"] == "31").unwrap().clone();
    assert_eq!((province["numerator"].as_i64(), province["denominator"].as_i64()), (Some(2), Some(4)));
    // /metrics follows within seconds of the late batch (its snapshot is refreshed after ingest).
    let published_in_metrics = [
        "dvc_unit_last_month_denominator{indicator=\"completion\",unit=\"31-STP\"} 4",
        "dvc_unit_last_month_status{indicator=\"completion\",status=\"behind\",unit=\"31-STP\"} 1",
        "dvc_unit_judged_gap{indicator=\"completion\",period=\"last_month\",unit=\"31-STP\"} -0.19999999999999996",
    ];
    let mut metrics = String::new();
    for _ in 0..40 {
        metrics = server.get_text("/metrics").await.1;
        if published_in_metrics.iter().all(|want| metrics.lines().any(|l| l == *want)) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    for want in published_in_metrics {
        assert!(metrics.lines().any(|l| l == want), "{want} missing from /metrics");
    }
    let (status, unit_page) = server.get_text("/units/31-STP?month=2026-11").await;
    assert_eq!(status, 200);
    assert!(unit_page.contains("Số liệu đã chốt") && unit_page.contains("Tính cả hồ sơ cập nhật sau khi chốt: 71,4"), "the unit page marks the closed month and its revision");
    // The page says the month is closed and shows the published figures.
    let (status, page) = server.get_text("/?month=2026-11&kind=department&parent=31").await;
    assert_eq!(status, 200);
    assert!(page.contains("Số liệu đã chốt"), "the page marks the closed month");
    // December compares against November as published.
    let december = server.get_json("/api/v1/league?month=2026-12&kind=department&parent=31").await;
    assert!(december.get("closed").is_none());
}

backend_tests!(close_month_keeps_the_published_table => super::scenario);
