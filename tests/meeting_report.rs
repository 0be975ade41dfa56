//! The monthly meeting report and the weekly quick report of a province, on both backends: what the page
//! and the workbook say, and the weekly report delivered on its schedule through the real dispatcher
//! (email with the workbook attached at a local SMTP server, the head's part at a local webhook), once a
//! week even across a restart.

mod common;

use common::sinks::{smtp_sink, webhook_sink};
use common::{create_token, seed_registry, Backend, TestDb, TestServer};
use dvc_monitor::domain::Contact;
use dvc_monitor::{AppState, Clock, Settings};
use serde_json::{json, Value};
use std::process::Command;
use std::time::{Duration, Instant};

/// Wednesday 9 December 2026, 10:00 in Hà Nội.
const NOW: &str = "2026-12-09T10:00:00+07:00";

fn dossier(code: &str, unit: &str, (month, day): (u32, u32), returned_day: u32, online: bool) -> Vec<Value> {
    vec![
        json!({"id": format!("{code}-r"), "dossier": code, "unit": unit, "procedure": "1.001612", "status": "received",
               "at": format!("2026-{month:02}-{day:02}T08:00:00+07:00"), "channel": "online"}),
        json!({"id": format!("{code}-t"), "dossier": code, "unit": unit, "procedure": "1.001612", "status": "returned",
               "at": format!("2026-{month:02}-{returned_day:02}T10:00:00+07:00"), "result_delivery": if online { "online" } else { "in_person" }}),
    ]
}

fn batch(unit: &str, month: u32, n: usize, online: usize) -> Vec<Value> {
    (0..n).flat_map(|i| dossier(&format!("{unit}-{month}-{i}"), unit, (month, 1 + i as u32 % 20), 3 + i as u32 % 20, i < online)).collect()
}

async fn seeded(backend: Backend, settings: Settings) -> TestServer {
    let db = TestDb::new(backend).await;
    seed_registry(db.store.as_ref()).await;
    let token = create_token(db.store.as_ref(), "igate-hp", &["31"]).await;
    let server = TestServer::start(db, NOW, settings).await;
    let mut events = Vec::new();
    // October: STP met (8/10 against 0.7). November: STP behind (3/10), SYT 9/10, SCT 7/10.
    events.extend(batch("31-STP", 10, 10, 8));
    for (unit, online) in [("31-STP", 3), ("31-SYT", 9), ("31-SCT", 7)] {
        events.extend(batch(unit, 11, 10, online));
    }
    // Communes (target 0.3): 11311 2/10 behind, 11312 9/10 met.
    events.extend(batch("11311", 11, 10, 2));
    events.extend(batch("11312", 11, 10, 9));
    // December so far: the last seven days hold SYT's 4/4 returned on the 3rd–8th, STP's 1/5.
    for i in 0..4 {
        events.extend(dossier(&format!("SYT-D{i}"), "31-SYT", (12, 1), 3 + i, true));
    }
    for i in 0..5 {
        events.extend(dossier(&format!("STP-D{i}"), "31-STP", (12, 1), 4 + i, i == 0));
    }
    // A commune's week: 1 of 5 (20 %, below its 0.3 target).
    for i in 0..5 {
        events.extend(dossier(&format!("C1-D{i}"), "11311", (12, 2), 3 + i, i == 0));
    }
    // Returned on 1 December: more than seven days before the 9th at 10:00, so only in the month.
    events.extend(dossier("STP-OLD", "31-STP", (11, 30), 1, true));
    for chunk in events.chunks(400) {
        let (status, body) = server.post(&token, "application/json", serde_json::to_string(chunk).unwrap()).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["rejected"].as_array().map(Vec::len), Some(0), "{body}");
    }
    server
}

fn dump(bytes: &[u8]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.xlsx");
    std::fs::write(&path, bytes).unwrap();
    let out = Command::new("python3").arg(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/xlsx/dump.py")).arg(&path).output().expect("python3 with openpyxl");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

async fn monthly_and_weekly_pages(backend: Backend) {
    let server = seeded(backend, Settings { min_volume: 3, ..Settings::default() }).await;
    let (status, page) = server.get_text("/report?parent=31&period=2026-11").await;
    assert_eq!(status, 200, "{page}");
    for needle in ["Báo cáo tháng 11/2026 — Thành phố Hải Phòng", "Sở Y tế", "Tổng 5 đơn vị", "Xã, phường, đặc khu (2)", "Dưới chỉ tiêu",
                   "Thấp nhất: </strong>Phường Hồng Bàng 20,0 %", "Đơn vị tụt xuống dưới chỉ tiêu so với tháng 10/2026"] {
        assert!(page.contains(needle), "the report lacks {needle:?}");
    }
    let fell = &page[page.find("Đơn vị tụt xuống").unwrap()..];
    assert!(fell.contains("Sở Tư pháp (sở, ban, ngành): đạt → ") && fell.contains("không đạt"), "STP was met in October and is behind: {fell}");
    assert!(!page.contains("Số liệu tạm tính"), "November is over");
    // Without a period, the last finished month: a meeting reviews it.
    let (_, default) = server.get_text("/report?parent=31").await;
    assert!(default.contains("Báo cáo tháng 11/2026"));
    let (status, _) = server.get_text("/report?parent=31-STP").await;
    assert_eq!(status, 400, "a department is not a province");

    // The weekly quick report: December so far, and the last seven days counted from the dossiers.
    let (status, week) = server.get_text("/report/week?parent=31").await;
    assert_eq!(status, 200);
    assert!(week.contains("Báo cáo nhanh tuần — Thành phố Hải Phòng — tháng 12/2026 (đến nay)"));
    assert!(week.contains("Số liệu tạm tính"));
    assert!(week.contains("Cả tỉnh: <strong>42,9 %</strong> (6 / 14 hồ sơ trả kết quả)"), "SYT 4/4 + STP 1/5 + 11311 1/5 in seven days, not the 1 December return");
    // The communes are banded by their week: the month so far would band nothing early in a month.
    assert!(week.contains("Xã, phường, đặc khu (2, 7 ngày qua)"), "the bands say they are the week's");
    let bands = &week[week.find("Xã, phường, đặc khu (2, 7 ngày qua)").unwrap()..];
    assert!(bands.contains("Dưới chỉ tiêu</span>: <strong>1</strong>") && bands.contains("Chưa đủ dữ liệu để đánh giá: 1"), "{}", &bands[..600.min(bands.len())]);
    assert!(bands.contains("Phường Hồng Bàng 20,0 %"), "the lowest of the week");
    let lowest = &week[week.find("Năm sở, ban, ngành thấp nhất trong tuần").unwrap()..];
    assert!(lowest.find("Sở Tư pháp 20,0 %").unwrap() < lowest.find("Sở Y tế 100,0 %").unwrap(), "lowest first: {lowest}");

    // The workbook: summary, departments and communes, each on A4 landscape one page wide.
    let r = server.client.get(server.url("/export/report.xlsx?parent=31&period=2026-11")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-disposition"].to_str().unwrap().contains("bao-cao-31-2026-11.xlsx"));
    let book = dump(&r.bytes().await.unwrap());
    let names: Vec<&str> = book["sheets"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Tóm tắt", "Sở, ban, ngành", "Xã, phường"]);
    for sheet in book["sheets"].as_array().unwrap() {
        // openpyxl leaves fitToWidth unset when it is Excel's default of 1.
        let fit = (sheet["orientation"].as_str(), sheet["fit_to_page"].as_bool(), sheet["fit_width"].as_i64().unwrap_or(1), sheet["fit_height"].as_i64());
        assert_eq!(fit, (Some("landscape"), Some(true), 1, Some(0)), "{}", sheet["name"]);
    }
    let text = book.to_string();
    assert!(text.contains("Thành phố Hải Phòng") && text.contains("tháng 11/2026"), "titles say where and when");
    assert!(text.contains("Dưới chỉ tiêu") && text.contains("Tụt dưới chỉ tiêu: Sở Tư pháp (31-STP)"), "bands and who fell behind");
    let r = server.client.get(server.url("/export/report-week.xlsx?parent=31")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(dump(&r.bytes().await.unwrap()).to_string().contains("7 ngày qua — cả tỉnh"));
}

async fn wait_for(inbox: &common::sinks::Inbox, n: usize) -> Vec<Value> {
    let started = Instant::now();
    loop {
        let got = inbox.lock().unwrap().clone();
        if got.len() >= n || started.elapsed() > Duration::from_secs(20) {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn weekly_on_schedule(backend: Backend) {
    let (smtp, mail) = smtp_sink().await;
    let (hook, posts) = webhook_sink().await;
    let mut settings = Settings { min_volume: 3, ..Settings::default() };
    settings.alerts.smtp_url = Some(smtp);
    settings.alerts.rules.public_url = "https://dvc.haiphong.example".into();
    let server = seeded(backend, settings.clone()).await;
    // Due on Wednesdays at 09:00: an hour ago.
    settings.weekly_report = Some("wed 09:00".parse().unwrap());
    let contact = |unit: &str, email: Option<&str>, webhook: Option<&str>| Contact {
        unit: unit.into(),
        name: format!("Thủ trưởng {unit}"),
        email: email.map(Into::into),
        webhook: webhook.map(Into::into),
    };
    server
        .db
        .store
        .upsert_contacts(&[contact("31", Some("lanhdao@haiphong.example"), None), contact("31-STP", None, Some(&hook)), contact("31-SYT", Some("gd.syt@haiphong.example"), None)])
        .await
        .unwrap();

    // What the service's schedule task does each minute, on the service's own state and store.
    let now = chrono::DateTime::parse_from_rfc3339(NOW).unwrap().timestamp_millis();
    let state = AppState::new(server.db.store.clone(), settings.clone(), Clock::Fixed(now)).unwrap();
    let schedule = settings.weekly_report.unwrap();
    let sent = dvc_monitor::web::weekly::send_if_due(&state, schedule).await.unwrap();
    let history = server.get_json("/api/v1/alerts?alert=WeeklyReport&limit=100").await;
    let delivered: Vec<&Value> = history["alerts"].as_array().unwrap().iter().filter(|r| r["outcome"] == "sent").collect();
    assert_eq!(delivered.len(), 3, "leader, SYT by email, STP by webhook: {history}");
    let failed: Vec<&Value> = history["alerts"].as_array().unwrap().iter().filter(|r| r["outcome"] != "sent").collect();
    assert_eq!(failed.len(), 1, "heads without an address are not written to; a leader without one is recorded: {failed:?}");
    assert_eq!(failed[0]["unit"], "01", "Hà Nội has no leader's address");
    assert_eq!(sent, 4);

    let mails = wait_for(&mail, 2).await;
    let leader = mails.iter().find(|m| m["rcpt"].to_string().contains("lanhdao@haiphong.example")).expect("the leader's mail");
    let data = leader["data"].as_str().unwrap();
    assert!(data.contains("multipart/mixed") && data.contains("bao-cao-nhanh-tuan-31-2026-12.xlsx"), "the workbook is attached");
    assert!(data.contains("Subject:"), "{data}");
    let syt = mails.iter().find(|m| m["rcpt"].to_string().contains("gd.syt@haiphong.example")).expect("SYT's head's mail");
    assert!(!syt["data"].as_str().unwrap().contains("Content-Disposition: attachment"), "a head gets their part, not the province's workbook");
    let posts = wait_for(&posts, 1).await;
    let stp = posts[0]["text"].as_str().unwrap();
    assert!(stp.contains("Kính gửi thủ trưởng Sở Tư pháp"), "{stp}");
    assert!(stp.contains("7 ngày qua: 20,0 % (1 / 5"), "STP's week: {stp}");
    assert!(stp.contains("https://dvc.haiphong.example/units/31-STP/dossiers?month=2026-12"), "the dossiers to chase: {stp}");

    // A restart the same day sends nothing again; the next week's hour sends again.
    let again = AppState::new(server.db.store.clone(), settings.clone(), Clock::Fixed(now + 3_600_000)).unwrap();
    assert_eq!(dvc_monitor::web::weekly::send_if_due(&again, schedule).await.unwrap(), 0, "already sent this week");
    let next_week = AppState::new(server.db.store.clone(), settings.clone(), Clock::Fixed(now + 7 * 86_400_000)).unwrap();
    assert_eq!(dvc_monitor::web::weekly::send_if_due(&next_week, schedule).await.unwrap(), 4, "a week later");
    // Two days after the hour the report is not sent late: it waits for the next one.
    let late = AppState::new(server.db.store.clone(), settings, Clock::Fixed(now + 16 * 86_400_000)).unwrap();
    assert_eq!(dvc_monitor::web::weekly::send_if_due(&late, schedule).await.unwrap(), 0);
}

backend_tests! {
    meeting_and_weekly_reports => super::monthly_and_weekly_pages,
    weekly_report_goes_out_once_a_week => super::weekly_on_schedule,
}
