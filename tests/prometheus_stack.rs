//! The metrics, recording rules and dashboards against the real tools: promtool checks the exposition,
//! the rules and `deploy/prometheus.yml`; a real Prometheus scrapes the service, and every PromQL
//! expression of every dashboard must return data.

mod common;

use common::{create_token, seed_registry, synthetic_stream, Backend, TestDb, TestServer};
use dvc_monitor::Settings;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const NOW: &str = "2026-12-16T00:00:00+07:00";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn tool(name: &str) -> PathBuf {
    for dir in ["/usr/bin", "/usr/local/bin", "/bin"] {
        let p = Path::new(dir).join(name);
        if p.exists() {
            return p;
        }
    }
    panic!("{name} is not installed: scripts/test installs it (apt-get install prometheus)");
}

fn promtool(args: &[&str], stdin: Option<&[u8]>) -> String {
    let mut child = Command::new(tool("promtool"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(input).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "promtool {args:?} failed:\n{text}");
    text
}

fn rule_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in ["rules", "alerts"] {
        if let Ok(entries) = std::fs::read_dir(repo().join(dir)) {
            for e in entries.flatten() {
                let p = e.path();
                if p.extension().is_some_and(|x| x == "yml" || x == "yaml") {
                    files.push(p);
                }
            }
        }
    }
    files.sort();
    files
}

struct Killed(Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// `deploy/prometheus.yml` pointed at the test's service, with the repository's rule files and a 1 s rhythm.
fn test_config(service: &str) -> String {
    let original = std::fs::read_to_string(repo().join("deploy/prometheus.yml")).expect("deploy/prometheus.yml");
    assert!(original.contains("dvc-monitor:8080"), "deploy/prometheus.yml scrapes dvc-monitor:8080");
    let mut out = String::new();
    let mut skipping_rules = false;
    for line in original.lines() {
        let trimmed = line.trim_start();
        if skipping_rules {
            if trimmed.starts_with("- ") || trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            skipping_rules = false;
        }
        if trimmed.starts_with("rule_files:") {
            out.push_str("rule_files:\n");
            for f in rule_files() {
                out.push_str(&format!("  - {}\n", f.display()));
            }
            skipping_rules = true;
            continue;
        }
        let line = line
            .replace("dvc-monitor:8080", service)
            // No Alertmanager in this test: a closed loopback port, never a name to resolve.
            .replace("alertmanager:9093", "127.0.0.1:1");
        let line = if trimmed.starts_with("scrape_interval:") || trimmed.starts_with("evaluation_interval:") {
            format!("{}{} 1s", &line[..line.len() - trimmed.len()], trimmed.split(':').next().unwrap().to_string() + ":")
        } else {
            line
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}

async fn query(client: &reqwest::Client, prom: &str, expr: &str) -> Result<Vec<Value>, String> {
    let r = client.get(format!("{prom}/api/v1/query")).query(&[("query", expr)]).send().await.map_err(|e| e.to_string())?;
    let body: Value = r.json().await.map_err(|e| e.to_string())?;
    if body["status"] != "success" {
        return Err(format!("{}", body["error"]));
    }
    match &body["data"]["result"] {
        Value::Array(a) => Ok(a.clone()),
        scalar => Ok(vec![scalar.clone()]),
    }
}

/// Every `expr` in a dashboard, panels nested in rows included.
fn expressions(panels: &Value, out: &mut Vec<(String, String)>) {
    for p in panels.as_array().into_iter().flatten() {
        for t in p["targets"].as_array().into_iter().flatten() {
            if let Some(e) = t["expr"].as_str().filter(|e| !e.trim().is_empty()) {
                out.push((p["title"].as_str().unwrap_or("").to_string(), e.to_string()));
            }
        }
        expressions(&p["panels"], out);
    }
}

fn substitute(expr: &str, vars: &[(String, String)]) -> String {
    let mut e = expr.to_string();
    for (k, v) in [("__rate_interval", "1m"), ("__interval", "15s"), ("__range", "5m")] {
        e = e.replace(&format!("${{{k}}}"), v).replace(&format!("${k}"), v);
    }
    let mut sorted: Vec<&(String, String)> = vars.iter().collect();
    sorted.sort_by_key(|(k, _)| std::cmp::Reverse(k.len()));
    for (k, v) in sorted {
        e = e.replace(&format!("${{{k}}}"), v).replace(&format!("[[{k}]]"), v).replace(&format!("${k}"), v);
    }
    e
}

/// A value for each template variable: the first of its custom options, or for `label_values(sel, label)`
/// a value from the live series (the sample province and unit where present).
async fn variables(client: &reqwest::Client, prom: &str, dashboard: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for v in dashboard["templating"]["list"].as_array().into_iter().flatten() {
        let name = v["name"].as_str().unwrap().to_string();
        let value = match v["type"].as_str() {
            Some("custom") => v["query"].as_str().unwrap().split(',').next().unwrap().trim().to_string(),
            Some("query") => {
                let q = v["query"].as_str().map(String::from).unwrap_or_else(|| v["query"]["query"].as_str().unwrap_or("").to_string());
                let inner = q.trim().strip_prefix("label_values(").and_then(|r| r.strip_suffix(')')).unwrap_or_else(|| panic!("variable {name}: {q}"));
                let (selector, label) = inner.rsplit_once(',').unwrap();
                let series = query(client, prom, &substitute(selector.trim(), &out)).await.unwrap();
                let mut values: Vec<String> = series.iter().filter_map(|s| s["metric"][label.trim()].as_str().map(String::from)).collect();
                values.sort();
                assert!(!values.is_empty(), "variable {name} has no values: {q}");
                ["31", "31-STP"].iter().find(|p| values.contains(&p.to_string())).map(|p| p.to_string()).unwrap_or(values[0].clone())
            }
            _ => continue,
        };
        out.push((name, value));
    }
    out
}

#[test]
fn alert_rules_pass_their_unit_tests_and_alertmanager_config_is_valid() {
    let tests: Vec<PathBuf> = std::fs::read_dir(repo().join("alerts/tests")).unwrap().flatten().map(|e| e.path()).collect();
    assert!(!tests.is_empty());
    for t in tests {
        let out = promtool(&["test", "rules", t.to_str().unwrap()], None);
        assert!(out.contains("SUCCESS"), "{out}");
    }
    let out = Command::new(tool("amtool")).args(["check-config", repo().join("deploy/alertmanager.yml").to_str().unwrap()]).output().unwrap();
    assert!(out.status.success(), "amtool check-config: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    // Unit alerts go to the unit's head grouped per unit; escalations to the province leader grouped per province.
    let route = |labels: &[&str]| {
        let out = Command::new(tool("amtool"))
            .args(["config", "routes", "test", "--verify.receivers=dvc-monitor", &format!("--config.file={}", repo().join("deploy/alertmanager.yml").display())])
            .args(labels)
            .output()
            .unwrap();
        assert!(out.status.success(), "{labels:?}: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    };
    route(&["alertname=DvcUnitAtRisk", "unit=31-STP", "province=31", "recipient=unit"]);
    route(&["alertname=DvcUnitBehindSeveralMonths", "unit=31-STP", "province=31", "recipient=province"]);
    route(&["alertname=DvcSourceStale", "source=igate", "province=31", "recipient=province"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboards_rules_and_config_against_a_real_prometheus() {
    for f in rule_files() {
        promtool(&["check", "rules", f.to_str().unwrap()], None);
    }

    let db = TestDb::new(Backend::Sqlite).await;
    seed_registry(db.store.as_ref()).await;
    let token = create_token(db.store.as_ref(), "igate-hp", &["31"]).await;
    let server = TestServer::start(db, NOW, Settings::default()).await;
    for batch in synthetic_stream(5, 800).chunks(500) {
        let (status, _) = server.post(&token, "application/json", serde_json::to_string(batch).unwrap()).await;
        assert_eq!(status, 200);
    }
    // Sở Tư pháp this month: 20 dossiers returned, 12 of them fully online, half-way through December.
    let december: Vec<Value> = (0..20)
        .flat_map(|i| {
            let (code, online) = (format!("DEC-{i}"), i < 12);
            let day = 1 + i % 14;
            [
                serde_json::json!({"id": format!("{code}-r"), "dossier": code, "unit": "31-STP", "procedure": "1.001612", "status": "received",
                    "at": format!("2026-12-{day:02}T08:00:00+07:00"), "channel": if online { "online" } else { "in_person" }}),
                serde_json::json!({"id": format!("{code}-t"), "dossier": code, "unit": "31-STP", "procedure": "1.001612", "status": "returned",
                    "at": format!("2026-12-{day:02}T15:00:00+07:00"), "result_delivery": "online", "payment": "online"}),
            ]
        })
        .collect();
    let (status, answer) = server.post(&token, "application/json", serde_json::to_string(&december).unwrap()).await;
    assert_eq!((status, answer["accepted"].as_u64()), (200, Some(40)), "{answer}");

    // The exposition passes promtool's lint and carries every unit from the start.
    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let exposition = loop {
        let text = client.get(server.url("/metrics")).send().await.unwrap().text().await.unwrap();
        if text.contains("dvc_dossiers_completed_total{unit=\"31-STP\"}") && !text.contains("dvc_dossiers_completed_total{unit=\"31-STP\"} 0") {
            break text;
        }
        assert!(Instant::now() < deadline, "metrics never reflected the ingested events:\n{text}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let lint = promtool(&["check", "metrics"], Some(exposition.as_bytes()));
    assert!(lint.trim().is_empty(), "promtool check metrics: {lint}");
    assert!(exposition.contains("dvc_dossiers_completed_total{unit=\"31-SNV\"}"), "a unit with no dossiers still has its series");

    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("prometheus.yml");
    let service = server.base.trim_start_matches("http://").to_string();
    std::fs::write(&config, test_config(&service)).unwrap();
    promtool(&["check", "config", config.to_str().unwrap()], None);
    promtool(&["check", "config", repo().join("deploy/prometheus.yml").to_str().unwrap()], None)
        .lines()
        .for_each(drop);

    let port = free_port();
    let prom = format!("http://127.0.0.1:{port}");
    let _prometheus = Killed(
        Command::new(tool("prometheus"))
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", dir.path().join("data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    // Up, scraped a few times, rules evaluated.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let up = query(&client, &prom, "up{job=\"dvc-monitor\"} == 1").await.unwrap_or_default();
        let rule = query(&client, &prom, "nation:dvc_unit_month_denominator:sum").await.unwrap_or_default();
        let samples = query(&client, &prom, "count_over_time(dvc_month_elapsed_ratio[1m]) >= 5").await.unwrap_or_default();
        if !up.is_empty() && !rule.is_empty() && !samples.is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "Prometheus did not scrape the service and evaluate the rules in time");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    let mut failures = Vec::new();
    let mut checked = 0;
    let mut dashboards: Vec<PathBuf> = std::fs::read_dir(repo().join("dashboards")).unwrap().flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "json")).collect();
    dashboards.sort();
    assert!(dashboards.len() >= 3, "three dashboards");
    for path in &dashboards {
        let dashboard: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        assert!(dashboard["uid"].is_string() && dashboard["title"].is_string(), "{} has a fixed uid and title", path.display());
        let vars = variables(&client, &prom, &dashboard).await;
        let mut exprs = Vec::new();
        expressions(&dashboard["panels"], &mut exprs);
        assert!(!exprs.is_empty(), "{} has queries", path.display());
        for (panel, expr) in exprs {
            let e = substitute(&expr, &vars);
            checked += 1;
            match query(&client, &prom, &e).await {
                Ok(r) if !r.is_empty() => {}
                Ok(_) => failures.push(format!("{} / {panel}: no data for {e}", path.display())),
                Err(err) => failures.push(format!("{} / {panel}: {err} in {e}", path.display())),
            }
        }
    }
    assert!(failures.is_empty(), "{} of {checked} dashboard queries failed:\n{}", failures.len(), failures.join("\n"));

    // Province and national roll-ups are sums of numerators and denominators.
    let province = query(&client, &prom, "province:dvc_unit_month_denominator:sum{province=\"31\",indicator=\"completion\"}").await.unwrap();
    let direct = query(&client, &prom, "sum(dvc_unit_month_denominator{indicator=\"completion\"})").await.unwrap();
    assert_eq!(province[0]["value"][1], direct[0]["value"][1]);

    // The unit alerts of alerts/dvc-alerts.yml, evaluated by this Prometheus on what the service exports,
    // are the built-in evaluator's alerts on the same store: same units, labels and texts.
    let now = chrono::DateTime::parse_from_rfc3339(NOW).unwrap().timestamp_millis();
    let snapshot = dvc_monitor::report::snapshot::snapshot(server.db.store.as_ref(), Settings::default().min_volume, now, true).await.unwrap();
    let twin = dvc_monitor::alerting::rules::Settings {
        public_url: "http://dvc-monitor:8080".into(),
        grafana_url: "http://grafana:3000".into(),
        ..Default::default()
    };
    let keep = ["summary", "description", "unit_url", "runbook_url", "dashboard_url"];
    let built_in: BTreeSet<(BTreeMap<String, String>, Vec<String>)> = dvc_monitor::alerting::rules::evaluate(&snapshot, &BTreeMap::new(), now, &twin)
        .into_iter()
        .filter(|a| a.name().starts_with("DvcUnit"))
        .map(|a| (a.labels.clone(), keep.iter().map(|k| a.annotation(k).to_string()).collect()))
        .collect();
    assert!(built_in.iter().any(|(l, _)| l["alertname"] == "DvcUnitAtRisk" || l["alertname"] == "DvcUnitTargetUnreachable"), "the scenario raises a unit alert this month: {built_in:#?}");
    assert!(built_in.iter().any(|(l, _)| l["alertname"] == "DvcUnitBehindLastMonth"), "and one for last month: {built_in:#?}");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let body: Value = client.get(format!("{prom}/api/v1/alerts")).send().await.unwrap().json().await.unwrap();
        let prometheus: BTreeSet<(BTreeMap<String, String>, Vec<String>)> = body["data"]["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["labels"]["alertname"].as_str().is_some_and(|n| n.starts_with("DvcUnit")))
            .map(|a| {
                let labels = serde_json::from_value(a["labels"].clone()).unwrap();
                let text = |k: &str| a["annotations"][k].as_str().unwrap_or_default().split_whitespace().collect::<Vec<_>>().join(" ");
                (labels, keep.iter().map(|k| text(k)).collect())
            })
            .collect();
        let normalised: BTreeSet<_> = built_in.iter().map(|(l, a)| (l.clone(), a.iter().map(|t| t.split_whitespace().collect::<Vec<_>>().join(" ")).collect::<Vec<_>>())).collect();
        if prometheus == normalised {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "Prometheus and the built-in evaluator disagree.\nOnly in Prometheus: {:#?}\nOnly built in: {:#?}",
            prometheus.difference(&normalised).collect::<Vec<_>>(),
            normalised.difference(&prometheus).collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
