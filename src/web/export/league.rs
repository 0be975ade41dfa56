//! The league table as exported: the page's rows in the page's order, each period's rate, and a total
//! row (sums of numerators and denominators of the rows shown, the rate of those sums, never a mean of
//! rates, and how many units have each status). The workbook prints it as two sheets: the ranking
//! (one A4 width) and the rates over the periods before.

use super::sheet::{columns, rate_of, status_counts, Cell, Column, Sheet};
use crate::domain::UnitKind;
use crate::report::league::LeagueBoard;
use crate::web::pages::league::{change_heading, numerator_label};

/// Columns of the full table before the periods' rates.
const MAIN: usize = 11;

/// What the table is: "Bảng xếp hạng Sở, ban, ngành: Tỷ lệ hồ sơ trực tuyến toàn trình", and the search.
pub fn league_title(b: &LeagueBoard) -> String {
    let search = b.search.as_deref().map(|q| format!(" (tìm “{q}”)")).unwrap_or_default();
    format!("Bảng xếp hạng {}: {}{search}", b.kind.label_vi(), b.indicator.label_vi())
}

/// The whole table: the ranking, a rate per period (`Tỷ lệ MM/YYYY`), the province; and its total row.
pub fn league_sheet(b: &LeagueBoard) -> Sheet {
    let change = change_heading(b.period.kind());
    let mut cols = columns(&[
        ("Hạng", "rank"),
        ("Đơn vị", "name"),
        ("Mã đơn vị", "unit"),
        ("Số hồ sơ", "denominator"),
        (numerator_label(b.indicator), "numerator"),
        ("Tỷ lệ", "rate"),
        ("Chỉ tiêu", "target"),
        ("Chênh lệch", "gap"),
        ("Trạng thái", "status"),
        (&change, "rate_change"),
        ("Thay đổi hạng", "rank_change"),
    ]);
    cols.extend(b.periods.iter().map(|p| Column { vi: format!("Tỷ lệ {}", p.short_label()), key: format!("rate_{p}") }));
    cols.extend(columns(&[("Tỉnh, thành phố", "province")]));
    let rows = b
        .rows()
        .map(|r| {
            let x = &r.row;
            let mut cells = vec![
                x.rank.map_or(Cell::empty(), |k| Cell::Int(k as i64)),
                Cell::text(&x.name),
                Cell::code(&x.unit),
                Cell::Int(x.judged.figures.denominator),
                Cell::Int(x.judged.figures.numerator),
                Cell::Rate(x.judged.rate),
                Cell::Rate(x.judged.target.map(|t| t.as_f64())),
                Cell::Points(x.judged.gap),
                Cell::Status(x.judged.status),
                Cell::Points(x.rate_change),
                Cell::RankChange(x.rank_change),
            ];
            cells.extend(r.history.iter().map(|f| Cell::Rate(f.rate())));
            cells.push(Cell::text(r.province.clone().unwrap_or_default()));
            cells
        })
        .collect();
    let (numerator, denominator) = b.rows().fold((0, 0), |(n, d), r| (n + r.row.judged.figures.numerator, d + r.row.judged.figures.denominator));
    let mut total = vec![
        Cell::empty(),
        Cell::text(format!("Tổng cộng ({} đơn vị)", b.rows().count())),
        Cell::empty(),
        Cell::Int(denominator),
        Cell::Int(numerator),
        Cell::Rate(rate_of(numerator, denominator)),
        Cell::empty(),
        Cell::empty(),
        Cell::StatusCounts(status_counts(b.rows().map(|r| r.row.judged.status))),
        Cell::empty(),
        Cell::empty(),
    ];
    total.extend((0..b.periods.len()).map(|i| {
        let (n, d) = b.rows().filter_map(|r| r.history.get(i)).fold((0, 0), |(n, d), f| (n + f.numerator, d + f.denominator));
        Cell::Rate(rate_of(n, d))
    }));
    total.push(Cell::empty());
    Sheet {
        name: format!("Xếp hạng {}", b.period.short_label().to_string().replace('/', "-")),
        title: league_title(b),
        columns: cols,
        rows,
        total: Some(total),
    }
}

/// The workbook's sheets: the ranking, with the province only in a nationwide table of departments or
/// communes (a province's own table says it in its titles; a province is its own), then the rates over
/// the periods before.
pub fn league_sheets(b: &LeagueBoard) -> Vec<Sheet> {
    let full = league_sheet(b);
    let province = full.columns.len() - 1;
    let nationwide = b.parent.is_none() && matches!(b.kind, UnitKind::Department | UnitKind::Commune);
    let mut main: Vec<usize> = (0..MAIN).collect();
    let mut history: Vec<usize> = vec![1, 2];
    if nationwide {
        main.push(province);
        history.push(province);
    }
    history.extend(MAIN..province);
    let span = format!("{} {}", b.periods.len(), b.period.kind().unit_vi());
    vec![
        full.select(&full.name, &full.title, &main),
        full.select(&format!("Tỷ lệ {span}"), &format!("{}, {span} đến {}", full.title, b.period.label_vi()), &history),
    ]
}
