//! The pages in a real browser: headless Chromium (Debian's `chromium`, which `scripts/test` installs)
//! loads the league table, the national view of provinces, a search, a unit page, its dossiers to chase, the
//! scorecard, the alert list of a seeded instance and the demo's inbox at desktop and phone widths, saves
//! screenshots and an A4 print to `target/screenshots/`,
//! and runs axe-core (`tests/vendor/axe.min.js`) on each: no serious or critical violation, and no
//! page-level horizontal scroll at 360 px. Driven by `tests/browser/check.mjs` (Node, no packages).

mod common;

use common::{create_token, seed_registry, synthetic_stream, Backend, TestDb, TestServer};
use dvc_monitor::store::AlertRecord;
use dvc_monitor::Settings;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const NOW: &str = "2026-12-16T00:00:00+07:00";

fn chromium() -> PathBuf {
    if let Ok(p) = std::env::var("DVC_CHROMIUM") {
        return PathBuf::from(p);
    }
    for p in ["/usr/bin/chromium", "/usr/bin/chromium-browser"] {
        if Path::new(p).exists() {
            return PathBuf::from(p);
        }
    }
    panic!("Chromium is not installed: scripts/test installs Debian's `chromium` (or set DVC_CHROMIUM)");
}

/// Runs the check script, killing it after `limit`; returns its JSON report.
fn run_check(config: &Path, limit: Duration) -> Value {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut child = Command::new("node")
        .arg("--experimental-websocket")
        .arg(Path::new(root).join("tests/browser/check.mjs"))
        .arg(config)
        .current_dir(root)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("Node.js is needed for the browser test (node 20 or later)");
    // The report is larger than a pipe holds: read both streams while the check runs.
    let drain = |mut r: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = r.read_to_end(&mut buf);
            buf
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("piped")));
    let stderr = drain(Box::new(child.stderr.take().expect("piped")));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for node") {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("the browser check took longer than {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let (stdout, stderr) = (stdout.join().expect("stdout"), stderr.join().expect("stderr"));
    let stderr = String::from_utf8_lossy(&stderr);
    assert!(status.success(), "browser check failed ({status}): {stderr}");
    serde_json::from_slice(&stdout).unwrap_or_else(|e| panic!("browser check printed no report ({e}): {stderr}"))
}

async fn seeded_server() -> TestServer {
    let db = TestDb::new(Backend::Sqlite).await;
    seed_registry(db.store.as_ref()).await;
    let token = create_token(db.store.as_ref(), "igate-hp", &["31"]).await;
    let at = chrono::DateTime::parse_from_rfc3339("2026-12-02T09:00:00+07:00").unwrap().timestamp_millis();
    db.store
        .record_alerts(&[AlertRecord {
            at,
            alertname: "DvcUnitBehindLastMonth".into(),
            unit: Some("31-SYT".into()),
            state: "firing".into(),
            recipient: "Giám đốc Sở Y tế <gd@syt.example>".into(),
            channel: "email".into(),
            outcome: "sent".into(),
            detail: "gd@syt.example".into(),
            summary: "Sở Y tế: không đạt chỉ tiêu tỷ lệ hồ sơ trực tuyến toàn trình tháng 11/2026".into(),
            province: Some("31".into()),
            indicator: Some("completion".into()),
            period: Some("2026-11".into()),
        }])
        .await
        .unwrap();
    let server = TestServer::start(db, NOW, Settings::default()).await;
    for chunk in synthetic_stream(7, 1500).chunks(1000) {
        let (status, body) = server.post(&token, "application/json", serde_json::to_string(chunk).unwrap()).await;
        assert_eq!(status, 200, "{body}");
    }
    server
}

/// The demo's inbox, served on its own, holding one message the real webhook delivery brought: last
/// month's alert about Sở Y tế, as the built-in rules word it. Returns the inbox page's address.
async fn demo_inbox_with_a_message() -> String {
    use dvc_monitor::alerting::{deliver::Deliverer, message::compose, Alert, AlertState};
    use dvc_monitor::demo::inbox::{self, Inbox};
    let inbox = Inbox::new(dvc_monitor::Clock::Fixed(chrono::DateTime::parse_from_rfc3339(NOW).unwrap().timestamp_millis()), 60);
    let (open, read) = inbox::routes::<()>(inbox.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, open.merge(read)).await.unwrap() });
    let unit = dvc_monitor::domain::Unit { code: "31-SYT".into(), name: "Sở Y tế".into(), kind: dvc_monitor::domain::UnitKind::Department, parent: Some("31".into()) };
    let head = inbox.heads(&base, &[unit]).remove(0);
    let pairs = |p: &[(&str, &str)]| p.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let alert = Alert {
        state: AlertState::Firing,
        labels: pairs(&[("alertname", "DvcUnitBehindLastMonth"), ("unit", "31-SYT"), ("province", "31"), ("indicator", "completion")]),
        annotations: pairs(&[
            ("summary", "Sở Y tế: không đạt chỉ tiêu tỷ lệ hồ sơ trực tuyến toàn trình tháng 11/2026"),
            ("description", "Tháng 11/2026: 41,2 % (7/17 hồ sơ), chỉ tiêu 50,0 %, chênh lệch −8,8 đ.%. Xem nguyên nhân tại http://127.0.0.1:8080/units/31-SYT?month=2026-11"),
            ("unit_url", "http://127.0.0.1:8080/units/31-SYT?month=2026-11"),
            ("league_url", "http://127.0.0.1:8080/?month=2026-11&kind=department&indicator=completion&parent=31"),
            ("runbook_url", "http://127.0.0.1:8080/runbook#dvcunitbehindlastmonth"),
        ]),
        starts_at: "2026-12-15T17:00:00Z".into(),
    };
    let deliverer = Deliverer::new(None, "dvc-monitor <dvc@localhost>").unwrap();
    deliverer.webhook(&head, &compose(&head.name, std::slice::from_ref(&alert)), &[alert]).await.unwrap();
    format!("{base}/demo/inbox")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_in_a_real_browser() {
    let chromium = chromium();
    let server = seeded_server().await;
    let inbox = demo_inbox_with_a_message().await;
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    let pages = [
        ("league", server.url("/?month=2026-11&kind=department&parent=31"), true),
        ("national", server.url("/?month=2026-11&kind=department"), false),
        ("provinces", server.url("/?month=2026-11&kind=province"), false),
        ("search", server.url("/?month=2026-11&kind=commune&parent=31&q=hong+bang"), false),
        ("unit", server.url("/units/31-SYT?month=2026-11"), true),
        ("alerts", server.url("/alerts?province=31&alert=DvcUnitBehindLastMonth"), false),
        ("inbox", inbox, false),
        ("scorecard", server.url("/scorecard?period=2026-11&kind=department&parent=31"), false),
        ("scorecard-periods", server.url("/scorecard?view=periods&period=2026-Q4&kind=department&parent=31"), false),
        ("dossiers", server.url("/units/31/dossiers?period=2026-11&indicator=completion"), false),
        ("report", server.url("/report?parent=31&period=2026-11"), true),
        ("scorecard-index", server.url("/scorecard?view=index&period=2026-11&kind=department&parent=31"), false),
        ("index", server.url("/units/31/index?period=2026-Q4"), false),
    ];
    let config = json!({
        "chromium": chromium,
        "axe": Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vendor/axe.min.js"),
        "out": out,
        "timeoutMs": 170_000,
        "pages": pages.iter().map(|(name, url, pdf)| json!({"name": name, "url": url, "widths": [1280, 360], "pdf": pdf})).collect::<Vec<_>>(),
    });
    let dir = tempfile::tempdir().unwrap();
    let config_path = dir.path().join("config.json");
    std::fs::write(&config_path, config.to_string()).unwrap();
    let report = tokio::task::spawn_blocking(move || run_check(&config_path, Duration::from_secs(180))).await.unwrap();

    let pages = report["pages"].as_array().unwrap();
    assert_eq!(pages.len(), 2 * 13, "{report}");
    let page = |name: &str, width: u64| pages.iter().find(|p| p["name"] == name && p["width"] == width).unwrap_or_else(|| panic!("no {name} at {width}"));
    let text = |name: &str| page(name, 1280)["text"].as_str().unwrap().to_string();

    for p in pages {
        let (name, width) = (p["name"].as_str().unwrap(), p["width"].as_u64().unwrap());
        assert_eq!(p["lang"], "vi", "{name}");
        let serious: Vec<&Value> =
            p["violations"].as_array().unwrap().iter().filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical"))).collect();
        assert!(serious.is_empty(), "{name} at {width} px: axe found {serious:#?}");
        assert!(
            p["scrollWidth"].as_u64() <= p["innerWidth"].as_u64(),
            "{name} at {width} px scrolls sideways: {} > {}",
            p["scrollWidth"],
            p["innerWidth"]
        );
        assert!(Path::new(p["screenshot"].as_str().unwrap()).exists());
        for t in p["tables"].as_array().unwrap() {
            assert!(t["caption"].as_str().is_some_and(|c| !c.is_empty()), "{name}: a table without caption");
        }
    }

    // The league of Hải Phòng's departments: ranked units, the unranked list apart, Vietnamese figures.
    let league = text("league");
    for needle in ["Sở, ban, ngành — Thành phố Hải Phòng, tháng 11/2026", "Đơn vị được xếp hạng", "Chưa đủ dữ liệu để xếp hạng",
                   "Sở Tư pháp", "Sở Y tế", "Hồ sơ toàn trình", "Chênh lệch", "Tải Excel (.xlsx)"] {
        assert!(league.contains(needle), "league lacks {needle:?}:\n{league}");
    }
    assert!(regex_like_percent(&league), "no rate written as 62,2 %:\n{league}");
    assert_eq!(page("league", 1280)["sparklines"], 5, "one sparkline per department");
    let links: Vec<&str> = page("league", 1280)["links"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    // The exports of the table shown: workbook, CSV for people, CSV for machines.
    for link in [
        "/export/league.xlsx?period=2026-11&kind=department&indicator=completion&parent=31",
        "/export/league.csv?period=2026-11&kind=department&indicator=completion&parent=31",
        "/export/league.csv?period=2026-11&kind=department&indicator=completion&parent=31&format=data",
    ] {
        assert!(links.contains(&link), "no {link}: {links:?}");
    }

    // Nationwide, Hà Nội's department has no dossiers: listed apart, unranked.
    let national = text("national");
    let apart = national.split("Chưa đủ dữ liệu để xếp hạng").nth(1).unwrap();
    assert!(apart.contains("Sở Tư pháp Hà Nội"), "{national}");

    // The national committee's view: provinces side by side.
    let provinces = text("provinces");
    assert!(provinces.contains("Thành phố Hải Phòng") && provinces.contains("Thành phố Hà Nội"), "{provinces}");

    // A search without diacritics.
    let search = text("search");
    assert!(search.contains("Phường Hồng Bàng"), "{search}");
    assert!(!search.contains("Phường Hồng An"), "{search}");

    // The unit page: headline, what would raise the rate, the year, procedures, alerts.
    let unit = text("unit");
    for needle in ["Sở Y tế — tháng 11/2026", "Điều gì sẽ nâng tỷ lệ", "Không nộp trực tuyến", "Nhận kết quả trực tiếp",
                   "Lỗi từ hai bước trở lên", "12 tháng qua so với chỉ tiêu", "Theo thủ tục hành chính", "Cấp phiếu lý lịch tư pháp",
                   "Cảnh báo gần đây", "không đạt chỉ tiêu tỷ lệ hồ sơ trực tuyến toàn trình tháng 11/2026"] {
        assert!(unit.contains(needle), "unit page lacks {needle:?}:\n{unit}");
    }
    assert_eq!(page("unit", 1280)["charts"], 3, "one chart per indicator");
    let links: Vec<&str> = page("unit", 1280)["links"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert!(links.contains(&"/units/31-SYT/dossiers?period=2026-11&indicator=completion"), "{links:?}");

    // The dossiers to chase of the province: the steps in words, sortable columns, pages, exports.
    let dossiers = text("dossiers");
    for needle in ["Hồ sơ cần xử lý — Thành phố Hải Phòng, tháng 11/2026", "hồ sơ cần xử lý", "Mã hồ sơ", "Bước chưa đạt",
                   "Không nộp trực tuyến", "Nhận kết quả trực tiếp", "Trang 1 /", "Trang sau", "Tải CSV (mọi trang)"] {
        assert!(dossiers.contains(needle), "the dossiers page lacks {needle:?}:\n{dossiers}");
    }

    // On a phone, each ranked row of a league shows rank, unit, rate and status without scrolling.
    for name in ["league", "national", "provinces"] {
        let ranked = &page(name, 360)["tables"][0];
        assert_eq!(ranked["fits"], true, "{name} at 360 px scrolls sideways: {ranked}");
        let first = ranked["firstRow"].as_str().unwrap();
        assert!(first.contains('%') && ["Đạt", "Không đạt", "Đúng tiến độ", "Có nguy cơ", "Không thể đạt", "Chưa giao chỉ tiêu"].iter().any(|s| first.contains(s)), "{name} at 360 px: {first:?}");
    }

    // The monthly meeting report prints as one A4 landscape sheet.
    let pdf = std::fs::read(page("report", 1280)["pdf"].as_str().unwrap()).unwrap();
    let pdf_text = String::from_utf8_lossy(&pdf);
    let pages_in_pdf = pdf_text.matches("/Type /Page").count() - pdf_text.matches("/Type /Pages").count();
    assert_eq!(pages_in_pdf, 1, "the meeting report prints on one page");
    assert!(text("report").contains("Báo cáo tháng 11/2026 — Thành phố Hải Phòng"));

    // The scorecard: every cell's status in words beside its colour, a total and an average row.
    let card = text("scorecard");
    for needle in ["Bảng điểm tháng 11/2026", "Tỷ lệ hồ sơ trực tuyến toàn trình", "Tỷ lệ giải quyết đúng hạn", "Tổng", "Trung bình các đơn vị"] {
        assert!(card.contains(needle), "scorecard lacks {needle:?}:\n{card}");
    }
    assert!(text("scorecard-periods").contains("Quý IV/2026"), "quarters as columns");
    assert!(text("scorecard-index").contains("Tỷ lệ thanh toán trực tuyến"), "the index's indicators as columns");
    // The estimate of the national index says what it is.
    let index = text("index");
    for needle in ["Chỉ số 766 ước tính", "Ước tính từ dữ liệu hồ sơ của tỉnh", "Điểm ước tính", "Hồ sơ giải quyết đúng hạn"] {
        assert!(index.contains(needle), "the index page lacks {needle:?}:\n{index}");
    }

    // The alert list, filtered (a GET form with labels) and grouped; the demo's inbox with its message.
    let alerts = text("alerts");
    for needle in ["Lịch sử cảnh báo", "Tỉnh, thành phố", "Mã đơn vị", "Số lần gửi", "Lần đầu", "Lần cuối", "11/2026", "Đã gửi"] {
        assert!(alerts.contains(needle), "alert list lacks {needle:?}:\n{alerts}");
    }
    let inbox = text("inbox");
    for needle in ["Hộp thư demo", "Thủ trưởng Sở Y tế (giả lập)", "Kính gửi", "/units/31-SYT?month=2026-11"] {
        assert!(inbox.contains(needle), "inbox lacks {needle:?}:\n{inbox}");
    }
    let inbox_links: Vec<&str> = page("inbox", 1280)["links"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert!(inbox_links.iter().any(|l| l.ends_with("/units/31-SYT?month=2026-11")), "{inbox_links:?}");

    // The A4 print of the month's league table.
    let pdf = std::fs::read(page("league", 1280)["pdf"].as_str().unwrap()).unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    let pdf_text = String::from_utf8_lossy(&pdf);
    assert!(pdf_text.contains("/MediaBox [0 0 841") || pdf_text.contains("/MediaBox [0 0 842"), "not A4 landscape");
    eprintln!("screenshots in {}", out.display());
}

/// A rate such as "62,2 %": digits, a decimal comma, one digit, a space, a percent sign.
fn regex_like_percent(s: &str) -> bool {
    s.as_bytes().windows(6).any(|w| w[0].is_ascii_digit() && w[1] == b',' && w[2].is_ascii_digit() && w[3] == b' ' && w[4] == b'%')
        || s.contains(",0 %")
}
