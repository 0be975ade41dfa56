//! The national index's dossier indicators (online submission, online payment, electronic results,
//! digitised, re-used data, on time as the index counts it), on both backends: every unit's figures
//! of every month equal a recomputation from the raw events here, with this file's own reading of the
//! rules (national-sync.md's last section and the README's choices), not the service's code; the
//! events arrive shuffled, repeated and in batches; the lists of dossiers behind each figure hold what
//! the figure misses; the estimate of points follows the shipped scheme.

mod common;

use common::{create_token, seed_registry, Backend, TestDb, TestServer};
use dvc_monitor::Settings;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use std::collections::BTreeMap;

const NOW: &str = "2026-12-16T00:00:00+07:00";
const INDICATORS: [&str; 6] = ["online_submission", "online_payment", "electronic_result", "digitised", "reused_data", "on_time_index"];
const UNITS: [&str; 7] = ["31-STP", "31-SYT", "31-SXD", "31-SCT", "31-SNV", "11311", "11312"];
/// 1.001612 and 3.000001 have a paper result; 3.000001 is a partial online service.
const PROCEDURES: &str = "code,name,level,paper_result\n1.001612,Cấp phiếu lý lịch tư pháp,full,yes\n2.000001,Cấp giấy phép hành nghề,full,no\n3.000001,Cấp giấy phép xây dựng,partial,yes\n";

fn ms(t: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(t).unwrap().timestamp_millis()
}

fn month_of(t: i64) -> String {
    chrono::DateTime::from_timestamp_millis(t).unwrap().with_timezone(&chrono::FixedOffset::east_opt(7 * 3600).unwrap()).format("%Y-%m").to_string()
}

/// Dossiers from October to mid-December 2026 with every fact the index reads, each fact sometimes
/// sent twice (a later event correcting an earlier one), in shuffled order.
fn stream(seed: u64, dossiers: usize) -> Vec<Value> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let start = ms("2026-10-01T00:00:00+07:00");
    let stamp = |t: i64| chrono::DateTime::from_timestamp_millis(t).unwrap().with_timezone(&chrono::FixedOffset::east_opt(7 * 3600).unwrap()).to_rfc3339();
    let procedures = ["1.001612", "2.000001", "3.000001"];
    let channels = ["online", "in_person", "postal"];
    let hour = 3_600_000i64;
    let mut out = Vec::new();
    for d in 0..dossiers {
        let code = format!("IX-{seed}-{d}");
        let unit = UNITS[rng.random_range(0..UNITS.len())];
        let procedure = procedures[rng.random_range(0..3)];
        let mut n = 0;
        let mut ev = |status: &str, at: i64, extra: Value| {
            n += 1;
            let mut e = json!({"id": format!("{code}-{n:02}"), "dossier": code, "unit": unit, "procedure": procedure, "status": status, "at": stamp(at)});
            for (k, v) in extra.as_object().unwrap() {
                e[k] = v.clone();
            }
            e
        };
        let received = start + rng.random_range(0..72 * 24) * hour;
        let mut marks = json!({"channel": channels[rng.random_range(0..3)]});
        if rng.random_bool(0.8) {
            marks["due"] = json!(stamp(received + rng.random_range(24..15 * 24) * hour));
        }
        for (k, p) in [("digitised", 0.6), ("reused_data", 0.3), ("fee", 0.5)] {
            if rng.random_bool(0.85) {
                marks[k] = json!(rng.random_bool(p));
            }
        }
        if marks["fee"] == true && rng.random_bool(0.8) {
            marks["payment"] = json!(if rng.random_bool(0.6) { "online" } else { "offline" });
        }
        out.push(ev("received", received, marks));
        let mut t = received + rng.random_range(1..48) * hour;
        out.push(ev("processing", t, json!({})));
        // Supplement requests: none, one (answered or not) or two.
        let requests = [0, 0, 0, 0, 1, 1, 2][rng.random_range(0..7)];
        for _ in 0..requests {
            t += rng.random_range(1..72) * hour;
            out.push(ev("supplement_requested", t, json!({})));
            if rng.random_bool(0.7) {
                t += rng.random_range(1..96) * hour;
                out.push(ev("processing", t, json!({"supplement_answered": true})));
            }
        }
        // A correction of a mark, later.
        if rng.random_bool(0.2) {
            out.push(ev("processing", t + hour, json!({"digitised": rng.random_bool(0.5), "fee": rng.random_bool(0.5)})));
        }
        match rng.random_range(0..12) {
            0 => out.push(ev("stopped", t + rng.random_range(1..200) * hour, json!({}))),
            1 => out.push(ev("refused", t + rng.random_range(1..48) * hour, json!({}))),
            2 | 3 => {} // still open
            _ => {
                let resolved = t + rng.random_range(1..400) * hour;
                if rng.random_bool(0.8) {
                    out.push(ev("resolved", resolved, json!({})));
                }
                let delivery = channels[rng.random_range(0..3)];
                let file = if delivery == "online" { rng.random_bool(0.9) } else { rng.random_bool(0.3) };
                let mut ret = json!({"result_delivery": delivery});
                if rng.random_bool(0.9) {
                    ret["result_file"] = json!(file);
                }
                out.push(ev("returned", resolved + rng.random_range(0..72) * hour, ret));
            }
        }
    }
    // Anything later than the test's now would be refused: keep what the service may accept.
    out.retain(|e| ms(e["at"].as_str().unwrap()) <= ms(NOW));
    out.shuffle(&mut rng);
    out
}

/// A dossier's facts, by this test's reading of the rules: earliest and latest by `at`, then `id`.
#[derive(Debug, Default)]
struct Facts {
    unit: String,
    procedure: String,
    received: Option<i64>,
    channel: Option<String>,
    returned: Option<i64>,
    payment: Option<String>,
    due: Option<i64>,
    marks: BTreeMap<&'static str, bool>,
    resolved: Option<i64>,
    halted: Option<i64>,
    requests: Vec<i64>,
    answered: Option<i64>,
}

fn facts(events: &[Value]) -> BTreeMap<String, Facts> {
    let mut by: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for e in events {
        by.entry(e["dossier"].as_str().unwrap().into()).or_default().push(e);
    }
    by.into_iter()
        .map(|(code, mut es)| {
            es.sort_by_key(|e| (ms(e["at"].as_str().unwrap()), e["id"].as_str().unwrap().to_string()));
            let at = |e: &Value| ms(e["at"].as_str().unwrap());
            let first = |s: &str| es.iter().find(|e| e["status"] == s).map(|e| at(e));
            let received = es.iter().find(|e| e["status"] == "received");
            let anchor = received.copied().unwrap_or(es[0]);
            let mut f = Facts {
                unit: anchor["unit"].as_str().unwrap().into(),
                procedure: anchor["procedure"].as_str().unwrap().into(),
                received: received.map(|e| at(e)),
                channel: received.and_then(|e| e["channel"].as_str().map(String::from)),
                returned: first("returned"),
                payment: es.iter().rev().find_map(|e| e["payment"].as_str().map(String::from)),
                due: es.iter().filter(|e| e["status"] == "received").find_map(|e| e["due"].as_str().map(ms)),
                resolved: first("resolved"),
                halted: es.iter().find(|e| e["status"] == "stopped" || e["status"] == "refused").map(|e| at(e)),
                requests: es.iter().filter(|e| e["status"] == "supplement_requested").map(|e| at(e)).collect(),
                answered: es.iter().find(|e| e["supplement_answered"] == true).map(|e| at(e)),
                ..Facts::default()
            };
            for k in ["result_file", "digitised", "reused_data", "fee"] {
                if let Some(v) = es.iter().rev().find_map(|e| e[k].as_bool()) {
                    f.marks.insert(k, v);
                }
            }
            (code, f)
        })
        .collect()
}

/// (unit, month, indicator) → (numerator, denominator), with open dossiers past due in `overdue`.
type Cells = BTreeMap<(String, String, &'static str), (i64, i64)>;

fn expected(facts: &BTreeMap<String, Facts>) -> Cells {
    let mut cells = Cells::new();
    let mut add = |unit: &str, at: i64, i: &'static str, pass: bool| {
        let c = cells.entry((unit.to_string(), month_of(at), i)).or_default();
        c.0 += pass as i64;
        c.1 += 1;
    };
    for f in facts.values() {
        let paper = f.procedure != "2.000001";
        let mark = |k: &str| f.marks.get(k) == Some(&true);
        if let Some(r) = f.received {
            // Every procedure here is an online service (full or partial).
            add(&f.unit, r, "online_submission", f.channel.as_deref() == Some("online") && (!paper || mark("result_file")));
            if mark("fee") {
                add(&f.unit, r, "online_payment", f.payment.as_deref() == Some("online"));
            }
            if paper && (f.resolved.is_some() || f.returned.is_some()) {
                add(&f.unit, r, "electronic_result", mark("result_file"));
            }
            add(&f.unit, r, "digitised", mark("digitised") && mark("result_file"));
            add(&f.unit, r, "reused_data", mark("reused_data"));
        }
        let Some(due) = f.due else { continue };
        let end = f.resolved.or(f.returned).or(f.halted);
        match f.requests.len() {
            0 => match end {
                Some(e) => add(&f.unit, e, "on_time_index", e <= due),
                None => add(&f.unit, due, "overdue", false),
            },
            1 => {
                let asked = f.requests[0];
                match f.answered.filter(|a| *a >= asked) {
                    None => match end {
                        Some(e) if e < asked => add(&f.unit, e, "on_time_index", e <= due),
                        _ => add(&f.unit, asked, "on_time_index", asked <= due),
                    },
                    Some(answered) => match end {
                        Some(e) if e >= answered => add(&f.unit, e, "on_time_index", e - (answered - asked) <= due),
                        Some(e) if e >= asked => add(&f.unit, e, "on_time_index", asked <= due),
                        Some(e) => add(&f.unit, e, "on_time_index", e <= due),
                        None => add(&f.unit, due + (answered - asked), "overdue", false),
                    },
                }
            }
            _ => match end {
                Some(e) => add(&f.unit, e, "on_time_index", false),
                None => add(&f.unit, due, "overdue", false),
            },
        }
    }
    cells
}

/// The figures of `unit` (and, for the province 31, every unit) in `month`, open dossiers past due
/// counting late once their due month has ended (December is running at `NOW`).
fn figure(cells: &Cells, unit: &str, month: &str, indicator: &'static str) -> (i64, i64) {
    let of = |i: &str| {
        cells
            .iter()
            .filter(|((u, m, x), _)| (unit == "31" || u == unit) && m == month && *x == i)
            .fold((0, 0), |(n, d), (_, (a, b))| (n + a, d + b))
    };
    let (n, d) = of(indicator);
    if indicator == "on_time_index" && month != "2026-12" {
        let (_, open) = of("overdue");
        return (n, d + open);
    }
    (n, d)
}

async fn seeded(backend: Backend) -> (TestServer, Vec<Value>) {
    let db = TestDb::new(backend).await;
    seed_registry(db.store.as_ref()).await;
    let procedures = dvc_monitor::registry::import::procedures("procedures.csv", PROCEDURES.as_bytes()).unwrap();
    db.store.upsert_procedures(&procedures).await.unwrap();
    let token = create_token(db.store.as_ref(), "igate-hp", &["31"]).await;
    let server = TestServer::start(db, NOW, Settings::default()).await;
    let events = stream(7, 1500);
    // In batches, then half of them again: retries change nothing.
    for chunk in events.chunks(700).chain(events[..events.len() / 2].chunks(900)) {
        let (status, body) = server.post(&token, "application/json", serde_json::to_string(chunk).unwrap()).await;
        assert_eq!((status, body["rejected"].as_array().map(Vec::len)), (200, Some(0)), "{body}");
    }
    (server, events)
}

async fn figures_equal_a_recomputation(backend: Backend) {
    let (server, events) = seeded(backend).await;
    let cells = expected(&facts(&events));
    let mut nonzero = BTreeMap::new();
    for month in ["2026-10", "2026-11", "2026-12"] {
        for indicator in INDICATORS {
            for kind in ["department", "commune"] {
                let table = server.get_json(&format!("/api/v1/league?month={month}&kind={kind}&indicator={indicator}&parent=31")).await;
                for row in table["rows"].as_array().unwrap() {
                    let unit = row["unit"].as_str().unwrap();
                    let got = (row["numerator"].as_i64().unwrap(), row["denominator"].as_i64().unwrap());
                    assert_eq!(got, figure(&cells, unit, month, indicator), "{unit} {month} {indicator}");
                    *nonzero.entry(indicator).or_insert(0) += (got.0 > 0) as i32;
                }
            }
            // The province: the sum of its units, in the unit report as in the league.
            let report = server.get_json(&format!("/api/v1/units/31?month={month}")).await;
            let i = report["indicators"].as_array().unwrap().iter().find(|i| i["indicator"] == indicator).unwrap();
            let got = (i["numerator"].as_i64().unwrap(), i["denominator"].as_i64().unwrap());
            assert_eq!(got, figure(&cells, "31", month, indicator), "31 {month} {indicator}");
            // What the figure misses is the list of dossiers behind it (in a finished month, where
            // every open dossier placed in it is past due).
            if month != "2026-12" {
                let list = server.get_json(&format!("/api/v1/units/31/dossiers?month={month}&indicator={indicator}&per_page=500")).await;
                assert_eq!(list["total"].as_i64().unwrap(), got.1 - got.0, "31 {month} {indicator}: the list");
            }
        }
    }
    // The stream exercises every indicator.
    assert!(INDICATORS.iter().all(|i| nonzero.get(i).copied().unwrap_or(0) > 0), "{nonzero:?}");
}

/// A quarter is the sum of its months; the estimate of points follows the scheme's formula.
async fn periods_and_points(backend: Backend) {
    let (server, events) = seeded(backend).await;
    let cells = expected(&facts(&events));
    let estimate = server.get_json("/api/v1/units/31/index?period=2026-Q4").await;
    assert_eq!(estimate["estimate"], true);
    let mut total = 0.0;
    for c in estimate["components"].as_array().unwrap() {
        let indicator = INDICATORS.into_iter().find(|i| c["indicator"] == *i).unwrap_or_else(|| panic!("{c}"));
        let (n, d) = ["2026-10", "2026-11", "2026-12"].iter().map(|m| figure(&cells, "31", m, indicator)).fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
        assert_eq!((c["numerator"].as_i64().unwrap(), c["denominator"].as_i64().unwrap()), (n, d), "{indicator}");
        let (max, full) = (c["max_points"].as_f64().unwrap(), c["full_at"].as_f64().unwrap());
        let points = max * (n as f64 / d as f64 / full).min(1.0);
        assert!((c["points"].as_f64().unwrap() - points).abs() < 1e-9, "{indicator}: {c}");
        assert!((c["lost"].as_f64().unwrap() - (max - points)).abs() < 1e-9, "{indicator}");
        let needed = c["needed"].as_i64().unwrap();
        assert!((n + needed) as f64 / d as f64 >= full - 1e-12 && (needed == 0 || ((n + needed - 1) as f64 / (d as f64)) < full), "{indicator}: {needed}");
        total += points;
    }
    assert!((estimate["points"].as_f64().unwrap() - total).abs() < 1e-9);
    // Departments and communes of the province, ranked by their estimate.
    let units = estimate["units"].as_array().unwrap();
    assert!(units.len() >= 5, "{units:?}");
    let share = |u: &Value| u["points"].as_f64().unwrap() / u["max_points"].as_f64().unwrap();
    assert!(units.windows(2).filter(|w| w[0]["kind"] == w[1]["kind"]).all(|w| share(&w[0]) >= share(&w[1])));
    // The page says it is an estimate and links each lost component to its dossiers.
    let (status, page) = server.get_text("/units/31/index?period=2026-Q4").await;
    assert_eq!(status, 200);
    assert!(page.contains("Ước tính từ dữ liệu hồ sơ của tỉnh") && page.contains("766/QĐ-TTg"), "{page}");
    assert!(page.contains("/units/31/dossiers?indicator=on_time_index&amp;period=2026-Q4"));
    assert_eq!(server.get_text("/units/NOPE/index").await.0, 404);
    assert_eq!(server.get_text("/api/v1/units/31/index?period=2026-Q5").await.0, 400);
}

backend_tests!(
    index_figures_equal_a_recomputation_from_the_events => crate::figures_equal_a_recomputation,
    index_periods_and_points => crate::periods_and_points,
);
