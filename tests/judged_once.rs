//! One judgement, every reader: the status `/metrics` exports (and so the alerts) equals the league
//! table's for every unit of every kind, provinces included, every indicator, this month and last,
//! with last month open and after it is closed. On both backends.

mod common;

use common::{create_token, seed_registry, synthetic_stream, Backend, TestDb, TestServer};
use dvc_monitor::Settings;
use serde_json::Value;
use std::collections::BTreeMap;

const NOW: &str = "2026-12-16T09:00:00+07:00";

/// (metric, unit, indicator) → status, from the exposition.
fn statuses(metrics: &str) -> BTreeMap<(String, String, String), String> {
    let mut out = BTreeMap::new();
    for line in metrics.lines().filter(|l| l.starts_with("dvc_unit_status{") || l.starts_with("dvc_unit_last_month_status{")) {
        let (name, rest) = line.split_once('{').unwrap();
        let labels: BTreeMap<&str, &str> = rest
            .split_once('}')
            .unwrap()
            .0
            .split(',')
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap();
                (k, v.trim_matches('"'))
            })
            .collect();
        out.insert((name.to_string(), labels["unit"].to_string(), labels["indicator"].to_string()), labels["status"].to_string());
    }
    out
}

/// The rows where `/metrics` and the league disagree, and how many rows were compared.
async fn disagreements(server: &TestServer) -> (Vec<String>, usize) {
    let metrics = server.get_text("/metrics").await.1;
    let exported = statuses(&metrics);
    let mut compared = 0;
    let mut differ = Vec::new();
    for (metric, month) in [("dvc_unit_status", "2026-12"), ("dvc_unit_last_month_status", "2026-11")] {
        for indicator in dvc_monitor::domain::Indicator::ALL.map(|i| i.as_str()) {
            for (kind, parent) in [("department", "&parent=31"), ("commune", "&parent=31"), ("province", "")] {
                let league = server.get_json(&format!("/api/v1/league?month={month}&kind={kind}&indicator={indicator}{parent}")).await;
                for row in league["rows"].as_array().unwrap() {
                    let unit = row["unit"].as_str().unwrap().to_string();
                    let got = exported.get(&(metric.to_string(), unit.clone(), indicator.to_string()));
                    if got.map(String::as_str) != row["status"].as_str() {
                        differ.push(format!("{metric} {unit} {indicator} {month}: /metrics {got:?}, league {row}"));
                    }
                    compared += 1;
                }
            }
        }
    }
    (differ, compared)
}

/// `/metrics` follows the store within seconds (its snapshot is refreshed after ingest): waits for it,
/// then every status must agree.
async fn compare(server: &TestServer, when: &str) {
    let mut last = (Vec::new(), 0);
    for _ in 0..40 {
        last = disagreements(server).await;
        if last.0.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    // 5 departments, 2 communes and 2 provinces, 9 indicators (the index's with
    // --metrics-index-indicators), 2 months.
    assert_eq!(last.1, 9 * 9 * 2, "{when}");
    assert!(last.0.is_empty(), "{when}: {:#?}", last.0);
}

async fn metrics_and_league_agree(backend: Backend) {
    let db = TestDb::new(backend).await;
    seed_registry(db.store.as_ref()).await;
    let token = create_token(db.store.as_ref(), "igate", &["VN"]).await;
    let server = TestServer::start(db, NOW, Settings { min_volume: 3, metrics_index_indicators: true, ..Settings::default() }).await;
    let stream: Vec<Value> = synthetic_stream(42, 400);
    let (status, answer) = server.post(&token, "application/json", Value::Array(stream).to_string()).await;
    assert_eq!(status, 200, "{answer}");
    compare(&server, "November open").await;

    let closed = dvc_monitor::report::closing::close_month(server.db.store.as_ref(), "2026-11".parse().unwrap(), 50, server_now()).await;
    assert!(closed.is_ok(), "{closed:?}");
    // A late event for the closed month changes the live rollups, not what was published.
    let late = serde_json::json!({"id": "late-1", "dossier": "LATE-1", "unit": "31-STP", "procedure": "1.001612",
        "status": "received", "at": "2026-11-20T08:00:00+07:00", "channel": "online"});
    assert_eq!(server.post(&token, "application/json", late.to_string()).await.1["accepted"], 1);
    compare(&server, "November closed with a minimum volume of 50").await;
}

fn server_now() -> i64 {
    chrono::DateTime::parse_from_rfc3339(NOW).unwrap().timestamp_millis()
}

backend_tests!(metrics_status_equals_league_status => crate::metrics_and_league_agree);
