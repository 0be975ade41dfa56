//! Integrity under real senders: values the database cannot store are refused per event, times stay
//! within their range, bodies are read whole or refused whole, and `verify` copes with whatever the
//! tables hold. On both backends.

mod common;

use common::{create_token, execute, seed_registry, synthetic_stream, Backend, TestDb, TestServer};
use dvc_monitor::domain::{Indicator, Month};
use dvc_monitor::Settings;
use serde_json::{json, Value};

const NOW: &str = "2026-12-16T00:00:00+07:00";

async fn count(url: &str, sql: &str) -> i64 {
    if url.starts_with("sqlite:") {
        let mut c = <sqlx::SqliteConnection as sqlx::Connection>::connect(url).await.unwrap();
        sqlx::query_scalar(sql).fetch_one(&mut c).await.unwrap()
    } else {
        let mut c = <sqlx::PgConnection as sqlx::Connection>::connect(url).await.unwrap();
        sqlx::query_scalar(sql).fetch_one(&mut c).await.unwrap()
    }
}

async fn events(url: &str) -> Vec<(String, String)> {
    let sql = "SELECT id, dossier FROM events ORDER BY id";
    if url.starts_with("sqlite:") {
        let mut c = <sqlx::SqliteConnection as sqlx::Connection>::connect(url).await.unwrap();
        sqlx::query_as(sql).fetch_all(&mut c).await.unwrap()
    } else {
        let mut c = <sqlx::PgConnection as sqlx::Connection>::connect(url).await.unwrap();
        sqlx::query_as(sql).fetch_all(&mut c).await.unwrap()
    }
}

fn event(id: &str, dossier: &str) -> Value {
    json!({"id": id, "dossier": dossier, "unit": "31-STP", "procedure": "1.001612", "status": "received",
           "at": "2026-11-03T08:15:00+07:00", "channel": "online", "due": "2026-11-10T17:00:00+07:00"})
}

fn with(mut v: Value, k: &str, x: Value) -> Value {
    v[k] = x;
    v
}

async fn start(backend: Backend) -> (TestServer, String, String) {
    let db = TestDb::new(backend).await;
    seed_registry(db.store.as_ref()).await;
    let token = create_token(db.store.as_ref(), "igate", &["31"]).await;
    let url = db.url.clone();
    (TestServer::start(db, NOW, Settings::default()).await, token, url)
}

/// NUL and other control characters, over-long values, absurd times: each event refused with its
/// reason, the rest of the batch stored (before, a NUL byte failed the whole batch with 500 on
/// PostgreSQL, and events dated 0001 or 1899 were stored).
async fn values_refused_per_event(backend: Backend) {
    let (server, token, url) = start(backend).await;
    let longest_id = "😀".repeat(128);
    let longest_dossier = "ệ".repeat(64);
    let batch = vec![
        event("ok-1", "D-1"),
        event("nul\0id", "D-2"),
        event("ok-2", "D\0-3"),
        event("bell\u{7}", "D-4"),
        event("ok-3", "D-5\u{202E}"),
        event(" ok-4", "D-6"),
        event("ok-5", &"x".repeat(65)),
        with(event("ok-6", "D-7"), "at", json!("0001-01-01T00:00:00Z")),
        with(event("ok-7", "D-8"), "at", json!("1899-12-30T00:00:00+07:00")),
        with(event("ok-8", "D-9"), "due", json!("9999-12-31T23:59:59Z")),
        with(event("ok-9", "D-10"), "unit", json!("3".repeat(5000))),
        with(event("ok-10", "D-11"), "status", json!(18446744073709551615u64)),
        with(event("ok-11", "D-12"), "channel", json!(2.5)),
        event(&longest_id, &longest_dossier),
        event("tiếng Việt có dấu", "Hồ sơ 2026/1"),
    ];
    let (status, answer) = server.post(&token, "application/json", serde_json::to_string(&batch).unwrap()).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!((answer["accepted"].as_u64(), answer["duplicates"].as_u64()), (Some(3), Some(0)), "{answer}");
    let reasons: Vec<(u64, &str)> =
        answer["rejected"].as_array().unwrap().iter().map(|r| (r["index"].as_u64().unwrap(), r["error"].as_str().unwrap())).collect();
    let expected = [
        (1, "id must not contain control or invisible formatting characters (U+0000 at character 4)"),
        (2, "dossier must not contain control or invisible formatting characters (U+0000 at character 2)"),
        (3, "id must not contain control or invisible formatting characters (U+0007 at character 5)"),
        (4, "dossier must not contain control or invisible formatting characters (U+202E at character 4)"),
        (5, "id must not begin or end with whitespace"),
        (6, "dossier must be 1 to 64 characters long (got 65)"),
        (7, "at \"0001-01-01T00:00:00Z\" is before 2000-01-01T00:00:00+07:00"),
        (8, "at \"1899-12-30T00:00:00+07:00\" is before 2000-01-01T00:00:00+07:00"),
        (9, "due \"9999-12-31T23:59:59Z\" is outside the accepted range: from 2000-01-01T00:00:00+07:00 to before 2100-01-01T00:00:00+07:00"),
        (10, "unit must be 1 to 64 characters long (got 5000)"),
        (11, "status: 18446744073709551615 is not a status code"),
        (12, "channel: 2.5 is not a channel code"),
    ];
    assert_eq!(reasons.len(), expected.len(), "{answer}");
    for ((index, reason), (want_index, want)) in reasons.iter().zip(expected) {
        assert_eq!(*index, want_index);
        assert!(reason.starts_with(want), "{index}: {reason}");
    }
    // What was accepted is stored exactly as sent: four-byte characters at the longest lengths included.
    let mut want = vec![
        ("ok-1".to_string(), "D-1".to_string()),
        (longest_id.clone(), longest_dossier.clone()),
        ("tiếng Việt có dấu".to_string(), "Hồ sơ 2026/1".to_string()),
    ];
    want.sort();
    assert_eq!(events(&url).await, want);
    // Sent again, they are duplicates: the stored values compare equal to the sent ones.
    let (status, again) = server.post(&token, "application/json", serde_json::to_string(&batch).unwrap()).await;
    assert_eq!((status, again["accepted"].as_u64(), again["duplicates"].as_u64()), (200, Some(0), Some(3)), "{again}");
    let drift = server.db.store.verify(false).await.unwrap();
    assert!(!drift.found(), "{drift:?}");
    assert_eq!(drift.events_read, 3);
}

/// A body that is not whole JSON or NDJSON gets 400 and nothing of it is stored (before, a JSON array
/// cut before its `]` was read as NDJSON and its last line stored with 200).
async fn bodies_whole_or_nothing(backend: Backend) {
    let (server, token, url) = start(backend).await;
    let lines: Vec<String> = (0..3).map(|i| event(&format!("e{i}"), &format!("D-{i}")).to_string()).collect();
    let truncated_array = format!("[\n{}\n", lines.join(",\n"));
    let cut_ndjson = format!("{}\n{}\n{}", lines[0], lines[1], &lines[2][..lines[2].len() - 5]);
    let pretty_then_more = format!("{}\n{}\n", serde_json::to_string_pretty(&event("p", "D-p")).unwrap(), lines[0]);
    let array_then_more = format!("[{}]\n{}\n", lines[0], lines[1]);
    let cases = [
        ("application/json", truncated_array.clone(), "the body starts with `[` but is not one whole JSON array: EOF while parsing a list at line 5"),
        ("application/x-ndjson", truncated_array, "the body starts with `[` but is not one whole JSON array"),
        ("application/x-ndjson", cut_ndjson.clone(), "the body ends inside line 3 without a newline"),
        ("application/json", cut_ndjson, "the body ends inside line 3 without a newline"),
        ("application/json", pretty_then_more, "the body is one JSON document (lines 1 to 10) followed by more at line 11, column 1"),
        ("application/json", array_then_more, "the body starts with `[` but is not one whole JSON array: trailing characters at line 2, column 1"),
    ];
    for (content_type, body, reason) in cases {
        let r = server.client.post(server.url("/api/v1/events")).bearer_auth(&token).header("content-type", content_type).body(body.clone()).send().await.unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        assert_eq!(status, 400, "{body:?}: {text}");
        assert!(text.contains(reason), "{body:?}: {text}");
        assert_eq!(count(&url, "SELECT COUNT(*) FROM events").await, 0, "{body:?}");
        assert_eq!(count(&url, "SELECT COUNT(*) FROM dossiers").await, 0, "{body:?}");
        assert_eq!(count(&url, "SELECT COUNT(*) FROM unit_months").await, 0, "{body:?}");
    }
    // A bad line inside NDJSON stays one rejected event; the others are stored.
    let nd = format!("{}\nnot json\n{}\n{}", lines[0], lines[1], lines[2]);
    let (status, answer) = server.post(&token, "application/x-ndjson", nd).await;
    assert_eq!((status, answer["accepted"].as_u64()), (200, Some(3)), "{answer}");
    assert_eq!(answer["rejected"][0]["index"], 1);
    assert!(answer["rejected"][0]["error"].as_str().unwrap().starts_with("line 2 is not JSON"), "{answer}");
    assert_eq!(count(&url, "SELECT COUNT(*) FROM events").await, 3);
}

/// Events dated in months no key holds (inserted as older versions stored them) and rows whose month
/// key or indicator names nothing: `verify` reports them and `verify --repair` puts things right, after
/// which `verify` is clean (before, it failed for good with "corrupt row in rollups: month 101").
async fn verify_copes_with_whatever_is_stored(backend: Backend) {
    let (server, token, url) = start(backend).await;
    let store = server.db.store.clone();
    let stream = synthetic_stream(5, 60);
    assert_eq!(server.post(&token, "application/json", serde_json::to_string(&stream).unwrap()).await.0, 200);
    assert!(!store.verify(false).await.unwrap().found());

    let insert_event = |id: &str, dossier: &str, status: &str, at: i64, extra: &str| {
        let (channel, delivery) = match extra {
            "received" => ("'online'", "NULL"),
            "returned" => ("NULL", "'online'"),
            _ => ("NULL", "NULL"),
        };
        format!(
            "INSERT INTO events (source, id, dossier, unit, procedure, status, at, channel, result_delivery, due, payment, stored_at) \
             VALUES ('igate', '{id}', '{dossier}', '31-STP', '1.001612', '{status}', {at}, {channel}, {delivery}, NULL, NULL, 0)"
        )
    };
    let year_1 = -62_135_596_800_000i64; // 0001-01-01T00:00:00Z
    let year_1899 = -2_209_186_800_000i64; // 1899-12-30T00:00:00+07:00
    let year_12000 = 316_000_000_000_000i64;
    for sql in [
        insert_event("old-r", "OLD-1", "received", year_1, "received"),
        insert_event("old-t", "OLD-1", "returned", year_1899, "returned"),
        insert_event("far-r", "FAR-1", "received", year_12000, "received"),
        insert_event("old-p", "SYN-5-0", "received", year_1899, "received"),
        // Rows no reader can use: months 0001-01 and 2026-13 (an unknown indicator has no column to be in).
        "INSERT INTO unit_months (month, unit, completion_n, completion_d) VALUES (101, '31-STP', 1, 1)".into(),
        "INSERT INTO unit_months (month, unit, intake_n, intake_d) VALUES (202613, '31-SYT', 3, 4)".into(),
        "INSERT INTO published_rollups (month, indicator, unit, numerator, denominator, target) VALUES (0, 'completion', '31-STP', 1, 2, NULL)".into(),
        "INSERT INTO published_rollups (month, indicator, unit, numerator, denominator, target) VALUES (202613, 'completion', '31-STP', 1, 2, NULL)".into(),
        // A published row of a real month stays.
        "INSERT INTO published_rollups (month, indicator, unit, numerator, denominator, target) VALUES (202610, 'completion', '31-STP', 1, 2, 500000)".into(),
    ] {
        assert_eq!(execute(&url, &sql).await, 1, "{sql}");
    }

    // Readers skip a row whose key names no month instead of failing.
    let rows = store.rollups(Indicator::Intake, "2026-01".parse().unwrap(), "2027-12".parse().unwrap()).await.unwrap();
    assert!(rows.iter().all(|r| r.month <= "2026-12".parse::<Month>().unwrap()), "{rows:?}");
    assert!(!rows.is_empty());

    let drift = store.verify(false).await.unwrap();
    assert!(drift.found() && !drift.repaired, "{drift:?}");
    assert_eq!(drift.events_read as usize, stream.len() + 4);
    // OLD-1 and FAR-1 have no stored facts; SYN-5-0's earliest `received` is now the one of 1899.
    assert_eq!(drift.facts_differing, 3, "{drift:?}");
    // Left out: OLD-1's intake in 0001-01 and completion in 1899-12 (no due, so no on-time cell),
    // FAR-1's intake in a year after 9999, SYN-5-0's intake in 1899-12; and with each of those three
    // intakes, the index's online_submission, digitised and reused_data cells of the same month.
    assert_eq!(drift.cells_outside_months, 4 + 3 * 3, "{drift:?}");
    let unreadable: Vec<(&str, i64, &str)> =
        drift.unreadable_rows.iter().map(|r| (r.table, r.month, r.indicator.as_str())).collect();
    let mut want = vec![
        ("unit_months", 101, "completion"),
        ("unit_months", 202613, "intake"),
        ("published_rollups", 0, "completion"),
        ("published_rollups", 202613, "completion"),
    ];
    let mut got = unreadable.clone();
    got.sort();
    want.sort();
    assert_eq!(got, want);
    let report = dvc_monitor::commands::verify(store.as_ref(), false).await.unwrap_err().to_string();
    assert!(report.contains("4 stored rows name no month or indicator"), "{report}");
    assert!(report.contains("unit_months: unit \"31-STP\", month key 101, indicator \"completion\": 1/1"), "{report}");
    assert!(report.contains("note: 13 rollup cells the events give lie in months before 1900 or after 9999"), "{report}");
    // The events inserted behind the service's back were never counted.
    assert!(report.contains("1 unit counters are below what the events give"), "{report}");
    assert!(report.contains("run `dvc-monitor verify --repair`"), "{report}");

    let repaired = dvc_monitor::commands::verify(store.as_ref(), true).await.unwrap();
    assert!(repaired.contains("repaired: facts, rollups and counters now follow the events"), "{repaired}");
    let after = store.verify(false).await.unwrap();
    assert!(!after.found(), "{after:?}");
    assert_eq!(after.cells_outside_months, 4 + 3 * 3);
    let clean = dvc_monitor::commands::verify(store.as_ref(), false).await.unwrap();
    assert!(clean.contains("0 dossiers' facts and 0 rollup cells differ"), "{clean}");
    assert_eq!(count(&url, "SELECT COUNT(*) FROM unit_months WHERE month < 190001 OR month % 100 > 12").await, 0);
    assert_eq!(count(&url, "SELECT COUNT(*) FROM published_rollups").await, 1);
    // A second repair has nothing to do.
    assert!(!store.verify(true).await.unwrap().repaired);
}

backend_tests!(
    values_refused_per_event => super::values_refused_per_event,
    bodies_whole_or_nothing => super::bodies_whole_or_nothing,
    verify_copes_with_whatever_is_stored => super::verify_copes_with_whatever_is_stored,
);
