//! The meeting report (and the weekly quick report) as a workbook: the summary (the province's
//! indicators, the communes by band, who fell behind, the last seven days), the departments' ranking
//! and every commune with its band; each sheet with the titles and A4 page setup of every export.

use super::league::league_sheets;
use super::sheet::{columns, Cell, Sheet};
use crate::report::digest::{band_of, Digest};
use crate::report::league::LeagueBoard;

fn summary(d: &Digest) -> Sheet {
    let mut rows: Vec<Vec<Cell>> = d
        .headline
        .iter()
        .map(|h| {
            vec![
                Cell::text(h.indicator.label_vi()),
                Cell::Int(h.judged.figures.numerator),
                Cell::Int(h.judged.figures.denominator),
                Cell::Rate(h.judged.rate),
                Cell::Rate(h.judged.target.map(|t| t.as_f64())),
                Cell::Status(h.judged.status),
                Cell::Rate(h.before),
            ]
        })
        .collect();
    let line = |what: String, n: i64| vec![Cell::text(what), Cell::Int(n), Cell::empty(), Cell::empty(), Cell::empty(), Cell::empty(), Cell::empty()];
    let week = if d.communes.over_week { ", 7 ngày qua" } else { "" };
    for (band, n) in &d.communes.bands {
        rows.push(line(format!("Xã, phường, đặc khu{week} — {}", band.label_vi()), *n as i64));
    }
    rows.push(line(format!("Xã, phường, đặc khu{week} — chưa đủ dữ liệu"), d.communes.unranked as i64));
    for r in &d.communes.lowest {
        rows.push(vec![Cell::text(format!("Thấp nhất{week}: {} ({})", r.name, r.unit)), Cell::Int(r.figures.numerator), Cell::Int(r.figures.denominator), Cell::Rate(r.figures.rate()), Cell::Rate(r.target), Cell::empty(), Cell::empty()]);
    }
    for f in &d.fell_behind {
        rows.push(vec![Cell::text(format!("Tụt dưới chỉ tiêu: {} ({})", f.name, f.unit)), Cell::empty(), Cell::empty(), Cell::Rate(f.rate), Cell::Rate(f.target), Cell::Status(f.now), Cell::empty()]);
    }
    if let Some(w) = &d.week {
        rows.push(vec![Cell::text("7 ngày qua — cả tỉnh"), Cell::Int(w.province.numerator), Cell::Int(w.province.denominator), Cell::Rate(w.province.rate()), Cell::empty(), Cell::empty(), Cell::empty()]);
        for (code, name, f) in w.departments.iter().filter(|(_, _, f)| f.denominator > 0) {
            rows.push(vec![Cell::text(format!("7 ngày qua — {name} ({code})")), Cell::Int(f.numerator), Cell::Int(f.denominator), Cell::Rate(f.rate()), Cell::empty(), Cell::empty(), Cell::empty()]);
        }
    }
    Sheet {
        name: "Tóm tắt".into(),
        title: format!("{}: tóm tắt", super::super::pages::report::title(d)),
        columns: columns(&[
            ("Nội dung", "what"),
            ("Hồ sơ đạt", "numerator"),
            ("Số hồ sơ", "denominator"),
            ("Tỷ lệ", "rate"),
            ("Chỉ tiêu", "target"),
            ("Trạng thái", "status"),
            ("Kỳ trước", "before"),
        ]),
        rows,
        total: None,
    }
}

/// Every commune of the province, ranked, with its band.
fn communes(board: &LeagueBoard) -> Sheet {
    let by_target = board.rows().any(|r| r.row.judged.target.is_some());
    let mut sheet = league_sheets(board).remove(0);
    sheet.name = "Xã, phường".into();
    sheet.columns.extend(columns(&[("Nhóm", "band")]));
    for (row, r) in sheet.rows.iter_mut().zip(board.rows()) {
        let band = r.row.rank.map(|_| band_of(r, by_target).label_vi()).unwrap_or("Chưa đủ dữ liệu");
        row.push(Cell::text(band));
    }
    if let Some(t) = sheet.total.as_mut() {
        t.push(Cell::empty());
    }
    sheet
}

/// The workbook's sheets, in order: summary, departments, communes.
pub fn report_sheets(d: &Digest) -> Vec<Sheet> {
    let mut departments = league_sheets(&d.departments).remove(0);
    departments.name = "Sở, ban, ngành".into();
    vec![summary(d), departments, communes(&d.communes_board)]
}
