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
    for measure in ["ingest over HTTP", "raw bulk insert", "league table, 3,321 communes, JSON API", "HTML page", "rendered anew", "computed anew", "/metrics for", "compressed, as browsers ask", "in gzip, as Prometheus asks", "start-up", "peak resident memory"] {
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

/// `bench --store-sizes` grows one store per backend and prints every figure at every size, beside
/// its ratio to the first size.
#[test]
fn growth_runs_small() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("growth.md");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dvc-monitor"));
    // The ingest's bodies in zstd here (plain in `bench_runs_small`): the service decodes them.
    cmd.args(["bench", "--store-sizes", "12000,6000", "--events", "2000", "--requests", "2", "--clients", "2", "--batch", "500", "--body-encoding", "zstd", "--out"])
        .arg(&out)
        .env("DVC_LOG", "warn")
        .env_remove("DVC_BENCH_POSTGRES");
    let postgres = std::env::var("DVC_TEST_POSTGRES").ok().filter(|s| !s.is_empty());
    if let Some(admin) = &postgres {
        cmd.args(["--postgres", admin]);
    }
    let result = cmd.output().unwrap();
    assert!(result.status.success(), "{}", String::from_utf8_lossy(&result.stderr));
    let text = std::fs::read_to_string(&out).unwrap();
    let tables: Vec<&str> = text.split("Growth, ").skip(1).collect();
    assert_eq!(tables.len(), 1 + postgres.is_some() as usize, "{text}");
    assert!(text.contains("events per request, bodies in zstd"), "{text}");
    for table in tables {
        let header = table.lines().find(|l| l.starts_with("| measure |")).unwrap();
        // The sizes in increasing order, each pre-filled to its size but for the few invalid events the
        // simulator sends on purpose (refused, so not stored), the second holding the first's stream too.
        let sizes: Vec<u64> = header.split('|').filter_map(|c| c.trim().strip_suffix(" events stored")?.parse().ok()).collect();
        assert_eq!(sizes.len(), 2, "{header}");
        assert!((5_940..=6_000).contains(&sizes[0]) && sizes[1] >= 12_000 * 99 / 100 && sizes[1] > sizes[0], "{header}");
        for measure in ["ingest over HTTP", "JSON API", "computed anew", "rendered anew", "compressed, as browsers ask", "/metrics", "in gzip, as Prometheus asks", "peak resident memory", "raw keyed insert at this size", "ingest / raw keyed insert"] {
            let row = table.lines().find(|l| l.starts_with("| ") && l.contains(measure)).unwrap_or_else(|| panic!("{measure} missing:\n{table}"));
            // A figure at the first size, and one with its ratio at the second.
            let cells: Vec<&str> = row.split('|').map(str::trim).filter(|c| !c.is_empty()).collect();
            assert_eq!(cells.len(), 3, "{row}");
            assert!(cells[1].chars().next().unwrap().is_ascii_digit(), "{row}");
            assert!(cells[2].ends_with(')') && cells[2].contains(" ("), "{row}");
        }
    }
}
