//! The rendered league page (and JSON table) is served again only while nothing it shows has changed: an event for
//! one of its months, or a target, renders it anew; an event for a later month does not. Pages, the read API and
//! `/metrics` go out in gzip or zstd to clients that accept them, the same bytes once decoded; workbooks go as
//! they are (zip archives already).

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

/// GET `path` with `Accept-Encoding: encoding` (none when empty): the status, `Content-Encoding` and raw body.
async fn get_encoded(server: &TestServer, path: &str, encoding: &str) -> (u16, Option<String>, Vec<u8>) {
    let mut request = server.client.get(server.url(path));
    if !encoding.is_empty() {
        request = request.header("Accept-Encoding", encoding);
    }
    let r = request.send().await.unwrap();
    let used = r.headers().get("content-encoding").map(|v| v.to_str().unwrap().to_owned());
    (r.status().as_u16(), used, r.bytes().await.unwrap().to_vec())
}

fn decode(encoding: Option<&str>, body: &[u8]) -> Vec<u8> {
    use std::io::Read;
    match encoding {
        None => body.to_vec(),
        Some("gzip") => {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(body).read_to_end(&mut out).unwrap();
            out
        }
        Some("zstd") => zstd::decode_all(body).unwrap(),
        Some(other) => panic!("unexpected Content-Encoding {other}"),
    }
}

async fn compressed(backend: Backend) {
    let db = TestDb::new(backend).await;
    seed_registry(db.store.as_ref()).await;
    let token = create_token(db.store.as_ref(), "igate", &["31"]).await;
    let server = TestServer::start(db, NOW, Settings { min_volume: 1, ..Settings::default() }).await;
    let events: Vec<Value> = (0..40).flat_map(|i| returned(&format!("D{i}"), 11, i % 3 != 0)).collect();
    assert_eq!(server.post(&token, "application/json", serde_json::to_string(&events).unwrap()).await.0, 200);

    for path in ["/?month=2026-11&kind=commune&parent=", "/api/v1/league?month=2026-11&kind=department", "/metrics", "/units/31-STP?month=2026-11"] {
        let (status, none, plain) = get_encoded(&server, path, "").await;
        assert_eq!((status, none), (200, None), "{path} without Accept-Encoding");
        for (asked, expected) in [("gzip", "gzip"), ("zstd", "zstd"), ("gzip, deflate, br, zstd", "zstd"), ("gzip;q=1.0, zstd;q=0.5", "gzip")] {
            let (status, used, body) = get_encoded(&server, path, asked).await;
            assert_eq!((status, used.as_deref()), (200, Some(expected)), "{path} asking {asked}");
            assert!(body.len() < plain.len(), "{path} in {expected}: {} bytes, {} plain", body.len(), plain.len());
            let decoded = decode(used.as_deref(), &body);
            // /metrics moves on between two requests (the request counters): compare its start only.
            if path == "/metrics" {
                assert!(decoded.starts_with(b"# HELP"), "{path} in {expected} decodes to the exposition format");
            } else {
                assert_eq!(String::from_utf8(decoded).unwrap(), String::from_utf8(plain.clone()).unwrap(), "{path} in {expected}");
            }
        }
        // A client that refuses every encoding gets the plain body.
        assert_eq!(get_encoded(&server, path, "identity").await.1, None, "{path} asking identity");
    }
    let (status, used, body) = get_encoded(&server, "/export/league.xlsx?month=2026-11&kind=department", "gzip, zstd").await;
    assert_eq!((status, used), (200, None), "a workbook is a zip archive already");
    assert!(body.starts_with(b"PK"), "the workbook as it is");
}

backend_tests!(page_follows_its_data => crate::scenario);
backend_tests!(responses_are_compressed_for_clients_that_accept_it => crate::compressed);
