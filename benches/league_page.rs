//! How long the league page of the nation's 3,321 communes takes to build and render: the real
//! commune list (`data/units-vn-2025.csv`), a year of synthetic completion rollups for every commune,
//! then `Ledger::from_rollups` and `board` (ranking, statuses, a year per unit for the sparklines) and the maud view
//! to a string, as `/` does after its one store read. Prints median and p95.
//!
//! `cargo bench --bench league_page` runs 30 rounds; under `cargo test` (no `--bench` argument) it
//! runs one round as a smoke test.

use dvc_monitor::domain::{Figures, Indicator, Month, Target, TargetScope, Targets, UnitKind, UnitTree};
use dvc_monitor::registry::Registry;
use dvc_monitor::report::figures::Ledger;
use dvc_monitor::report::league::{board, LeagueQuery, HISTORY_MONTHS};
use dvc_monitor::store::RollupRow;
use dvc_monitor::web::pages::league::LeagueView;
use dvc_monitor::web::pages::period::choices;
use std::time::{Duration, Instant};

/// 2026-12-16 00:00 in Hà Nội.
const NOW: i64 = 1_797_354_000_000;

fn main() {
    let rounds = if std::env::args().any(|a| a == "--bench") { 30 } else { 1 };
    let units = dvc_monitor::demo::province::all_units().expect("shipped unit list");
    let communes: Vec<String> = units.iter().filter(|u| u.kind == UnitKind::Commune).map(|u| u.code.clone()).collect();
    assert_eq!(communes.len(), 3321);
    let registry = Registry {
        units: UnitTree::new(units),
        terms: Default::default(),
        procedure_names: Default::default(),
        sender_codes: Default::default(),
        targets: Targets::new(vec![Target {
            scope: TargetScope::Kind(UnitKind::Commune),
            year: 2026,
            month: None,
            indicator: Indicator::Completion,
            value: "0.6".parse().unwrap(),
            source: "bench".into(),
        }]),
    };
    let month: Month = "2026-11".parse().unwrap();
    // Deterministic figures: volumes 0..400 (some communes under the minimum volume), rates rising.
    let mut rows = Vec::with_capacity(communes.len() * HISTORY_MONTHS);
    for (i, code) in communes.iter().enumerate() {
        for (k, m) in month.trailing(HISTORY_MONTHS).into_iter().enumerate() {
            let d = ((i * 37 + k * 11) % 400) as i64;
            let n = d * (((i * 13) % 60) as i64 + 3 * k as i64).min(100) / 100;
            rows.push(RollupRow { unit: code.clone(), month: m, figures: Figures::new(n, d) });
        }
    }
    let q = LeagueQuery { period: month.into(), kind: UnitKind::Commune, indicator: Indicator::Completion, parent: None, peer: None };
    let provinces: Vec<(String, String)> =
        registry.units.of_kind(UnitKind::Province, None).iter().map(|u| (u.code.clone(), u.name.clone())).collect();

    let (mut build, mut render, mut total) = (Vec::new(), Vec::new(), Vec::new());
    let mut bytes = 0;
    for _ in 0..rounds {
        let t0 = Instant::now();
        let ledger = Ledger::from_rollups(q.indicator, rows.iter().cloned(), &q.period.trailing(HISTORY_MONTHS));
        let board = board(&ledger, &registry, &q, None, 10, NOW);
        let t1 = Instant::now();
        let view = LeagueView { board: &board, provinces: &provinces, periods: choices(NOW), min_volume: 10, now_ms: NOW, updated_at: None, instead_of: None, peers: Vec::new() };
        let html = view.render().into_string();
        let t2 = Instant::now();
        assert_eq!(board.ranked.len() + board.unranked.len(), 3321);
        bytes = html.len();
        build.push(t1 - t0);
        render.push(t2 - t1);
        total.push(t2 - t0);
    }
    let report = |name: &str, v: &mut Vec<Duration>| {
        v.sort();
        let at = |q: f64| v[((v.len() as f64 - 1.0) * q).round() as usize];
        println!("{name:<28} median {:>7.1} ms   p95 {:>7.1} ms", at(0.5).as_secs_f64() * 1e3, at(0.95).as_secs_f64() * 1e3);
    };
    println!("league page, 3,321 communes nationwide, {rounds} round(s), {} KiB of HTML", bytes / 1024);
    report("build (rank, 12-month series)", &mut build);
    report("render (maud to string)", &mut render);
    report("total", &mut total);
}
