//! A unit's page as exported: its indicators, the periods before, what would raise its rate, and its
//! procedures with a total row (sums of each count, the rate of the sums). Every title names the unit
//! and its code.

use super::sheet::{columns, rate_of, Cell, Sheet};
use crate::domain::kpi::Judgement;
use crate::report::shortfall::{step_label, step_slug, Breakdown};
use crate::report::unit::UnitPage;

/// The CSV table names of a unit's export, in `unit_sheets` order.
pub const UNIT_TABLES: [&str; 4] = ["indicators", "history", "shortfalls", "procedures"];

/// A judged unit and period as cells: numerator, denominator, rate, target, gap, status.
fn judged_cells(j: &Judgement) -> [Cell; 6] {
    [
        Cell::Int(j.figures.numerator),
        Cell::Int(j.figures.denominator),
        Cell::Rate(j.rate),
        Cell::Rate(j.target.map(|t| t.as_f64())),
        Cell::Points(j.gap),
        Cell::Status(j.status),
    ]
}

const JUDGED: [(&str, &str); 6] = [
    ("Hồ sơ đạt", "numerator"),
    ("Số hồ sơ", "denominator"),
    ("Tỷ lệ", "rate"),
    ("Chỉ tiêu", "target"),
    ("Chênh lệch", "gap"),
    ("Trạng thái", "status"),
];

const SHORTFALL_COLUMNS: [(&str, &str); 6] = [
    ("Phạm vi", "name"),
    ("Mã thủ tục", "procedure"),
    ("Bước bị lỗi", "step"),
    ("Chỉ lỗi bước này", "only"),
    ("Có lỗi bước này", "with_step"),
    ("Tỷ lệ tăng thêm nếu khắc phục", "gain"),
];

/// A procedure's three indicators as counts and its average processing time, flattened into the data
/// CSV's keys.
const PROCEDURE_COLUMNS: [(&str, &str); 12] = [
    ("Mã thủ tục", "procedure"),
    ("Thủ tục", "name"),
    ("Mức độ", "level"),
    ("Hồ sơ toàn trình", "completion_numerator"),
    ("Hồ sơ đã trả", "completion_denominator"),
    ("Tỷ lệ toàn trình", "completion_rate"),
    ("Hồ sơ nộp trực tuyến", "intake_numerator"),
    ("Hồ sơ tiếp nhận", "intake_denominator"),
    ("Hồ sơ đúng hạn", "on_time_numerator"),
    ("Hồ sơ có hạn", "on_time_denominator"),
    ("Thời gian xử lý TB (ngày)", "processing_average_days"),
    ("Hồ sơ tính thời gian", "processing_dossiers"),
];

/// The steps a breakdown lists, then "several" and "all", as rows.
fn breakdown_rows(scope: &str, code: &str, b: &Breakdown) -> Vec<Vec<Cell>> {
    let row = |step: Cell, only: i64, with_step: Cell, gain: Option<f64>| {
        vec![Cell::text(scope), Cell::code(code), step, Cell::Int(only), with_step, Cell::Points(gain)]
    };
    let mut rows: Vec<Vec<Cell>> =
        b.steps.iter().map(|st| row(Cell::label(step_label(st.step), step_slug(st.step)), st.only, Cell::Int(st.with_step), st.gain)).collect();
    rows.push(row(Cell::label("Lỗi từ hai bước trở lên", "several"), b.several, Cell::empty(), b.several_gain));
    rows.push(row(Cell::label("Tất cả hồ sơ chưa toàn trình", "not_online"), b.not_online, Cell::empty(), b.all_gain));
    rows
}

/// The unit page's tables, in the page's order.
pub fn unit_sheets(page: &UnitPage) -> Vec<Sheet> {
    let r = &page.report;
    let who = format!("{} ({})", r.name, r.unit);
    let indicator = |i: crate::domain::Indicator| Cell::label(i.label_vi(), i.as_str());
    let mut cols = columns(&[("Chỉ số", "indicator")]);
    cols.extend(columns(&JUDGED));
    cols.extend(columns(&[("Nguồn chỉ tiêu", "target_source")]));
    let indicators = Sheet {
        name: "Chỉ số".into(),
        title: format!("{who}: các chỉ số"),
        columns: cols,
        rows: r
            .indicators
            .iter()
            .map(|i| {
                let mut row = vec![indicator(i.indicator)];
                row.extend(judged_cells(&i.judged));
                row.push(Cell::text(i.target_source.clone().unwrap_or_default()));
                row
            })
            .collect(),
        total: None,
    };
    let span = format!("{} {}", page.history.first().map_or(0, |ih| ih.points.len()), r.period.kind().unit_vi());
    let mut cols = columns(&[("Chỉ số", "indicator"), (r.period.kind().label_vi(), "period")]);
    cols.extend(columns(&JUDGED));
    let history = Sheet {
        name: span.clone(),
        title: format!("{who}: {span} đến {}", r.period.label_vi()),
        columns: cols,
        rows: page
            .history
            .iter()
            .flat_map(|ih| {
                ih.points.iter().map(move |p| {
                    let mut row = vec![indicator(ih.indicator), Cell::label(p.period.short_label().to_string(), p.period.to_string())];
                    row.extend(judged_cells(&p.judged));
                    row
                })
            })
            .collect(),
        total: None,
    };
    let s = &page.shortfalls;
    let mut shortfall_rows = breakdown_rows("Toàn đơn vị", "", &s.unit);
    for p in &s.procedures {
        shortfall_rows.extend(breakdown_rows(&p.name, &p.procedure, &p.breakdown));
    }
    let shortfalls = Sheet {
        name: "Nâng tỷ lệ".into(),
        title: format!("{who}: hồ sơ chưa toàn trình và tỷ lệ tăng thêm nếu khắc phục"),
        columns: columns(&SHORTFALL_COLUMNS),
        rows: shortfall_rows,
        total: None,
    };
    let sum = |f: fn(&crate::report::unit::ProcedureBreakdown) -> crate::domain::Figures| {
        r.procedures.iter().map(f).fold((0, 0), |(n, d), x| (n + x.numerator, d + x.denominator))
    };
    let (completion, intake, on_time) = (sum(|p| p.completion), sum(|p| p.intake), sum(|p| p.on_time));
    let processing = crate::report::unit::ProcessingTime::overall(&r.procedures);
    let procedures = Sheet {
        name: "Theo thủ tục".into(),
        title: format!("{who}: theo thủ tục"),
        columns: columns(&PROCEDURE_COLUMNS),
        rows: r
            .procedures
            .iter()
            .map(|p| {
                vec![
                    Cell::code(&p.procedure),
                    Cell::text(&p.name),
                    p.level.map_or(Cell::empty(), |l| Cell::label(l.label_vi(), l.as_str())),
                    Cell::Int(p.completion.numerator),
                    Cell::Int(p.completion.denominator),
                    Cell::Rate(p.completion.rate()),
                    Cell::Int(p.intake.numerator),
                    Cell::Int(p.intake.denominator),
                    Cell::Int(p.on_time.numerator),
                    Cell::Int(p.on_time.denominator),
                    Cell::Days(p.processing.average_days),
                    Cell::Int(p.processing.dossiers),
                ]
            })
            .collect(),
        total: Some(vec![
            Cell::empty(),
            Cell::text(format!("Tổng cộng ({} thủ tục)", r.procedures.len())),
            Cell::empty(),
            Cell::Int(completion.0),
            Cell::Int(completion.1),
            Cell::Rate(rate_of(completion.0, completion.1)),
            Cell::Int(intake.0),
            Cell::Int(intake.1),
            Cell::Int(on_time.0),
            Cell::Int(on_time.1),
            Cell::Days(processing.average_days),
            Cell::Int(processing.dossiers),
        ]),
    };
    vec![indicators, history, shortfalls, procedures]
}
