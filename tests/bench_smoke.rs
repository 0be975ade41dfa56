//! The benchmark harness runs end to end on a small scale (it checks that it runs, not how fast).

use std::process::Command;

#[test]
fn bench_runs_small() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("figures.md");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dvc-monitor"));
    cmd.args(["bench", "--events", "4000", "--runs", "1", "--requests", "3", "--clients", "2", "--batch", "500", "--out"])
        .arg(&out)
        .env("DVC_LOG", "warn")
        .env_remove("DVC_BENCH_POSTGRES");
    // On PostgreSQL too when the test run has a server.
    if let Ok(admin) = std::env::var("DVC_TEST_POSTGRES") {
        if !admin.is_empty() {
            cmd.args(["--postgres", &admin]);
        }
    }
    let result = cmd.output().unwrap();
    assert!(result.status.success(), "{}", String::from_utf8_lossy(&result.stderr));
    let figures = std::fs::read_to_string(&out).unwrap();
    for measure in ["ingest over HTTP", "raw bulk insert", "league table, 3,321 communes, JSON API", "HTML page", "rendered anew", "computed anew", "/metrics for", "start-up", "peak resident memory"] {
        assert!(figures.contains(measure), "{measure} missing from:\n{figures}");
    }
    if std::env::var("DVC_TEST_POSTGRES").is_ok_and(|s| !s.is_empty()) {
        assert!(figures.contains("| PostgreSQL | ingest over HTTP"), "{figures}");
    }
}

/// `bench --history-files` writes files an import takes whole: a JSON array of snapshots and an .xlsx
/// list of the same dossiers, with a database that has the registry and a token of the source `bench`.
#[test]
fn history_files_import_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let result = Command::new(env!("CARGO_BIN_EXE_dvc-monitor")).args(args).env("DVC_LOG", "warn").output().unwrap();
        assert!(result.status.success(), "{args:?}: {}", String::from_utf8_lossy(&result.stderr));
        String::from_utf8_lossy(&result.stdout).into_owned()
    };
    let files = dir.path().to_str().unwrap();
    run(&["bench", "--history-files", files, "--events", "4000", "--history-dossiers", "300"]);
    let db = format!("sqlite://{files}/import.db");
    for (file, rows) in [("snapshots.json", "300 rows"), ("dossiers.xlsx", " rows")] {
        let summary = run(&["--database-url", &db, "import", "--source", "bench", &format!("{files}/{file}")]);
        assert!(summary.contains(rows) && summary.contains(", 0 rejected"), "{file}: {summary}");
        assert!(!summary.contains(" 0 events accepted"), "{file}: {summary}");
    }
}
