//! `dvc-monitor bench --history-files DIR`: the files a history import is measured on, from the
//! benchmark's own year of national history: the dossiers as a JSON array of national-sync snapshots,
//! the same dossiers as an .xlsx list with the personal columns exports carry (a different applicant
//! on every row, so the workbook's shared strings grow with it), and a database with the registry and
//! a token of the source `bench` to import them into. The import itself is timed from outside
//! (`/usr/bin/time -v`), so its peak memory is the command's own.

use super::{generate, prepare, snapshots, BenchArgs};
use crate::demo::province;
use crate::domain::Month;
use anyhow::Context;
use rust_xlsxwriter::Workbook;
use serde_json::Value;
use std::io::Write;
use std::path::Path;

const HEADERS: [&str; 14] = [
    "Mã hồ sơ",
    "Chủ hồ sơ",
    "Số CMND/CCCD",
    "Địa chỉ",
    "Số điện thoại",
    "Mã TTHC",
    "Đơn vị xử lý",
    "Ngày tiếp nhận",
    "Kênh nộp",
    "Ngày hẹn trả",
    "Ngày trả kết quả",
    "Hình thức trả kết quả",
    "Thanh toán trực tuyến",
    "Trích yếu",
];

fn channel(code: &str) -> &'static str {
    match code {
        "2" => "Trực tuyến",
        "3" => "Bưu chính công ích",
        _ => "Trực tiếp",
    }
}

/// How a returned dossier's result went out, as the snapshot tells it.
fn delivery(s: &Value) -> &'static str {
    if s.get("DanhSachGiayToKetQua").is_some() {
        "Trực tuyến"
    } else if s["HinhThuc"] == "1" {
        "Bưu chính công ích"
    } else {
        "Trực tiếp"
    }
}

/// The snapshot's fields as a row of the list (None for a dossier never received).
fn row(s: &Value, i: usize) -> Option<[String; 14]> {
    let text = |k: &str| s[k].as_str().unwrap_or("").to_string();
    let received = s["NgayTiepNhan"].as_str()?.to_string();
    let returned = text("NgayTra");
    let paid = match s["DuocThanhToanTrucTuyen"].as_str() {
        Some("1") => "Có",
        Some("0") => "Không",
        _ => "",
    };
    Some([
        text("MaHoSo"),
        format!("Nguyễn Văn Giả Lập {i}"),
        format!("{:012}", 1_000_000_000 + i),
        format!("Số {i} Đường Giả Lập, Phường Giả Lập"),
        format!("09{:08}", i),
        text("MaTTHC"),
        text("DonViXuLy"),
        received,
        channel(s["KenhThucHien"].as_str().unwrap_or("1")).to_string(),
        text("NgayHenTra"),
        returned.clone(),
        if returned.is_empty() { String::new() } else { delivery(s).to_string() },
        paid.to_string(),
        format!("Hồ sơ giả lập số {i} của bản đo"),
    ])
}

pub async fn write(dir: &Path, args: &BenchArgs, now: i64) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let (units, procedures, targets) = province::nation(Month::of_millis(now).year())?;
    let mut lines = generate(&units, &procedures, args.events, now);
    // The simulator's deliberate mistakes (an unknown procedure, a missing channel) would stop the
    // import at its validation: a history file is measured as a system would export it, clean.
    lines.retain(|l| !serde_json::from_str::<Value>(l).is_ok_and(|v| v["id"].as_str().is_some_and(|id| id.ends_with("-x"))));
    let mut dossiers = snapshots::from_events(&lines);
    drop(lines);
    // A dossier cut off by the year's end before any of its times (only its steps) is nothing a
    // system would export.
    let times = ["NgayNopHoSo", "NgayTiepNhan", "NgayTuChoi", "NgayKetThucXuLy", "NgayTra"];
    dossiers.retain(|s| times.iter().any(|t| s.get(t).is_some()));
    dossiers.truncate(args.history_dossiers);
    eprintln!("{} dossiers from {} events", dossiers.len(), args.events);

    let json = dir.join("snapshots.json");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&json)?);
    out.write_all(b"[\n")?;
    for (i, s) in dossiers.iter_mut().enumerate() {
        for (field, value) in crate::demo::national_sync::FAKE_PERSON {
            s[field] = Value::from(value);
        }
        if i > 0 {
            out.write_all(b",\n")?;
        }
        serde_json::to_writer(&mut out, s)?;
    }
    out.write_all(b"\n]\n")?;
    out.flush()?;

    let xlsx = dir.join("dossiers.xlsx");
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "DANH SÁCH HỒ SƠ (bản đo)")?;
    for (c, h) in HEADERS.iter().enumerate() {
        sheet.write_string(1, c as u16, *h)?;
    }
    let mut rows = 0u32;
    for (i, s) in dossiers.iter().enumerate() {
        let Some(fields) = row(s, i) else { continue };
        for (c, f) in fields.iter().enumerate() {
            if !f.is_empty() {
                sheet.write_string(rows + 2, c as u16, f)?;
            }
        }
        rows += 1;
    }
    book.save(&xlsx)?;

    let db = dir.join("import.db");
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", db.display()));
    }
    let url = format!("sqlite://{}", db.display());
    prepare(&url, &units, &procedures, &targets).await?;
    eprintln!("wrote {} ({} snapshots), {} ({rows} rows) and {}", json.display(), dossiers.len(), xlsx.display(), db.display());
    eprintln!("time an import on a copy of the database:");
    eprintln!("  cp {0} /tmp/run.db && /usr/bin/time -v dvc-monitor --database-url sqlite:///tmp/run.db import --source bench {1}", db.display(), json.display());
    Ok(())
}
