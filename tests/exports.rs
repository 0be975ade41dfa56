//! The exports of the pages, read back by real readers: the CSV (byte-order mark, Vietnamese headers,
//! formula injection guarded) and the Excel workbooks through Python's openpyxl (`scripts/test`
//! installs it when missing). The machine-readable API CSV keeps its own format.

mod common;

use common::{create_token, seed_registry, Backend, TestDb, TestServer};
use dvc_monitor::domain::{Unit, UnitKind};
use dvc_monitor::Settings;
use serde_json::{json, Value};
use std::process::Command;

const NOW: &str = "2026-12-16T00:00:00+07:00";
const EVIL: &str = "=HYPERLINK(\"http://attacker.invalid\",\"Bấm vào\")";

/// A November dossier of `unit`: received and returned, fully online or not at the given step.
fn dossier(code: &str, unit: &str, channel: &str, delivery: &str, payment: Option<&str>) -> Vec<Value> {
    let mut received = json!({"id": format!("{code}-r"), "dossier": code, "unit": unit, "procedure": "1.001612",
        "status": "received", "at": "2026-11-05T08:00:00+07:00", "channel": channel});
    if let Some(p) = payment {
        received["payment"] = json!(p);
    }
    let returned = json!({"id": format!("{code}-t"), "dossier": code, "unit": unit, "procedure": "1.001612",
        "status": "returned", "at": "2026-11-07T10:00:00+07:00", "result_delivery": delivery});
    vec![received, returned]
}

async fn server() -> TestServer {
    let db = TestDb::new(Backend::Sqlite).await;
    seed_registry(db.store.as_ref()).await;
    // A unit whose name a spreadsheet would run as a formula.
    db.store
        .upsert_units(&[Unit { code: "31-EVIL".into(), name: EVIL.into(), kind: UnitKind::Department, parent: Some("31".into()) }])
        .await
        .unwrap();
    let token = create_token(db.store.as_ref(), "igate-hp", &["31"]).await;
    let server = TestServer::start(db, NOW, Settings::default()).await;
    let mut events = Vec::new();
    // Sở Tư pháp 8/10: two results collected in person.
    for i in 0..10 {
        let delivery = if i < 8 { "online" } else { "in_person" };
        events.extend(dossier(&format!("STP-{i}"), "31-STP", "online", delivery, None));
    }
    // Sở Y tế 3/10: four submitted at the counter, two fees paid at the counter, one both.
    for i in 0..10 {
        let (channel, payment) = match i {
            0..=2 => ("online", None),
            3..=6 => ("in_person", None),
            7 | 8 => ("online", Some("offline")),
            _ => ("in_person", Some("offline")),
        };
        events.extend(dossier(&format!("SYT-{i}"), "31-SYT", channel, "online", payment));
    }
    let (status, body) = server.post(&token, "application/json", serde_json::to_string(&events).unwrap()).await;
    assert_eq!((status, body["accepted"].as_u64()), (200, Some(events.len() as u64)), "{body}");
    server
}

async fn get_bytes(server: &TestServer, path: &str) -> (u16, String, String, Vec<u8>) {
    let r = server.client.get(server.url(path)).send().await.unwrap();
    let header = |h: &str| r.headers().get(h).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    let (ct, cd) = (header("content-type"), header("content-disposition"));
    (r.status().as_u16(), ct, cd, r.bytes().await.unwrap().to_vec())
}

/// The CSV without its byte-order mark, as records.
fn records(bytes: &[u8]) -> Vec<Vec<String>> {
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "no UTF-8 byte-order mark");
    let mut r = csv::ReaderBuilder::new().has_headers(false).from_reader(&bytes[3..]);
    r.records().map(|x| x.unwrap().iter().map(str::to_string).collect()).collect()
}

fn openpyxl(bytes: &[u8]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.xlsx");
    std::fs::write(&path, bytes).unwrap();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/xlsx/dump.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(&path)
        .output()
        .expect("python3 is needed to read the workbook (scripts/test installs openpyxl)");
    assert!(
        out.status.success(),
        "openpyxl could not read the workbook (pip install openpyxl; scripts/test does it): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A row's values, numbers as floats (openpyxl gives -20 for -20.0).
fn values(row: &Value) -> Vec<Value> {
    row.as_array().unwrap().iter().map(|c| norm(c["v"].clone())).collect()
}

fn norm(v: Value) -> Value {
    match v.as_f64() {
        Some(f) if v.is_number() => json!(f),
        _ => v,
    }
}

fn cells(expected: &[Value]) -> Vec<Value> {
    expected.iter().cloned().map(norm).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn league_and_unit_exports() {
    let server = server().await;
    let query = "month=2026-11&kind=department&parent=31";

    // League CSV: the page's order (ranked, then the others by name), Vietnamese headers and figures.
    let (status, ct, cd, bytes) = get_bytes(&server, &format!("/export/league.csv?{query}")).await;
    assert_eq!(status, 200);
    assert_eq!(ct, "text/csv; charset=utf-8");
    assert!(cd.starts_with("attachment; filename=\"xep-hang-2026-11-department-completion-31.csv\""), "{cd}");
    let rows = records(&bytes);
    assert_eq!(
        rows[0][..11],
        ["Hạng", "Đơn vị", "Mã đơn vị", "Số hồ sơ", "Hồ sơ toàn trình", "Tỷ lệ", "Chỉ tiêu", "Chênh lệch", "Trạng thái", "So với tháng trước", "Thay đổi hạng"]
    );
    assert_eq!(rows[0].len(), 11 + 12 + 1);
    assert_eq!(rows[0][23], "Tỉnh, thành phố");
    assert_eq!(rows[1][23], "Thành phố Hải Phòng");
    assert_eq!(rows[0][11], "Tỷ lệ 12/2025");
    assert_eq!(rows[0][22], "Tỷ lệ 11/2026");
    assert_eq!(rows[1][..9], ["1", "Sở Tư pháp", "31-STP", "10", "8", "80,0 %", "70,0 %", "10,0 đ.%", "Đạt"]);
    assert_eq!(rows[2][..9], ["2", "Sở Y tế", "31-SYT", "10", "3", "30,0 %", "50,0 %", "−20,0 đ.%", "Không đạt"]);
    assert_eq!(rows[1][22], "80,0 %");
    assert_eq!(rows[1][21], "", "no dossiers in October: an empty cell");
    // The unranked, by name in Vietnamese order (punctuation ignored: "=HYPERLINK…" sorts as "hyperlink").
    let unranked: Vec<&str> = rows[3..].iter().map(|r| r[2].as_str()).collect();
    assert_eq!(unranked, ["31-EVIL", "31-SCT", "31-SNV", "31-SXD"]);
    assert_eq!(rows[3][1], format!("'{EVIL}"), "formula injection is neutralised");
    assert_eq!(rows[3][0], "");

    // The same search as the page.
    let (_, _, _, bytes) = get_bytes(&server, &format!("/export/league.csv?{query}&q=y+te")).await;
    let rows = records(&bytes);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1][1], "Sở Y tế");

    // League workbook, read by openpyxl.
    let (status, ct, _, bytes) = get_bytes(&server, &format!("/export/league.xlsx?{query}")).await;
    assert_eq!(status, 200);
    assert_eq!(ct, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    let book = openpyxl(&bytes);
    let sheet = &book["sheets"][0];
    assert_eq!(sheet["name"], "Xếp hạng 11-2026");
    assert_eq!(sheet["freeze"], "A2");
    let rows = sheet["rows"].as_array().unwrap();
    assert_eq!(values(&rows[0])[..9], cells(&[json!("Hạng"), json!("Đơn vị"), json!("Mã đơn vị"), json!("Số hồ sơ"), json!("Hồ sơ toàn trình"), json!("Tỷ lệ"), json!("Chỉ tiêu"), json!("Chênh lệch"), json!("Trạng thái")])[..]);
    let stp = &rows[1];
    assert_eq!(values(stp)[..5], cells(&[json!(1), json!("Sở Tư pháp"), json!("31-STP"), json!(10), json!(8)])[..]);
    assert_eq!((stp[5]["v"].as_f64(), stp[5]["t"].as_str(), stp[5]["f"].as_str()), (Some(0.8), Some("n"), Some("0.0%")));
    assert_eq!(stp[6]["v"].as_f64(), Some(0.7));
    assert_eq!(stp[7]["v"].as_f64(), Some(10.0), "the gap in points");
    assert_eq!(stp[8]["v"], "Đạt");
    let evil = &rows[3];
    assert_eq!((evil[1]["v"].as_str(), evil[1]["t"].as_str()), (Some(EVIL), Some("s")), "a string cell, never a formula");
    assert!(rows.iter().flat_map(|r| r.as_array().unwrap()).all(|c| c["t"] != "f"), "no formula anywhere");

    // The unit's workbook: every table of its page, a sheet each.
    let (status, _, cd, bytes) = get_bytes(&server, "/export/units/31-SYT.xlsx?month=2026-11").await;
    assert_eq!(status, 200);
    assert!(cd.contains("don-vi-31-SYT-2026-11.xlsx"), "{cd}");
    let book = openpyxl(&bytes);
    let names: Vec<&str> = book["sheets"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Chỉ số", "12 tháng", "Nâng tỷ lệ", "Theo thủ tục"]);
    let sheet = |i: usize| book["sheets"][i]["rows"].as_array().unwrap().clone();
    let indicators = sheet(0);
    assert_eq!(values(&indicators[1])[..7], cells(&[json!("Tỷ lệ hồ sơ trực tuyến toàn trình"), json!(3), json!(10), json!(0.3), json!(0.5), json!(-20.0), json!("Không đạt")])[..]);
    assert_eq!(sheet(1).len(), 1 + 3 * 12);
    // What would raise the rate: 4 only submitted offline, 2 only fee offline, 1 both; +40, +20, +10 points.
    let raise = sheet(2);
    assert_eq!(values(&raise[0]), cells(&[json!("Phạm vi"), json!("Mã thủ tục"), json!("Bước bị lỗi"), json!("Chỉ lỗi bước này"), json!("Có lỗi bước này"), json!("Tỷ lệ tăng thêm nếu khắc phục")])[..]);
    let unit_rows: Vec<Vec<Value>> = raise[1..6].iter().map(values).collect();
    assert_eq!(unit_rows[0], cells(&[json!("Toàn đơn vị"), Value::Null, json!("Không nộp trực tuyến"), json!(4), json!(5), json!(40.0)])[..]);
    assert_eq!(unit_rows[1][2..], cells(&[json!("Nhận kết quả trực tiếp"), json!(0), json!(0), json!(0.0)])[..]);
    assert_eq!(unit_rows[2][2..], cells(&[json!("Nộp phí, lệ phí trực tiếp"), json!(2), json!(3), json!(20.0)])[..]);
    assert_eq!(unit_rows[3][2..], cells(&[json!("Lỗi từ hai bước trở lên"), json!(1), Value::Null, json!(10.0)])[..]);
    assert_eq!(unit_rows[4][2..], cells(&[json!("Tất cả hồ sơ chưa toàn trình"), json!(7), Value::Null, json!(70.0)])[..]);
    assert_eq!(values(&sheet(3)[1])[..6], cells(&[json!("1.001612"), json!("Cấp phiếu lý lịch tư pháp"), json!("Toàn trình"), json!(3), json!(10), json!(0.3)])[..]);

    // One table of the unit as CSV.
    let (status, _, _, bytes) = get_bytes(&server, "/export/units/31-SYT.csv?month=2026-11&table=shortfalls").await;
    assert_eq!(status, 200);
    let rows = records(&bytes);
    assert_eq!(rows[1], ["Toàn đơn vị", "", "Không nộp trực tuyến", "4", "5", "40,0 đ.%"]);
    let (_, _, _, bytes) = get_bytes(&server, "/export/units/31-SYT.csv?month=2026-11").await;
    assert_eq!(records(&bytes)[0][0], "Mã thủ tục", "procedures by default");

    // Errors.
    assert_eq!(get_bytes(&server, "/export/units/NOPE.csv").await.0, 404);
    assert_eq!(get_bytes(&server, "/export/units/31-SYT.pdf").await.0, 404);
    assert_eq!(get_bytes(&server, "/export/units/31-SYT.csv?table=everything").await.0, 400);
    assert_eq!(get_bytes(&server, "/export/league.csv?month=2026-13").await.0, 400);

    // The machine-readable API CSV is untouched: no byte-order mark, English columns.
    let (_, _, _, bytes) = get_bytes(&server, &format!("/api/v1/league?{query}&format=csv")).await;
    assert!(bytes.starts_with(b"rank,unit,name,numerator,denominator,rate,target,gap,status,rate_change,rank_change\n"));
}
