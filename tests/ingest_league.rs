//! The whole pipeline through HTTP: a shuffled stream with duplicates, conflicts, invalid events,
//! events before their dossier's `received`, and a late `received` that re-attributes a dossier;
//! the league tables afterwards equal a hand-checked expectation.

mod common;

use common::{create_token, seed_registry, Backend, TestDb, TestServer};
use dvc_monitor::Settings;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde_json::{json, Value};

/// 2026-12-16 00:00 local: November is finished, December is 15/31 gone.
const NOW: &str = "2026-12-16T00:00:00+07:00";

fn at(month: u32, day: u32, hour: u32) -> String {
    format!("2026-{month:02}-{day:02}T{hour:02}:00:00+07:00")
}

/// The events of one dossier: received, processing (carrying the payment), returned.
#[allow(clippy::too_many_arguments)]
fn dossier(
    code: &str,
    unit: &str,
    procedure: &str,
    received: &str,
    channel: &str,
    returned: Option<&str>,
    delivery: &str,
    payment: Option<&str>,
    due: Option<&str>,
) -> Vec<Value> {
    let mut recv = json!({"id": format!("{code}-r"), "dossier": code, "unit": unit, "procedure": procedure,
                          "status": "received", "at": received, "channel": channel});
    if let Some(d) = due {
        recv["due"] = json!(d);
    }
    let mut proc_ = json!({"id": format!("{code}-p"), "dossier": code, "unit": unit, "procedure": procedure,
                           "status": 4, "at": received.replace("T08", "T09")});
    if let Some(p) = payment {
        proc_["payment"] = json!(p);
    }
    let mut out = vec![recv, proc_];
    if let Some(r) = returned {
        out.push(json!({"id": format!("{code}-t"), "dossier": code, "unit": unit, "procedure": procedure,
                        "status": "returned", "at": r, "result_delivery": delivery}));
    }
    out
}

/// A fully-online dossier received and returned in the same month.
fn online(code: &str, unit: &str, month: u32, day: u32) -> Vec<Value> {
    dossier(code, unit, "1.001612", &at(month, day, 8), "online", Some(&at(month, day + 1, 10)), "online", Some("online"), None)
}

/// An eligible dossier that failed one step of the fully-online test.
fn offline(code: &str, unit: &str, month: u32, day: u32) -> Vec<Value> {
    dossier(code, unit, "1.001612", &at(month, day, 8), "online", Some(&at(month, day + 1, 10)), "in_person", None, None)
}

fn scenario_events() -> (Vec<Value>, Vec<Value>) {
    let mut ev = Vec::new();
    // October, the previous month: STP 1/4 (one returned 23:30 on 31 October, still October), SYT 3/4.
    ev.extend(online("STP-O1", "31-STP", 10, 5));
    for i in 0..2 {
        ev.extend(offline(&format!("STP-O{}", i + 2), "31-STP", 10, 6 + i));
    }
    ev.extend(dossier("STP-O4", "31-STP", "1.001612", &at(10, 30, 8), "online", Some("2026-10-31T16:30:00Z"), "in_person", None, None));
    for i in 0..3 {
        ev.extend(online(&format!("SYT-O{i}"), "31-SYT", 10, 5 + i));
    }
    ev.extend(offline("SYT-O3", "31-SYT", 10, 9));

    // November. STP: 3 online (one returned 00:30 on 1 November, so November) + 1 in person; D-MOVE below makes 4/5.
    ev.extend(online("STP-N1", "31-STP", 11, 3));
    ev.extend(online("STP-N2", "31-STP", 11, 4));
    ev.extend(dossier("STP-N3", "31-STP", "1.001612", &at(10, 30, 8), "online", Some("2026-10-31T17:30:00Z"), "postal", None, None));
    ev.extend(offline("STP-N4", "31-STP", 11, 6));
    // A partial-level procedure: not eligible, so outside completion and intake.
    ev.extend(dossier("STP-N5", "31-STP", "3.000001", &at(11, 7, 8), "online", Some(&at(11, 9, 8)), "online", None, None));
    // SYT: 2 online, fee at the counter, submitted in person, submitted by post: 2/5 against its 0.5 override.
    ev.extend(dossier("SYT-N1", "31-SYT", "2.000001", &at(11, 3, 8), "online", Some(&at(11, 4, 8)), "online", None, Some(&at(11, 5, 17))));
    ev.extend(dossier("SYT-N2", "31-SYT", "2.000001", &at(11, 3, 8), "online", Some(&at(11, 4, 8)), "postal", Some("online"), Some(&at(11, 5, 17))));
    ev.extend(dossier("SYT-N3", "31-SYT", "2.000001", &at(11, 3, 8), "online", Some(&at(11, 4, 8)), "online", Some("offline"), Some(&at(11, 5, 17))));
    ev.extend(dossier("SYT-N4", "31-SYT", "2.000001", &at(11, 3, 8), "in_person", Some(&at(11, 4, 8)), "online", None, Some(&at(11, 5, 17))));
    ev.extend(dossier("SYT-N5", "31-SYT", "2.000001", &at(11, 3, 8), "postal", Some(&at(11, 8, 8)), "online", None, Some(&at(11, 5, 17))));
    // SXD: 2/2, under the minimum volume of 3.
    ev.extend(online("SXD-N1", "31-SXD", 11, 3));
    ev.extend(online("SXD-N2", "31-SXD", 11, 4));
    // SCT: 8/10, the same rate as STP with a larger denominator.
    for i in 0..8 {
        ev.extend(online(&format!("SCT-N{i}"), "31-SCT", 11, 2 + i));
    }
    ev.extend(offline("SCT-N8", "31-SCT", 11, 12));
    ev.extend(offline("SCT-N9", "31-SCT", 11, 13));
    // Communes: 11311 1/3 (met 0.3), 11312 1/4 (behind).
    ev.extend(online("C1-1", "11311", 11, 3));
    ev.extend(offline("C1-2", "11311", 11, 4));
    ev.extend(offline("C1-3", "11311", 11, 5));
    ev.extend(online("C2-1", "11312", 11, 3));
    for i in 0..3 {
        ev.extend(offline(&format!("C2-{}", i + 2), "11312", 11, 4 + i));
    }

    // December, 15 of 31 days gone: STP 7/10 on track, SCT 6/10 at risk, SYT 0/10 unreachable.
    for i in 0..10 {
        let f = if i < 7 { online } else { offline };
        ev.extend(f(&format!("STP-D{i}"), "31-STP", 12, 1 + i));
        let f = if i < 6 { online } else { offline };
        ev.extend(f(&format!("SCT-D{i}"), "31-SCT", 12, 1 + i));
        ev.extend(offline(&format!("SYT-D{i}"), "31-SYT", 12, 1 + i));
    }

    // D-MOVE: processing and returned events name SXD; the late received event names STP, earlier.
    let early = vec![
        json!({"id": "MOVE-p", "dossier": "D-MOVE", "unit": "31-SXD", "procedure": "1.001612", "status": "processing", "at": at(11, 3, 9)}),
        json!({"id": "MOVE-t", "dossier": "D-MOVE", "unit": "31-SXD", "procedure": "1.001612", "status": "returned", "at": at(11, 6, 10), "result_delivery": "online"}),
    ];
    let late = vec![json!({"id": "MOVE-r", "dossier": "D-MOVE", "unit": "31-STP", "procedure": "1.001612", "status": "received", "at": at(11, 2, 8), "channel": 2})];
    ev.extend(early);
    (ev, late)
}

fn invalid_events() -> Vec<(Value, &'static str)> {
    let base = json!({"id": "bad-x", "dossier": "BAD", "unit": "31-STP", "procedure": "1.001612",
                      "status": "received", "at": at(11, 3, 8), "channel": "online"});
    let with = |id: &str, k: &str, v: Value| {
        let mut b = base.clone();
        b["id"] = json!(id);
        b[k] = v;
        b
    };
    vec![
        (with("bad-1", "unit", json!("99-XXX")), "unknown unit"),
        (with("bad-2", "channel", Value::Null), "channel is required"),
        (with("bad-3", "at", json!("2026-12-16T00:10:01+07:00")), "in the future"),
        (with("bad-4", "citizen_name", json!("Nguyễn Văn A")), "unknown field `citizen_name`"),
        (with("bad-5", "unit", json!("01-STP")), "outside the scope"),
        (with("bad-6", "status", json!(12)), "status code"),
        (with("bad-7", "at", json!("2026-11-03 08:00")), "RFC 3339"),
    ]
}

async fn pipeline(backend: Backend) {
    let db = TestDb::new(backend).await;
    seed_registry(db.store.as_ref()).await;
    let token = create_token(db.store.as_ref(), "igate-hp", &["31"]).await;
    let hanoi = create_token(db.store.as_ref(), "igate-hn", &["01"]).await;
    let server = TestServer::start(db, NOW, Settings { min_volume: 3, ..Settings::default() }).await;

    let (valid, late) = scenario_events();
    let unique = valid.len() + late.len() + 6;
    let mut stream: Vec<Value> = valid.clone();
    // Re-sent events (agency systems retry blindly) and conflicting reuse of ids.
    stream.extend(valid.iter().step_by(7).cloned());
    let conflicts: Vec<Value> = valid
        .iter()
        .step_by(11)
        .map(|e| {
            let mut c = e.clone();
            c["at"] = json!(at(11, 20, 8));
            c
        })
        .collect();
    let invalid = invalid_events();
    stream.extend(invalid.iter().map(|(v, _)| v.clone()));
    let mut rng = rand::rngs::StdRng::seed_from_u64(766);
    stream.shuffle(&mut rng);

    // Mixed shapes: JSON arrays, NDJSON, single objects; the conflicting copies come after their originals.
    let (mut accepted, mut duplicates, mut reasons) = (0, 0, Vec::new());
    let mut tally = |status: u16, body: Value| {
        assert_eq!(status, 200, "{body}");
        accepted += body["accepted"].as_u64().unwrap();
        duplicates += body["duplicates"].as_u64().unwrap();
        for r in body["rejected"].as_array().unwrap() {
            reasons.push(r["error"].as_str().unwrap().to_string());
        }
    };
    let chunks: Vec<&[Value]> = stream.chunks(37).collect();
    for (i, chunk) in chunks.iter().enumerate() {
        let (status, body) = if i % 2 == 0 {
            server.post(&token, "application/json", serde_json::to_string(chunk).unwrap()).await
        } else {
            let nd = chunk.iter().map(|v| v.to_string()).collect::<Vec<_>>().join("\n");
            server.post(&token, "application/x-ndjson", nd).await
        };
        tally(status, body);
    }
    let (status, body) = server.post(&token, "application/json", serde_json::to_string(&conflicts).unwrap()).await;
    tally(status, body);
    // Hà Nội's own system: 2/2.
    let hn: Vec<Value> = [online("HN-1", "01-STP", 11, 3), online("HN-2", "01-STP", 11, 4)].concat();
    let (status, body) = server.post(&hanoi, "application/json", serde_json::to_string(&hn).unwrap()).await;
    assert_eq!(body["accepted"], 6);
    tally(status, body);
    for e in &late {
        let (status, body) = server.post(&token, "application/json", e.to_string()).await;
        tally(status, body);
    }

    assert_eq!(accepted as usize, unique, "{reasons:#?}");
    assert_eq!(duplicates as usize, valid.iter().step_by(7).count());
    assert_eq!(reasons.len(), invalid.len() + conflicts.len());
    for (_, why) in &invalid {
        assert!(reasons.iter().any(|r| r.contains(why)), "no rejection mentions {why:?}: {reasons:?}");
    }
    assert_eq!(reasons.iter().filter(|r| r.starts_with("conflict")).count(), conflicts.len());

    // November departments of Hải Phòng, by hand:
    // SCT 8/10 and STP 4/5 tie at 0.8 (rank 1, the larger denominator first), SYT 2/5 behind its 0.5,
    // SXD 2/2 under the minimum volume, SNV no dossiers.
    let league = server.get_json("/api/v1/league?month=2026-11&kind=department&parent=31").await;
    assert_eq!((league["month"].as_str(), league["kind"].as_str(), league["indicator"].as_str()), (Some("2026-11"), Some("department"), Some("completion")));
    let rows: Vec<(Value, &str, i64, i64, &str, Value)> = league["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["rank"].clone(), r["unit"].as_str().unwrap(), r["numerator"].as_i64().unwrap(), r["denominator"].as_i64().unwrap(), r["status"].as_str().unwrap(), r["target"].clone()))
        .collect();
    assert_eq!(
        rows,
        vec![
            (json!(1), "31-SCT", 8, 10, "met", json!(0.7)),
            (json!(1), "31-STP", 4, 5, "met", json!(0.7)),
            (json!(3), "31-SYT", 2, 5, "behind", json!(0.5)),
            (Value::Null, "31-SXD", 2, 2, "insufficient_data", json!(0.7)),
            (Value::Null, "31-SNV", 0, 0, "insufficient_data", json!(0.7)),
        ]
    );
    let r = &league["rows"];
    assert_eq!(r[0]["name"], "Sở Công Thương");
    assert_eq!(r[1]["rate"], json!(0.8));
    assert!((r[2]["gap"].as_f64().unwrap() - (0.4 - 0.5)).abs() < 1e-12);
    // October: SYT 3/4 ranked 1, STP 1/4 ranked 2.
    assert_eq!((r[1]["rank_change"].clone(), r[2]["rank_change"].clone(), r[0]["rank_change"].clone()), (json!(1), json!(-2), Value::Null));
    assert!((r[1]["rate_change"].as_f64().unwrap() - 0.55).abs() < 1e-12);
    assert!((r[2]["rate_change"].as_f64().unwrap() + 0.35).abs() < 1e-12);
    assert_eq!(r[4]["rate"], Value::Null);

    // The current month, projected: D = den·31/15.
    let dec = server.get_json("/api/v1/league?month=2026-12&kind=department&parent=31").await;
    let status_of = |u: &str| dec["rows"].as_array().unwrap().iter().find(|r| r["unit"] == u).unwrap()["status"].clone();
    assert_eq!((status_of("31-STP"), status_of("31-SCT"), status_of("31-SYT")), (json!("on_track"), json!("at_risk"), json!("unreachable")));

    let communes = server.get_json("/api/v1/league?month=2026-11&kind=commune&parent=31").await;
    let c: Vec<(Value, &str, &str)> = communes["rows"].as_array().unwrap().iter().map(|r| (r["rank"].clone(), r["unit"].as_str().unwrap(), r["status"].as_str().unwrap())).collect();
    assert_eq!(c, vec![(json!(1), "11311", "met"), (json!(2), "11312", "behind")]);

    // SYT's month: intake 3/5 (counter and post submissions are not online), on time 4/5 (SYT-N5 late).
    let unit = server.get_json("/api/v1/units/31-SYT?month=2026-11").await;
    let ind = |k: &str| unit["indicators"].as_array().unwrap().iter().find(|i| i["indicator"] == k).unwrap().clone();
    assert_eq!((ind("completion")["numerator"].clone(), ind("completion")["denominator"].clone()), (json!(2), json!(5)));
    assert_eq!((ind("intake")["numerator"].clone(), ind("intake")["denominator"].clone()), (json!(3), json!(5)));
    assert_eq!((ind("on_time")["numerator"].clone(), ind("on_time")["denominator"].clone()), (json!(4), json!(5)));
    assert_eq!((unit["status"].clone(), unit["target"].clone()), (json!("behind"), json!(0.5)));
    assert_eq!(ind("completion")["target_source"], "targets.csv, dòng 3");
    let targets = server.get_json("/api/v1/targets?scope=31-SYT").await;
    assert_eq!(targets["targets"], json!([{"scope": "31-SYT", "year": 2026, "month": 11, "indicator": "completion", "value": 0.5, "source": "targets.csv, dòng 3"}]));
    assert_eq!(server.get_json("/api/v1/targets?year=2026").await["targets"].as_array().unwrap().len(), 3);
    assert_eq!(unit["procedures"][0]["procedure"], "2.000001");
    assert_eq!(unit["procedures"][0]["completion"], json!({"numerator": 2, "denominator": 5}));

    // STP's partial-level dossier has no due date: it counts in no indicator, so no breakdown row.
    // D-MOVE counts here; STP-N3, received in October, counts in November's completion only.
    let mut stp = server.get_json("/api/v1/units/31-STP?month=2026-11").await;
    // The average processing time of the five dossiers returned (its rule has unit tests of its own).
    let processing = stp["procedures"][0].as_object_mut().unwrap().remove("processing").unwrap();
    assert_eq!(processing["dossiers"], 5);
    assert!(processing["average_days"].as_f64().is_some_and(|d| d > 0.0 && d < 30.0), "{processing}");
    assert_eq!(stp["procedures"], json!([{"procedure": "1.001612", "name": "Cấp phiếu lý lịch tư pháp", "level": "full",
        "completion": {"numerator": 4, "denominator": 5}, "intake": {"numerator": 4, "denominator": 4},
        "on_time": {"numerator": 0, "denominator": 0}}]));

    // The national committee's sums: Hải Phòng 8+4+2+2+1+1 = 18 of 10+5+5+2+3+4 = 29; Hà Nội 2/2.
    let agg = server.get_json("/api/v1/aggregate?month=2026-11&level=province").await;
    assert_eq!(agg["rows"], json!([
        {"unit": "01", "name": "Thành phố Hà Nội", "numerator": 2, "denominator": 2, "rate": 1.0},
        {"unit": "31", "name": "Thành phố Hải Phòng", "numerator": 18, "denominator": 29, "rate": 18.0 / 29.0},
    ]));
    let nation = server.get_json("/api/v1/aggregate?month=2026-11&level=nation").await;
    assert_eq!(nation["rows"], json!([{"unit": "VN", "name": "Việt Nam", "numerator": 20, "denominator": 31, "rate": 20.0 / 31.0}]));

    // CSV of the same table.
    let (status, csv) = server.get_text("/api/v1/league?month=2026-11&kind=department&parent=31&format=csv").await;
    assert_eq!(status, 200);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "rank,unit,name,numerator,denominator,rate,target,gap,status,rate_change,rank_change");
    assert!(lines[1].starts_with("1,31-SCT,Sở Công Thương,8,10,0.8,0.7,"), "{}", lines[1]);
    assert!(lines[5].starts_with(",31-SNV,Sở Nội vụ,0,0,,0.7,,insufficient_data,"), "{}", lines[5]);

    // The page renders the same table in Vietnamese.
    let (status, html) = server.get_text("/?month=2026-11&kind=department&parent=31").await;
    assert_eq!(status, 200);
    for needle in ["Sở Công Thương", "80,0 %", "Không đạt", "Chưa đủ dữ liệu", "Tháng 11/2026", "Thành phố Hải Phòng"] {
        assert!(html.contains(needle), "page lacks {needle}");
    }
    let (status, _) = server.get_text("/units/31-SYT?month=2026-11").await;
    assert_eq!(status, 200);
}

async fn http_errors(backend: Backend) {
    let db = TestDb::new(backend).await;
    seed_registry(db.store.as_ref()).await;
    let token = create_token(db.store.as_ref(), "igate", &["31"]).await;
    let server = TestServer::start(db, NOW, Settings { max_body_bytes: 4096, ..Settings::default() }).await;
    let event = json!({"id": "e1", "dossier": "D1", "unit": "31-STP", "procedure": "1.001612",
                       "status": "received", "at": at(11, 3, 8), "channel": "online"});

    // 401 without or with a wrong token; nothing stored.
    let r = server.client.post(server.url("/api/v1/events")).json(&event).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["www-authenticate"], "Bearer");
    let (status, _) = server.post("dvc_not-a-token", "application/json", event.to_string()).await;
    assert_eq!(status, 401);
    // 400 for a body that is not JSON at all, or empty.
    let (status, body) = server.post(&token, "application/json", "this is not json".into()).await;
    assert_eq!(status, 400);
    assert!(body["error"].as_str().unwrap().contains("neither JSON nor NDJSON"));
    let (status, _) = server.post(&token, "application/json", "".into()).await;
    assert_eq!(status, 400);
    // 413 over the configured limit.
    let big: Vec<Value> = (0..100).map(|i| { let mut e = event.clone(); e["id"] = json!(format!("big-{i}")); e }).collect();
    let (status, _) = server.post(&token, "application/json", serde_json::to_string(&big).unwrap()).await;
    assert_eq!(status, 413);
    let unit = server.get_json("/api/v1/units/31-STP?month=2026-11").await;
    assert_eq!(unit["indicators"][1]["denominator"], 0, "rejected requests stored nothing");

    // A single object is accepted; the same again is a duplicate.
    let (status, body) = server.post(&token, "application/json", event.to_string()).await;
    assert_eq!((status, body), (200, json!({"accepted": 1, "duplicates": 0, "rejected": []})));
    let (_, body) = server.post(&token, "application/json", event.to_string()).await;
    assert_eq!(body, json!({"accepted": 0, "duplicates": 1, "rejected": []}));
    // Same instant written with another offset is the same content.
    let mut same = event.clone();
    same["at"] = json!("2026-11-03T01:00:00Z");
    let (_, body) = server.post(&token, "application/json", same.to_string()).await;
    assert_eq!(body["duplicates"], 1);

    // Read API errors.
    let (status, body) = server.get_text("/api/v1/league?month=2026-13").await;
    assert_eq!(status, 400, "{body}");
    let (status, _) = server.get_text("/api/v1/league?kind=village").await;
    assert_eq!(status, 400);
    let (status, _) = server.get_text("/api/v1/units/NOPE").await;
    assert_eq!(status, 404);
    let (status, _) = server.get_text("/api/v1/league?parent=NOPE").await;
    assert_eq!(status, 404);
    let (status, _) = server.get_text("/api/v1/aggregate?level=district").await;
    assert_eq!(status, 400);
    let (status, body) = server.get_text("/healthz").await;
    assert_eq!((status, body.as_str()), (200, "ok"));
    let ready = server.get_json("/readyz").await;
    assert_eq!(ready["status"], "ready");
}

backend_tests!(
    full_pipeline => super::pipeline,
    http_contract => super::http_errors,
);
