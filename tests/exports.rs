//! The exports of the pages, read back by real readers, as an official who forwards them would: the
//! people's CSV (byte-order mark, Vietnamese headers, codes kept as text, formula injection guarded)
//! also through LibreOffice, the machines' CSV (`format=data`), and the Excel workbooks through Python's
//! openpyxl (titles, page setup, status fills, totals) and converted to PDF by LibreOffice (pages
//! counted with poppler's `pdfinfo`, read with `pdftotext`; the PDFs and a PNG of the league's page go to
//! `target/screenshots/`). `scripts/test` installs openpyxl, LibreOffice Calc and poppler when missing.

mod common;

use common::{create_token, seed_registry, Backend, TestDb, TestServer};
use std::path::{Path, PathBuf};
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

async fn server(backend: Backend) -> TestServer {
    let db = TestDb::new(backend).await;
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

/// The rows of a sheet from the header row on (the title lines are above it).
const HEADER: usize = 5;

fn rows_of(sheet: &Value) -> Vec<Value> {
    sheet["rows"].as_array().unwrap().clone()
}

/// The first cell of each title line.
fn titles(sheet: &Value) -> Vec<String> {
    rows_of(sheet)[..4].iter().map(|r| r[0]["v"].as_str().unwrap_or_default().to_string()).collect()
}

/// Page setup as an official prints it: A4 landscape, one page wide, the header row on every page.
fn assert_printable(sheet: &Value) {
    let name = &sheet["name"];
    assert_eq!(sheet["orientation"], "landscape", "{name}");
    assert_eq!(sheet["paper"].to_string().trim_matches('"'), "9", "{name}: A4");
    // An absent fitToWidth is 1 (the OOXML default), which openpyxl reads as none.
    let fit = (sheet["fit_to_page"].as_bool(), sheet["fit_width"].as_i64().unwrap_or(1), sheet["fit_height"].as_i64());
    assert_eq!(fit, (Some(true), 1, Some(0)), "{name}: one page wide");
    assert_eq!(sheet["print_titles"], "$6:$6", "{name}: the header row repeats");
    assert_eq!(sheet["freeze"], "A7", "{name}: frozen below the header row");
    assert!(sheet["footer"].as_str().unwrap().contains("Trang &P/&N"), "{name}: {}", sheet["footer"]);
    assert!(sheet["footer"].as_str().unwrap().starts_with("Nguồn: dvc-monitor, xuất lúc 00:00 16/12/2026"), "{name}: {}", sheet["footer"]);
    assert!(!sheet["header"].as_str().unwrap().is_empty(), "{name}: a page header");
    let rows = rows_of(sheet);
    assert!(rows.iter().flat_map(|r| r.as_array().unwrap()).all(|c| c["t"] != "f"), "{name}: no formula anywhere");
}

/// The fill of a status cell, by the status it names.
fn fill_of(status: &str) -> &'static str {
    match status {
        "Đạt" | "Đúng tiến độ" => "FFDCEFE1",
        "Có nguy cơ không đạt" => "FFFBE9CF",
        "Không đạt" | "Không thể đạt" => "FFF9DCDD",
        _ => "FFE8EAED",
    }
}

async fn league_and_unit_exports(backend: Backend) {
    let server = server(backend).await;
    let query = "month=2026-11&kind=department&parent=31";

    // League CSV for people: the page's order (ranked, then the others by name), Vietnamese headers and
    // figures, codes after a tab, a total row.
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
    assert_eq!(rows[1][..9], ["1", "Sở Tư pháp", "\t31-STP", "10", "8", "80,0 %", "70,0 %", "10,0 đ.%", "Đạt"]);
    assert_eq!(rows[2][..9], ["2", "Sở Y tế", "\t31-SYT", "10", "3", "30,0 %", "50,0 %", "−20,0 đ.%", "Không đạt"]);
    assert_eq!(rows[1][22], "80,0 %");
    assert_eq!(rows[1][21], "", "no dossiers in October: an empty cell");
    // The unranked, by name in Vietnamese order (punctuation ignored: "=HYPERLINK…" sorts as "hyperlink").
    let (total, units) = rows[1..].split_last().unwrap();
    let unranked: Vec<&str> = units[2..].iter().map(|r| r[2].as_str()).collect();
    assert_eq!(unranked, ["\t31-EVIL", "\t31-SCT", "\t31-SNV", "\t31-SXD"]);
    assert_eq!(units[2][1], format!("'{EVIL}"), "formula injection is neutralised");
    assert_eq!(units[2][0], "");
    // The total: sums of the rows, the rate of the sums (11/20, not the mean of 80 % and 30 %).
    assert_eq!(total[..9], ["", "Tổng cộng (6 đơn vị)", "", "20", "11", "55,0 %", "", "", "Đạt: 1; Không đạt: 1; Chưa đủ dữ liệu: 4"]);
    assert_eq!(total[22], "55,0 %");

    // The same search as the page.
    let (_, _, _, bytes) = get_bytes(&server, &format!("/export/league.csv?{query}&q=y+te")).await;
    let rows = records(&bytes);
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[1][1], "Sở Y tế");
    assert_eq!(rows[2][1], "Tổng cộng (1 đơn vị)");

    // The machines' CSV: the API's keys, decimals with a dot, statuses as keys, codes as they are.
    let (status, _, cd, bytes) = get_bytes(&server, &format!("/export/league.csv?{query}&format=data")).await;
    assert_eq!(status, 200);
    assert!(cd.contains("xep-hang-2026-11-department-completion-31-data.csv"), "{cd}");
    assert!(!bytes.starts_with(b"\xEF\xBB\xBF"), "no byte-order mark for machines");
    let mut reader = csv::Reader::from_reader(&bytes[..]);
    let keys: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    assert_eq!(keys[..11], ["rank", "name", "unit", "denominator", "numerator", "rate", "target", "gap", "status", "rate_change", "rank_change"]);
    assert_eq!((keys[11].as_str(), keys[22].as_str(), keys[23].as_str()), ("rate_2025-12", "rate_2026-11", "province"));
    let data: Vec<Vec<String>> = reader.records().map(|r| r.unwrap().iter().map(str::to_string).collect()).collect();
    assert_eq!(data.len(), 6, "no total row for machines");
    assert_eq!(data[0][..11], ["1", "Sở Tư pháp", "31-STP", "10", "8", "0.8", "0.7", "0.1", "met", "", ""]);
    assert_eq!(data[1][..9], ["2", "Sở Y tế", "31-SYT", "10", "3", "0.3", "0.5", "-0.2", "behind"]);
    assert_eq!(data[2][..3], ["", format!("'{EVIL}").as_str(), "31-EVIL"]);
    assert_eq!(data[2][8], "insufficient_data");
    assert_eq!(get_bytes(&server, &format!("/export/league.csv?{query}&format=xml")).await.0, 400);

    // League workbook, read by openpyxl: titles, the table, the total, colours, page setup.
    let (status, ct, _, bytes) = get_bytes(&server, &format!("/export/league.xlsx?{query}")).await;
    assert_eq!(status, 200);
    assert_eq!(ct, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    let book = openpyxl(&bytes);
    let names: Vec<&str> = book["sheets"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Xếp hạng 11-2026", "Tỷ lệ 12 tháng"]);
    let sheet = &book["sheets"][0];
    assert_eq!(
        titles(sheet),
        [
            "Bảng xếp hạng Sở, ban, ngành: Tỷ lệ hồ sơ trực tuyến toàn trình",
            "Địa bàn: Thành phố Hải Phòng",
            "Kỳ báo cáo: tháng 11/2026 — kỳ đã kết thúc",
            "Nguồn: dvc-monitor, xuất lúc 00:00 16/12/2026",
        ]
    );
    assert_printable(sheet);
    assert_eq!(sheet["filter"], "A6:K12", "filters on the table only, not the titles or the total");
    let rows = rows_of(sheet);
    assert_eq!(values(&rows[HEADER])[..9], cells(&[json!("Hạng"), json!("Đơn vị"), json!("Mã đơn vị"), json!("Số hồ sơ"), json!("Hồ sơ toàn trình"), json!("Tỷ lệ"), json!("Chỉ tiêu"), json!("Chênh lệch"), json!("Trạng thái")])[..]);
    assert_eq!(rows[HEADER].as_array().unwrap().len(), 11, "a province's table leaves its province to the titles");
    let stp = &rows[HEADER + 1];
    assert_eq!(values(stp)[..5], cells(&[json!(1), json!("Sở Tư pháp"), json!("31-STP"), json!(10), json!(8)])[..]);
    assert_eq!((stp[2]["t"].as_str(), stp[2]["f"].as_str()), (Some("s"), Some("@")), "codes are text");
    assert_eq!((stp[5]["v"].as_f64(), stp[5]["t"].as_str(), stp[5]["f"].as_str()), (Some(0.8), Some("n"), Some("0.0%")));
    assert_eq!(stp[6]["v"].as_f64(), Some(0.7));
    assert_eq!(stp[7]["v"].as_f64(), Some(10.0), "the gap in points");
    let table = &rows[HEADER + 1..HEADER + 7];
    for row in table {
        let status = row[8]["v"].as_str().unwrap();
        assert_eq!(row[8]["fill"], fill_of(status), "{status}: filled in the page's colour");
        assert_eq!(row[8]["bold"], true);
    }
    assert_eq!((table[0][8]["v"].as_str(), table[1][8]["v"].as_str(), table[2][8]["v"].as_str()), (Some("Đạt"), Some("Không đạt"), Some("Chưa đủ dữ liệu")));
    let evil = &rows[HEADER + 3];
    assert_eq!((evil[1]["v"].as_str(), evil[1]["t"].as_str()), (Some(EVIL), Some("s")), "a string cell, never a formula");
    // Names never cut: the name column is as wide as the longest name (up to the cap, then wrapped).
    let width = sheet["widths"]["B"].as_f64().unwrap();
    assert!(width >= EVIL.chars().count() as f64 && width <= 60.0, "{width}");
    // The total row: the sums of the rows above it and the rate of the sums.
    let total = &rows[HEADER + 7];
    let sum = |c: usize| table.iter().map(|r| r[c]["v"].as_f64().unwrap_or(0.0)).sum::<f64>();
    assert_eq!(total[1]["v"], "Tổng cộng (6 đơn vị)");
    assert_eq!((total[3]["v"].as_f64(), total[4]["v"].as_f64()), (Some(sum(3)), Some(sum(4))));
    assert_eq!(total[5]["v"].as_f64(), Some(sum(4) / sum(3)));
    assert_eq!(total[8]["v"], "Đạt: 1\nKhông đạt: 1\nChưa đủ dữ liệu: 4");
    assert!(total.as_array().unwrap().iter().all(|c| c["bold"] == true));
    assert_eq!(rows.len(), HEADER + 8);
    // The rates of the twelve months, with their total row.
    let history = &book["sheets"][1];
    assert_printable(history);
    assert_eq!(titles(history)[0], "Bảng xếp hạng Sở, ban, ngành: Tỷ lệ hồ sơ trực tuyến toàn trình, 12 tháng đến tháng 11/2026");
    let rows = rows_of(history);
    assert_eq!(values(&rows[HEADER])[..3], cells(&[json!("Đơn vị"), json!("Mã đơn vị"), json!("Tỷ lệ 12/2025")])[..]);
    assert_eq!(values(&rows[HEADER + 1])[13], json!(0.8));
    assert_eq!(values(&rows[HEADER + 7])[13], json!(0.55));

    // Nationwide, the ranking names each unit's province; the provinces' own table does not repeat it.
    for (query, last) in [("kind=department", "Tỉnh, thành phố"), ("kind=province", "Thay đổi hạng")] {
        let (status, _, _, bytes) = get_bytes(&server, &format!("/export/league.xlsx?month=2026-11&{query}")).await;
        assert_eq!(status, 200);
        let sheet = &openpyxl(&bytes)["sheets"][0];
        assert_eq!(titles(sheet)[1], "Địa bàn: Toàn quốc", "{query}");
        assert_eq!(rows_of(sheet)[HEADER].as_array().unwrap().last().unwrap()["v"], last, "{query}");
    }

    // The unit's workbook: every table of its page, a sheet each, each naming the unit.
    let (status, _, cd, bytes) = get_bytes(&server, "/export/units/31-SYT.xlsx?month=2026-11").await;
    assert_eq!(status, 200);
    assert!(cd.contains("don-vi-31-SYT-2026-11.xlsx"), "{cd}");
    let book = openpyxl(&bytes);
    let names: Vec<&str> = book["sheets"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Chỉ số", "12 tháng", "Nâng tỷ lệ", "Theo thủ tục"]);
    for s in book["sheets"].as_array().unwrap() {
        assert_printable(s);
        let t = titles(s);
        assert!(t[0].starts_with("Sở Y tế (31-SYT): "), "{t:?}");
        assert_eq!(t[1..], ["Địa bàn: Thành phố Hải Phòng", "Kỳ báo cáo: tháng 11/2026 — kỳ đã kết thúc", "Nguồn: dvc-monitor, xuất lúc 00:00 16/12/2026"]);
    }
    let sheet = |i: usize| rows_of(&book["sheets"][i]);
    let indicators = sheet(0);
    assert_eq!(values(&indicators[HEADER + 1])[..7], cells(&[json!("Tỷ lệ hồ sơ trực tuyến toàn trình"), json!(3), json!(10), json!(0.3), json!(0.5), json!(-20.0), json!("Không đạt")])[..]);
    assert_eq!(indicators[HEADER + 1][6]["fill"], "FFF9DCDD");
    assert_eq!(sheet(1).len(), HEADER + 1 + 3 * 12);
    // What would raise the rate: 4 only submitted offline, 2 only fee offline, 1 both; +40, +20, +10 points.
    let raise = sheet(2);
    assert_eq!(values(&raise[HEADER]), cells(&[json!("Phạm vi"), json!("Mã thủ tục"), json!("Bước bị lỗi"), json!("Chỉ lỗi bước này"), json!("Có lỗi bước này"), json!("Tỷ lệ tăng thêm nếu khắc phục")])[..]);
    let unit_rows: Vec<Vec<Value>> = raise[HEADER + 1..HEADER + 6].iter().map(values).collect();
    assert_eq!(unit_rows[0], cells(&[json!("Toàn đơn vị"), Value::Null, json!("Không nộp trực tuyến"), json!(4), json!(5), json!(40.0)])[..]);
    assert_eq!(unit_rows[1][2..], cells(&[json!("Nhận kết quả trực tiếp"), json!(0), json!(0), json!(0.0)])[..]);
    assert_eq!(unit_rows[2][2..], cells(&[json!("Nộp phí, lệ phí trực tiếp"), json!(2), json!(3), json!(20.0)])[..]);
    assert_eq!(unit_rows[3][2..], cells(&[json!("Lỗi từ hai bước trở lên"), json!(1), Value::Null, json!(10.0)])[..]);
    assert_eq!(unit_rows[4][2..], cells(&[json!("Tất cả hồ sơ chưa toàn trình"), json!(7), Value::Null, json!(70.0)])[..]);
    let procedures = sheet(3);
    assert_eq!(values(&procedures[HEADER + 1])[..6], cells(&[json!("1.001612"), json!("Cấp phiếu lý lịch tư pháp"), json!("Toàn trình"), json!(3), json!(10), json!(0.3)])[..]);
    assert_eq!(procedures[HEADER + 1][0]["t"], "s", "a procedure code stays text");
    // Processing time: received on the 5th at 08:00, returned on the 7th at 10:00, all ten: 2.1 days.
    assert_eq!(values(&procedures[HEADER])[10..], cells(&[json!("Thời gian xử lý TB (ngày)"), json!("Hồ sơ tính thời gian")])[..]);
    assert_eq!(values(&procedures[HEADER + 1])[10..], cells(&[json!(2.1), json!(10)])[..]);
    assert_eq!(values(&procedures[HEADER + 2])[10..], cells(&[json!(2.1), json!(10)])[..], "the total row");
    assert_eq!(values(&procedures[HEADER + 2])[1..6], cells(&[json!("Tổng cộng (1 thủ tục)"), Value::Null, json!(3), json!(10), json!(0.3)])[..]);

    // One table of the unit as CSV, for people and for machines.
    let (status, _, _, bytes) = get_bytes(&server, "/export/units/31-SYT.csv?month=2026-11&table=shortfalls").await;
    assert_eq!(status, 200);
    let rows = records(&bytes);
    assert_eq!(rows[1], ["Toàn đơn vị", "", "Không nộp trực tuyến", "4", "5", "40,0 đ.%"]);
    let (_, _, _, bytes) = get_bytes(&server, "/export/units/31-SYT.csv?month=2026-11").await;
    let rows = records(&bytes);
    assert_eq!(rows[0][0], "Mã thủ tục", "procedures by default");
    assert_eq!(rows[1][..3], ["\t1.001612", "Cấp phiếu lý lịch tư pháp", "Toàn trình"]);
    assert_eq!(rows[2][1], "Tổng cộng (1 thủ tục)");
    let (status, _, cd, bytes) = get_bytes(&server, "/export/units/31-SYT.csv?month=2026-11&format=data").await;
    assert_eq!(status, 200);
    assert!(cd.contains("don-vi-31-SYT-2026-11-procedures-data.csv"), "{cd}");
    let text = String::from_utf8(bytes).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines, [
        "procedure,name,level,completion_numerator,completion_denominator,completion_rate,intake_numerator,intake_denominator,on_time_numerator,on_time_denominator,processing_average_days,processing_dossiers",
        "1.001612,Cấp phiếu lý lịch tư pháp,full,3,10,0.3,5,10,0,0,2.083333,10",
    ]);
    let (_, _, _, bytes) = get_bytes(&server, "/export/units/31-SYT.csv?month=2026-11&table=indicators&format=data").await;
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.starts_with("indicator,numerator,denominator,rate,target,gap,status,target_source\ncompletion,3,10,0.3,0.5,-0.2,behind,"), "{text}");

    // Errors.
    assert_eq!(get_bytes(&server, "/export/units/NOPE.csv").await.0, 404);
    assert_eq!(get_bytes(&server, "/export/units/31-SYT.pdf").await.0, 404);
    assert_eq!(get_bytes(&server, "/export/units/31-SYT.csv?table=everything").await.0, 400);
    assert_eq!(get_bytes(&server, "/export/units/31-SYT.csv?format=json").await.0, 400);
    assert_eq!(get_bytes(&server, "/export/league.csv?month=2026-13").await.0, 400);

    // The machine-readable API CSV is untouched: no byte-order mark, English columns.
    let (_, _, _, bytes) = get_bytes(&server, &format!("/api/v1/league?{query}&format=csv")).await;
    assert!(bytes.starts_with(b"rank,unit,name,numerator,denominator,rate,target,gap,status,rate_change,rank_change\n"));
}

/// Fifteen departments of a city, as a monthly meeting has them: long names, every status.
const DEPARTMENTS: [&str; 14] = [
    "Sở Nông nghiệp và Môi trường",
    "Sở Văn hóa, Thể thao và Du lịch",
    "Sở Khoa học và Công nghệ",
    "Sở Giáo dục và Đào tạo",
    "Sở Tài chính",
    "Sở Xây dựng",
    "Sở Công Thương",
    "Sở Nội vụ",
    "Sở Y tế",
    "Sở Dân tộc và Tôn giáo",
    "Sở Quy hoạch - Kiến trúc",
    "Thanh tra thành phố",
    "Ban Quản lý các khu công nghiệp và chế xuất Hà Nội",
    "Văn phòng Ủy ban nhân dân thành phố",
];

async fn fifteen_departments(backend: Backend) -> TestServer {
    let db = TestDb::new(backend).await;
    seed_registry(db.store.as_ref()).await;
    let mut units: Vec<Unit> = DEPARTMENTS
        .iter()
        .enumerate()
        .map(|(i, name)| Unit { code: format!("01-D{i:02}"), name: name.to_string(), kind: UnitKind::Department, parent: Some("01".into()) })
        .collect();
    for (code, name) in [("00070", "Phường Ba Đình"), ("00004", "Phường Ngọc Hà")] {
        units.push(Unit { code: code.into(), name: name.into(), kind: UnitKind::Commune, parent: Some("01".into()) });
    }
    db.store.upsert_units(&units).await.unwrap();
    let token = create_token(db.store.as_ref(), "igate-hn", &["01"]).await;
    let server = TestServer::start(db, NOW, Settings::default()).await;
    // Twenty dossiers each, from 20 fully online down (the last two departments: four dossiers, too few).
    let mut events = Vec::new();
    let codes: Vec<String> = std::iter::once("01-STP".to_string()).chain((0..DEPARTMENTS.len()).map(|i| format!("01-D{i:02}"))).collect();
    for (u, code) in codes.iter().enumerate() {
        let count = if u >= 13 { 4 } else { 20 };
        for d in 0..count {
            let delivery = if d < 20 - u { "online" } else { "in_person" };
            events.extend(dossier(&format!("{code}-{d}"), code, "online", delivery, None));
        }
    }
    for (i, code) in ["00070", "00004"].iter().enumerate() {
        for d in 0..12 {
            events.extend(dossier(&format!("X{i}-{d}"), code, "online", if d < 6 + i { "online" } else { "in_person" }, None));
        }
    }
    let (status, body) = server.post(&token, "application/json", serde_json::to_string(&events).unwrap()).await;
    assert_eq!((status, body["accepted"].as_u64()), (200, Some(events.len() as u64)), "{body}");
    server
}

fn screenshots() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(cmd: &mut Command, what: &str) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what} is needed (scripts/test installs it): {e}"));
    assert!(out.status.success(), "{what} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Converts `file` with LibreOffice (a profile of its own, so that tests may convert at once) into `to`
/// next to it; returns the converted file.
fn libreoffice(file: &Path, to: &str, infilter: Option<&str>) -> PathBuf {
    let profile = tempfile::tempdir().unwrap();
    let mut cmd = Command::new("libreoffice");
    cmd.arg(format!("-env:UserInstallation=file://{}", profile.path().display())).arg("--headless");
    if let Some(f) = infilter {
        cmd.arg(format!("--infilter={f}"));
    }
    let dir = file.parent().unwrap();
    run(cmd.arg("--convert-to").arg(to).arg("--outdir").arg(dir).arg(file), "libreoffice (libreoffice-calc)");
    let out = file.with_extension(to.split(':').next().unwrap());
    assert!(out.exists(), "LibreOffice wrote no {}", out.display());
    out
}

/// Each page of a PDF: its size in points, and its text.
fn pdf_pages(pdf: &Path) -> Vec<((f64, f64), String)> {
    let info = run(Command::new("pdfinfo").args(["-f", "1", "-l", "999"]).arg(pdf), "pdfinfo (poppler-utils)");
    info.lines()
        .filter(|l| l.starts_with("Page") && l.contains(" size: "))
        .enumerate()
        .map(|(i, l)| {
            let size: Vec<f64> = l.split(" size: ").nth(1).unwrap().split_whitespace().filter_map(|w| w.parse().ok()).take(2).collect();
            let page = (i + 1).to_string();
            let text = run(Command::new("pdftotext").args(["-layout", "-f", &page, "-l", &page]).arg(pdf).arg("-"), "pdftotext (poppler-utils)");
            ((size[0], size[1]), text)
        })
        .collect()
}

/// A4 landscape, in points.
fn assert_a4_landscape(pages: &[((f64, f64), String)], what: &str) {
    for ((w, h), _) in pages {
        assert!((w - 841.9).abs() < 1.0 && (h - 595.3).abs() < 1.0, "{what}: a page of {w} × {h} pt is not A4 landscape");
    }
}

async fn print_layout(backend: Backend) {
    let server = fifteen_departments(backend).await;
    let out = screenshots();
    let tag = format!("{backend:?}").to_lowercase();

    // The fifteen departments' league: the ranking is one A4 landscape page with every column (the last,
    // "Thay đổi hạng", wraps its header), every unit and the total; the rates of the twelve months one more.
    let (status, _, _, bytes) = get_bytes(&server, "/export/league.xlsx?month=2026-11&kind=department&parent=01").await;
    assert_eq!(status, 200);
    let book = openpyxl(&bytes);
    let rows = rows_of(&book["sheets"][0]);
    assert_eq!(rows.len(), HEADER + 1 + 15 + 1);
    let statuses: Vec<&str> = rows[HEADER + 1..HEADER + 16].iter().map(|r| r[8]["v"].as_str().unwrap()).collect();
    assert!(statuses.contains(&"Đạt") && statuses.contains(&"Không đạt") && statuses.contains(&"Chưa đủ dữ liệu"), "{statuses:?}");
    let xlsx = out.join(format!("export-league-15-departments-{tag}.xlsx"));
    std::fs::write(&xlsx, &bytes).unwrap();
    let pdf = libreoffice(&xlsx, "pdf", None);
    let pages = pdf_pages(&pdf);
    assert_a4_landscape(&pages, "league");
    assert_eq!(pages.len(), 2, "the ranking and the twelve months, a page each");
    let first = &pages[0].1;
    for text in ["Bảng xếp hạng Sở, ban, ngành", "Địa bàn: Thành phố Hà Nội", "Nguồn: dvc-monitor", "Hạng", "Thay đổi", "Tổng cộng (15 đơn vị)", "Trang 1/"] {
        assert!(first.contains(text), "page 1 lacks {text:?}:\n{first}");
    }
    for name in DEPARTMENTS.iter().chain(["Sở Tư pháp Hà Nội"].iter()) {
        assert!(first.contains(name), "page 1 lacks {name:?} (cut or on another page):\n{first}");
    }
    assert!(pages[1].1.contains("11/2026") && pages[1].1.contains("Tổng cộng (15 đơn vị)"), "{}", pages[1].1);
    // A picture of the printed page, to look at.
    run(
        Command::new("pdftoppm").args(["-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile"]).arg(&pdf).arg(out.join(format!("export-league-15-departments-{tag}"))),
        "pdftoppm (poppler-utils)",
    );

    // The unit's workbook: its main sheet (indicators) one page wide with every column, and each sheet on
    // pages of its own, all A4 landscape.
    let (status, _, _, bytes) = get_bytes(&server, "/export/units/01-D12.xlsx?month=2026-11").await;
    assert_eq!(status, 200);
    let xlsx = out.join(format!("export-unit-{tag}.xlsx"));
    std::fs::write(&xlsx, &bytes).unwrap();
    let pages = pdf_pages(&libreoffice(&xlsx, "pdf", None));
    assert_a4_landscape(&pages, "unit");
    let first = &pages[0].1;
    for text in ["Ban Quản lý các khu công nghiệp và chế xuất Hà Nội (01-D12): các chỉ số", "Chỉ số", "Nguồn chỉ", "Tỷ lệ tiếp nhận trực tuyến", "Tỷ lệ giải quyết đúng hạn", "Địa bàn: Thành phố Hà Nội"] {
        assert!(first.contains(text), "page 1 lacks {text:?}:\n{first}");
    }
    for (title, last_column) in [("12 tháng đến", "Trạng thái"), ("hồ sơ chưa toàn trình", "Tỷ lệ tăng"), ("theo thủ tục", "Hồ sơ tính")] {
        let page = pages.iter().find(|(_, t)| t.contains(&format!("(01-D12): {title}")));
        let (_, text) = page.unwrap_or_else(|| panic!("no page starts the sheet {title:?}"));
        assert!(text.contains(last_column), "{title}: its last column is not on its first page:\n{text}");
    }
    assert!(pages.len() <= 6, "{} pages for four short tables", pages.len());

    // The meeting report's workbook: the summary, the sixteen departments and the communes, each one A4
    // landscape page wide, names whole.
    let (status, _, _, bytes) = get_bytes(&server, "/export/report.xlsx?parent=01&period=2026-11").await;
    assert_eq!(status, 200);
    let xlsx = out.join(format!("export-report-{tag}.xlsx"));
    std::fs::write(&xlsx, &bytes).unwrap();
    let pages = pdf_pages(&libreoffice(&xlsx, "pdf", None));
    assert_a4_landscape(&pages, "report");
    assert_eq!(pages.len(), 3, "summary, departments, communes: a page each");
    for text in ["Báo cáo tháng 11/2026 — Thành phố Hà Nội", "Tỷ lệ hồ sơ trực tuyến toàn trình", "Xã, phường, đặc khu"] {
        assert!(pages[0].1.contains(text), "the summary lacks {text:?}:\n{}", pages[0].1);
    }
    for name in DEPARTMENTS {
        assert!(pages[1].1.contains(name), "the departments' page lacks {name:?}:\n{}", pages[1].1);
    }
    assert!(pages[2].1.contains("Phường Ba Đình") && pages[2].1.contains("00070"), "{}", pages[2].1);

    // A running period is said to be provisional, with the time of the last event.
    let (_, _, _, bytes) = get_bytes(&server, "/export/league.xlsx?period=2026-Q4&kind=department&parent=01").await;
    let when = &titles(&openpyxl(&bytes)["sheets"][0])[2];
    assert!(when.starts_with("Kỳ báo cáo: quý IV/2026 — SỐ LIỆU TẠM TÍNH: kỳ chưa kết thúc (ngày 76 trong 92 ngày)"), "{when}");
    assert!(when.contains("cập nhật lần cuối lúc"), "{when}");

    // The communes' CSV through LibreOffice: the code 00070 stays text (not 70), figures as on the page.
    let (_, _, _, bytes) = get_bytes(&server, "/export/league.csv?month=2026-11&kind=commune&parent=01").await;
    let csv = out.join(format!("export-communes-{tag}.csv"));
    std::fs::write(&csv, &bytes).unwrap();
    let book = openpyxl(&std::fs::read(libreoffice(&csv, "xlsx", Some("CSV:44,34,76,1"))).unwrap());
    let rows = book["sheets"][0]["rows"].as_array().unwrap().clone();
    let codes: Vec<(Value, Value)> = rows[1..3].iter().map(|r| (r[2]["v"].clone(), r[2]["t"].clone())).collect();
    assert_eq!(codes, [(json!("\t00004"), json!("s")), (json!("\t00070"), json!("s"))], "codes stay text, zeros kept");
    assert_eq!(rows[1][1]["v"], "Phường Ngọc Hà");
    assert_eq!(rows[1][3]["v"].as_f64(), Some(12.0), "counts are numbers");
    assert_eq!(rows[3][1]["v"], "Tổng cộng (2 đơn vị)");
}

backend_tests!(
    league_and_unit_exports => crate::league_and_unit_exports,
    print_layout => crate::print_layout,
);
