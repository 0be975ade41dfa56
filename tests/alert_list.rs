//! Alerts from the evaluator to a head's inbox and into the alert list, on both backends: the built-in
//! evaluator raises last month's alerts, the real dispatcher delivers them to the demo's inbox (a webhook),
//! their links open the month they are about, and the list (`GET /api/v1/alerts`, `/alerts`) filters by
//! province, unit and alert and shows the repeats a restart sends once, with their count and times.

mod common;

use common::{create_token, seed_registry, Backend, TestDb, TestServer};
use dvc_monitor::alerting::deliver::Deliverer;
use dvc_monitor::alerting::dispatch::Dispatcher;
use dvc_monitor::demo::inbox::{self, Inbox, Received};
use dvc_monitor::{Clock, Settings};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Mid-December: the November figures are last month's.
const NOW: &str = "2026-12-16T00:00:00+07:00";

backend_tests!(alerts_reach_the_inbox_with_their_month_and_the_list_groups_repeats => crate::scenario);

/// A dossier of November received online and returned in person: never fully online.
fn returned_in_person(code: &str, unit: &str, day: u32) -> [Value; 2] {
    let at = |d: u32| format!("2026-11-{d:02}T09:30:00+07:00");
    [
        json!({"id": format!("{code}-1"), "dossier": code, "unit": unit, "procedure": "2.000001", "status": "received", "at": at(day), "channel": "online"}),
        json!({"id": format!("{code}-2"), "dossier": code, "unit": unit, "procedure": "2.000001", "status": "returned", "at": at(day + 2), "result_delivery": "in_person"}),
    ]
}

async fn messages_for(inbox: &Inbox, unit: &str, at_least: usize) -> Vec<Received> {
    let deadline = Instant::now() + Duration::from_secs(45);
    loop {
        let got: Vec<Received> = inbox.messages().into_iter().filter(|m| m.unit == unit).collect();
        if got.len() >= at_least {
            return got;
        }
        assert!(Instant::now() < deadline, "{unit}: {at_least} messages expected in {:?}", inbox.messages());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn scenario(backend: Backend) {
    let now = chrono::DateTime::parse_from_rfc3339(NOW).unwrap().timestamp_millis();
    // The demo's inbox, served on its own: the heads' webhook.
    let inbox = Inbox::new(Clock::Fixed(now), 1);
    let (open, read) = inbox::routes::<()>(inbox.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let inbox_base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, open.merge(read)).await.unwrap() });

    let db = TestDb::new(backend).await;
    seed_registry(db.store.as_ref()).await;
    let units: Vec<_> = db.store.units().await.unwrap().into_iter().filter(|u| ["31-SYT", "31-SCT"].contains(&u.code.as_str())).collect();
    db.store.upsert_contacts(&inbox.heads(&inbox_base, &units)).await.unwrap();
    let store = db.store.clone();
    let token = create_token(db.store.as_ref(), "igate-hp", &["31"]).await;
    let mut settings = Settings { min_volume: 3, ..Settings::default() };
    settings.alerts.evaluate_every = Some(Duration::from_secs(1));
    let server = TestServer::start(db, NOW, settings).await;
    let events: Vec<Value> = (0..5)
        .flat_map(|i| [returned_in_person(&format!("SYT{i}"), "31-SYT", 3 + i), returned_in_person(&format!("SCT{i}"), "31-SCT", 3 + i)])
        .flatten()
        .collect();
    let (status, body) = server.post(&token, "application/json", serde_json::to_string(&events).unwrap()).await;
    assert_eq!(status, 200, "{body}");

    // Each head receives one message about November, whose links open November, not December.
    let syt = messages_for(&inbox, "31-SYT", 1).await;
    let text = &syt[0].text;
    assert!(syt[0].subject.contains("tháng 11/2026") && syt[0].name.contains("(giả lập)"), "{:?}", syt[0]);
    assert!(text.contains("http://127.0.0.1:8080/units/31-SYT?month=2026-11"), "{text}");
    assert!(text.contains("http://127.0.0.1:8080/?month=2026-11&kind=department&indicator=completion&parent=31"), "{text}");
    for link in text.split_whitespace().filter(|w| w.contains("/units/")) {
        assert!(link.ends_with("?month=2026-11"), "every unit link carries the month: {link}");
    }
    let (status, unit_page) = server.get_text("/units/31-SYT?month=2026-11").await;
    assert_eq!(status, 200);
    assert!(unit_page.contains("<h1>Sở Y tế — tháng 11/2026</h1>") && unit_page.contains(r#"<option value="2026-11" selected>"#), "the link opens November");
    messages_for(&inbox, "31-SCT", 1).await;
    // The dispatcher records a round once all its messages are out.
    let deadline = Instant::now() + Duration::from_secs(20);
    let first = loop {
        let v = server.get_json("/api/v1/alerts?unit=31-SYT").await;
        if !v["alerts"].as_array().unwrap().is_empty() {
            break v;
        }
        assert!(Instant::now() < deadline, "the notifications are recorded");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let delivered = first["alerts"].as_array().unwrap();
    assert!(!delivered.is_empty() && delivered.iter().all(|r| r["outcome"] == "sent" && r["channel"] == "webhook" && r["period"] == "2026-11"), "{first}");
    let once = delivered.iter().filter(|r| r["alertname"] == "DvcUnitBehindLastMonth").count();
    assert!(once > 0, "{first}");

    // Two restarts later (a new evaluator each time, which has not notified anyone yet) the same alerts are
    // notified again, through the same dispatcher code.
    for minutes in [10, 20] {
        let at = now + minutes * 60_000;
        let snapshot = dvc_monitor::report::snapshot::snapshot(store.as_ref(), 3, at, true).await.unwrap();
        let alerts = dvc_monitor::alerting::rules::evaluate(&snapshot, &BTreeMap::new(), at, &Default::default());
        let deliverer = Deliverer::new(None, "dvc-monitor <dvc@localhost>").unwrap();
        Dispatcher::new(store.clone(), Clock::Fixed(at), deliverer, None).dispatch(alerts).await.unwrap();
    }
    messages_for(&inbox, "31-SYT", 3).await;

    // The API: filtered by province, unit and alert; the three notifications of one alert are one group.
    let filtered = server.get_json("/api/v1/alerts?province=31&unit=31-SYT&alert=DvcUnitBehindLastMonth").await;
    let rows = filtered["alerts"].as_array().unwrap();
    assert_eq!(rows.len(), 3 * once, "{filtered}");
    assert!(rows.iter().all(|r| r["unit"] == "31-SYT" && r["alertname"] == "DvcUnitBehindLastMonth" && r["province"] == "31"));
    let groups = filtered["groups"].as_array().unwrap();
    assert_eq!(groups.len(), once, "one group per indicator behind: {filtered}");
    for g in groups {
        assert_eq!((g["count"].as_u64(), g["failed"].as_u64(), g["period"].as_str()), (Some(3), Some(0), Some("2026-11")), "{g}");
        assert_eq!((g["first_at"].as_i64(), g["last_at"].as_i64()), (Some(now), Some(now + 20 * 60_000)), "{g}");
    }
    let both = server.get_json("/api/v1/alerts?province=31").await;
    let units_seen: std::collections::BTreeSet<&str> = both["groups"].as_array().unwrap().iter().filter_map(|g| g["unit"].as_str()).collect();
    assert_eq!(units_seen.into_iter().collect::<Vec<_>>(), ["31-SCT", "31-SYT"]);
    for empty in ["/api/v1/alerts?province=01", "/api/v1/alerts?alert=DvcSourceStale", "/api/v1/alerts?unit=31-STP"] {
        let v = server.get_json(empty).await;
        assert!(v["alerts"].as_array().unwrap().is_empty() && v["groups"].as_array().unwrap().is_empty(), "{empty}: {v}");
    }
    assert_eq!(server.get_text("/api/v1/alerts?unit=%00").await.0, 400);

    // The page: the same filter from a GET form, kept in the URL, and the group's count and times.
    let (status, page) = server.get_text("/alerts?province=31&unit=31-SYT&alert=DvcUnitBehindLastMonth").await;
    assert_eq!(status, 200);
    assert!(page.contains(r#"<form class="filters" method="get" action="/alerts""#), "{page}");
    assert!(page.contains(r#"<option value="31" selected>"#) && page.contains(r#"value="31-SYT""#), "the filter is kept");
    assert!(page.contains(r#"<option value="DvcUnitBehindLastMonth" selected>"#));
    assert!(page.contains(r#"<label>Tỉnh, thành phố"#) && page.contains(r#"<label>Mã đơn vị"#) && page.contains(r#"<label>Cảnh báo"#));
    assert!(page.contains(r#"<td class="num">3</td>"#), "the count of a group: {page}");
    assert!(page.contains(r#"href="/units/31-SYT?month=2026-11""#) && !page.contains("/units/31-SCT"), "{page}");
    assert!(page.contains("16/12/2026 00:00") && page.contains("16/12/2026 00:20"), "first and last time");
    assert!(!page.contains("/demo/inbox"), "no demo inbox outside the demo");
}
