//! `dvc-monitor demo`, briefly: a real province through the real ingest path, then served.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use chrono::{DateTime, Datelike, FixedOffset};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Killed(std::process::Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A running demo: its address, and every line it printed so far on stdout and on stderr.
struct Demo {
    _child: Killed,
    base: String,
    stdout: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Mutex<Vec<String>>>,
}

impl Demo {
    fn stdout(&self) -> Vec<String> {
        self.stdout.lock().unwrap().clone()
    }
    fn stderr(&self) -> Vec<String> {
        self.stderr.lock().unwrap().clone()
    }
}

/// Starts the demo with `DVC_LOG` set to `log` (or, with `None`, no log variable at all: the demo's own
/// default) and waits for the line with the address.
fn launch(args: &[&str], url: &str, log: Option<(&str, &str)>) -> Demo {
    let mut command = Command::new(env!("CARGO_BIN_EXE_dvc-monitor"));
    command
        .args(["demo", "--listen", "127.0.0.1:0", "--database-url", url])
        .args(args)
        .env_remove("DVC_LOG")
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some((variable, filter)) = log {
        command.env(variable, filter);
    }
    let mut child = command.spawn().unwrap();
    let keep = |stream: Box<dyn std::io::Read + Send>| {
        let lines: Arc<Mutex<Vec<String>>> = Default::default();
        let kept = lines.clone();
        std::thread::spawn(move || BufReader::new(stream).lines().map_while(Result::ok).for_each(|l| kept.lock().unwrap().push(l)));
        lines
    };
    let stdout = keep(Box::new(child.stdout.take().unwrap()));
    let stderr = keep(Box::new(child.stderr.take().unwrap()));
    let mut guard = Killed(child);
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let open = stdout.lock().unwrap().iter().find_map(|l| l.strip_prefix("Open ").map(String::from));
        if let Some(open) = open {
            let base = open.split('/').take(3).collect::<Vec<_>>().join("/");
            return Demo { _child: guard, base, stdout, stderr };
        }
        let ended = guard.0.try_wait().unwrap();
        assert!(ended.is_none() && Instant::now() < deadline, "demo ended early or never served ({ended:?}): {:?} {:?}", stdout.lock().unwrap(), stderr.lock().unwrap());
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Starts the demo (warnings logged) and returns the base URL and its output up to the address.
fn start(args: &[&str], url: &str) -> (Demo, String, Vec<String>) {
    let demo = launch(args, url, Some(("DVC_LOG", "warn")));
    let (base, output) = (demo.base.clone(), demo.stdout());
    (demo, base, output)
}

#[test]
fn demo_loads_a_believable_province() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("demo.db").display());
    // A fixed day, so that "last month" means the same on any day the test runs (the tests below
    // run the demo at the instants that break date logic).
    let now = ["--now", "2026-11-20T10:00:00+07:00"];
    let (guard, base, output) = start(&[&["--months", "2", "--no-live", "--volume", "0.3", "--seed", "7"][..], &now].concat(), &url);
    let text = output.join("\n");
    assert!(text.contains("Thành phố Hải Phòng — 127 units sending dossiers (114 communes, 15 departments)"), "{text}");
    let loaded = output.iter().find(|l| l.starts_with("History loaded")).expect("summary line");
    let number = |after: &str| -> u64 {
        let i = loaded.find(after).unwrap_or_else(|| panic!("{after} in {loaded}"));
        loaded[..i].split_whitespace().last().unwrap().parse().unwrap()
    };
    let (sent, accepted, rejected) = (number(" events sent"), number(" accepted"), number(" rejected ("));
    assert!(rejected > 0, "the simulator's invalid events are reported: {loaded}");
    assert_eq!(sent, accepted + rejected, "{loaded}");

    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
        let get = |path: String| {
            let client = client.clone();
            let base = base.clone();
            async move {
                let r = client.get(format!("{base}{path}")).send().await.unwrap();
                assert_eq!(r.status(), 200, "{path}");
                r.json::<serde_json::Value>().await.unwrap()
            }
        };
        // Last month is finished: ranked departments and communes, some met and some behind.
        let last = "2026-10";
        for kind in ["department", "commune"] {
            let league = get(format!("/api/v1/league?month={last}&kind={kind}&parent=31")).await;
            let rows = league["rows"].as_array().unwrap();
            let count = |s: &str| rows.iter().filter(|r| r["status"] == s).count();
            assert!(rows.iter().filter(|r| r["rank"].is_u64()).count() >= 5, "{kind}: {league}");
            assert!(count("met") > 0 && count("behind") > 0, "{kind}: met {} behind {}", count("met"), count("behind"));
        }
        let agg = get(format!("/api/v1/aggregate?month={last}&level=province")).await;
        assert!(agg["rows"][0]["denominator"].as_i64().unwrap() > 1000, "{agg}");
        let unit = get(format!("/api/v1/units/31-STP?month={last}")).await;
        assert!(!unit["procedures"].as_array().unwrap().is_empty());
        let page = client.get(format!("{base}/")).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("Thành phố Hải Phòng") && page.contains("Sở Tư pháp"));
    });

    // Rejected events were reported, not stored: the events table holds exactly the accepted native ones
    // (beside the events the national-sync door derived).
    rt.block_on(async {
        let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url).await.unwrap();
        let (stored,): (i64,) =
            sqlx::query_as("SELECT count(*) FROM events WHERE source = 'demo-simulator-31'").fetch_one(&mut conn).await.unwrap();
        assert_eq!(stored as u64, accepted);
    });

    // A second run on the same database reuses the history instead of sending it again.
    drop(guard);
    let (_guard, _, output) = start(&[&["--months", "2", "--no-live", "--volume", "0.3", "--seed", "7"][..], &now].concat(), &url);
    assert!(output.iter().any(|l| l.contains("reusing it")), "{output:?}");
}

#[test]
fn live_events_move_the_current_month() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("demo.db").display());
    let (_guard, base, _) = start(&["--months", "1", "--volume", "0.1", "--rate", "300", "--province", "01"], &url);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
        let intake = || async {
            let v: serde_json::Value = client
                .get(format!("{base}/api/v1/aggregate?level=province&indicator=intake"))
                .send().await.unwrap().json().await.unwrap();
            v["rows"][0]["denominator"].as_i64().unwrap()
        };
        let before = intake().await;
        let mut after = before;
        for _ in 0..20 {
            tokio::time::sleep(Duration::from_millis(500)).await;
            after = intake().await;
            if after > before {
                break;
            }
        }
        assert!(after > before, "live dossiers are received into the current month ({before} → {after})");
    });
}

// The README's main command at the instants that break date logic (months and years in UTC+07:00 that
// UTC has not reached yet, the last minutes of a month or year, leap days), for several provinces and
// seeds, without waiting for the calendar (`demo --now`).

fn month_key(t: DateTime<FixedOffset>) -> String {
    format!("{:04}-{:02}", t.year(), t.month())
}

fn check(now: &str, province: &str, seed: u64) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("demo.db").display());
    let seed = seed.to_string();
    let args = ["--months", "2", "--volume", "0.1", "--no-live", "--now", now, "--province", province, "--seed", &seed];
    let (_guard, base, output) = start(&args, &url);
    // The demo compares the rejections it got with the invalid events it delivered, and stops with an
    // error when they differ: reaching the address means they agreed.
    assert!(output.iter().any(|l| l.starts_with("History loaded") && l.contains("rejected")), "{output:?}");
    let local = DateTime::parse_from_rfc3339(now).unwrap().with_timezone(&FixedOffset::east_opt(7 * 3600).unwrap());
    let this = month_key(local);
    let first = local.with_day(1).unwrap();
    let last = month_key(first - chrono::Duration::days(1));
    let next = month_key(first + chrono::Duration::days(32));
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
        let get = |path: String| {
            let client = client.clone();
            let base = base.clone();
            async move {
                let r = client.get(format!("{base}{path}")).send().await.unwrap();
                assert_eq!(r.status(), 200, "{now}: {path}");
                r.text().await.unwrap()
            }
        };
        let json = |text: String| serde_json::from_str::<serde_json::Value>(&text).unwrap();
        let denominator = |v: &serde_json::Value| v["rows"].as_array().and_then(|r| r.first()).map_or(0, |r| r["denominator"].as_i64().unwrap());
        // The finished month holds the history; nothing lies after `now`.
        let received_last = json(get(format!("/api/v1/aggregate?month={last}&level=province&indicator=intake")).await);
        assert!(denominator(&received_last) > 100, "{now}: {last}: {received_last}");
        let received_next = json(get(format!("/api/v1/aggregate?month={next}&level=province&indicator=intake")).await);
        assert_eq!(denominator(&received_next), 0, "{now}: nothing is received after now ({next})");
        for month in [&last, &this] {
            for kind in ["department", "commune"] {
                let league = json(get(format!("/api/v1/league?month={month}&kind={kind}&parent={province}")).await);
                assert_eq!(league["month"], serde_json::json!(month), "{now}");
                assert!(!league["rows"].as_array().unwrap().is_empty(), "{now}: {month} {kind}");
            }
        }
        // The pages open, on the default month and on both months named.
        for path in ["/".to_string(), format!("/?month={last}"), format!("/?month={this}&kind=commune"), "/metrics".to_string()] {
            get(path).await;
        }
    });
}

#[test]
fn first_minutes_of_a_year_in_vietnam_while_utc_is_still_in_the_old_one() {
    check("2027-01-01T00:05:00+07:00", "31", 3);
}

#[test]
fn last_minutes_of_a_year() {
    check("2026-12-31T23:55:00+07:00", "01", 4);
}

#[test]
fn a_leap_day() {
    check("2028-02-29T08:00:00+07:00", "79", 5);
}

#[test]
fn first_minutes_after_february_while_utc_is_still_in_it() {
    check("2027-03-01T00:02:00+07:00", "48", 6);
}

#[test]
fn last_day_of_a_thirty_day_month() {
    check("2026-11-30T23:59:00+07:00", "92", 7);
}

// ---------------------------------------------------------------------------------------------------
// The national-sync door: part of the units send snapshots and steps instead of native events, and the
// league tables are those of a run where every unit sends native events.

/// Every league table (kinds, indicators) of this month and last: each unit's rate, numerator,
/// denominator, status and rank.
async fn leagues(base: &str) -> Vec<(String, serde_json::Value)> {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().unwrap();
    let mut out = Vec::new();
    for month in ["2026-10", "2026-11"] {
        for kind in ["department", "commune"] {
            // kpi.md's three and the national index's dossier indicators: the collector maps every fact.
            for indicator in dvc_monitor::domain::Indicator::ALL {
                let path = format!("/api/v1/league?month={month}&kind={kind}&indicator={indicator}&parent=31");
                let v: serde_json::Value = client.get(format!("{base}{path}")).send().await.unwrap().json().await.unwrap();
                let rows: Vec<serde_json::Value> = v["rows"]
                    .as_array()
                    .unwrap_or_else(|| panic!("{path}: {v}"))
                    .iter()
                    .map(|r| serde_json::json!([r["unit"], r["rate"], r["numerator"], r["denominator"], r["status"], r["rank"]]))
                    .collect();
                out.push((path, serde_json::json!(rows)));
            }
        }
        let path = format!("/api/v1/aggregate?month={month}&level=province");
        let v: serde_json::Value = client.get(format!("{base}{path}")).send().await.unwrap().json().await.unwrap();
        out.push((path, v["rows"].clone()));
    }
    out
}

async fn doors_give_the_same_league_tables(backend: common::Backend) {
    let mut runs = Vec::new();
    for all_native in [true, false] {
        let db = common::EmptyDb::new(backend).await;
        let mut args = vec!["--months", "2", "--no-live", "--volume", "0.2", "--seed", "11", "--now", "2026-11-20T10:00:00+07:00"];
        if all_native {
            args.push("--all-native");
        }
        let (guard, base, output) = start(&args, &db.url);
        let tables = leagues(&base).await;
        drop(guard);
        // Held steps are folded in or still held, never events of their own: the figures are the events'.
        let store = dvc_monitor::store::connect(&db.url).await.unwrap();
        let drift = store.verify(false).await.unwrap();
        assert!(!drift.found(), "{drift:?}");
        drop(store);
        let text = output.join("\n");
        let door = output.iter().find(|l| l.starts_with("National-sync door: ")).unwrap_or_else(|| panic!("{text}"));
        let snapshots: u64 = door["National-sync door: ".len()..].split_whitespace().next().unwrap().parse().unwrap();
        if all_native {
            assert_eq!(snapshots, 0, "{text}");
            assert!(text.contains("Doors: every unit sends native events"), "{text}");
        } else {
            assert!(snapshots > 1000, "{text}");
            assert!(text.contains("Doors: 34 units (every third department, every fourth commune)") && text.contains("31-"), "{text}");
            if backend == common::Backend::Sqlite {
                // The fake personal fields every snapshot carried were dropped: nowhere in the files.
                let path = db.url.strip_prefix("sqlite://").unwrap().to_string();
                for file in [path.clone(), format!("{path}-wal")] {
                    let bytes = std::fs::read(&file).unwrap_or_default();
                    for (field, value) in dvc_monitor::demo::national_sync::FAKE_PERSON {
                        assert!(!bytes.windows(value.len()).any(|w| w == value.as_bytes()), "{field} in {file}");
                    }
                    for value in ["Cán Bộ Giả Lập", "ketqua.example.invalid"] {
                        assert!(!bytes.windows(value.len()).any(|w| w == value.as_bytes()), "{value} in {file}");
                    }
                }
            }
        }
        runs.push(tables);
    }
    assert!(runs[0].iter().any(|(_, rows)| rows.as_array().is_some_and(|r| r.len() > 10)), "the tables hold units: {:?}", runs[0]);
    for ((path, native), (_, mixed)) in runs[0].iter().zip(&runs[1]) {
        assert_eq!(native, mixed, "{path}");
    }
}

backend_tests!(
    national_sync_door_gives_the_league_tables_of_native_events => crate::doors_give_the_same_league_tables,
    alerts_reach_the_demo_inbox_and_the_terminal_stays_calm => crate::inbox_and_terminal,
);

// ---------------------------------------------------------------------------------------------------
// What a first-time user sees: a calm terminal (progress, one summary of the rejected events, the
// address last) and the units' heads receiving the alerts in the demo's inbox.

async fn inbox_and_terminal(backend: common::Backend) {
    let db = common::EmptyDb::new(backend).await;
    let args = ["--months", "2", "--no-live", "--volume", "0.3", "--seed", "7", "--now", "2026-11-20T10:00:00+07:00", "--alert-eval-seconds", "1"];
    let demo = launch(&args, &db.url, None);
    let base = demo.base.clone();
    let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
    let get = |path: &str| {
        let (client, url) = (client.clone(), format!("{base}{path}"));
        async move {
            let r = client.get(&url).send().await.unwrap();
            assert_eq!(r.status(), 200, "{url}");
            r.text().await.unwrap()
        }
    };

    // The heads' messages arrive through the evaluator, the dispatcher and the webhook delivery.
    let deadline = Instant::now() + Duration::from_secs(60);
    // The weekly quick report goes out right after loading, the alerts at the evaluator's first round:
    // wait for an alert's message, not just any.
    let is_weekly = |m: &serde_json::Value| m["subject"].as_str().unwrap_or("").contains("Báo cáo nhanh tuần");
    let messages = loop {
        let m: Vec<serde_json::Value> = serde_json::from_str(&get("/demo/inbox.json").await).unwrap();
        if m.iter().any(|x| !is_weekly(x)) {
            break m;
        }
        assert!(Instant::now() < deadline, "no message reached the inbox; stderr: {:?}", demo.stderr());
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    // The weekly quick report, sent once after loading: the leader's digest links to the report, each
    // head's part to their unit.
    let weekly = |m: &&serde_json::Value| is_weekly(m);
    let leader = messages.iter().filter(weekly).find(|m| m["unit"] == "31").expect("the leader's weekly report");
    assert!(leader["text"].as_str().unwrap().contains(&format!("{base}/report/week?parent=31")), "{leader}");
    for m in &messages {
        assert!(m["name"].as_str().unwrap().ends_with("(giả lập)") && m["subject"].as_str().unwrap().starts_with("[dvc-monitor]"), "{m}");
        let text = m["text"].as_str().unwrap();
        assert!(text.contains(&format!("{base}/units/")) || (weekly(&m) && m["unit"] == "31"), "links open this demo: {text}");
        for link in text.split_whitespace().filter(|w| w.contains("/units/") || w.starts_with(&format!("{base}/?"))) {
            assert!(link.contains("?month=2026-1"), "a link without its month: {link}");
        }
    }
    assert!(messages.iter().any(|m| m["text"].as_str().unwrap().contains("?month=2026-10")), "last month's alerts link to October");
    // The dispatcher records what it sent once every message of the round is out.
    let history = loop {
        let h: serde_json::Value = serde_json::from_str(&get("/api/v1/alerts?province=31").await).unwrap();
        if !h["alerts"].as_array().unwrap().is_empty() {
            break h;
        }
        assert!(Instant::now() < deadline, "nothing recorded in the alert history");
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    let rows = history["alerts"].as_array().unwrap();
    assert!(rows.iter().all(|r| r["outcome"] == "sent" && r["channel"] == "webhook"), "{history}");
    let page = get("/demo/inbox").await;
    assert!(page.contains("Hộp thư demo") && page.contains("demo.example.invalid") && page.contains(r#"<a href="/units/"#));
    assert!(get("/alerts").await.contains(r#"href="/demo/inbox""#), "the alert list links to the inbox");

    // The terminal: the summary of rejected events by reason, then the address and the inbox's, last.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let out = demo.stdout();
    let text = out.join("\n");
    let loaded = out.iter().find(|l| l.starts_with("History loaded")).expect("summary line");
    let rejected: u64 = loaded[..loaded.find(" rejected (").unwrap()].split_whitespace().last().unwrap().parse().unwrap();
    let at = out.iter().position(|l| l.starts_with("Rejected on purpose: the simulator sends a few invalid events")).unwrap_or_else(|| panic!("{text}"));
    let by_reason: u64 = out[at + 1..].iter().take_while(|l| l.contains(" × ")).map(|l| l.split_whitespace().next().unwrap().parse::<u64>().unwrap()).sum();
    assert!(rejected > 0 && by_reason == rejected, "every rejected event counted under its reason: {text}");
    let last = out.last().unwrap();
    assert!(last.starts_with(&format!("Open {base}/ ")) && last.contains(&format!("{base}/demo/inbox")), "the address is the last line: {text}");
    let stderr = demo.stderr();
    for line in &stderr {
        assert!(!line.contains("INFO") && !line.contains("events rejected") && !line.contains("not delivered"), "{stderr:?}");
    }
}

/// `DVC_LOG`, and else `RUST_LOG`, still choose what is logged.
#[test]
fn the_log_variables_override_the_demo_s_quiet_default() {
    for variable in ["DVC_LOG", "RUST_LOG"] {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("demo.db").display());
        let demo = launch(&["--months", "1", "--no-live", "--volume", "0.1", "--now", "2026-11-20T10:00:00+07:00"], &url, Some((variable, "info")));
        let stderr = demo.stderr();
        // Plain text when not on a terminal: no colour codes around the level.
        assert!(stderr.iter().any(|l| l.contains(" INFO dvc_monitor::commands: serving")), "{variable}: {stderr:?}");
        assert!(stderr.iter().any(|l| l.contains(" INFO dvc_monitor::metrics: events rejected")), "{variable}: {stderr:?}");
    }
}
