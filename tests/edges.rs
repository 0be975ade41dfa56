//! Integrity under real senders: what a careless or hostile client can make the service do.
//!
//! - the ingest token is checked before any of the body is read;
//! - bodies posted in gzip or zstd are stored as the same events; other encodings get 415, bodies that are
//!   not what they claim 400, and a small body that decodes to more than the limit 413;
//! - slow or idle connections are closed, connections are bounded, slow bodies get 408;
//! - Alertmanager's webhook is closed without its credential (unless explicitly opened);
//! - heads' e-mail addresses and webhook URLs are masked on pages and in the read API;
//! - `/metrics` label values come from fixed sets, whatever methods and paths are sent;
//! - hostile query values and path segments get 4xx, never 500, on every GET route.

mod common;

use common::{all_tables_csv, create_token, seed_registry, synthetic_stream, Backend, TestDb, TestServer};
use dvc_monitor::domain::Contact;
use dvc_monitor::store::AlertRecord;
use dvc_monitor::{ServerLimits, Settings};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const NOW: &str = "2026-12-16T00:00:00+07:00";

backend_tests! {
    ingest_token_is_checked_before_the_body_is_read => super::token_before_body,
    compressed_bodies_are_decoded_within_the_limit => super::compressed_bodies,
    slow_and_idle_connections_are_bounded => super::slow_connections,
    alertmanager_webhook_is_closed_without_its_credential => super::alertmanager_credential,
    heads_addresses_are_masked_on_pages_and_in_the_api => super::masked_addresses,
    metrics_labels_come_from_fixed_sets => super::fixed_label_sets,
    hostile_query_values_and_path_segments_never_get_500 => super::hostile_values,
}

fn host(server: &TestServer) -> String {
    server.base.trim_start_matches("http://").to_string()
}

/// Opens a connection and writes `head` (and `body`) in one write, as a client that then stalls.
async fn send_raw(server: &TestServer, head: &str, body: &[u8]) -> TcpStream {
    let mut s = TcpStream::connect(host(server)).await.unwrap();
    let mut bytes = head.as_bytes().to_vec();
    bytes.extend_from_slice(body);
    s.write_all(&bytes).await.unwrap();
    s
}

/// What the server sends until it closes the connection, or until `within` has passed (then `None`).
async fn answer_within(stream: &mut TcpStream, within: Duration) -> Option<String> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(String::from_utf8_lossy(&out).into_owned()),
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
        }
    }
}

fn status_of(answer: &str) -> Option<u16> {
    answer.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
}

fn upload_head(token: Option<&str>, length: usize) -> String {
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    format!("POST /api/v1/events HTTP/1.1\r\nHost: dvc\r\nContent-Type: application/json\r\n{auth}Content-Length: {length}\r\n\r\n")
}

// ---------------------------------------------------------------------------------------------------
// (a) The ingest token is checked before the body is read.

async fn token_before_body(backend: Backend) {
    let db = TestDb::new(backend).await;
    seed_registry(db.store.as_ref()).await;
    let token = create_token(db.store.as_ref(), "igate", &["31"]).await;
    let settings = Settings { max_body_bytes: 64 * 1024, ..Settings::default() };
    let server = TestServer::start(db, NOW, settings).await;

    // 40 uploads that announce 16 MB, send the first KB and stall, without a token or with a wrong one:
    // each is answered 401 at once and closed, although its body has not arrived (and never will).
    let started = Instant::now();
    let mut waiting = Vec::new();
    for i in 0..40 {
        let token = (i % 2 == 1).then(|| format!("not-a-token-{i}"));
        let mut s = send_raw(&server, &upload_head(token.as_deref(), 16 * 1024 * 1024), &[b'['; 1024]).await;
        waiting.push(tokio::spawn(async move { answer_within(&mut s, Duration::from_secs(5)).await }));
    }
    for w in waiting {
        let answer = w.await.unwrap().expect("answered and closed before the body arrived");
        assert_eq!(status_of(&answer), Some(401), "{answer}");
        assert!(answer.to_ascii_lowercase().contains("www-authenticate: bearer"), "{answer}");
    }
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());

    // With the token, a body over --max-body-bytes gets 413: at once when its length says so…
    let mut s = send_raw(&server, &upload_head(Some(&token), 16 * 1024 * 1024), b"[").await;
    let answer = answer_within(&mut s, Duration::from_secs(5)).await.expect("413 before the body arrived");
    assert_eq!(status_of(&answer), Some(413), "{answer}");
    // …and once it passes the limit when it comes in chunks without a length.
    let head = format!(
        "POST /api/v1/events HTTP/1.1\r\nHost: dvc\r\nContent-Type: application/json\r\nAuthorization: Bearer {token}\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    let mut chunked = format!("{:x}\r\n", 64 * 1024).into_bytes();
    chunked.extend(std::iter::repeat_n(b' ', 64 * 1024));
    chunked.extend_from_slice(b"\r\na\r\n0123456789\r\n0\r\n\r\n");
    let mut s = send_raw(&server, &head, &chunked).await;
    let answer = answer_within(&mut s, Duration::from_secs(5)).await.expect("answered");
    assert_eq!(status_of(&answer), Some(413), "{answer}");

    // A body within the limit is read and stored as before.
    let events: Vec<Value> = synthetic_stream(3, 20);
    let (status, report) = server.post(&token, "application/json", serde_json::to_string(&events).unwrap()).await;
    assert_eq!((status, report["accepted"].as_u64()), (200, Some(events.len() as u64)), "{report}");

    // The refused requests are counted under source "unknown": before the token, nothing the caller
    // sends names a source.
    let metrics = server.get_text("/metrics").await.1;
    assert!(metrics.contains(r#"dvc_ingest_requests_total{code="401",source="unknown"} 40"#), "{}", grep(&metrics, "dvc_ingest_requests_total"));
}

fn grep(text: &str, what: &str) -> String {
    text.lines().filter(|l| l.contains(what)).collect::<Vec<_>>().join("\n")
}

// ---------------------------------------------------------------------------------------------------
// (b) Slow or idle connections cannot hold the service.

/// POSTs `body` to `path` with `Content-Encoding: encoding` (none when empty).
async fn post_encoded(server: &TestServer, token: &str, path: &str, encoding: &str, body: Vec<u8>) -> (u16, Value) {
    let mut request = server.client.post(server.url(path)).bearer_auth(token).header("content-type", "application/json").body(body);
    if !encoding.is_empty() {
        request = request.header("content-encoding", encoding);
    }
    let r = request.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

async fn compressed_bodies(backend: Backend) {
    let db = TestDb::new(backend).await;
    seed_registry(db.store.as_ref()).await;
    let token = create_token(db.store.as_ref(), "igate", &["31"]).await;
    let server = TestServer::start(db, NOW, Settings::default()).await;
    let events = synthetic_stream(11, 80);
    let (half_a, half_b) = events.split_at(events.len() / 2);
    let json = |events: &[Value]| serde_json::to_vec(events).unwrap();

    // gzip and zstd bodies are the events they encode: stored once, the same events plain are duplicates.
    let (status, answer) = post_encoded(&server, &token, "/api/v1/events", "gzip", gzip(&json(half_a))).await;
    assert_eq!(status, 200, "{answer}");
    let zstd_body = zstd::encode_all(&json(half_b)[..], 3).unwrap();
    let (status, answer_b) = post_encoded(&server, &token, "/api/v1/events", "zstd", zstd_body).await;
    assert_eq!(status, 200, "{answer_b}");
    let accepted = answer["accepted"].as_u64().unwrap() + answer_b["accepted"].as_u64().unwrap();
    assert!(accepted > 0);
    let (status, again) = server.post(&token, "application/json", String::from_utf8(json(&events)).unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!((again["accepted"].as_u64(), again["duplicates"].as_u64()), (Some(0), Some(accepted)), "{again}");
    // Two gzip members one after the other are one body; `x-gzip` and `identity` are understood.
    let mut members = gzip(b"[");
    members.extend(gzip(&json(&events[..3])[1..]));
    let (status, answer) = post_encoded(&server, &token, "/api/v1/events", "x-gzip", members).await;
    assert_eq!((status, answer["duplicates"].as_u64()), (200, Some(3)), "{answer}");
    assert_eq!(post_encoded(&server, &token, "/api/v1/events", "identity", json(&events[..2])).await.0, 200);

    let tables = all_tables_csv(&server).await;
    let fresh = synthetic_stream(12, 5);
    // Other encodings: 415, whatever the body, on both ingest paths.
    for encoding in ["br", "deflate", "gzip, gzip", "compress"] {
        let (status, answer) = post_encoded(&server, &token, "/api/v1/events", encoding, json(&fresh)).await;
        assert_eq!(status, 415, "{encoding}: {answer}");
        assert!(answer["error"].as_str().unwrap().contains("gzip or in zstd"), "{answer}");
    }
    let (status, answer) = post_encoded(&server, &token, "/api/v1/national-sync/dossiers", "br", b"[]".to_vec()).await;
    assert_eq!((status, answer["error_code"].as_str()), (415, Some("415")), "{answer}");
    // A body that is not what it claims: 400, saying so.
    let (status, answer) = post_encoded(&server, &token, "/api/v1/events", "gzip", json(&fresh)).await;
    assert_eq!(status, 400, "{answer}");
    assert!(answer["error"].as_str().unwrap().contains("not valid gzip"), "{answer}");
    let mut cut = gzip(&json(&fresh));
    cut.truncate(cut.len() / 2);
    assert_eq!(post_encoded(&server, &token, "/api/v1/events", "gzip", cut).await.0, 400);
    let mut trailing = zstd::encode_all(&json(&fresh)[..], 3).unwrap();
    trailing.extend_from_slice(b"garbage");
    assert_eq!(post_encoded(&server, &token, "/api/v1/events", "zstd", trailing).await.0, 400);
    // A small body that decodes to more than --max-body-bytes (16 MiB): 413, nothing kept in memory.
    let bomb = gzip(&vec![b' '; 17 * 1024 * 1024]);
    assert!(bomb.len() < 100_000);
    let (status, answer) = post_encoded(&server, &token, "/api/v1/events", "gzip", bomb).await;
    assert_eq!(status, 413, "{answer}");
    assert!(answer["error"].as_str().unwrap().contains("decodes to more than"), "{answer}");
    // A zstd frame that asks for a 128 MiB window is refused before any of it is reserved.
    let mut encoder = zstd::stream::write::Encoder::new(Vec::new(), 3).unwrap();
    encoder.window_log(27).unwrap();
    encoder.include_contentsize(false).unwrap();
    std::io::Write::write_all(&mut encoder, &json(&fresh)).unwrap();
    let wide = encoder.finish().unwrap();
    assert_eq!(zstd::decode_all(&wide[..]).unwrap(), json(&fresh), "a valid frame, within zstd's own default window limit");
    let (status, answer) = post_encoded(&server, &token, "/api/v1/events", "zstd", wide).await;
    assert_eq!(status, 400, "{answer}");
    assert!(answer["error"].as_str().unwrap().contains("not valid zstd"), "{answer}");
    assert_eq!(all_tables_csv(&server).await, tables, "refused bodies changed nothing");
    // And the service goes on: the same events in zstd are taken.
    let (status, answer) = post_encoded(&server, &token, "/api/v1/events", "zstd", zstd::encode_all(&json(&fresh)[..], 1).unwrap()).await;
    assert_eq!(status, 200, "{answer}");
    assert!(answer["accepted"].as_u64().unwrap() > 0, "{answer}");
}

async fn slow_connections(backend: Backend) {
    let db = TestDb::new(backend).await;
    seed_registry(db.store.as_ref()).await;
    let token = create_token(db.store.as_ref(), "igate", &["31"]).await;
    let settings = Settings { body_timeout: Duration::from_secs(2), ..Settings::default() };
    let limits = ServerLimits { header_read_timeout: Duration::from_secs(1), max_connections: 20 };
    let server = TestServer::start_with_limits(db, NOW, settings, limits).await;
    // A client that opens a new connection for each request, so that none is waiting in a pool.
    let fresh = reqwest::Client::builder().pool_max_idle_per_host(0).timeout(Duration::from_secs(20)).build().unwrap();

    // 50 slow unauthenticated uploads, more than the 20 connections served at once: every one is
    // answered 401 and closed quickly, and the service answers others meanwhile.
    let started = Instant::now();
    let mut uploads = Vec::new();
    for _ in 0..50 {
        let mut s = send_raw(&server, &upload_head(None, 16 * 1024 * 1024), b"[{\"id\":").await;
        uploads.push(tokio::spawn(async move { answer_within(&mut s, Duration::from_secs(10)).await }));
    }
    let r = fresh.get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    for u in uploads {
        let answer = u.await.unwrap().expect("closed");
        assert_eq!(status_of(&answer), Some(401), "{answer}");
    }
    assert!(started.elapsed() < Duration::from_secs(8), "50 slow uploads took {:?}", started.elapsed());

    // Headers that never end (slowloris): closed after the header timeout. 30 of them hold the 20
    // connection slots, so a request that comes after them waits for the timeout, and no longer.
    let mut slow_heads = Vec::new();
    for _ in 0..30 {
        let mut s = TcpStream::connect(host(&server)).await.unwrap();
        s.write_all(b"GET /api/v1/league HTTP/1.1\r\nHost: dvc\r\nX-Slow: ").await.unwrap();
        slow_heads.push(s);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let asked = Instant::now();
    let r = fresh.get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let waited = asked.elapsed();
    assert!(waited >= Duration::from_millis(400), "the connection limit held the request back: {waited:?}");
    assert!(waited < Duration::from_secs(6), "slots came free with the header timeout: {waited:?}");
    for mut s in slow_heads {
        let answer = answer_within(&mut s, Duration::from_secs(5)).await;
        assert!(answer.is_some(), "an unfinished header is closed by the server");
        assert!(answer.as_deref().and_then(status_of).is_none_or(|s| (400..500).contains(&s)), "{answer:?}");
    }

    // An idle keep-alive connection is closed too.
    let mut idle = TcpStream::connect(host(&server)).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: dvc\r\n\r\n").await.unwrap();
    let answer = answer_within(&mut idle, Duration::from_secs(5)).await.expect("an idle connection is closed");
    assert_eq!(status_of(&answer), Some(200), "{answer}");

    // An authenticated body that stops arriving: 408 after --body-timeout-seconds, and closed.
    let asked = Instant::now();
    let mut s = send_raw(&server, &upload_head(Some(&token), 1000), b"[{\"id\":").await;
    let answer = answer_within(&mut s, Duration::from_secs(8)).await.expect("a stalled body is cut off");
    assert_eq!(status_of(&answer), Some(408), "{answer}");
    assert!(asked.elapsed() >= Duration::from_millis(1500), "{:?}", asked.elapsed());

    // Through all of it the service still serves.
    let r = fresh.get(server.url("/api/v1/league?month=2026-11")).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

// ---------------------------------------------------------------------------------------------------
// (c) Alertmanager's webhook needs its credential, unless the operator opened it explicitly.

fn am_payload() -> Value {
    json!({"version": "4", "status": "firing", "alerts": [{"status": "firing", "labels": {"alertname": "DvcUnitAtRisk", "unit": "31-STP"},
           "annotations": {"summary": "x"}, "startsAt": "2026-12-01T00:00:00Z"}]})
}

async fn alertmanager_credential(backend: Backend) {
    // Neither a token nor --alertmanager-open: refused, with a message saying what to configure, and
    // before the body is read.
    let db = TestDb::new(backend).await;
    seed_registry(db.store.as_ref()).await;
    let server = TestServer::start(db, NOW, Settings::default()).await;
    let url = server.url("/api/v1/alertmanager");
    let r = server.client.post(&url).json(&am_payload()).send().await.unwrap();
    assert_eq!(r.status(), 403);
    let body: Value = r.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("--alertmanager-token"), "{body}");
    let r = server.client.post(&url).bearer_auth("anything").json(&am_payload()).send().await.unwrap();
    assert_eq!(r.status(), 403);
    let head = "POST /api/v1/alertmanager HTTP/1.1\r\nHost: dvc\r\nContent-Type: application/json\r\nContent-Length: 16000000\r\n\r\n";
    let mut s = send_raw(&server, head, b"{").await;
    assert_eq!(answer_within(&mut s, Duration::from_secs(5)).await.as_deref().and_then(status_of), Some(403));
    drop(server);

    // With a token: nothing else is accepted, whatever its length.
    let db = TestDb::new(backend).await;
    seed_registry(db.store.as_ref()).await;
    let mut settings = Settings::default();
    settings.alerts.webhook_token = Some("am-s3cret-token".into());
    let server = TestServer::start(db, NOW, settings).await;
    let url = server.url("/api/v1/alertmanager");
    for wrong in [None, Some(""), Some("am-s3cret-tokeN"), Some("am-s3cret"), Some("am-s3cret-token-and-more")] {
        let mut req = server.client.post(&url).json(&am_payload());
        if let Some(w) = wrong {
            req = req.header("authorization", format!("Bearer {w}"));
        }
        assert_eq!(req.send().await.unwrap().status(), 401, "{wrong:?}");
    }
    let mut s = send_raw(&server, &head.replace("Host: dvc\r\n", "Host: dvc\r\nAuthorization: Bearer wrong\r\n"), b"{").await;
    assert_eq!(answer_within(&mut s, Duration::from_secs(5)).await.as_deref().and_then(status_of), Some(401));
    let r = server.client.post(&url).bearer_auth("am-s3cret-token").json(&am_payload()).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = server.client.post(&url).bearer_auth("am-s3cret-token").body("not json").send().await.unwrap();
    assert_eq!(r.status(), 400);
    // A value the alert history cannot hold (PostgreSQL's text has no NUL) is a 400, not a 500.
    for (field, value) in [("labels", json!({"alertname": "X\u{0}", "unit": "31-STP"})), ("annotations", json!({"summary": "\u{0}"}))] {
        let mut payload = am_payload();
        payload["alerts"][0][field] = value;
        let r = server.client.post(&url).bearer_auth("am-s3cret-token").json(&payload).send().await.unwrap();
        assert_eq!(r.status(), 400, "{field}");
    }
    drop(server);

    // Explicitly opened: accepted without a credential.
    let db = TestDb::new(backend).await;
    seed_registry(db.store.as_ref()).await;
    let mut settings = Settings::default();
    settings.alerts.webhook_open = true;
    let server = TestServer::start(db, NOW, settings).await;
    let r = server.client.post(server.url("/api/v1/alertmanager")).json(&am_payload()).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["received"], 1);
}

// ---------------------------------------------------------------------------------------------------
// (d) Heads' addresses are masked wherever the history is shown.

const EMAIL: &str = "nguyen.van.a@syt.haiphong.gov.vn";
const HOOK: &str = "https://chat.example.vn/hooks/T0123/B456/xoxb-SECRET-PATH?token=SECRET-QUERY";

async fn masked_addresses(backend: Backend) {
    let db = TestDb::new(backend).await;
    seed_registry(db.store.as_ref()).await;
    db.store
        .upsert_contacts(&[Contact { unit: "31-SYT".into(), name: "Giám đốc Sở Y tế".into(), email: Some(EMAIL.into()), webhook: Some(HOOK.into()) }])
        .await
        .unwrap();
    let at = chrono::DateTime::parse_from_rfc3339("2026-12-02T10:00:00+07:00").unwrap().timestamp_millis();
    let record = |recipient: String, channel: &str, outcome: &str, detail: String| AlertRecord {
        at,
        alertname: "DvcUnitBehindLastMonth".into(),
        unit: Some("31-SYT".into()),
        state: "firing".into(),
        recipient,
        channel: channel.into(),
        outcome: outcome.into(),
        detail,
        summary: "Sở Y tế: không đạt chỉ tiêu".into(),
        province: Some("31".into()),
        indicator: Some("completion".into()),
        period: Some("2026-11".into()),
    };
    db.store
        .record_alerts(&[
            record(format!("Giám đốc Sở Y tế <{EMAIL}>"), "email", "sent", EMAIL.into()),
            record(format!("Giám đốc Sở Y tế <{HOOK}>"), "webhook", "sent", HOOK.into()),
            record(format!("Giám đốc Sở Y tế <{HOOK}>"), "webhook", "failed", format!("error sending request for url ({HOOK}): connection refused")),
            record(format!("Giám đốc Sở Y tế <{EMAIL}>"), "email", "failed", format!("{EMAIL}: mailbox unavailable")),
        ])
        .await
        .unwrap();
    let server = TestServer::start(db, NOW, Settings::default()).await;
    for path in ["/alerts", "/units/31-SYT?month=2026-11", "/api/v1/alerts", "/api/v1/alerts?unit=31-SYT", "/api/v1/units/31-SYT?month=2026-11"] {
        let (status, text) = server.get_text(path).await;
        assert_eq!(status, 200, "{path}");
        for secret in [EMAIL, "nguyen.van.a", "/hooks/", "SECRET", "token="] {
            assert!(!text.contains(secret), "{path} shows {secret:?}");
        }
        if path != "/api/v1/units/31-SYT?month=2026-11" {
            assert!(text.contains("n***@syt.haiphong.gov.vn"), "{path}: the masked address tells the channel");
            assert!(text.contains("https://chat.example.vn"), "{path}: the webhook's host is kept");
        }
    }
    let api = server.get_json("/api/v1/alerts?unit=31-SYT").await;
    let rows = api["alerts"].as_array().unwrap();
    assert_eq!(rows.len(), 4);
    assert!(rows.iter().any(|r| r["detail"] == "error sending request for url (https://chat.example.vn): connection refused"), "{rows:?}");
    assert!(rows.iter().any(|r| r["recipient"] == "Giám đốc Sở Y tế <n***@syt.haiphong.gov.vn>"), "{rows:?}");
}

// ---------------------------------------------------------------------------------------------------
// (e) No request can add series to /metrics.

/// The HTTP and ingest series /metrics holds.
async fn request_series(server: &TestServer) -> Vec<String> {
    let (_, text) = server.get_text("/metrics").await;
    text.lines()
        .filter(|l| l.starts_with("dvc_http_request_duration_seconds_count") || l.starts_with("dvc_ingest_"))
        .map(|l| l.rsplit_once(' ').map_or(l, |(series, _)| series).to_string())
        .collect()
}

async fn invented_requests(server: &TestServer, from: usize, n: usize) {
    for i in from..from + n {
        let method = reqwest::Method::from_bytes(format!("INVENTED{i}").as_bytes()).unwrap();
        let path = match i % 5 {
            0 => format!("/made-up/{i}?x={i}"),
            1 => format!("/api/v1/units/NOPE{i}/deeper"),
            2 => format!("/api/v1/league/{i}"),
            3 => "/api/v1/league".to_string(),
            _ => format!("/%F0%9F%98%80{i}"),
        };
        let r = server.client.request(method, server.url(&path)).send().await.unwrap();
        assert!(r.status().is_client_error(), "{path}: {}", r.status());
        // Unknown paths with a real method, and unauthenticated ingest with invented tokens.
        let r = server.client.get(server.url(&format!("/nothing-here/{i}"))).send().await.unwrap();
        assert_eq!(r.status(), 404);
        let r = server.client.post(server.url("/api/v1/events")).bearer_auth(format!("source-{i}")).body("[]").send().await.unwrap();
        assert_eq!(r.status(), 401);
    }
}

async fn fixed_label_sets(backend: Backend) {
    let db = TestDb::new(backend).await;
    seed_registry(db.store.as_ref()).await;
    let server = TestServer::start(db, NOW, Settings::default()).await;
    let _ = request_series(&server).await;
    // A first round makes the series of refused requests exist (`other`, 404, 405, 401)…
    invented_requests(&server, 10_000, 10).await;
    let before = request_series(&server).await;
    // …and 500 more invented methods and paths add none.
    invented_requests(&server, 0, 500).await;
    let after = request_series(&server).await;
    assert_eq!(before, after, "series added by invented requests");
    let other_route = before.iter().filter(|s| s.contains(r#"route="other""#)).count();
    assert!(other_route > 0, "unmatched paths are counted under route=\"other\": {before:#?}");
    assert!(before.iter().any(|s| s.contains(r#"method="other""#)), "invented methods are counted as method=\"other\": {before:#?}");
    for s in &before {
        assert!(!s.contains("INVENTED") && !s.contains("made-up") && !s.contains("NOPE") && !s.contains("source-"), "{s}");
    }
}

// ---------------------------------------------------------------------------------------------------
// (f) Hostile query values and path segments: 4xx, never 500, on every GET route.

/// Every GET route of the router, `{}` standing for its path parameter.
const ROUTES: &[&str] = &[
    "/api/v1/league",
    "/api/v1/units/{}",
    "/api/v1/units/{}/dossiers",
    "/api/v1/aggregate",
    "/api/v1/alerts",
    "/api/v1/targets",
    "/api/v1/sender-codes/unmapped",
    "/sender-codes",
    "/alerts",
    "/runbook",
    "/",
    "/units/{}",
    "/units/{}/dossiers",
    "/export/league.csv",
    "/export/league.xlsx",
    "/export/units/{}.xlsx",
    "/export/units/{}.csv",
    "/export/units/{}",
    "/export/units/{}/dossiers.csv",
    "/export/units/{}/dossiers.xlsx",
    "/healthz",
    "/readyz",
    "/metrics",
];

/// Path segments as a client may send them (already percent-encoded where needed).
const SEGMENTS: &[&str] = &[
    "%00",
    "31-STP%00",
    "%FF%FE%FD",
    "%C0%AF",
    "..%2F..%2Fetc%2Fpasswd",
    "%2e%2e",
    "%E2%80%AE31-STP",
    "%F0%9F%98%80",
    "'%3B%20DROP%20TABLE%20units%3B--",
    "%25",
    "%0D%0ASet-Cookie:%20x=1",
    "99999999999999999999999999",
    "-1",
    "31-STP",
];

/// Query values; every parameter of every route gets each of them.
const VALUES: &[&str] = &[
    "0001-01",
    "9999-12",
    "-1",
    "1999-12",
    "2101-01",
    "2026-00",
    "2026-13",
    "2026-1",
    "99999999999999999999",
    "-99999999999999999999",
    "1e308",
    "NaN",
    "%00",
    "2026-11%00",
    "%FF%FE",
    "%EF%BC%92%EF%BC%90%EF%BC%92%EF%BC%96-11",
    "",
    "%20",
    "nation",
    "kind:commune",
    "../../etc/passwd",
    "<script>alert(1)</script>",
];

const PARAMS: &[&str] = &["month", "kind", "indicator", "parent", "level", "format", "q", "table", "unit", "limit", "scope", "year", "sort", "page", "per_page"];

async fn hostile_values(backend: Backend) {
    let db = TestDb::new(backend).await;
    seed_registry(db.store.as_ref()).await;
    let token = create_token(db.store.as_ref(), "igate", &["31"]).await;
    let server = TestServer::start(db, NOW, Settings::default()).await;
    let (status, _) = server.post(&token, "application/json", serde_json::to_string(&synthetic_stream(5, 60)).unwrap()).await;
    assert_eq!(status, 200);

    let mut failures = Vec::new();
    let mut check = |path: String, status: u16| {
        if status >= 500 {
            failures.push(format!("{status} {path}"));
        }
    };
    for route in ROUTES {
        let segments: &[&str] = if route.contains("{}") { SEGMENTS } else { &["-"] };
        for segment in segments {
            let path = route.replace("{}", segment);
            check(path.clone(), get_status(&server, &path).await);
            for param in PARAMS {
                for value in VALUES {
                    let p = format!("{path}?{param}={value}");
                    check(p.clone(), get_status(&server, &p).await);
                }
            }
            // Repeated and oversized parameters.
            for q in ["month=2026-11&month=2026-10".to_string(), format!("q={}", "a".repeat(20_000)), "limit=1&limit=2".into(), "month".into()] {
                let p = format!("{path}?{q}");
                check(p.clone(), get_status(&server, &p).await);
            }
        }
    }
    assert!(failures.is_empty(), "{} requests got 5xx:\n{}", failures.len(), failures.join("\n"));

    // The read side answers for 2000-01 to 2100-12; outside, 400 with a message saying so.
    for path in ["/api/v1/league", "/api/v1/units/31-STP", "/api/v1/aggregate", "/", "/units/31-STP", "/export/league.csv", "/export/units/31-STP.csv",
                 "/api/v1/units/31/dossiers", "/units/31/dossiers", "/export/units/31/dossiers.csv"] {
        for month in ["1999-12", "2101-01", "0001-01", "9999-12"] {
            let r = server.client.get(server.url(&format!("{path}?month={month}"))).send().await.unwrap();
            assert_eq!(r.status(), 400, "{path}?month={month}");
            let text = r.text().await.unwrap();
            assert!(text.contains("2000-01..2100-12"), "{path}?month={month}: {text}");
        }
        for month in ["2000-01", "2100-12"] {
            assert_eq!(get_status(&server, &format!("{path}?month={month}")).await, 200, "{path}?month={month}");
        }
    }
    // Malformed months, unknown kinds and indicators are the caller's mistake.
    for p in ["/api/v1/league?month=-1", "/api/v1/league?kind=planet", "/api/v1/league?indicator=speed", "/?indicator=%00", "/api/v1/alerts?unit=%00"] {
        assert_eq!(get_status(&server, p).await, 400, "{p}");
    }
    assert_eq!(get_status(&server, "/units/%00").await, 404);
    assert_eq!(get_status(&server, "/units/%FF%FE").await, 400);
}

async fn get_status(server: &TestServer, path: &str) -> u16 {
    let url = reqwest::Url::parse(&server.url(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    server.client.get(url).send().await.unwrap_or_else(|e| panic!("{path}: {e}")).status().as_u16()
}
