//! The dossiers to chase (`/units/CODE/dossiers`, its API and exports), on both backends: dossiers
//! failing each step of the fully-online test, late, or open past their due date are listed, and
//! fully-online ones are not, exactly as a recomputation from the raw events here finds (its own code,
//! from kpi.md, not the service's); pages are stable in every order; errors are clear; codes stay text.

mod common;

use common::{create_token, seed_registry, synthetic_stream, Backend, TestDb, TestServer};
use dvc_monitor::Settings;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::process::Command;

const NOW: &str = "2026-12-16T00:00:00+07:00";

fn ms(t: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(t).unwrap().timestamp_millis()
}

/// A dossier's events: received (with channel, due, payment) and, when given, returned.
#[allow(clippy::too_many_arguments)]
fn dossier(code: &str, unit: &str, procedure: &str, received: &str, channel: &str, due: Option<&str>, payment: Option<&str>, returned: Option<(&str, &str)>) -> Vec<Value> {
    let mut r = json!({"id": format!("{code}-r"), "dossier": code, "unit": unit, "procedure": procedure, "status": "received", "at": received, "channel": channel});
    if let Some(d) = due {
        r["due"] = json!(d);
    }
    if let Some(p) = payment {
        r["payment"] = json!(p);
    }
    let mut out = vec![r];
    if let Some((at, delivery)) = returned {
        out.push(json!({"id": format!("{code}-t"), "dossier": code, "unit": unit, "procedure": procedure, "status": "returned", "at": at, "result_delivery": delivery}));
    }
    out
}

/// One dossier failing (or passing) each way, in November 2026 unless said otherwise.
fn crafted() -> Vec<Value> {
    let (rec, ret, due, late_due) = ("2026-11-05T08:00:00+07:00", Some(("2026-11-07T10:00:00+07:00", "online")), Some("2026-11-20T17:00:00+07:00"), Some("2026-11-06T17:00:00+07:00"));
    let full = "1.001612";
    [
        dossier("OK-1", "31-STP", full, rec, "online", due, Some("online"), ret),
        dossier("OK-2", "31-STP", full, rec, "online", due, None, Some(("2026-11-07T10:00:00+07:00", "postal"))),
        dossier("00070", "31-STP", full, rec, "in_person", due, None, ret),
        dossier("RES-1", "31-STP", full, "2026-11-02T09:00:00+07:00", "online", due, None, Some(("2026-11-08T10:00:00+07:00", "in_person"))),
        dossier("FEE-1", "31-STP", full, "2026-11-03T09:00:00+07:00", "online", None, Some("offline"), ret),
        dossier("ALL-3", "31-STP", full, "2026-11-04T09:00:00+07:00", "postal", due, Some("offline"), Some(("2026-11-09T10:00:00+07:00", "in_person"))),
        dossier("LATE-1", "31-STP", full, "2026-11-01T09:00:00+07:00", "online", late_due, None, ret),
        dossier("OPEN-DUE", "31-STP", full, "2026-11-10T09:00:00+07:00", "online", Some("2026-11-25T17:00:00+07:00"), None, None),
        dossier("OPEN-NOT-DUE", "31-STP", full, "2026-11-28T09:00:00+07:00", "online", Some("2027-01-15T17:00:00+07:00"), None, None),
        dossier("PART-LATE", "31-STP", "3.000001", "2026-11-01T10:00:00+07:00", "in_person", late_due, None, Some(("2026-11-07T10:00:00+07:00", "in_person"))),
        dossier("OCT-1", "31-STP", full, "2026-10-05T08:00:00+07:00", "in_person", None, None, Some(("2026-10-09T10:00:00+07:00", "in_person"))),
        dossier("NOV-DEC", "31-STP", full, "2026-11-29T08:00:00+07:00", "in_person", None, None, Some(("2026-12-02T10:00:00+07:00", "in_person"))),
        dossier("COM-1", "11311", full, rec, "in_person", None, None, ret),
        // Either side of the instants where the store's 30-day time buckets turn (2026-11-03 and
        // 2026-12-03, 07:00 at UTC+07:00): a month's list seeks both buckets.
        dossier("EDGE-1", "11311", full, "2026-11-03T06:59:59.999+07:00", "in_person", None, None, Some(("2026-11-03T07:00:00+07:00", "in_person"))),
        dossier("EDGE-2", "11311", full, "2026-11-03T07:00:00+07:00", "online", None, None, Some(("2026-12-03T06:59:59.999+07:00", "in_person"))),
        dossier("EDGE-3", "11311", full, "2026-12-03T06:59:59.999+07:00", "postal", None, None, Some(("2026-12-03T07:00:00.001+07:00", "in_person"))),
    ]
    .concat()
}

/// A dossier's facts from its events, as kpi.md states them (earliest/latest by `at`, then `id`).
#[derive(Debug, Default, Clone)]
struct Facts {
    unit: String,
    procedure: String,
    received: Option<(i64, String)>,
    channel: Option<String>,
    returned: Option<i64>,
    delivery: Option<String>,
    payment: Option<String>,
    due: Option<i64>,
}

fn recompute(events: &[Value]) -> BTreeMap<String, Facts> {
    let mut by_dossier: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for e in events {
        by_dossier.entry(e["dossier"].as_str().unwrap().to_string()).or_default().push(e);
    }
    by_dossier
        .into_iter()
        .map(|(code, mut es)| {
            es.sort_by_key(|e| (ms(e["at"].as_str().unwrap()), e["id"].as_str().unwrap().to_string()));
            let received: Vec<&&Value> = es.iter().filter(|e| e["status"] == "received").collect();
            let anchor = received.first().copied().unwrap_or(&es[0]);
            let returned = es.iter().find(|e| e["status"] == "returned");
            let text = |v: &Value| v.as_str().map(str::to_string);
            let f = Facts {
                unit: anchor["unit"].as_str().unwrap().into(),
                procedure: anchor["procedure"].as_str().unwrap().into(),
                received: received.first().map(|e| (ms(e["at"].as_str().unwrap()), String::new())),
                channel: received.first().and_then(|e| text(&e["channel"])),
                returned: returned.map(|e| ms(e["at"].as_str().unwrap())),
                delivery: returned.and_then(|e| text(&e["result_delivery"])),
                payment: es.iter().rev().find_map(|e| text(&e["payment"])),
                due: received.iter().find_map(|e| e["due"].as_str().map(ms)),
            };
            (code, f)
        })
        .collect()
}

/// The steps a dossier failed, by kpi.md, for a month: the test's own reading of the rules.
fn expected_steps(f: &Facts, indicator: &str, month: &str, now: i64) -> Option<Vec<&'static str>> {
    let month_start = ms(&format!("{month}-01T00:00:00+07:00"));
    let next = if month == "2026-12" { "2027-01".to_string() } else { format!("2026-{:02}", month[5..].parse::<u32>().unwrap() + 1) };
    let month_end = ms(&format!("{next}-01T00:00:00+07:00"));
    let within = |t: Option<i64>| t.is_some_and(|t| month_start <= t && t < month_end);
    let eligible = f.procedure != "3.000001";
    let online = f.channel.as_deref() == Some("online");
    match indicator {
        "completion" if eligible && within(f.returned) => {
            let mut steps = Vec::new();
            if !online {
                steps.push("submitted_offline");
            }
            if !matches!(f.delivery.as_deref(), Some("online" | "postal")) {
                steps.push("result_in_person");
            }
            if f.payment.as_deref() == Some("offline") {
                steps.push("fee_paid_offline");
            }
            (!steps.is_empty()).then_some(steps)
        }
        "intake" if eligible && within(f.received.as_ref().map(|r| r.0)) && !online => Some(vec!["submitted_offline"]),
        "on_time" => match (f.returned, f.due) {
            (Some(r), Some(d)) if within(Some(r)) && r > d => Some(vec!["late"]),
            (None, Some(d)) if within(f.received.as_ref().map(|r| r.0)) && d < now => Some(vec!["open_past_due"]),
            _ => None,
        },
        _ => None,
    }
}

fn in_subtree(unit: &str, root: &str) -> bool {
    match root {
        "31" => unit.starts_with("31-") || unit.starts_with("113") || unit == "31",
        _ => unit == root,
    }
}

/// The expected list of `root` in the default order: received ascending (missing last), then code.
fn expected_list(facts: &BTreeMap<String, Facts>, root: &str, indicator: &str, month: &str) -> Vec<(String, Vec<String>)> {
    let mut rows: Vec<(i64, String, Vec<&'static str>)> = facts
        .iter()
        .filter(|(_, f)| in_subtree(&f.unit, root))
        .filter_map(|(code, f)| expected_steps(f, indicator, month, ms(NOW)).map(|s| (f.received.as_ref().map_or(i64::MAX, |r| r.0), code.clone(), s)))
        .collect();
    rows.sort_by(|a, b| (a.0, a.1.as_bytes()).cmp(&(b.0, b.1.as_bytes())));
    rows.into_iter().map(|(_, c, s)| (c, s.into_iter().map(String::from).collect())).collect()
}

fn listed(list: &Value) -> Vec<(String, Vec<String>)> {
    list["dossiers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let steps = d["failed"].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect();
            (d["code"].as_str().unwrap().to_string(), steps)
        })
        .collect()
}

async fn seeded(backend: Backend) -> (TestServer, Vec<Value>) {
    let db = TestDb::new(backend).await;
    seed_registry(db.store.as_ref()).await;
    let token = create_token(db.store.as_ref(), "igate-hp", &["31"]).await;
    let server = TestServer::start(db, NOW, Settings::default()).await;
    let mut events = crafted();
    events.extend(synthetic_stream(3, 400));
    for chunk in events.chunks(1000) {
        let (status, body) = server.post(&token, "application/json", serde_json::to_string(chunk).unwrap()).await;
        assert_eq!((status, body["accepted"].as_u64()), (200, Some(chunk.len() as u64)), "{body}");
    }
    (server, events)
}

async fn lists_agree_with_the_events(backend: Backend) {
    let (server, events) = seeded(backend).await;
    let facts = recompute(&events);
    let mut seen_steps = std::collections::BTreeSet::new();
    for root in ["31-STP", "11311", "31"] {
        for indicator in ["completion", "intake", "on_time"] {
            for month in ["2026-10", "2026-11", "2026-12"] {
                let list = server.get_json(&format!("/api/v1/units/{root}/dossiers?month={month}&indicator={indicator}&per_page=500")).await;
                let expected = expected_list(&facts, root, indicator, month);
                assert_eq!(listed(&list), expected, "{root} {indicator} {month}");
                assert_eq!(list["total"], expected.len(), "{root} {indicator} {month}");
                for (_, steps) in &expected {
                    seen_steps.extend(steps.iter().cloned());
                }
                // The count per step adds up the steps of the dossiers listed.
                for count in list["by_step"].as_array().unwrap() {
                    let step = count["step"].as_str().unwrap();
                    let n = expected.iter().filter(|(_, s)| s.iter().any(|x| x == step)).count();
                    assert_eq!(count["dossiers"], n, "{root} {indicator} {month} {step}");
                }
            }
        }
    }
    assert_eq!(seen_steps.len(), 5, "every step appears somewhere: {seen_steps:?}");
    // The completion list of a month is what the unit's completion rate misses: denominator − numerator.
    for root in ["31-STP", "11311", "31"] {
        let report = server.get_json(&format!("/api/v1/units/{root}?month=2026-11")).await;
        let completion = &report["indicators"][0];
        let list = server.get_json(&format!("/api/v1/units/{root}/dossiers?month=2026-11")).await;
        assert_eq!(list["total"].as_i64().unwrap(), completion["denominator"].as_i64().unwrap() - completion["numerator"].as_i64().unwrap(), "{root}");
    }

    // The crafted dossiers of Sở Tư pháp, by name: fully online and not yet due never appear.
    let nov = |indicator: &str| format!("/api/v1/units/31-STP/dossiers?month=2026-11&indicator={indicator}");
    let codes = |list: &Value| listed(list).into_iter().map(|(c, _)| c).filter(|c| !c.starts_with("SYN")).collect::<Vec<_>>();
    assert_eq!(codes(&server.get_json(&nov("completion")).await), ["RES-1", "FEE-1", "ALL-3", "00070"]);
    // The partial procedure is not eligible: not in intake, but late all the same.
    assert_eq!(codes(&server.get_json(&nov("intake")).await), ["ALL-3", "00070", "NOV-DEC"]);
    assert_eq!(codes(&server.get_json(&nov("on_time")).await), ["LATE-1", "PART-LATE", "OPEN-DUE"]);
    // The dossiers at the buckets' turns, by name, in the months they were received and returned.
    let edges = |month: &str, indicator: &str| format!("/api/v1/units/11311/dossiers?month={month}&indicator={indicator}&per_page=500");
    let named = |list: &Value| listed(list).into_iter().map(|(c, _)| c).filter(|c| c.starts_with("EDGE")).collect::<Vec<_>>();
    assert_eq!(named(&server.get_json(&edges("2026-11", "completion")).await), ["EDGE-1"]);
    assert_eq!(named(&server.get_json(&edges("2026-11", "intake")).await), ["EDGE-1"], "EDGE-2 was submitted online");
    assert_eq!(named(&server.get_json(&edges("2026-12", "completion")).await), ["EDGE-2", "EDGE-3"]);
    assert_eq!(named(&server.get_json(&edges("2026-12", "intake")).await), ["EDGE-3"]);
    let list = server.get_json(&nov("completion")).await;
    let all3 = list["dossiers"].as_array().unwrap().iter().find(|d| d["code"] == "ALL-3").unwrap();
    assert_eq!(
        *all3,
        json!({"code": "ALL-3", "unit": "31-STP", "unit_name": "Sở Tư pháp", "procedure": "1.001612", "procedure_name": "Cấp phiếu lý lịch tư pháp",
               "received_at": "2026-11-04T09:00:00+07:00", "returned_at": "2026-11-09T10:00:00+07:00", "due": "2026-11-20T17:00:00+07:00",
               "channel": "postal", "result_delivery": "in_person", "payment": "offline",
               "failed": ["submitted_offline", "result_in_person", "fee_paid_offline"]})
    );
    assert_eq!((list["first"].as_str(), list["last"].as_str(), list["sort"].as_str()), (Some("2026-11"), Some("2026-11"), Some("received")));
}

/// Every sort, walked page by page, gives the whole list once, in the sort's order, and a page asked
/// twice is the same.
async fn pages_are_stable_in_every_order(backend: Backend) {
    let (server, events) = seeded(backend).await;
    let facts = recompute(&events);
    let base = "/api/v1/units/31/dossiers?month=2026-11&indicator=on_time";
    let whole = server.get_json(&format!("{base}&per_page=500")).await;
    let total = whole["total"].as_u64().unwrap() as usize;
    assert!(total > 20, "enough dossiers to page through: {total}");
    for sort in ["code", "-code", "unit", "-unit", "procedure", "-procedure", "received", "-received", "returned", "-returned", "due", "-due"] {
        let mut walked: Vec<String> = Vec::new();
        let mut page = 1;
        loop {
            let path = format!("{base}&sort={sort}&per_page=7&page={page}");
            let list = server.get_json(&path).await;
            assert_eq!(list, server.get_json(&path).await, "{path} asked twice");
            assert_eq!((list["total"].as_u64(), list["pages"].as_u64()), (Some(total as u64), Some(total.div_ceil(7) as u64)), "{path}");
            let codes: Vec<String> = listed(&list).into_iter().map(|(c, _)| c).collect();
            if codes.is_empty() {
                break;
            }
            assert!(codes.len() <= 7);
            walked.extend(codes);
            page += 1;
        }
        // The order the test expects: the column (a missing time last both ways), then the code, bytewise.
        let (desc, key) = sort.strip_prefix('-').map_or((false, sort), |k| (true, k));
        let value = |code: &str| -> (i64, String) {
            let f = &facts[code];
            let time = |t: Option<i64>| (t.unwrap_or(if desc { -i64::MAX } else { i64::MAX }), String::new());
            match key {
                "code" => (0, code.to_string()),
                "unit" => (0, f.unit.clone()),
                "procedure" => (0, f.procedure.clone()),
                "received" => time(f.received.as_ref().map(|r| r.0)),
                "returned" => time(f.returned),
                _ => time(f.due),
            }
        };
        let mut expected = walked.clone();
        expected.sort_by(|a, b| {
            let o = (value(a), a.as_bytes()).cmp(&(value(b), b.as_bytes()));
            if desc { o.reverse() } else { o }
        });
        assert_eq!(walked, expected, "sort {sort}");
        let mut unique = walked.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), total, "sort {sort}: every dossier once");
    }
}

/// The store's stream of a period: in `DossierSort::compare`'s order, each dossier once, for every
/// order and selection; resumed after any dossier, it gives the rest (the keyset `after`).
async fn store_streams_the_period(backend: Backend) {
    use dvc_monitor::domain::chase::SortKey;
    use dvc_monitor::domain::{DossierFacts, DossierSort, Indicator, MonthRange, Selection};
    use dvc_monitor::store::{PeriodDossiers, Store};
    async fn read(store: &dyn Store, q: &PeriodDossiers<'_>) -> Vec<DossierFacts> {
        let mut streamed = Vec::new();
        store.visit_dossiers_in_period(q, &mut |f| streamed.push(f)).await.unwrap();
        streamed
    }
    let (server, _) = seeded(backend).await;
    let store = server.db.store.clone();
    let quarter: dvc_monitor::domain::Period = "2026-Q4".parse().unwrap();
    let months = MonthRange::new(quarter.first(), quarter.last()).unwrap();
    for indicator in Indicator::ALL {
        for key in SortKey::ALL {
            for descending in [false, true] {
                let sort = DossierSort { key, descending };
                let q = PeriodDossiers { unit: "31", months, selection: Selection::of(indicator), sort, after: None };
                let whole = read(store.as_ref(), &q).await;
                assert!(whole.len() > 100, "{indicator} {sort}: {}", whole.len());
                assert!(whole.windows(2).all(|w| sort.compare(&w[0], &w[1]).is_lt()), "{indicator} {sort}: not in order");
                for k in [0, 4, whole.len() / 2, whole.len() - 2, whole.len() - 1] {
                    let rest = read(store.as_ref(), &PeriodDossiers { after: Some(&whole[k]), ..q }).await;
                    assert_eq!(rest, whole[k + 1..], "{indicator} {sort}: after dossier {k} {}", whole[k].code);
                }
            }
        }
    }

    // A department's own dossiers only; an unknown unit has none.
    let sort = DossierSort::default();
    let stp = read(store.as_ref(), &PeriodDossiers { unit: "31-STP", months, selection: Selection::of(Indicator::OnTime), sort, after: None }).await;
    assert!(!stp.is_empty() && stp.iter().all(|d| d.unit == "31-STP"));
    let none = read(store.as_ref(), &PeriodDossiers { unit: "NOPE", months, selection: Selection::of(Indicator::OnTime), sort, after: None }).await;
    assert!(none.is_empty());
}

async fn errors_are_clear(backend: Backend) {
    let (server, _) = seeded(backend).await;
    for path in ["/api/v1/units/NOPE/dossiers", "/units/NOPE/dossiers", "/export/units/NOPE/dossiers.csv", "/export/units/31/other.csv"] {
        let (status, body) = server.get_text(path).await;
        assert_eq!(status, 404, "{path}: {body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        assert!(v["error"].as_str().unwrap().contains("unknown"), "{path}: {body}");
    }
    for (query, words) in [
        ("month=2026-13", "invalid month"),
        ("month=1999-12", "outside"),
        ("indicator=speed", "unknown indicator"),
        ("sort=name", "unknown sort"),
        ("page=0", "invalid page"),
        ("page=x", "invalid page"),
        ("per_page=501", "invalid per_page"),
        ("format=xml", "unknown format"),
    ] {
        for base in ["/api/v1/units/31-STP/dossiers", "/units/31-STP/dossiers"] {
            let (status, body) = server.get_text(&format!("{base}?{query}")).await;
            assert_eq!(status, if base.starts_with("/units") && query.starts_with("format") { 200 } else { 400 }, "{base}?{query}: {body}");
            if status == 400 {
                let v: Value = serde_json::from_str(&body).unwrap();
                assert!(v["error"].as_str().unwrap().contains(words), "{base}?{query}: {body}");
            }
        }
    }
    // A page after the last is empty, not an error.
    let list = server.get_json("/api/v1/units/31-STP/dossiers?month=2026-11&page=1000").await;
    assert_eq!((list["dossiers"].as_array().unwrap().len(), list["page"].as_u64()), (0, Some(1000)));
}

async fn exports_keep_codes_as_text(backend: Backend) {
    let (server, events) = seeded(backend).await;
    let facts = recompute(&events);
    let expected = expected_list(&facts, "31", "completion", "2026-11");
    let r = server.client.get(server.url("/export/units/31/dossiers.csv?month=2026-11&indicator=completion")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-disposition"].to_str().unwrap().contains("ho-so-can-xu-ly-31-2026-11-completion.csv"));
    let bytes = r.bytes().await.unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(&bytes[3..]);
    assert_eq!(&reader.headers().unwrap()[0], "Mã hồ sơ");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    // Every page at once, in the list's order; every code after a tab, which spreadsheets keep as text.
    assert_eq!(rows.len(), expected.len());
    for (row, (code, _)) in rows.iter().zip(&expected) {
        assert_eq!(&row[0], format!("\t{code}"));
        assert!(row[1].starts_with('\t') && row[3].starts_with('\t'), "{row:?}");
    }
    let zeros = rows.iter().find(|r| &r[0] == "\t00070").unwrap();
    assert_eq!((&zeros[1], &zeros[2], &zeros[5], &zeros[11], &zeros[12]), ("\t31-STP", "Sở Tư pháp", "05/11/2026 08:00", "Không nộp trực tuyến", "submitted_offline"));
    let commune = rows.iter().find(|r| &r[0] == "\tCOM-1").unwrap();
    assert_eq!(&commune[1], "\t11311");

    // The workbook, read by openpyxl: codes are string cells, written as sent.
    let r = server.client.get(server.url("/export/units/31/dossiers.xlsx?month=2026-11&indicator=completion")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.xlsx");
    std::fs::write(&path, r.bytes().await.unwrap()).unwrap();
    let out = Command::new("python3").arg(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/xlsx/dump.py")).arg(&path).output().expect("python3 with openpyxl");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let book: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = book["sheets"][0]["rows"].as_array().unwrap();
    let listed = rows.iter().filter(|r| expected.iter().any(|(code, _)| r[0]["v"] == code.as_str())).count();
    assert_eq!(listed, expected.len(), "every dossier of the list, once");
    let zeros = rows.iter().find(|r| r[0]["v"] == "00070").expect("00070 kept as written");
    assert_eq!((zeros[0]["t"].as_str(), zeros[1]["v"].as_str()), (Some("s"), Some("31-STP")));
    let commune = rows.iter().find(|r| r[0]["v"] == "COM-1").unwrap();
    assert_eq!((commune[1]["v"].as_str(), commune[1]["t"].as_str()), (Some("11311"), Some("s")));

    // The page: the list, sortable column links, the pager, the exports; linked from the unit page.
    let (status, html) = server.get_text("/units/31/dossiers?month=2026-11&indicator=completion&per_page=10").await;
    assert_eq!(status, 200);
    for needle in ["Hồ sơ cần xử lý — Thành phố Hải Phòng, tháng 11/2026", "Không nộp trực tuyến", "Nhận kết quả trực tiếp", "aria-sort=\"ascending\"",
                   "/units/31/dossiers?period=2026-11&amp;indicator=completion&amp;sort=-received&amp;page=1", "Trang sau", "dossiers.csv?period=2026-11", "sort=unit&amp;page=1"] {
        assert!(html.contains(needle), "the page lacks {needle:?}");
    }
    let (_, unit) = server.get_text("/units/31-STP?month=2026-11").await;
    assert!(unit.contains("href=\"/units/31-STP/dossiers?period=2026-11&amp;indicator=completion\""), "no link from the unit page");
}

backend_tests!(
    lists_agree_with_the_events => crate::lists_agree_with_the_events,
    pages_are_stable_in_every_order => crate::pages_are_stable_in_every_order,
    store_streams_the_period => crate::store_streams_the_period,
    errors_are_clear => crate::errors_are_clear,
    exports_keep_codes_as_text => crate::exports_keep_codes_as_text,
);
