//! `import`: dossier lists (CSV with Vietnamese headers, or another layout through a mapping file)
//! and national-sync snapshot files, on both backends.

mod common;

use common::{create_token, seed_registry, Backend, TestDb, TestServer};
use dvc_monitor::ingest::history;
use dvc_monitor::registry::import;
use dvc_monitor::Settings;
use serde_json::json;
use std::path::{Path, PathBuf};

const NOW: &str = "2025-03-31T12:00:00+07:00";
const SOURCE: &str = "igate-hp";
const SENDER_CODES: &str = "code,unit\n000.00.31.STP,31-STP\n000.00.31.SYT,31-SYT\n";

fn now_ms() -> i64 {
    chrono::DateTime::parse_from_rfc3339(NOW).unwrap().timestamp_millis()
}

async fn setup(backend: Backend) -> TestDb {
    let db = TestDb::new(backend).await;
    seed_registry(db.store.as_ref()).await;
    let tree = dvc_monitor::domain::UnitTree::new(db.store.units().await.unwrap());
    let codes = import::sender_codes("sender-codes.csv", SENDER_CODES.as_bytes(), &tree).unwrap();
    db.store.upsert_sender_codes(&codes).await.unwrap();
    create_token(db.store.as_ref(), SOURCE, &["31"]).await;
    db
}

const PERSONAL: [&str; 6] = ["Nguyễn Văn Bí Mật", "001099123456", "12 Phố Riêng", "0912345678", "Trần Thị Kín", "0987654321"];

/// An export as one-door systems write it: a title row, headers in their own case, personal columns.
const EXPORT: &str = "\
DANH SÁCH HỒ SƠ TIẾP NHẬN NĂM 2025,,,,,,,,,,,,,
STT,Mã hồ sơ,Chủ hồ sơ,Số CMND/CCCD,Địa chỉ,Số điện thoại,MÃ TTHC,Mã đơn vị,Ngày tiếp nhận,Hình thức nộp,Ngày hẹn trả,Ngày trả kết quả,Hình thức trả kết quả,Thanh toán trực tuyến
1,H31-0001,Nguyễn Văn Bí Mật,001099123456,\"12 Phố Riêng, Hải Phòng\",0912345678,1.001612,000.00.31.STP,03/03/2025 08:00,Trực tuyến,10/03/2025,06/03/2025 10:00,Trực tuyến,Có
2,H31-0002,Trần Thị Kín,001099654321,34 Ngõ Kín,0987654321,1.001612,000.00.31.STP,04/03/2025 09:30,Trực tiếp,11/03/2025 17:00,,,Không
3,H31-0003,Lê Văn Ẩn,001099000999,56 Đường Ẩn,0911222333,2.000001,31-SYT,05/03/2025,Bưu chính công ích,,07/03/2025 15:00,Bưu chính công ích,
";

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

async fn count(url: &str, table: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM {table}");
    if url.starts_with("sqlite:") {
        let mut c = <sqlx::SqliteConnection as sqlx::Connection>::connect(url).await.unwrap();
        sqlx::query_scalar::<_, i64>(&sql).fetch_one(&mut c).await.unwrap()
    } else {
        let mut c = <sqlx::PgConnection as sqlx::Connection>::connect(url).await.unwrap();
        sqlx::query_scalar::<_, i64>(&sql).fetch_one(&mut c).await.unwrap()
    }
}

async fn counts(db: &TestDb) -> (i64, i64, i64) {
    (count(&db.url, "events").await, count(&db.url, "dossiers").await, count(&db.url, "unit_months").await)
}

async fn run(db: &TestDb, files: &[PathBuf], mapping: Option<&Path>) -> anyhow::Result<history::Summary> {
    history::import(db.store.as_ref(), SOURCE, files, mapping, false, now_ms()).await
}

/// Every file of the SQLite database (with its WAL) as bytes, to look for values that must not be there.
fn sqlite_bytes(url: &str) -> Vec<u8> {
    let path = url.trim_start_matches("sqlite://");
    let mut out = Vec::new();
    for suffix in ["", "-wal", "-shm", "-journal"] {
        if let Ok(b) = std::fs::read(format!("{path}{suffix}")) {
            out.extend(b);
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

async fn vietnamese_export(backend: Backend) {
    let db = setup(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "ho-so-2025.csv", EXPORT);
    let first = run(&db, std::slice::from_ref(&file), None).await.unwrap();
    assert_eq!((first.rows, first.accepted, first.duplicates, first.rejected_total()), (3, 5, 0, 0), "{}", first.text());
    let stored = counts(&db).await;
    assert_eq!(stored.0, 5);
    let ids: Vec<String> = db.store.events_with_id_prefix(SOURCE, &["imp/H31-0001/".into()]).await.unwrap().into_iter().map(|e| e.id).collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    let returned = db.store.events_with_id_prefix(SOURCE, &["imp/H31-0003/".into()]).await.unwrap();
    assert!(returned.iter().any(|e| e.unit == "31-SYT" && e.result_delivery.map(|c| c.as_str()) == Some("postal")), "{returned:?}");

    // Again: nothing changes.
    let second = run(&db, std::slice::from_ref(&file), None).await.unwrap();
    assert_eq!((second.rows, second.accepted, second.duplicates, second.rejected_total()), (3, 0, 5, 0), "{}", second.text());
    assert_eq!(counts(&db).await, stored);

    for text in [first.text(), second.text()] {
        for p in PERSONAL {
            assert!(!text.contains(p), "{p} in the summary");
        }
    }
    if backend == Backend::Sqlite {
        let bytes = sqlite_bytes(&db.url);
        assert!(contains(&bytes, "H31-0001"), "the database file is read");
        for p in PERSONAL {
            assert!(!contains(&bytes, p), "{p} in the database file");
        }
    }
}

async fn bad_row_changes_nothing(backend: Backend) {
    let db = setup(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let text = "\
Mã hồ sơ,Mã thủ tục,Đơn vị,Ngày tiếp nhận,Kênh nộp,Số điện thoại
H31-1,1.001612,31-STP,03/03/2025 08:00,Trực tuyến,0912345678
H31-2,1.001612,31-STP,32/03/2025 08:00,Trực tuyến,0987654321
H31-3,9.999999,31-STP,03/03/2025 08:00,Trực tiếp,0911222333
";
    let file = write(dir.path(), "bad.csv", text);
    let err = run(&db, std::slice::from_ref(&file), None).await.unwrap_err().to_string();
    let reason = "Ngày tiếp nhận is not a time (dd/MM/yyyy HH:mm[:ss], dd/MM/yyyy, yyyyMMddHHmmss or RFC 3339)";
    assert_eq!(err, format!("{}: line 3, column 4: {reason}", file.display()));
    assert!(!err.contains("0987654321"));
    assert_eq!(counts(&db).await, (0, 0, 0));

    // A refusal of validation is placed at its column too (the third row's unknown procedure).
    let fixed = text.replace("32/03/2025", "04/03/2025");
    let file = write(dir.path(), "bad2.csv", &fixed);
    let err = run(&db, std::slice::from_ref(&file), None).await.unwrap_err().to_string();
    assert_eq!(err, format!("{}: line 4, column 2: unknown procedure \"9.999999\"", file.display()));
    assert_eq!(counts(&db).await, (0, 0, 0));
}

async fn mapping_file(backend: Backend) {
    let db = setup(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let mapping = write(
        dir.path(),
        "mapping.csv",
        "field,header\ncode,So bien nhan\nprocedure,Thu tuc\nunit,Co quan\nreceived_at,Nhan luc\nchannel,Nguon\nreturned_at,Tra luc\ndelivery,Tra qua\n",
    );
    let text = "\
So bien nhan;Ho ten;Thu tuc;Co quan;Nhan luc;Nguon;Tra luc;Tra qua
BN-1;Nguyễn Văn Bí Mật;1.001612;000.00.31.STP;2025-03-03 08:00:00;2;2025-03-05 08:00:00;2
BN-2;Trần Thị Kín;1.001612;000.00.31.STP;20250304083000;1;;
";
    let file = write(dir.path(), "other.csv", text);
    let s = run(&db, std::slice::from_ref(&file), Some(&mapping)).await.unwrap();
    assert_eq!((s.rows, s.accepted), (2, 3), "{}", s.text());
    // Without the mapping, the layout is not recognised.
    let err = run(&db, std::slice::from_ref(&file), None).await.unwrap_err().to_string();
    assert!(err.contains("no header row"), "{err}");
}

/// Two snapshots, as the collector's tests send them.
fn snapshot(code: &str, channel: &str) -> serde_json::Value {
    json!({
        "MaHoSo": code, "MaTTHC": "1.001612", "DonViXuLy": "000.00.31.STP",
        "KenhThucHien": channel, "NgayNopHoSo": "20250303070000", "NgayTiepNhan": "20250303080000", "NgayHenTra": "20250310170000",
        "TrangThaiHoSo": "10", "NgayKetThucXuLy": "20250306090000", "NgayTra": "20250306100000", "HinhThuc": "0",
        "DuocThanhToanTrucTuyen": "1", "DanhSachLePhi": [{"TenPhiLePhi": "Lệ phí", "MaPhiLePhi": "LP1", "Gia": "200000"}],
        "ChuHoSo": "Nguyễn Văn Bí Mật", "SoGiayToChuHoSo": "001099123456", "SoDienThoai": "0912345678",
    })
}

async fn league(server: &TestServer) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    for indicator in ["completion", "intake", "on_time"] {
        let l = server.get_json(&format!("/api/v1/league?month=2025-03&kind=department&indicator={indicator}&parent=31")).await;
        out.push(l["rows"].clone());
    }
    out
}

async fn snapshots_as_the_collector(backend: Backend) {
    let snapshots = [snapshot("H31-A", "2"), snapshot("H31-B", "1"), snapshot("H31-C", "3")];
    let dir = tempfile::tempdir().unwrap();
    let ndjson: String = snapshots.iter().map(|s| format!("{s}\n\n")).collect();
    let file = write(dir.path(), "sync.ndjson", &ndjson);

    let imported = setup(backend).await;
    let s = run(&imported, std::slice::from_ref(&file), None).await.unwrap();
    assert_eq!((s.rows, s.rejected_total()), (3, 0), "{}", s.text());
    let again = run(&imported, std::slice::from_ref(&file), None).await.unwrap();
    assert_eq!((again.accepted, again.duplicates), (0, s.accepted), "{}", again.text());

    let posted = setup(backend).await;
    let token = create_token(posted.store.as_ref(), SOURCE, &["31"]).await;
    let prefixes: Vec<String> = ["H31-A", "H31-B", "H31-C"].iter().map(|c| format!("ns/{c}/")).collect();
    let imported_events = imported.store.events_with_id_prefix(SOURCE, &prefixes).await.unwrap();
    let a = TestServer::start(imported, NOW, Settings::default()).await;
    let b = TestServer::start(posted, NOW, Settings::default()).await;
    let r = b.client.post(b.url("/api/v1/national-sync/dossiers")).bearer_auth(&token).json(&json!(snapshots)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let mut posted_events = b.db.store.events_with_id_prefix(SOURCE, &prefixes).await.unwrap();
    let mut imported_events = imported_events;
    posted_events.sort_by(|x, y| x.id.cmp(&y.id));
    imported_events.sort_by(|x, y| x.id.cmp(&y.id));
    assert_eq!(imported_events.len() as u64, s.accepted);
    assert_eq!(imported_events, posted_events, "the same events with the same ids");
    assert_eq!(league(&a).await, league(&b).await);

    // A bad snapshot in the middle: its line, and nothing stored.
    let fresh = setup(backend).await;
    let mut bad = snapshot("H31-D", "2");
    bad["NgayTiepNhan"] = json!("tomorrow");
    let lines = format!("{}\n{}\n{}\n", snapshots[0], bad, snapshots[1]);
    let file = write(dir.path(), "bad.ndjson", &lines);
    let err = run(&fresh, std::slice::from_ref(&file), None).await.unwrap_err().to_string();
    assert!(err.starts_with(&format!("{}: line 2, column 1: ", file.display())), "{err}");
    assert!(!err.contains("Bí Mật"), "{err}");
    assert_eq!(counts(&fresh).await, (0, 0, 0));

    // A JSON array: the bad snapshot placed by the line and column it begins at.
    let array = format!("[\n  {},\n  {}, {}\n]\n", snapshots[0], snapshots[1], bad);
    let file = write(dir.path(), "bad.json", &array);
    let err = run(&fresh, std::slice::from_ref(&file), None).await.unwrap_err().to_string();
    let column = 2 + snapshots[1].to_string().chars().count() + 3;
    assert!(err.starts_with(&format!("{}: line 3, column {column}: ", file.display())), "{err}");
    assert_eq!(counts(&fresh).await, (0, 0, 0));
    let file = write(dir.path(), "good.json", &serde_json::to_string_pretty(&json!(snapshots)).unwrap());
    let s = run(&fresh, std::slice::from_ref(&file), None).await.unwrap();
    assert_eq!((s.rows, s.accepted), (3, imported_events.len() as u64), "{}", s.text());
}

async fn source_needs_a_token(backend: Backend) {
    let db = setup(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "x.csv", EXPORT);
    let err = history::import(db.store.as_ref(), "nobody", &[file], None, false, now_ms()).await.unwrap_err().to_string();
    assert!(err.contains("has no live token"), "{err}");
}

/// The same export saved as a workbook, with the intake time as an Excel date.
async fn xlsx_workbook(backend: Backend) {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let db = setup(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let headers = ["Mã hồ sơ", "Chủ hồ sơ", "Số điện thoại", "Mã TTHC", "Đơn vị", "Ngày tiếp nhận", "Kênh nộp", "Ngày trả kết quả", "Hình thức trả kết quả"];
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    let date = Format::new().set_num_format("dd/mm/yyyy hh:mm");
    let rows = [("X31-1", "Nguyễn Văn Bí Mật", "0912345678", "Trực tuyến", Some("06/03/2025 10:00")), ("X31-2", "Trần Thị Kín", "0987654321", "Trực tiếp", None)];
    for (i, (code, name, phone, channel, returned)) in rows.iter().enumerate() {
        let r = i as u32 + 1;
        sheet.write_string(r, 0, *code).unwrap();
        sheet.write_string(r, 1, *name).unwrap();
        sheet.write_string(r, 2, *phone).unwrap();
        sheet.write_string(r, 3, "1.001612").unwrap();
        sheet.write_string(r, 4, "000.00.31.STP").unwrap();
        let at = ExcelDateTime::parse_from_str("2025-03-03 08:00:00").unwrap();
        sheet.write_datetime_with_format(r, 5, &at, &date).unwrap();
        sheet.write_string(r, 6, *channel).unwrap();
        if let Some(t) = returned {
            sheet.write_string(r, 7, *t).unwrap();
            sheet.write_string(r, 8, "Trực tuyến").unwrap();
        }
    }
    let path = dir.path().join("ho-so.xlsx");
    book.save(&path).unwrap();
    let s = run(&db, std::slice::from_ref(&path), None).await.unwrap();
    assert_eq!((s.rows, s.accepted, s.rejected_total()), (2, 3, 0), "{}", s.text());
    let intake = db.store.events_with_id_prefix(SOURCE, &["imp/X31-1/".into()]).await.unwrap();
    let at = chrono::DateTime::parse_from_rfc3339("2025-03-03T08:00:00+07:00").unwrap().timestamp_millis();
    assert!(intake.iter().any(|e| e.id == "imp/X31-1/received" && e.at == at), "{intake:?}");
    let again = run(&db, std::slice::from_ref(&path), None).await.unwrap();
    assert_eq!((again.accepted, again.duplicates), (0, 3));
}

fn local_ms(rfc3339: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(rfc3339).unwrap().timestamp_millis()
}

/// The names of a workbook's parts.
fn parts(path: &Path) -> Vec<String> {
    let zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    zip.file_names().flatten().map(|n| n.into_owned()).collect()
}

/// A workbook zipped by hand from its parts, as other writers than Excel lay them out.
fn zip_parts(path: &Path, parts: &[(&str, String)]) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for (name, text) in parts {
        zip.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
        std::io::Write::write_all(&mut zip, text.as_bytes()).unwrap();
    }
    zip.finish().unwrap();
}

/// An export of `rows` dossiers with a title row above the headers and the applicant's name, ID
/// number, address and phone in their own columns, more rows than the header is searched in.
fn personal_sheet(sheet: &mut rust_xlsxwriter::Worksheet, rows: u32, prefix: &str) {
    let headers = ["STT", "Mã hồ sơ", "Chủ hồ sơ", "Số CMND/CCCD", "Địa chỉ", "Số điện thoại", "Mã TTHC", "Đơn vị", "Ngày tiếp nhận", "Kênh nộp"];
    sheet.write_string(0, 0, "DANH SÁCH HỒ SƠ TIẾP NHẬN NĂM 2025").unwrap();
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string(1, c as u16, *h).unwrap();
    }
    for i in 0..rows {
        let r = i + 2;
        let person = if i % 2 == 0 { [PERSONAL[0], PERSONAL[1], PERSONAL[2], PERSONAL[3]] } else { [PERSONAL[4], "001099654321", "34 Ngõ Kín", PERSONAL[5]] };
        sheet.write_number(r, 0, f64::from(i + 1)).unwrap();
        sheet.write_string(r, 1, format!("{prefix}-{i}")).unwrap();
        for (c, value) in person.iter().enumerate() {
            sheet.write_string(r, c as u16 + 2, *value).unwrap();
        }
        sheet.write_string(r, 6, "1.001612").unwrap();
        sheet.write_string(r, 7, "000.00.31.STP").unwrap();
        sheet.write_string(r, 8, "03/03/2025 08:00").unwrap();
        sheet.write_string(r, 9, "Trực tuyến").unwrap();
    }
}

/// Personal values of unmapped columns, as shared strings (the usual workbook) or inline strings (a
/// workbook written in constant memory), reach neither the summary nor the database.
async fn xlsx_keeps_no_personal_data(backend: Backend) {
    use rust_xlsxwriter::Workbook;
    let db = setup(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let shared = dir.path().join("shared.xlsx");
    let mut book = Workbook::new();
    personal_sheet(book.add_worksheet(), 30, "S31");
    book.save(&shared).unwrap();
    let inline = dir.path().join("inline.xlsx");
    let mut book = Workbook::new();
    personal_sheet(book.add_worksheet_with_constant_memory().unwrap(), 30, "I31");
    book.save(&inline).unwrap();
    assert!(parts(&shared).iter().any(|p| p == "xl/sharedStrings.xml"), "{:?}", parts(&shared));
    assert!(!parts(&inline).iter().any(|p| p.contains("sharedStrings")), "{:?}", parts(&inline));

    let s = run(&db, &[shared.clone(), inline.clone()], None).await.unwrap();
    assert_eq!((s.rows, s.accepted, s.rejected_total()), (60, 60, 0), "{}", s.text());
    let again = run(&db, &[shared, inline], None).await.unwrap();
    assert_eq!((again.accepted, again.duplicates), (0, 60), "{}", again.text());
    for text in [s.text(), again.text()] {
        for p in PERSONAL {
            assert!(!text.contains(p), "{p} in the summary");
        }
    }
    if backend == Backend::Sqlite {
        let bytes = sqlite_bytes(&db.url);
        assert!(contains(&bytes, "S31-29") && contains(&bytes, "I31-29"), "the database file is read");
        for p in PERSONAL.iter().chain(&["001099654321", "34 Ngõ Kín"]) {
            assert!(!contains(&bytes, p), "{p} in the database file");
        }
    }
}

/// Times written as serial numbers with custom date formats (one with a locale prefix), and a
/// procedure code written as a number.
async fn xlsx_serial_dates(backend: Backend) {
    use rust_xlsxwriter::{Format, Workbook};
    let db = setup(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in ["Mã hồ sơ", "Mã TTHC", "Đơn vị", "Ngày tiếp nhận", "Kênh nộp", "Ngày hẹn trả", "Ngày trả kết quả", "Hình thức trả kết quả"].iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    let minutes = Format::new().set_num_format("yyyy-mm-dd hh:mm");
    let day = Format::new().set_num_format("[$-42A]dd/mm/yyyy");
    // 45719 is 3 March 2025 in the 1900 date system.
    sheet.write_string(1, 0, "D31-1").unwrap();
    sheet.write_number(1, 1, 1.001612).unwrap();
    sheet.write_string(1, 2, "000.00.31.STP").unwrap();
    sheet.write_number_with_format(1, 3, 45719.0 + 8.5 / 24.0, &minutes).unwrap();
    sheet.write_string(1, 4, "Trực tuyến").unwrap();
    sheet.write_number_with_format(1, 5, 45726.0, &day).unwrap();
    sheet.write_number_with_format(1, 6, 45721.0 + 16.0 / 24.0, &minutes).unwrap();
    sheet.write_string(1, 7, "Bưu chính công ích").unwrap();
    let path = dir.path().join("serial.xlsx");
    book.save(&path).unwrap();

    let s = run(&db, std::slice::from_ref(&path), None).await.unwrap();
    assert_eq!((s.rows, s.accepted, s.rejected_total()), (1, 2, 0), "{}", s.text());
    let events = db.store.events_with_id_prefix(SOURCE, &["imp/D31-1/".into()]).await.unwrap();
    let intake = events.iter().find(|e| e.id == "imp/D31-1/received").expect("the intake");
    assert_eq!((intake.procedure.as_str(), intake.at, intake.due), ("1.001612", local_ms("2025-03-03T08:30:00+07:00"), Some(local_ms("2025-03-10T00:00:00+07:00"))));
    let returned = events.iter().find(|e| e.id == "imp/D31-1/returned").expect("the return");
    assert_eq!(returned.at, local_ms("2025-03-05T16:00:00+07:00"));
}

/// A workbook another writer zipped: no cell or row references, inline strings only (no shared
/// strings part), an absolute relationship target, the 1904 date system, a formula's text.
fn minimal_workbook(rows: &str) -> Vec<(&'static str, String)> {
    let main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    let rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    vec![
        ("[Content_Types].xml", r#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>"#.to_string()),
        ("xl/workbook.xml", format!(r#"<?xml version="1.0"?><workbook xmlns="{main}" xmlns:r="{rel}"><workbookPr date1904="1"/><sheets><sheet name="Hồ sơ" sheetId="1" r:id="rId7"/></sheets></workbook>"#)),
        (
            "xl/_rels/workbook.xml.rels",
            format!(r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId2" Type="{rel}/styles" Target="styles.xml"/><Relationship Id="rId7" Type="{rel}/worksheet" Target="/xl/worksheets/data.xml"/></Relationships>"#),
        ),
        (
            "xl/styles.xml",
            format!(r#"<?xml version="1.0"?><styleSheet xmlns="{main}"><numFmts count="1"><numFmt numFmtId="164" formatCode="dd/mm/yyyy hh:mm"/></numFmts><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="164" applyNumberFormat="1"/></cellXfs></styleSheet>"#),
        ),
        ("xl/worksheets/data.xml", format!(r#"<?xml version="1.0"?><worksheet xmlns="{main}"><sheetData>{rows}</sheetData></worksheet>"#)),
    ]
}

fn inline(text: &str) -> String {
    format!(r#"<c t="inlineStr"><is><t>{text}</t></is></c>"#)
}

async fn hand_zipped_workbook(backend: Backend) {
    let db = setup(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let header: String = ["Mã hồ sơ", "Chủ hồ sơ", "Mã TTHC", "Đơn vị", "Ngày tiếp nhận", "Kênh nộp"].iter().map(|h| inline(h)).collect();
    // 44257 is 3 March 2025 in the 1904 date system.
    let first = format!(r#"{}{}<c t="str"><f>"1.001612"</f><v>1.001612</v></c>{}<c s="1"><v>44257.3333333333</v></c><c><v>2</v></c>"#, inline("M31-1"), inline(PERSONAL[0]), inline("000.00.31.STP"));
    let second = [inline("M31-2"), inline(PERSONAL[4]), inline("1.001612"), inline("31-STP"), inline("04/03/2025 09:30"), inline("Trực tiếp")].concat();
    let rows = format!("<row>{}</row><row>{header}</row><row>{first}</row><row/><row>{second}</row>", inline("Danh sách hồ sơ"));
    let path = dir.path().join("minimal.xlsx");
    zip_parts(&path, &minimal_workbook(&rows));

    let s = run(&db, std::slice::from_ref(&path), None).await.unwrap();
    assert_eq!((s.rows, s.accepted, s.rejected_total()), (2, 2, 0), "{}", s.text());
    let intake = db.store.events_with_id_prefix(SOURCE, &["imp/M31-1/".into()]).await.unwrap();
    assert_eq!(intake.len(), 1);
    assert_eq!((intake[0].at, intake[0].channel.map(|c| c.as_str())), (local_ms("2025-03-03T08:00:00+07:00"), Some("online")));

    // A broken cell: placed by its row number (rows counted without references) and column.
    let bad_second = second.replacen(&inline("04/03/2025 09:30"), r#"<c t="s"><v>x</v></c>"#, 1).replace("M31-2", "M31-3");
    let rows = format!("<row>{header}</row><row>{bad_second}</row>");
    let path = dir.path().join("broken.xlsx");
    zip_parts(&path, &minimal_workbook(&rows));
    let stored = counts(&db).await;
    let err = run(&db, std::slice::from_ref(&path), None).await.unwrap_err().to_string();
    assert_eq!(err, format!("{}: line 2, column 5: a shared-string cell without a string index", path.display()));
    assert_eq!(counts(&db).await, stored, "nothing stored");

    // Not a workbook at all.
    let path = write(dir.path(), "text.xlsx", "Mã hồ sơ,Mã TTHC\n");
    let err = run(&db, std::slice::from_ref(&path), None).await.unwrap_err().to_string();
    assert!(err.starts_with(&format!("{}: not an .xlsx workbook", path.display())), "{err}");
}

/// Malformed JSON arrays are placed where they stop being one, with nothing stored; a byte-order
/// mark is passed over.
async fn malformed_snapshot_arrays(backend: Backend) {
    let db = setup(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (snapshot("H31-A", "2").to_string(), snapshot("H31-B", "1").to_string());
    let width = a.chars().count();
    let cases = [
        (format!("[\n  {a}\n  {b}\n]"), 3, 3, "a ',' or ']' is missing after the snapshot"),
        (format!("[\n  {a},\n  {b}\n"), 4, 1, "the file ends before the closing ]"),
        (format!("[{a}] []"), 1, width + 4, "text after the closing ]"),
    ];
    for (i, (text, line, column, why)) in cases.iter().enumerate() {
        let file = write(dir.path(), &format!("bad{i}.json"), text);
        let err = run(&db, std::slice::from_ref(&file), None).await.unwrap_err().to_string();
        assert_eq!(err, format!("{}: line {line}, column {column}: not a JSON array of snapshots: {why}", file.display()));
    }
    assert_eq!(counts(&db).await, (0, 0, 0));
    let file = write(dir.path(), "bom.json", &format!("\u{feff}\n[{a},\n{b}]\n"));
    let s = run(&db, std::slice::from_ref(&file), None).await.unwrap();
    assert_eq!((s.rows, s.rejected_total()), (2, 0), "{}", s.text());
}

backend_tests! {
    xlsx_like_csv => super::xlsx_workbook,
    vietnamese_export_is_idempotent_and_keeps_no_personal_data => super::vietnamese_export,
    a_bad_row_is_placed_and_nothing_is_stored => super::bad_row_changes_nothing,
    another_layout_through_a_mapping_file => super::mapping_file,
    snapshot_files_give_the_collectors_events => super::snapshots_as_the_collector,
    an_import_belongs_to_a_source_with_a_token => super::source_needs_a_token,
    xlsx_personal_columns_never_reach_the_database => super::xlsx_keeps_no_personal_data,
    xlsx_serial_dates_in_custom_formats => super::xlsx_serial_dates,
    xlsx_zipped_by_hand_without_references => super::hand_zipped_workbook,
    malformed_snapshot_arrays_are_placed => super::malformed_snapshot_arrays,
}
