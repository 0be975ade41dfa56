//! Workbooks fit to forward: each sheet opens with what the table is, where and when its figures are
//! from and when it was exported, then the table (a frozen header row with filters on the table only,
//! statuses filled in the pages' colours with their names kept, a bold total row), printed A4 landscape,
//! every column on one page width, the header row on every page, the title and "Trang n/N" in the page
//! header and footer. Numbers are real numbers; text (codes included) is always a string cell, never a
//! formula.

use super::csv_file::counts_vi;
use super::sheet::{Cell, Heading, Sheet};
use crate::domain::kpi::Status;
use crate::web::pages::period::local_time;
use crate::web::pages::status_class;
use rust_xlsxwriter::{DocProperties, Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};

/// The title lines above each table: what, where, when, source; then a blank row.
const HEADER_ROW: u32 = 5;
/// Column widths, in characters of the default font: names wrap beyond the cap.
const MIN_WIDTH: f64 = 6.0;
const MAX_WIDTH: f64 = 60.0;
/// Vietnamese letters with their marks run a little wider than the digits Excel measures widths in.
const CHAR_WIDTH: f64 = 1.1;
/// Points per line of 11-point text.
const LINE_HEIGHT: f64 = 15.0;

/// The "Nguồn" line of every sheet.
pub fn source_line(exported_at_ms: i64) -> String {
    format!("Nguồn: dvc-monitor, xuất lúc {}", local_time(exported_at_ms))
}

/// Fill and text colour of a status: the pages' colours (`--ok`, `--warn`, `--bad`, `--none` in
/// `pages/layout.rs`) as text on a light tint of the same hue, readable when printed in grey.
fn status_colours(s: Status) -> (&'static str, &'static str) {
    match status_class(s) {
        "ok" => ("#DCEFE1", "#146C2E"),
        "warn" => ("#FBE9CF", "#8A4B00"),
        "bad" => ("#F9DCDD", "#A4161A"),
        _ => ("#E8EAED", "#525A65"),
    }
}

/// The formats of one kind of row (the table's, or the total's).
struct Formats {
    text: Format,
    code: Format,
    int: Format,
    rate: Format,
    points: Format,
    days: Format,
    rank: Format,
}

impl Formats {
    fn new(row: impl Fn(Format) -> Format) -> Formats {
        let base = || row(Format::new().set_border(FormatBorder::Thin).set_border_color("#B8C0C9").set_align(FormatAlign::Top));
        Formats {
            text: base().set_text_wrap(),
            code: base().set_num_format("@"),
            int: base().set_num_format("#,##0"),
            rate: base().set_num_format("0.0%"),
            points: base().set_num_format("+0.0\" đ.%\";-0.0\" đ.%\";0.0\" đ.%\""),
            days: base().set_num_format("0.0"),
            rank: base().set_num_format("\"lên \"0;\"xuống \"0;\"không đổi\""),
        }
    }

    fn status(&self, s: Status) -> Format {
        let (fill, ink) = status_colours(s);
        self.text.clone().set_bold().set_background_color(fill).set_font_color(ink)
    }
}

/// How many characters a cell shows (the longest line), for the column's width.
fn shown_len(cell: &Cell) -> usize {
    let longest = |s: &str| s.lines().map(|l| l.chars().count()).max().unwrap_or(0);
    match cell {
        Cell::Text(s) | Cell::Code(s) => longest(s),
        Cell::Label { vi, .. } => longest(vi),
        Cell::Int(n) => n.to_string().len() * 4 / 3,
        Cell::Rate(_) => 6,
        Cell::Points(_) => 12,
        Cell::Days(_) => 6,
        Cell::RankChange(_) => 9,
        Cell::Status(s) => s.label_vi().chars().count(),
        // Wraps, a status a line: never widens the column.
        Cell::StatusCounts(_) => 0,
    }
}

/// Each column's width: its widest cell or its heading (which may wrap onto two lines, never mid-word),
/// within `MIN_WIDTH..=MAX_WIDTH`.
fn widths(sheet: &Sheet) -> Vec<f64> {
    sheet
        .columns
        .iter()
        .enumerate()
        .map(|(i, col)| {
            let words = col.vi.split_whitespace().map(|w| w.chars().count()).max().unwrap_or(0);
            let heading = words.max(col.vi.chars().count().div_ceil(2));
            let cells = sheet.rows.iter().chain(&sheet.total).filter_map(|r| r.get(i)).map(shown_len).max().unwrap_or(0);
            (heading.max(cells) as f64 * CHAR_WIDTH + 2.0).clamp(MIN_WIDTH, MAX_WIDTH)
        })
        .collect()
}

/// Lines a text takes in a column of `width`, wrapped.
fn lines_in(text: &str, width: f64) -> usize {
    let per_line = ((width - 1.0) / CHAR_WIDTH).max(1.0) as usize;
    text.lines().map(|l| l.chars().count().div_ceil(per_line).max(1)).sum::<usize>().max(1)
}

/// A row's height when a text of it wraps (none when one line is enough: the default height).
fn row_height(texts: impl Iterator<Item = (String, f64)>) -> Option<f64> {
    let lines = texts.map(|(t, w)| lines_in(&t, w)).max().unwrap_or(1);
    (lines > 1).then_some(lines as f64 * LINE_HEIGHT)
}

fn wrapped_text(cell: &Cell) -> String {
    match cell {
        Cell::Text(s) => s.clone(),
        Cell::Label { vi, .. } => vi.clone(),
        Cell::StatusCounts(counts) => counts_vi(counts, "\n"),
        _ => String::new(),
    }
}

fn put(ws: &mut Worksheet, r: u32, c: u16, cell: &Cell, f: &Formats) -> Result<(), XlsxError> {
    match cell {
        Cell::Text(s) | Cell::Label { vi: s, .. } if !s.is_empty() => ws.write_string_with_format(r, c, s, &f.text)?,
        Cell::Code(s) if !s.is_empty() => ws.write_string_with_format(r, c, s, &f.code)?,
        Cell::Int(n) => ws.write_number_with_format(r, c, *n as f64, &f.int)?,
        Cell::Rate(Some(v)) => ws.write_number_with_format(r, c, *v, &f.rate)?,
        Cell::Points(Some(v)) => ws.write_number_with_format(r, c, (v * 1000.0).round() / 10.0, &f.points)?,
        Cell::Days(Some(v)) => ws.write_number_with_format(r, c, (v * 10.0).round() / 10.0, &f.days)?,
        Cell::RankChange(Some(v)) => ws.write_number_with_format(r, c, *v as f64, &f.rank)?,
        Cell::Status(s) => ws.write_string_with_format(r, c, s.label_vi(), &f.status(*s))?,
        Cell::StatusCounts(counts) => ws.write_string_with_format(r, c, counts_vi(counts, "\n"), &f.text)?,
        // Empty cells keep the table's borders.
        _ => ws.write_blank(r, c, &f.text)?,
    };
    Ok(())
}

/// Text for a page header or footer, at most `max` characters: `&` is a code there (doubled after
/// shortening, so never cut in half), and Excel refuses a header of more than 255 characters.
fn header_text(s: &str, max: usize) -> String {
    let short = if s.chars().count() > max { format!("{}…", s.chars().take(max - 1).collect::<String>()) } else { s.to_string() };
    short.replace('&', "&&")
}

fn write_sheet(ws: &mut Worksheet, sheet: &Sheet, heading: &Heading) -> Result<(), XlsxError> {
    ws.set_name(&sheet.name)?;
    let title = Format::new().set_bold().set_font_size(14);
    let line = Format::new().set_font_color("#3B424A");
    let source = source_line(heading.exported_at_ms);
    ws.write_string_with_format(0, 0, &sheet.title, &title)?;
    ws.set_row_height(0, 20)?;
    ws.write_string_with_format(1, 0, format!("Địa bàn: {}", heading.place), &line)?;
    ws.write_string_with_format(2, 0, format!("Kỳ báo cáo: {}", heading.when), &line)?;
    ws.write_string_with_format(3, 0, &source, &line)?;

    let widths = widths(sheet);
    let header = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Top)
        .set_background_color("#EEF1F4")
        .set_border(FormatBorder::Thin)
        .set_border_color("#B8C0C9")
        .set_border_bottom(FormatBorder::Medium);
    for (c, col) in sheet.columns.iter().enumerate() {
        ws.set_column_width(c as u16, widths[c])?;
        ws.write_string_with_format(HEADER_ROW, c as u16, &col.vi, &header)?;
    }
    if let Some(h) = row_height(sheet.columns.iter().zip(&widths).map(|(col, w)| (col.vi.clone(), *w))) {
        ws.set_row_height(HEADER_ROW, h)?;
    }
    let body = Formats::new(|f| f);
    let totals = Formats::new(|f| f.set_bold().set_border_top(FormatBorder::Double).set_background_color("#F3F5F7"));
    let rows = sheet.rows.iter().map(|r| (r, &body)).chain(sheet.total.iter().map(|r| (r, &totals)));
    for (i, (row, formats)) in rows.enumerate() {
        let r = HEADER_ROW + 1 + i as u32;
        for (c, cell) in row.iter().enumerate() {
            put(ws, r, c as u16, cell, formats)?;
        }
        if let Some(h) = row_height(row.iter().zip(&widths).map(|(cell, w)| (wrapped_text(cell), *w))) {
            ws.set_row_height(r, h)?;
        }
    }

    ws.set_freeze_panes(HEADER_ROW + 1, 0)?;
    if !sheet.rows.is_empty() && !sheet.columns.is_empty() {
        // The table only: sorting must not move the total row or the titles.
        ws.autofilter(HEADER_ROW, 0, HEADER_ROW + sheet.rows.len() as u32, sheet.columns.len() as u16 - 1)?;
    }
    ws.set_paper_size(9) // A4
        .set_landscape()
        .set_print_fit_to_pages(1, 0)
        .set_print_center_horizontally(true)
        .set_margins(0.4, 0.4, 0.6, 0.6, 0.25, 0.25)
        // Within 255 characters even if every one were a doubled `&`: 15 + 2 × 80 + 2 × 40.
        .set_header(format!("&L&\"-,Bold\"{}&R{}", header_text(&sheet.title, 80), header_text(&heading.place, 40)))
        .set_footer(format!("&L{}&RTrang &P/&N", header_text(&source, 80)));
    ws.set_repeat_rows(HEADER_ROW, HEADER_ROW)?;
    Ok(())
}

/// A workbook with one sheet per table, each with its titles and page setup.
pub fn to_xlsx(title: &str, heading: &Heading, sheets: &[Sheet]) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    wb.set_properties(&DocProperties::new().set_title(title).set_author("dvc-monitor"));
    for sheet in sheets {
        write_sheet(wb.add_worksheet(), sheet, heading)?;
    }
    wb.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::super::sheet::columns;
    use super::*;

    fn sheet(rows: Vec<Vec<Cell>>) -> Sheet {
        Sheet { name: "T".into(), title: "T".into(), columns: columns(&[("Đơn vị", "name"), ("Tỷ lệ", "rate")]), rows, total: None }
    }

    #[test]
    fn widths_follow_the_content_within_the_cap() {
        let long = "Ban Quản lý các khu công nghiệp, khu chế xuất và khu kinh tế thành phố Hải Phòng";
        let w = widths(&sheet(vec![vec![Cell::text("Sở Y tế"), Cell::Rate(Some(0.5))], vec![Cell::text(long), Cell::Rate(None)]]));
        assert_eq!(w[0], MAX_WIDTH, "a long name is capped and wraps");
        assert_eq!(w[1], MIN_WIDTH.max(6.0 * CHAR_WIDTH + 2.0));
        assert_eq!(lines_in(long, w[0]), 2);
        assert_eq!(row_height([(long.to_string(), w[0])].into_iter()), Some(2.0 * LINE_HEIGHT));
        assert_eq!(row_height([("Sở Y tế".to_string(), w[0])].into_iter()), None);
    }

    #[test]
    fn header_text_escapes_ampersands_and_stays_short() {
        assert_eq!(header_text("A & B", 80), "A && B");
        assert_eq!(header_text(&"x".repeat(300), 80).chars().count(), 80);
        assert_eq!(header_text(&"&".repeat(100), 80).chars().count(), 2 * 79 + 1);
    }

    #[test]
    fn workbook_is_a_zip() {
        let heading = Heading { place: "Toàn quốc".into(), when: "tháng 11/2026".into(), exported_at_ms: 0 };
        let bytes = to_xlsx("t", &heading, &[sheet(vec![vec![Cell::text("=1+1"), Cell::Rate(Some(0.5))]])]).unwrap();
        assert!(bytes.starts_with(b"PK"));
    }
}
