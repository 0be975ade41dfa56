//! HTML snapshots of the views, rendered from fixed data without a server or a database: the league
//! table (a province's departments, its communes with a search, the provinces nationwide) and a unit
//! page and its dossiers to chase. Each is compared with `tests/snapshots/NAME.html`; `UPDATE_SNAPSHOTS=1 cargo test --test
//! snapshots` rewrites them after an intended change (review the diff before committing).

mod common;

use dvc_monitor::domain::{Channel, DossierFacts, Figures, Indicator, Month, Payment, UnitKind, UnitTree};
use dvc_monitor::registry::{import, Registry};
use dvc_monitor::report::history;
use dvc_monitor::report::figures::Ledger;
use dvc_monitor::report::league::{board, LeagueQuery, HISTORY_MONTHS};
use dvc_monitor::report::shortfall;
use dvc_monitor::report::unit::{build_report, DossierTally, UnitPage};
use dvc_monitor::store::{AlertRecord, RollupRow};
use dvc_monitor::web::pages::league::LeagueView;
use dvc_monitor::web::pages::unit::UnitView;
use dvc_monitor::web::pages::period::choices;
use std::path::PathBuf;

/// 2026-12-16 00:00 in Hà Nội: November is finished, December is running.
const NOW: i64 = 1_797_354_000_000;

fn registry() -> Registry {
    let units = import::units("units.csv", common::UNITS_CSV.as_bytes(), &[]).unwrap().units;
    let tree = UnitTree::new(units);
    let procedures = import::procedures("procedures.csv", common::PROCEDURES_CSV.as_bytes()).unwrap();
    let targets = import::targets("targets.csv", common::TARGETS_CSV.as_bytes(), &tree).unwrap();
    Registry {
        units: tree,
        terms: procedures.iter().map(|p| (p.code.clone(), p.terms())).collect(),
        procedure_names: procedures.into_iter().map(|p| (p.code, p.name)).collect(),
        sender_codes: Default::default(),
        targets: dvc_monitor::domain::Targets::new(targets),
    }
}

fn month(s: &str) -> Month {
    s.parse().unwrap()
}

/// A year of completion rollups: each unit's rate climbs month by month from its own start;
/// Sở Nội vụ has no dossiers in March and only 4 in November; Sở Xây dựng none at all.
fn rollups() -> Vec<RollupRow> {
    let units: [(&str, i64, i64); 7] = [
        ("31-STP", 120, 30),
        ("31-SYT", 300, 10),
        ("31-SCT", 80, 45),
        ("31-SNV", 40, 60),
        ("11311", 200, 20),
        ("11312", 150, 25),
        ("01-STP", 500, 50),
    ];
    let mut rows = Vec::new();
    for (u, volume, start) in units {
        for (i, m) in month("2026-11").trailing(12).into_iter().enumerate() {
            let i = i as i64;
            let mut d = volume + 7 * i;
            if u == "31-SNV" && m == month("2026-03") {
                continue;
            }
            if u == "31-SNV" && m == month("2026-11") {
                d = 4;
            }
            let n = d * (start + 4 * i).min(95) / 100;
            rows.push(RollupRow { unit: u.into(), month: m, figures: Figures::new(n, d) });
        }
    }
    rows
}

fn provinces(reg: &Registry) -> Vec<(String, String)> {
    reg.units.of_kind(UnitKind::Province, None).iter().map(|u| (u.code.clone(), u.name.clone())).collect()
}

fn league_html(kind: UnitKind, parent: Option<&str>, search: Option<&str>) -> String {
    let reg = registry();
    let q = LeagueQuery { period: month("2026-11").into(), kind, indicator: Indicator::Completion, parent: parent.map(Into::into), peer: None };
    let ledger = Ledger::from_rollups(Indicator::Completion, rollups(), &q.period.trailing(HISTORY_MONTHS));
    let board = board(&ledger, &reg, &q, search, 10, NOW);
    let provinces = provinces(&reg);
    let view = LeagueView { board: &board, provinces: &provinces, periods: choices(NOW), min_volume: 10, now_ms: NOW, updated_at: None, instead_of: None, peers: Vec::new() };
    view.render().into_string()
}

fn dossier(n: usize, procedure: &str, channel: Channel, delivery: Channel, payment: Option<Payment>) -> DossierFacts {
    let at = month("2026-11").start_millis() + n as i64 * 3_600_000;
    DossierFacts {
        code: format!("H31-{n}"),
        unit: "31-SYT".into(),
        procedure: procedure.into(),
        received_at: Some(at),
        channel: Some(channel),
        returned_at: Some(at + 86_400_000),
        result_delivery: Some(delivery),
        payment,
        due: Some(at + 2 * 86_400_000),
        index: Default::default(),
    }
}

fn unit_html() -> String {
    use Channel::*;
    let reg = registry();
    let unit = reg.units.get("31-SYT").unwrap().clone();
    let m = month("2026-11");
    let months = m.trailing(12);
    let completion = rollups();
    let intake: Vec<RollupRow> = completion.iter().map(|r| RollupRow { figures: Figures::new(r.figures.numerator + r.figures.denominator / 10, r.figures.denominator), ..r.clone() }).collect();
    let on_time: Vec<RollupRow> = completion.iter().map(|r| RollupRow { figures: Figures::new(r.figures.denominator * 8 / 10, r.figures.denominator), ..r.clone() }).collect();
    let ledgers: Vec<Ledger> = Indicator::ALL.into_iter().zip([completion, intake, on_time]).map(|(i, rows)| Ledger::from_rollups(i, rows, &months)).collect();
    let off = Some(Payment::Offline);
    let mut dossiers = Vec::new();
    for (i, (p, c, d, pay)) in [
        ("1.001612", Online, Online, None),
        ("1.001612", Online, Postal, None),
        ("1.001612", InPerson, Online, None),
        ("1.001612", InPerson, InPerson, None),
        ("2.000001", Online, InPerson, None),
        ("2.000001", Online, Online, off),
        ("2.000001", Postal, InPerson, off),
        ("2.000001", Online, Online, None),
        ("3.000001", InPerson, InPerson, None),
    ]
    .into_iter()
    .enumerate()
    {
        dossiers.push(dossier(i, p, c, d, pay));
    }
    let mut tally = DossierTally::default();
    tally.add(&dossiers, &reg, m.into());
    let page = UnitPage {
        report: build_report(&reg, &unit, m.into(), &ledgers, &tally, 10, NOW),
        history: ledgers.iter().map(|l| history::from_ledger(l, &reg, &unit, 10, NOW)).collect(),
        shortfalls: shortfall::analyse(&dossiers, &reg.terms, &reg.procedure_names, m),
    };
    let alerts = [AlertRecord {
        at: 1_796_180_400_000,
        alertname: "DvcUnitBehindLastMonth".into(),
        unit: Some("31-SYT".into()),
        state: "firing".into(),
        recipient: "Giám đốc Sở Y tế <gd@syt.example>".into(),
        channel: "email".into(),
        outcome: "sent".into(),
        detail: "gd@syt.example".into(),
        summary: "Sở Y tế: không đạt chỉ tiêu tỷ lệ hồ sơ trực tuyến toàn trình tháng 10/2026".into(),
        province: Some("31".into()),
        indicator: Some("completion".into()),
        period: Some("2026-10".into()),
    }];
    let view = UnitView { page: &page, parent: Some(("31", "Thành phố Hải Phòng")), alerts: &alerts, periods: choices(NOW), now_ms: NOW, updated_at: None, instead_of: None };
    view.render().into_string()
}

/// One block element a line, so that a change shows as a readable diff.
fn pretty(html: &str) -> String {
    const BREAK_BEFORE: [&str; 22] = [
        "<tr", "<table", "</table>", "<thead", "<tbody", "<caption", "<h1", "<h2", "<h3", "<p", "<section", "<div", "<form",
        "<nav", "<label", "<svg", "<details", "<header", "<main", "<style", "<option", "<button",
    ];
    let mut out = String::with_capacity(html.len() + html.len() / 20);
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        if BREAK_BEFORE.iter().any(|t| rest.starts_with(t)) && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push('<');
        rest = &rest[1..];
    }
    out.push_str(rest);
    out.push('\n');
    out
}

fn check(name: &str, html: String) {
    let html = pretty(&html);
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots").join(format!("{name}.html"));
    if std::env::var("UPDATE_SNAPSHOTS").is_ok_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &html).unwrap();
        eprintln!("rewrote {}", path.display());
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("{} is missing: run UPDATE_SNAPSHOTS=1 cargo test --test snapshots", path.display()));
    if expected != html {
        let (line, (want, got)) = expected
            .lines()
            .zip(html.lines())
            .enumerate()
            .find(|(_, (a, b))| a != b)
            .map(|(i, pair)| (i + 1, pair))
            .unwrap_or((expected.lines().count().min(html.lines().count()) + 1, ("(end)", "(end)")));
        panic!(
            "{name}: the page differs from {} at line {line}:\n  expected: {want}\n  rendered: {got}\n\
             If the change is intended, rerun with UPDATE_SNAPSHOTS=1 and review the diff.",
            path.display()
        );
    }
}

#[test]
fn league_of_a_provinces_departments() {
    let html = league_html(UnitKind::Department, Some("31"), None);
    // Sở Nội vụ (4 dossiers) and Sở Xây dựng (none) are listed apart, unranked.
    let apart = html.split("Chưa đủ dữ liệu để xếp hạng</h2>").nth(1).unwrap();
    assert!(apart.contains("Sở Nội vụ") && apart.contains("Sở Xây dựng"));
    check("league-departments", html);
}

#[test]
fn league_of_communes_searched_without_diacritics() {
    let html = league_html(UnitKind::Commune, Some("31"), Some("hong bang"));
    assert!(html.contains("Phường Hồng Bàng") && !html.contains("Phường Hồng An<"));
    check("league-communes-search", html);
}

#[test]
fn provinces_side_by_side_nationwide() {
    let html = league_html(UnitKind::Province, None, None);
    assert!(html.contains("Thành phố Hà Nội") && html.contains("Thành phố Hải Phòng"));
    check("league-provinces", html);
}

#[test]
fn unit_page() {
    let html = unit_html();
    assert!(html.contains("Điều gì sẽ nâng tỷ lệ"));
    check("unit", html);
}

/// The dossiers to chase of a province's month, page 2 of 3, sorted by due date descending.
fn dossiers_html() -> String {
    use dvc_monitor::domain::FailedStep;
    use dvc_monitor::report::chase::{ChaseList, ChaseRow, StepCount};
    use dvc_monitor::web::pages::dossiers::DossiersView;
    let row = |code: &str, unit: (&str, &str), returned: Option<&str>, delivery: Option<&'static str>, failed: Vec<FailedStep>| ChaseRow {
        code: code.into(),
        unit: unit.0.into(),
        unit_name: unit.1.into(),
        procedure: "1.001612".into(),
        procedure_name: "Cấp phiếu lý lịch tư pháp".into(),
        received_at: Some("2026-11-05T08:00:00+07:00".into()),
        returned_at: returned.map(str::to_string),
        due: Some("2026-11-20T17:00:00+07:00".into()),
        channel: Some("in_person"),
        result_delivery: delivery,
        payment: Some("offline"),
        failed,
    };
    let list = ChaseList {
        unit: "31".into(),
        name: "Thành phố Hải Phòng".into(),
        period: month("2026-11").into(),
        first: month("2026-11"),
        last: month("2026-11"),
        indicator: Indicator::Completion,
        sort: "-due".into(),
        page: 2,
        per_page: 2,
        total: 5,
        pages: 3,
        by_step: vec![
            StepCount { step: FailedStep::SubmittedOffline, dossiers: 5 },
            StepCount { step: FailedStep::ResultInPerson, dossiers: 1 },
            StepCount { step: FailedStep::FeePaidOffline, dossiers: 5 },
        ],
        dossiers: vec![
            row("00070", ("31-STP", "Sở Tư pháp"), Some("2026-11-07T10:00:00+07:00"), Some("online"), vec![FailedStep::SubmittedOffline, FailedStep::FeePaidOffline]),
            row("H11311-0001", ("11311", "Phường Hồng Bàng"), Some("2026-11-21T10:00:00+07:00"), Some("in_person"), vec![FailedStep::SubmittedOffline, FailedStep::ResultInPerson, FailedStep::FeePaidOffline]),
        ],
    };
    // The body only: the page frame and its style are those of the other snapshots.
    // Two months to choose from are enough to show the selector.
    DossiersView { list: &list, periods: choices(NOW), has_children: true }.body().into_string()
}

#[test]
fn dossiers_to_chase() {
    let html = dossiers_html();
    assert!(html.contains("<h1>Hồ sơ cần xử lý — Thành phố Hải Phòng, tháng 11/2026</h1>"));
    check("dossiers", html);
}
