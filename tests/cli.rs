//! The README's walk-through with the real binary: import the registry, create a token, serve,
//! post the example of events.md, read the league table.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dvc-monitor"));
    c.env_remove("DVC_DATABASE_URL").env_remove("DVC_LISTEN").env("DVC_LOG", "warn");
    c
}

fn run(dir: &Path, args: &[&str]) -> (bool, String, String) {
    let out = bin().current_dir(dir).args(args).output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

struct Server(Child);
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn readme_walkthrough_on_the_default_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("units.csv"), "code,name,kind,parent\nVN,Việt Nam,nation,\n31,Thành phố Hải Phòng,province,VN\n31-STP,Sở Tư pháp,department,31\n").unwrap();
    std::fs::write(d.join("procedures.csv"), "code,name,level\n1.001612,Cấp phiếu lý lịch tư pháp,full\n").unwrap();
    std::fs::write(d.join("targets.csv"), "scope,year,month,indicator,target\nkind:department,2026,,,0.7\n").unwrap();
    std::fs::write(d.join("bad-targets.csv"), "scope,year,month,indicator,target\nkind:department,2026,,,0.8\n31-STP,2026,,,1.7\n").unwrap();

    let (ok, out, _) = run(d, &["units", "import", "units.csv"]);
    assert!(ok && out.contains("3 units imported"), "{out}");
    assert!(d.join("dvc-monitor.db").exists(), "the default database file is created in the working directory");
    let (ok, out, _) = run(d, &["procedures", "import", "procedures.csv"]);
    assert!(ok && out.contains("1 procedures imported"), "{out}");
    let (ok, out, _) = run(d, &["targets", "import", "targets.csv"]);
    assert!(ok && out.contains("1 targets imported"), "{out}");

    // A bad row: non-zero exit, one line naming line and column, nothing changed (0.7 stays).
    let (ok, _, err) = run(d, &["targets", "import", "bad-targets.csv"]);
    assert!(!ok);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("bad-targets.csv: line 3, column 5"), "{err}");
    let (ok, _, err) = run(d, &["tokens", "create", "--source", "igate", "--scope", "99"]);
    assert!(!ok && err.contains("unknown unit \"99\""), "{err}");
    let (ok, _, err) = run(d, &["units", "import", "missing.csv"]);
    assert!(!ok && err.contains("cannot open missing.csv"), "{err}");

    let (ok, token, _) = run(d, &["tokens", "create", "--source", "igate", "--scope", "31"]);
    assert!(ok);
    let token = token.trim().to_string();
    assert!(token.starts_with("dvc_"));

    // A second token, listed without its secret, then revoked by its id.
    let (_, spare, _) = run(d, &["tokens", "create", "--source", "old-system", "--scope", "31"]);
    let (ok, list, _) = run(d, &["tokens", "list"]);
    assert!(ok && list.contains("igate") && list.contains("old-system") && !list.contains(spare.trim()), "{list}");
    let id = list.lines().find(|l| l.contains("old-system")).unwrap().split_whitespace().next().unwrap().to_string();
    let (ok, out, err) = run(d, &["tokens", "revoke", &id]);
    assert!(ok && out.contains("revoked"), "{out}{err}");
    let (ok, _, err) = run(d, &["tokens", "revoke", &id]);
    assert!(!ok && err.contains("no live token"), "{err}");
    let (ok, _, err) = run(d, &["close-month", "2099-01"]);
    assert!(!ok && err.contains("not over yet"), "{err}");

    let mut child = bin().current_dir(d).args(["serve", "--listen", "127.0.0.1:0"]).stdout(Stdio::piped()).spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let _server = Server(child);
    let base = line.trim().strip_prefix("dvc-monitor listening on ").expect("address line").to_string();

    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap();
        let example = r#"[
  {"id": "igate-1", "dossier": "H31.05-261103-0001", "unit": "31-STP", "procedure": "1.001612",
   "status": "received", "at": "2026-11-03T08:15:00+07:00", "channel": "online", "due": "2026-11-10T17:00:00+07:00"},
  {"id": "igate-2", "dossier": "H31.05-261103-0001", "unit": "31-STP", "procedure": "1.001612",
   "status": "returned", "at": "2026-11-06T10:00:00+07:00", "result_delivery": "online", "payment": "online"}
]"#;
        let r = client.post(format!("{base}/api/v1/events")).bearer_auth(&token).header("content-type", "application/json").body(example).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body, serde_json::json!({"accepted": 2, "duplicates": 0, "rejected": []}));

        let league: serde_json::Value =
            client.get(format!("{base}/api/v1/league?month=2026-11&kind=department")).send().await.unwrap().json().await.unwrap();
        let row = &league["rows"][0];
        assert_eq!((row["unit"].as_str(), row["numerator"].as_i64(), row["denominator"].as_i64()), (Some("31-STP"), Some(1), Some(1)));
        assert_eq!((row["rate"].as_f64(), row["target"].as_f64(), row["status"].as_str()), (Some(1.0), Some(0.7), Some("insufficient_data")));
        let page = client.get(format!("{base}/?month=2026-11")).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("Sở Tư pháp") && page.contains("100,0 %"), "{page}");
    });
    let (ok, log, _) = run(d, &["audit"]);
    assert!(ok, "{log}");
    for action in ["units import", "procedures import", "targets import", "tokens create", "tokens revoke"] {
        assert!(log.contains(action), "{action} missing from the audit log:\n{log}");
    }
    assert!(log.contains("token for igate, scope 31") && !log.contains(&token), "no secret in the audit log");
    assert!(!log.contains("bad-targets.csv"), "a refused import changed nothing and is not logged");
    let (ok, out, err) = run(d, &["verify"]);
    assert!(ok && out.contains("2 events of 1 dossiers read; 0 dossiers' facts and 0 rollup cells differ"), "{out}{err}");
}
