//! Alerts end to end: the built-in evaluator pushes to a real Alertmanager running the project's
//! config, Alertmanager calls the service's webhook, and the head of a behind unit receives exactly
//! one grouped notification (email at a local SMTP sink, JSON at a local webhook sink), then exactly
//! one resolution when late events bring the unit back to its target.

mod common;

use common::{create_token, seed_registry, Backend, TestDb, TestServer};
use dvc_monitor::domain::Contact;
use dvc_monitor::Settings;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const NOW: &str = "2026-12-16T00:00:00+07:00";

use common::sinks::{smtp_sink, webhook_sink, Inbox};

struct Killed(Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Where deploy/alertmanager.yml reads the Bearer token it sends to the service.
const AM_TOKEN_FILE: &str = "/run/secrets/dvc-alertmanager-token";

fn alertmanager_binary() -> PathBuf {
    for p in ["/usr/bin/prometheus-alertmanager", "/usr/bin/alertmanager", "/usr/local/bin/alertmanager"] {
        if Path::new(p).exists() {
            return p.into();
        }
    }
    panic!("Alertmanager is not installed: scripts/test installs it (apt-get install prometheus-alertmanager)");
}

/// `deploy/alertmanager.yml` with its receiver pointed at the test's service, its credential file at
/// `token_file`, and seconds for minutes.
fn alertmanager_config(service: &str, token_file: &Path) -> String {
    let original = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/alertmanager.yml")).unwrap();
    assert!(original.contains("http://dvc-monitor:8080/api/v1/alertmanager"));
    assert!(original.contains(AM_TOKEN_FILE), "the receiver sends the service's credential");
    let original = original.replace(AM_TOKEN_FILE, token_file.to_str().unwrap());
    original
        .lines()
        .map(|line| {
            let t = line.trim_start();
            let indent = &line[..line.len() - t.len()];
            if t.starts_with("group_wait:") {
                format!("{indent}group_wait: 1s")
            } else if t.starts_with("group_interval:") {
                format!("{indent}group_interval: 2s")
            } else if t.starts_with("repeat_interval:") {
                format!("{indent}repeat_interval: 1h")
            } else {
                line.replace("http://dvc-monitor:8080", service)
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn dossier(code: &str, unit: &str, day: u32, fully_online: bool) -> Vec<Value> {
    vec![
        json!({"id": format!("{code}-r"), "dossier": code, "unit": unit, "procedure": "2.000001", "status": "received",
               "at": format!("2026-11-{day:02}T08:00:00+07:00"), "channel": "online"}),
        json!({"id": format!("{code}-t"), "dossier": code, "unit": unit, "procedure": "2.000001", "status": "returned",
               "at": format!("2026-11-{:02}T08:00:00+07:00", day + 1), "result_delivery": if fully_online { "online" } else { "in_person" }}),
    ]
}

async fn wait_for(inbox: &Inbox, n: usize, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(45);
    while inbox.lock().unwrap().len() < n {
        assert!(Instant::now() < deadline, "timed out waiting for {what}: {:?}", inbox.lock().unwrap());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_unit_head_gets_one_grouped_notification_and_one_resolution() {
    let (hook_url, hooks) = webhook_sink().await;
    let (smtp_url, mails) = smtp_sink().await;
    let am_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let am = format!("http://127.0.0.1:{am_port}");

    let db = TestDb::new(Backend::Sqlite).await;
    seed_registry(db.store.as_ref()).await;
    db.store
        .upsert_contacts(&[
            Contact { unit: "31-SYT".into(), name: "Giám đốc Sở Y tế".into(), email: Some("giamdoc.syt@haiphong.gov.vn".into()), webhook: Some(hook_url.clone()) },
            Contact { unit: "31".into(), name: "Chủ tịch UBND thành phố".into(), email: None, webhook: Some(format!("{hook_url}?province")) },
        ])
        .await
        .unwrap();
    let token = create_token(db.store.as_ref(), "igate-hp", &["31"]).await;
    let mut settings = Settings { min_volume: 3, ..Settings::default() };
    settings.alerts.smtp_url = Some(smtp_url);
    settings.alerts.evaluate_every = Some(Duration::from_secs(1));
    settings.alerts.alertmanager_url = Some(am.clone());
    // The service refuses Alertmanager's webhook without its credential; the deploy config sends it.
    settings.alerts.webhook_token = Some("am-token-for-the-test".into());
    let server = TestServer::start(db, NOW, settings).await;

    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("dvc-alertmanager-token");
    std::fs::write(&token_file, "am-token-for-the-test\n").unwrap();
    let config = dir.path().join("alertmanager.yml");
    std::fs::write(&config, alertmanager_config(&server.base, &token_file)).unwrap();
    let _am = Killed(
        Command::new(alertmanager_binary())
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.path={}", dir.path().join("data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{am_port}"))
            .arg("--cluster.listen-address=")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );

    // November: Sở Y tế 1 of 5 fully online against its 0.5 → behind; Sở Tư pháp 4 of 5 → met.
    let mut events = Vec::new();
    for i in 0..5 {
        events.extend(dossier(&format!("SYT-{i}"), "31-SYT", 2 + i, i == 0));
        events.extend(dossier(&format!("STP-{i}"), "31-STP", 2 + i, i != 4));
    }
    let (status, _) = server.post(&token, "application/json", serde_json::to_string(&events).unwrap()).await;
    assert_eq!(status, 200);

    wait_for(&hooks, 1, "the firing notification").await;
    wait_for(&mails, 1, "the firing email").await;
    // The evaluator keeps re-sending the active alert every second; Alertmanager must not notify again.
    tokio::time::sleep(Duration::from_secs(4)).await;
    {
        let hooks = hooks.lock().unwrap();
        assert_eq!(hooks.len(), 1, "exactly one notification: {hooks:?}");
        let n = &hooks[0];
        assert_eq!(n["recipient"]["unit"], "31-SYT");
        let alerts = n["alerts"].as_array().unwrap();
        assert!(alerts.iter().all(|a| a["labels"]["unit"] == "31-SYT" && a["state"] == "firing"));
        assert!(alerts.iter().any(|a| a["labels"]["alertname"] == "DvcUnitBehindLastMonth" && a["labels"]["indicator"] == "completion"));
        let text = n["text"].as_str().unwrap();
        assert!(text.starts_with("Kính gửi Giám đốc Sở Y tế,"), "{text}");
        assert!(text.contains("Sở Y tế: không đạt chỉ tiêu tỷ lệ hồ sơ trực tuyến toàn trình tháng 11/2026"), "{text}");
        assert!(text.contains("20,0 %") && text.contains("50,0 %"), "{text}");
        let mails = mails.lock().unwrap();
        assert_eq!(mails.len(), 1, "{mails:?}");
        assert!(mails[0]["rcpt"][0].as_str().unwrap().contains("giamdoc.syt@haiphong.gov.vn"));
    }

    // Late November events: four more fully-online dossiers bring Sở Y tế to 5 of 9, above 0.5.
    let late: Vec<Value> = (5..9).flat_map(|i| dossier(&format!("SYT-{i}"), "31-SYT", 10 + i, true)).collect();
    let (status, body) = server.post(&token, "application/json", serde_json::to_string(&late).unwrap()).await;
    assert_eq!((status, body["accepted"].as_u64()), (200, Some(8)));
    wait_for(&hooks, 2, "the resolution").await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    {
        let hooks = hooks.lock().unwrap();
        assert_eq!(hooks.len(), 2, "exactly one resolution: {hooks:?}");
        let r = &hooks[1];
        assert_eq!(r["recipient"]["unit"], "31-SYT");
        assert!(r["alerts"].as_array().unwrap().iter().all(|a| a["state"] == "resolved"));
        assert!(r["title"].as_str().unwrap().contains("Đã hết cảnh báo") || r["title"].as_str().unwrap().contains("đã hết"), "{r}");
        assert_eq!(mails.lock().unwrap().len(), 2);
    }

    // The history shows both, for both channels, and the province leader was never bothered.
    let history = server.get_json("/api/v1/alerts?unit=31-SYT").await;
    let rows = history["alerts"].as_array().unwrap();
    for (state, channel) in [("firing", "email"), ("firing", "webhook"), ("resolved", "email"), ("resolved", "webhook")] {
        assert!(rows.iter().any(|r| r["state"] == state && r["channel"] == channel && r["outcome"] == "sent"), "{state}/{channel}: {rows:?}");
    }
    let (status, page) = server.get_text("/alerts").await;
    assert_eq!(status, 200);
    assert!(page.contains("Sở Y tế: không đạt chỉ tiêu") && page.contains("Đã gửi"));
    let (status, page) = server.get_text("/units/31-SYT?month=2026-11").await;
    assert_eq!(status, 200);
    assert!(page.contains("Cảnh báo gần đây") && page.contains("DvcUnitBehindLastMonth"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_alertmanager_the_evaluator_delivers_directly_and_records_failures() {
    let (hook_url, hooks) = webhook_sink().await;
    let db = TestDb::new(Backend::Sqlite).await;
    seed_registry(db.store.as_ref()).await;
    // Sở Y tế's head has a webhook; Sở Công Thương has no head in the registry.
    db.store
        .upsert_contacts(&[Contact { unit: "31-SYT".into(), name: "Giám đốc Sở Y tế".into(), email: None, webhook: Some(hook_url) }])
        .await
        .unwrap();
    let token = create_token(db.store.as_ref(), "igate-hp", &["31"]).await;
    let mut settings = Settings { min_volume: 3, ..Settings::default() };
    settings.alerts.evaluate_every = Some(Duration::from_secs(1));
    let server = TestServer::start(db, NOW, settings).await;
    let mut events = Vec::new();
    for i in 0..5 {
        events.extend(dossier(&format!("SYT-{i}"), "31-SYT", 2 + i, false));
        events.extend(dossier(&format!("SCT-{i}"), "31-SCT", 2 + i, false));
    }
    let (status, _) = server.post(&token, "application/json", serde_json::to_string(&events).unwrap()).await;
    assert_eq!(status, 200);
    wait_for(&hooks, 1, "the direct notification").await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let history = server.get_json("/api/v1/alerts?unit=31-SCT").await;
        if let Some(r) = history["alerts"].as_array().unwrap().first() {
            assert_eq!((r["outcome"].as_str(), r["channel"].as_str()), (Some("failed"), Some("none")));
            assert!(r["detail"].as_str().unwrap().contains("no head of unit \"31-SCT\""));
            break;
        }
        assert!(Instant::now() < deadline, "the failure to reach Sở Công Thương is recorded");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(hooks.lock().unwrap().len(), 1, "a firing alert is delivered once, not at every evaluation");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alertmanager_webhook_requires_its_token_when_set() {
    let db = TestDb::new(Backend::Sqlite).await;
    seed_registry(db.store.as_ref()).await;
    let mut settings = Settings::default();
    settings.alerts.webhook_token = Some("s3cret".into());
    let server = TestServer::start(db, NOW, settings).await;
    let payload = json!({"version": "4", "status": "firing", "alerts": [{"status": "firing", "labels": {"alertname": "DvcUnitAtRisk", "unit": "31-STP"}, "annotations": {"summary": "x"}, "startsAt": "2026-12-01T00:00:00Z"}]});
    let url = server.url("/api/v1/alertmanager");
    let r = server.client.post(&url).json(&payload).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = server.client.post(&url).bearer_auth("s3cret").json(&payload).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!((body["received"].as_u64(), body["failed"].as_u64()), (Some(1), Some(1)), "Sở Tư pháp has no head: recorded as failed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn digest_sends_one_message_per_recipient_per_period() {
    let (hook_url, hooks) = webhook_sink().await;
    let db = TestDb::new(Backend::Sqlite).await;
    seed_registry(db.store.as_ref()).await;
    db.store
        .upsert_contacts(&[Contact { unit: "31-SYT".into(), name: "Giám đốc Sở Y tế".into(), email: None, webhook: Some(hook_url) }])
        .await
        .unwrap();
    let token = create_token(db.store.as_ref(), "igate-hp", &["31"]).await;
    let mut settings = Settings { min_volume: 3, ..Settings::default() };
    settings.alerts.evaluate_every = Some(Duration::from_secs(1));
    settings.alerts.digest = Some(Duration::from_secs(3));
    let server = TestServer::start(db, NOW, settings).await;
    // Behind last month: the evaluator raises it at once, the digest holds it until the period ends.
    let mut events = Vec::new();
    for i in 0..5 {
        events.extend(dossier(&format!("SYT-{i}"), "31-SYT", 2 + i, false));
    }
    assert_eq!(server.post(&token, "application/json", serde_json::to_string(&events).unwrap()).await.0, 200);
    wait_for(&hooks, 1, "the digest").await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    let hooks = hooks.lock().unwrap();
    assert_eq!(hooks.len(), 1, "one digest, not a message per evaluation: {hooks:?}");
    assert!(hooks[0]["alerts"].as_array().unwrap().iter().any(|a| a["labels"]["alertname"] == "DvcUnitBehindLastMonth"));
}
