//! Exports for people: every table of the pages as CSV (UTF-8 with a byte-order mark, so that Excel
//! reads Vietnamese) and as Excel workbooks, with Vietnamese headers. The machine-readable CSV of
//! `/api/v1/...?format=csv` is a different thing and stays as it is.
//!
//! Formula injection: a CSV cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return gets a
//! leading `'`, so that a spreadsheet shows it as text instead of evaluating it; generated figures never
//! begin with one of them (a negative change is written with the minus sign U+2212). In a workbook,
//! text is always written as a string cell, never as a formula.

use super::error::{AppError, Result};
use super::format::{decimal, percent};
use super::pages::league::{board_for, change_heading, numerator_label};
use super::pages::dossiers::{channel_vi, list_for, payment_vi};
use super::pages::unit::page_for;
use super::params::{ChaseParams, ReadParams};
use crate::report::chase::{step_vi, ChaseList};
use super::AppState;
use crate::report::league::LeagueBoard;
use crate::report::shortfall::{step_label, Breakdown};
use crate::report::unit::UnitPage;
use super::params::{Path, Query};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use rust_xlsxwriter::{DocProperties, Format, Workbook, XlsxError};

/// One cell of an exported table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    /// A code (dossier, unit, procedure): text however it looks, so that a spreadsheet keeps `00070`
    /// or `1-2` as written instead of reading a number or a date.
    Code(String),
    /// A count.
    Int(i64),
    /// A rate, 0..1; none when there is nothing to divide by.
    Rate(Option<f64>),
    /// A difference of rates, 0.031 = 3.1 percentage points.
    Points(Option<f64>),
    /// Places gained (positive) or lost since last month.
    RankChange(Option<i64>),
}

impl Cell {
    fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }
}

/// An exported table: a sheet of a workbook, or a CSV file.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    /// The sheet's name (at most 31 characters, none of `[]:*?/\`).
    pub name: String,
    /// What the table is, for the workbook's title.
    pub title: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// Prefixes a quote to text a spreadsheet would take for a formula.
pub fn guard(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_string(),
    }
}

/// A code as a CSV cell Excel and LibreOffice (with "Evaluate formulas") open as text: `="00070"`, the
/// code inside a string literal with its quotes doubled, so that nothing in it is ever evaluated.
fn csv_code(code: &str) -> String {
    format!("=\"{}\"", code.replace('"', "\"\""))
}

/// One cell as the CSV writes it: codes as text formulas, everything else guarded.
fn csv_cell(c: &Cell) -> String {
    match c {
        Cell::Code(s) => csv_code(s),
        other => guard(&csv_value(other)),
    }
}

fn csv_value(c: &Cell) -> String {
    match c {
        Cell::Text(s) | Cell::Code(s) => s.clone(),
        // No thousands separator: a dot would read as a decimal point outside Vietnamese settings.
        Cell::Int(n) => n.to_string(),
        Cell::Rate(r) => r.map(|r| percent(Some(r))).unwrap_or_default(),
        Cell::Points(p) => p
            .map(|p| {
                let v = p * 100.0;
                let sign = if v < -0.0005 { "−" } else { "" };
                format!("{sign}{} đ.%", decimal(v.abs(), 1))
            })
            .unwrap_or_default(),
        Cell::RankChange(c) => match c {
            Some(c) if *c > 0 => format!("lên {c}"),
            Some(c) if *c < 0 => format!("xuống {}", -c),
            Some(_) => "không đổi".into(),
            None => String::new(),
        },
    }
}

/// The CSV of one table: a UTF-8 byte-order mark, the headers, the rows; every cell guarded, codes as text.
pub fn to_csv(sheet: &Sheet) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    let write = |w: &mut csv::Writer<Vec<u8>>, cells: Vec<String>| w.write_record(cells).expect("writing to memory");
    write(&mut w, sheet.headers.iter().map(|h| guard(h)).collect());
    for row in &sheet.rows {
        write(&mut w, row.iter().map(csv_cell).collect());
    }
    w.into_inner().expect("writing to memory")
}

/// A workbook with one sheet per table: bold frozen headers with filters, counts with thousands
/// separators, rates as percentages, changes in points; text always as string cells.
pub fn to_xlsx(title: &str, sheets: &[Sheet]) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    wb.set_properties(&DocProperties::new().set_title(title).set_author("dvc-monitor"));
    let header = Format::new().set_bold().set_text_wrap().set_background_color("#EEF1F4").set_border_bottom(rust_xlsxwriter::FormatBorder::Thin);
    let int = Format::new().set_num_format("#,##0");
    let rate = Format::new().set_num_format("0.0%");
    let pts = Format::new().set_num_format("+0.0\" đ.%\";-0.0\" đ.%\";0.0\" đ.%\"");
    let rank = Format::new().set_num_format("\"lên \"0;\"xuống \"0;\"không đổi\"");
    for sheet in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(&sheet.name)?;
        for (c, h) in sheet.headers.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, h, &header)?;
            ws.set_column_width(c as u16, if c == 0 || h.len() > 14 { 16 } else { 12 })?;
        }
        for (r, row) in sheet.rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, cell) in row.iter().enumerate() {
                let c = c as u16;
                match cell {
                    Cell::Text(s) | Cell::Code(s) if s.is_empty() => {}
                    Cell::Text(s) | Cell::Code(s) => {
                        ws.write_string(r, c, s)?;
                    }
                    Cell::Int(n) => {
                        ws.write_number_with_format(r, c, *n as f64, &int)?;
                    }
                    Cell::Rate(Some(v)) => {
                        ws.write_number_with_format(r, c, *v, &rate)?;
                    }
                    Cell::Points(Some(v)) => {
                        ws.write_number_with_format(r, c, (v * 1000.0).round() / 10.0, &pts)?;
                    }
                    Cell::RankChange(Some(v)) => {
                        ws.write_number_with_format(r, c, *v as f64, &rank)?;
                    }
                    Cell::Rate(None) | Cell::Points(None) | Cell::RankChange(None) => {}
                }
            }
        }
        // Names are the widest column.
        if let Some(c) = sheet.headers.iter().position(|h| h == "Đơn vị" || h == "Thủ tục" || h == "Phạm vi") {
            ws.set_column_width(c as u16, 40)?;
        }
        ws.set_freeze_panes(1, 0)?;
        if !sheet.rows.is_empty() && !sheet.headers.is_empty() {
            ws.autofilter(0, 0, sheet.rows.len() as u32, sheet.headers.len() as u16 - 1)?;
        }
    }
    wb.save_to_buffer()
}

/// The league table as the page shows it: ranked units, then the others; with each period's rate.
pub fn league_sheet(b: &LeagueBoard) -> Sheet {
    let mut headers: Vec<String> = [
        "Hạng",
        "Đơn vị",
        "Mã đơn vị",
        "Số hồ sơ",
        numerator_label(b.indicator),
        "Tỷ lệ",
        "Chỉ tiêu",
        "Chênh lệch",
        "Trạng thái",
        &change_heading(b.period.kind()),
        "Thay đổi hạng",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    headers.extend(b.periods.iter().map(|p| format!("Tỷ lệ {}", p.short_label())));
    headers.push("Tỉnh, thành phố".into());
    let rows = b
        .rows()
        .map(|r| {
            let x = &r.row;
            let mut cells = vec![
                x.rank.map_or(Cell::text(""), |k| Cell::Int(k as i64)),
                Cell::text(&x.name),
                Cell::text(&x.unit),
                Cell::Int(x.denominator),
                Cell::Int(x.numerator),
                Cell::Rate(x.rate),
                Cell::Rate(x.target.map(|t| t.as_f64())),
                Cell::Points(x.gap),
                Cell::text(x.status.label_vi()),
                Cell::Points(x.rate_change),
                Cell::RankChange(x.rank_change),
            ];
            cells.extend(r.history.iter().map(|f| Cell::Rate(f.rate())));
            cells.push(Cell::text(r.province.clone().unwrap_or_default()));
            cells
        })
        .collect();
    Sheet {
        name: format!("Xếp hạng {}", b.period.short_label().to_string().replace('/', "-")),
        title: format!("{} — {}, {}", b.indicator.label_vi(), b.kind.label_vi(), b.period.label_vi()),
        headers,
        rows,
    }
}

/// A judged unit and month as cells: numerator, denominator, rate, target, gap, status.
fn judged_cells(j: &crate::domain::kpi::Judgement) -> [Cell; 6] {
    [
        Cell::Int(j.figures.numerator),
        Cell::Int(j.figures.denominator),
        Cell::Rate(j.rate),
        Cell::Rate(j.target.map(|t| t.as_f64())),
        Cell::Points(j.gap),
        Cell::text(j.status.label_vi()),
    ]
}

/// The unit page's tables, in the page's order.
pub fn unit_sheets(page: &UnitPage) -> Vec<Sheet> {
    let r = &page.report;
    let h = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let indicators = Sheet {
        name: "Chỉ số".into(),
        title: format!("{}: các chỉ số {}", r.name, r.period.label_vi()),
        headers: h(&["Chỉ số", "Hồ sơ đạt", "Số hồ sơ", "Tỷ lệ", "Chỉ tiêu", "Chênh lệch", "Trạng thái", "Nguồn chỉ tiêu"]),
        rows: r
            .indicators
            .iter()
            .map(|i| {
                let mut row = vec![Cell::text(i.indicator.label_vi())];
                row.extend(judged_cells(&i.judged));
                row.push(Cell::text(i.target_source.clone().unwrap_or_default()));
                row
            })
            .collect(),
    };
    let span = format!("{} {}", page.history.first().map_or(0, |ih| ih.points.len()), r.period.kind().unit_vi());
    let history = Sheet {
        name: span.clone(),
        title: format!("{}: {span} đến {}", r.name, r.period.label_vi()),
        headers: h(&["Chỉ số", r.period.kind().label_vi(), "Hồ sơ đạt", "Số hồ sơ", "Tỷ lệ", "Chỉ tiêu", "Chênh lệch", "Trạng thái"]),
        rows: page
            .history
            .iter()
            .flat_map(|ih| {
                ih.points.iter().map(move |p| {
                    let mut row = vec![Cell::text(ih.indicator.label_vi()), Cell::text(p.period.short_label().to_string())];
                    row.extend(judged_cells(&p.judged));
                    row
                })
            })
            .collect(),
    };
    let s = &page.shortfalls;
    let breakdown_rows = |scope: &str, code: &str, b: &Breakdown| {
        let mut rows: Vec<Vec<Cell>> = b
            .steps
            .iter()
            .map(|st| {
                vec![
                    Cell::text(scope),
                    Cell::text(code),
                    Cell::text(step_label(st.step)),
                    Cell::Int(st.only),
                    Cell::Int(st.with_step),
                    Cell::Points(st.gain),
                ]
            })
            .collect();
        rows.push(vec![
            Cell::text(scope),
            Cell::text(code),
            Cell::text("Lỗi từ hai bước trở lên"),
            Cell::Int(b.several),
            Cell::text(""),
            Cell::Points(b.several_gain),
        ]);
        rows.push(vec![
            Cell::text(scope),
            Cell::text(code),
            Cell::text("Tất cả hồ sơ chưa toàn trình"),
            Cell::Int(b.not_online),
            Cell::text(""),
            Cell::Points(b.all_gain),
        ]);
        rows
    };
    let mut shortfall_rows = breakdown_rows("Toàn đơn vị", "", &s.unit);
    for p in &s.procedures {
        shortfall_rows.extend(breakdown_rows(&p.name, &p.procedure, &p.breakdown));
    }
    let shortfalls = Sheet {
        name: "Nâng tỷ lệ".into(),
        title: format!("{}: hồ sơ chưa toàn trình {}", r.name, r.period.label_vi()),
        headers: h(&["Phạm vi", "Mã thủ tục", "Bước bị lỗi", "Chỉ lỗi bước này", "Có lỗi bước này", "Tỷ lệ tăng thêm nếu khắc phục"]),
        rows: shortfall_rows,
    };
    let procedures = Sheet {
        name: "Theo thủ tục".into(),
        title: format!("{}: theo thủ tục {}", r.name, r.period.label_vi()),
        headers: h(&[
            "Mã thủ tục",
            "Thủ tục",
            "Mức độ",
            "Hồ sơ toàn trình",
            "Hồ sơ đã trả",
            "Tỷ lệ toàn trình",
            "Hồ sơ nộp trực tuyến",
            "Hồ sơ tiếp nhận",
            "Hồ sơ đúng hạn",
            "Hồ sơ có hạn",
        ]),
        rows: r
            .procedures
            .iter()
            .map(|p| {
                vec![
                    Cell::text(&p.procedure),
                    Cell::text(&p.name),
                    Cell::text(p.level.map(|l| l.label_vi()).unwrap_or("")),
                    Cell::Int(p.completion.numerator),
                    Cell::Int(p.completion.denominator),
                    Cell::Rate(p.completion.rate()),
                    Cell::Int(p.intake.numerator),
                    Cell::Int(p.intake.denominator),
                    Cell::Int(p.on_time.numerator),
                    Cell::Int(p.on_time.denominator),
                ]
            })
            .collect(),
    };
    vec![indicators, history, shortfalls, procedures]
}

/// The dossiers to chase as one table: codes as codes, times in Vietnam time, steps in words and codes.
pub fn dossiers_sheet(l: &ChaseList) -> Sheet {
    let time = |t: &Option<String>| {
        Cell::text(t.as_deref().and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok()).map(|t| t.format("%d/%m/%Y %H:%M").to_string()).unwrap_or_default())
    };
    let headers = [
        "Mã hồ sơ", "Mã đơn vị", "Đơn vị", "Mã thủ tục", "Thủ tục", "Tiếp nhận", "Trả kết quả", "Hạn giải quyết", "Kênh nộp",
        "Nhận kết quả", "Phí, lệ phí", "Bước chưa đạt", "Mã bước chưa đạt",
    ];
    let rows = l
        .dossiers
        .iter()
        .map(|d| {
            vec![
                Cell::Code(d.code.clone()),
                Cell::Code(d.unit.clone()),
                Cell::text(&d.unit_name),
                Cell::Code(d.procedure.clone()),
                Cell::text(&d.procedure_name),
                time(&d.received_at),
                time(&d.returned_at),
                time(&d.due),
                Cell::text(channel_vi(d.channel)),
                Cell::text(channel_vi(d.result_delivery)),
                Cell::text(payment_vi(d.payment)),
                Cell::text(d.failed.iter().map(|s| step_vi(*s)).collect::<Vec<_>>().join("; ")),
                Cell::text(d.failed.iter().map(|s| s.code()).collect::<Vec<_>>().join(";")),
            ]
        })
        .collect();
    Sheet {
        name: format!("Hồ sơ {}", l.period.short_label().to_string().replace('/', "-")),
        title: format!("{}: hồ sơ cần xử lý ({}), {}", l.name, l.indicator.label_vi(), l.period.label_vi()),
        headers: headers.iter().map(|h| h.to_string()).collect(),
        rows,
    }
}

/// `GET /export/units/CODE/dossiers.csv` and `.xlsx`: every page of `/units/CODE/dossiers` with the
/// same query parameters.
pub async fn unit_dossiers(State(state): State<AppState>, Path((code, file)): Path<(String, String)>, Query(p): Query<ChaseParams>) -> Result<Response> {
    let ext = match file.as_str() {
        "dossiers.csv" => "csv",
        "dossiers.xlsx" => "xlsx",
        _ => return Err(AppError::NotFound(format!("unknown export {file:?} (expected dossiers.csv or dossiers.xlsx)"))),
    };
    let list = list_for(&state, &code, &p, false).await?;
    let sheet = dossiers_sheet(&list);
    let name = file_safe(&format!("ho-so-can-xu-ly-{}-{}-{}", list.unit, list.period, list.indicator));
    if ext == "xlsx" {
        let bytes = to_xlsx(&sheet.title, std::slice::from_ref(&sheet)).map_err(xlsx_error)?;
        return Ok(download(bytes, XLSX_TYPE, &format!("{name}.xlsx")));
    }
    Ok(download(to_csv(&sheet), CSV_TYPE, &format!("{name}.csv")))
}

/// The CSV table names of a unit's export, in `unit_sheets` order.
pub const UNIT_TABLES: [&str; 4] = ["indicators", "history", "shortfalls", "procedures"];

/// Letters, digits, `-` and `_` only, for a file name.
fn file_safe(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect()
}

fn download(bytes: Vec<u8>, content_type: &str, filename: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\"")),
        ],
        bytes,
    )
        .into_response()
}

const CSV_TYPE: &str = "text/csv; charset=utf-8";
const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn xlsx_error(e: XlsxError) -> AppError {
    tracing::error!(error = %e, "cannot write workbook");
    AppError::BadRequest(format!("cannot write the workbook: {e}"))
}

fn league_name(b: &LeagueBoard) -> String {
    file_safe(&format!("xep-hang-{}-{}-{}{}", b.period, b.kind, b.indicator, b.parent.as_deref().map(|p| format!("-{p}")).unwrap_or_default()))
}

/// `GET /export/league.csv`: the league table of `/` with the same query parameters.
pub async fn league_csv(State(state): State<AppState>, Query(p): Query<ReadParams>) -> Result<Response> {
    let (board, _) = board_for(&state, &p).await?;
    Ok(download(to_csv(&league_sheet(&board)), CSV_TYPE, &format!("{}.csv", league_name(&board))))
}

/// `GET /export/league.xlsx`: the same as a workbook.
pub async fn league_xlsx(State(state): State<AppState>, Query(p): Query<ReadParams>) -> Result<Response> {
    let (board, _) = board_for(&state, &p).await?;
    let sheet = league_sheet(&board);
    let bytes = to_xlsx(&sheet.title, std::slice::from_ref(&sheet)).map_err(xlsx_error)?;
    Ok(download(bytes, XLSX_TYPE, &format!("{}.xlsx", league_name(&board))))
}

/// `GET /export/units/CODE.csv?table=…` (one table: indicators, history, shortfalls or procedures, the
/// default) and `GET /export/units/CODE.xlsx` (every table, a sheet each).
pub async fn unit(State(state): State<AppState>, Path(file): Path<String>, Query(p): Query<ReadParams>) -> Result<Response> {
    let (code, ext) = file
        .rsplit_once('.')
        .filter(|(_, e)| matches!(*e, "csv" | "xlsx"))
        .ok_or_else(|| AppError::NotFound(format!("unknown export {file:?} (expected CODE.csv or CODE.xlsx)")))?;
    let (page, _) = page_for(&state, code, &p).await?;
    let sheets = unit_sheets(&page);
    let name = file_safe(&format!("don-vi-{}-{}", page.report.unit, page.report.period));
    if ext == "xlsx" {
        let bytes = to_xlsx(&format!("{} — {}", page.report.name, page.report.period.label_vi()), &sheets).map_err(xlsx_error)?;
        return Ok(download(bytes, XLSX_TYPE, &format!("{name}.xlsx")));
    }
    let table = p.table.as_deref().map(str::trim).filter(|t| !t.is_empty()).unwrap_or("procedures");
    let i = UNIT_TABLES.iter().position(|t| *t == table).ok_or_else(|| {
        AppError::BadRequest(format!("unknown table {table:?} (expected {})", UNIT_TABLES.join(", ")))
    })?;
    Ok(download(to_csv(&sheets[i]), CSV_TYPE, &format!("{name}-{table}.csv")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_like_text_is_quoted() {
        for bad in ["=1+2", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "=HYPERLINK(\"http://x\")"] {
            assert_eq!(guard(bad), format!("'{bad}"));
        }
        for fine in ["Sở Tư pháp", "62,2 %", "−3,1 đ.%", "1 = 1", "", "'quoted"] {
            assert_eq!(guard(fine), fine);
        }
    }

    fn sheet(rows: Vec<Vec<Cell>>) -> Sheet {
        Sheet { name: "T".into(), title: "T".into(), headers: vec!["Đơn vị".into(), "Tỷ lệ".into()], rows }
    }

    #[test]
    fn csv_has_a_bom_vietnamese_figures_and_guarded_cells() {
        let csv = to_csv(&sheet(vec![
            vec![Cell::text("=cmd|' /C calc'!A0"), Cell::Rate(Some(0.6224))],
            vec![Cell::text("Phường Hồng Bàng"), Cell::Points(Some(-0.031))],
            vec![Cell::Int(12345), Cell::Points(Some(0.031))],
            vec![Cell::RankChange(Some(-2)), Cell::Rate(None)],
        ]));
        assert!(csv.starts_with(b"\xEF\xBB\xBF"));
        let text = String::from_utf8(csv[3..].to_vec()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "Đơn vị,Tỷ lệ");
        assert_eq!(lines[1], "'=cmd|' /C calc'!A0,\"62,2 %\"");
        assert_eq!(lines[2], "Phường Hồng Bàng,\"−3,1 đ.%\"");
        assert_eq!(lines[3], "12345,\"3,1 đ.%\"");
        assert_eq!(lines[4], "xuống 2,");
    }

    #[test]
    fn codes_stay_text_and_inert_in_csv() {
        let csv = to_csv(&sheet(vec![vec![Cell::Code("00070".into()), Cell::Code("1-2\",HYPERLINK(\"x\")".into())]]));
        let text = String::from_utf8(csv[3..].to_vec()).unwrap();
        let mut r = csv::Reader::from_reader(text.as_bytes());
        let row = r.records().next().unwrap().unwrap();
        assert_eq!(&row[0], "=\"00070\"");
        // The quote inside is doubled: the whole code stays one string literal.
        assert_eq!(&row[1], "=\"1-2\"\",HYPERLINK(\"\"x\"\")\"");
    }

    #[test]
    fn workbook_is_a_zip_with_shared_strings() {
        let bytes = to_xlsx("t", &[sheet(vec![vec![Cell::text("=1+1"), Cell::Rate(Some(0.5))]])]).unwrap();
        assert!(bytes.starts_with(b"PK"));
    }
}
