//! The two CSVs of a table.
//!
//! For people (the default): a UTF-8 byte-order mark (Excel then reads Vietnamese), the Vietnamese
//! headings, figures as the page writes them (`62,2 %`, `−3,1 đ.%`: the same text whatever the
//! spreadsheet's locale), counts as plain digits, the total row last, every field quoted. Codes are
//! written after a tab: Excel and LibreOffice then keep `00070` and `1.001612` as text instead of the
//! numbers 70 and 1.001612 (a leading zero lost, a procedure code read as a decimal). The tab goes in
//! front of the already guarded code, so it cannot carry a formula; `="00070"` was not used because it
//! is itself a formula built from a code a sender chose, which the guard exists to refuse.
//!
//! For machines (`format=data`): no byte-order mark, the API's English keys, plain numbers (rates and gaps
//! as decimals with a dot, 0.622 and −0.031 as `-0.031`), statuses and labels as the API's keys, codes as
//! they are, no total row.
//!
//! Formula injection: in both, text that begins with `=`, `+`, `-`, `@`, a tab or a carriage return gets
//! a leading `'`, so that a spreadsheet shows it as text instead of evaluating it; generated figures for
//! people never begin with one of them (a negative change is written with the minus sign U+2212).

use crate::web::format::{decimal, percent};
use super::sheet::{Cell, Sheet};

/// Prefixes a quote to text a spreadsheet would take for a formula.
pub fn guard(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_string(),
    }
}

/// A difference of rates for people: "−3,1 đ.%" (no `+`, so that the cell never looks like a formula).
pub fn points_vi(p: f64) -> String {
    let v = p * 100.0;
    let sign = if v < -0.0005 { "−" } else { "" };
    format!("{sign}{} đ.%", decimal(v.abs(), 1))
}

/// A rank change in words: "lên 2", "xuống 1", "không đổi".
pub fn rank_change_vi(c: i64) -> String {
    match c {
        c if c > 0 => format!("lên {c}"),
        c if c < 0 => format!("xuống {}", -c),
        _ => "không đổi".into(),
    }
}

/// A status count line: "Đạt: 5; Không đạt: 3".
pub fn counts_vi(counts: &[(crate::domain::kpi::Status, usize)], separator: &str) -> String {
    counts.iter().map(|(s, n)| format!("{}: {n}", s.label_vi())).collect::<Vec<_>>().join(separator)
}

fn people_value(c: &Cell) -> String {
    match c {
        Cell::Text(s) => guard(s),
        Cell::Code(s) if s.is_empty() => String::new(),
        Cell::Code(s) => format!("\t{}", guard(s)),
        Cell::Label { vi, .. } => guard(vi),
        // No thousands separator: a dot would read as a decimal point outside Vietnamese settings.
        Cell::Int(n) => n.to_string(),
        Cell::Rate(r) => r.map(|r| percent(Some(r))).unwrap_or_default(),
        Cell::Points(p) => p.map(points_vi).unwrap_or_default(),
        Cell::Days(d) => d.map(|d| crate::web::format::decimal(d, 1)).unwrap_or_default(),
        Cell::RankChange(c) => c.map(rank_change_vi).unwrap_or_default(),
        Cell::Status(s) => s.label_vi().into(),
        Cell::StatusCounts(counts) => counts_vi(counts, "; "),
    }
}

/// A decimal with a dot and at most six places, trailing zeros dropped: 0.8, 0.622449, -0.2.
fn plain(v: f64) -> String {
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

fn data_value(c: &Cell) -> String {
    match c {
        Cell::Text(s) | Cell::Code(s) => guard(s),
        Cell::Label { key, .. } => key.clone(),
        Cell::Int(n) => n.to_string(),
        Cell::Rate(v) | Cell::Points(v) | Cell::Days(v) => v.map(plain).unwrap_or_default(),
        Cell::RankChange(c) => c.map(|c| c.to_string()).unwrap_or_default(),
        Cell::Status(s) => s.as_str().into(),
        Cell::StatusCounts(_) => String::new(),
    }
}

fn write(records: impl Iterator<Item = Vec<String>>, start: &[u8], quote: csv::QuoteStyle) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new().quote_style(quote).from_writer(start.to_vec());
    for r in records {
        w.write_record(&r).expect("writing to memory");
    }
    w.into_inner().expect("writing to memory")
}

/// The people's CSV: byte-order mark, Vietnamese headings, rows, total row; every field quoted (a code's
/// leading tab then stays inside its field whatever separators the reader guesses).
pub fn to_csv(sheet: &Sheet) -> Vec<u8> {
    let headers = std::iter::once(sheet.columns.iter().map(|c| guard(&c.vi)).collect());
    let rows = sheet.rows.iter().chain(&sheet.total).map(|r| r.iter().map(people_value).collect());
    write(headers.chain(rows), b"\xEF\xBB\xBF", csv::QuoteStyle::Always)
}

/// The machines' CSV: English keys, plain numbers, no total row, quoted only where needed.
pub fn to_data_csv(sheet: &Sheet) -> Vec<u8> {
    let headers = std::iter::once(sheet.columns.iter().map(|c| c.key.clone()).collect());
    let rows = sheet.rows.iter().map(|r| r.iter().map(data_value).collect());
    write(headers.chain(rows), b"", csv::QuoteStyle::Necessary)
}

#[cfg(test)]
mod tests {
    use super::super::sheet::columns;
    use super::*;
    use crate::domain::kpi::Status;

    #[test]
    fn formula_like_text_is_quoted() {
        for bad in ["=1+2", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "=HYPERLINK(\"http://x\")"] {
            assert_eq!(guard(bad), format!("'{bad}"));
        }
        for fine in ["Sở Tư pháp", "62,2 %", "−3,1 đ.%", "1 = 1", "", "'quoted"] {
            assert_eq!(guard(fine), fine);
        }
    }

    /// One table for both CSVs: every kind of cell, a formula in a name and in a code, a total row.
    fn sample() -> Sheet {
        Sheet {
            name: "T".into(),
            title: "T".into(),
            columns: columns(&[("Đơn vị", "name"), ("Tỷ lệ", "rate")]),
            rows: vec![
                vec![Cell::text("=cmd|' /C calc'!A0"), Cell::Rate(Some(0.6224))],
                vec![Cell::text("Phường Hồng Bàng"), Cell::Points(Some(-0.031))],
                vec![Cell::Int(12345), Cell::Points(Some(0.031))],
                vec![Cell::RankChange(Some(-2)), Cell::Rate(None)],
                vec![Cell::code("00070"), Cell::code("=1+1")],
                vec![Cell::Status(Status::AtRisk), Cell::label("Tỷ lệ hồ sơ nộp trực tuyến", "intake")],
            ],
            total: Some(vec![Cell::text("Tổng cộng"), Cell::StatusCounts(vec![(Status::Met, 2), (Status::Behind, 1)])]),
        }
    }

    fn lines(bytes: &[u8]) -> Vec<String> {
        String::from_utf8(bytes.to_vec()).unwrap().lines().map(str::to_string).collect()
    }

    #[test]
    fn people_csv_has_a_bom_vietnamese_figures_text_codes_and_guarded_cells() {
        let csv = to_csv(&sample());
        assert!(csv.starts_with(b"\xEF\xBB\xBF"));
        assert_eq!(
            lines(&csv[3..]),
            [
                "\"Đơn vị\",\"Tỷ lệ\"",
                "\"'=cmd|' /C calc'!A0\",\"62,2 %\"",
                "\"Phường Hồng Bàng\",\"−3,1 đ.%\"",
                "\"12345\",\"3,1 đ.%\"",
                "\"xuống 2\",\"\"",
                // A code after a tab, guarded first.
                "\"\t00070\",\"\t'=1+1\"",
                "\"Có nguy cơ không đạt\",\"Tỷ lệ hồ sơ nộp trực tuyến\"",
                "\"Tổng cộng\",\"Đạt: 2; Không đạt: 1\"",
            ]
        );
    }

    #[test]
    fn data_csv_has_keys_plain_numbers_and_no_total() {
        assert_eq!(
            lines(&to_data_csv(&sample())),
            ["name,rate", "'=cmd|' /C calc'!A0,0.6224", "Phường Hồng Bàng,-0.031", "12345,0.031", "-2,", "00070,'=1+1", "at_risk,intake"]
        );
    }
}
