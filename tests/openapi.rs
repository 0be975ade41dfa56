//! The OpenAPI document: served by the service, equal to `docs/openapi.json`, naming every `/api/v1` route
//! of the router, and every endpoint fuzzed from it with schemathesis (no 500; every answer's status,
//! content type and body as the document says), on both backends.

mod common;

use common::{create_token, seed_registry, synthetic_stream, Backend, TestDb, TestServer};
use dvc_monitor::Settings;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

const NOW: &str = "2026-12-16T00:00:00+07:00";

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_committed_document_is_the_code_s() {
    let committed = std::fs::read_to_string(repo().join("docs/openapi.json")).unwrap();
    assert!(
        committed.trim_end() == dvc_monitor::web::openapi::document().trim_end(),
        "docs/openapi.json differs from the document the code builds: run `cargo run -- openapi > docs/openapi.json`"
    );
}

/// Every `/api/v1` route the router declares (`src/web/mod.rs`), with its method.
fn routes_in_router() -> BTreeSet<(String, String)> {
    let source = std::fs::read_to_string(repo().join("src/web/mod.rs")).unwrap();
    source
        .lines()
        .filter_map(|l| l.trim().strip_prefix(".route(\""))
        .filter_map(|rest| {
            let (path, handler) = rest.split_once("\", ")?;
            let method = handler.split('(').next()?.to_string();
            Some((path.to_string(), method))
        })
        .filter(|(path, _)| path.starts_with("/api/v1/") || path == "/healthz" || path == "/readyz")
        .collect()
}

#[test]
fn every_api_route_is_documented() {
    let doc: Value = serde_json::from_str(dvc_monitor::web::openapi::document()).unwrap();
    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| item.as_object().unwrap().keys().map(move |m| (path.clone(), m.clone())))
        .collect();
    let mut routes = routes_in_router();
    assert!(routes.len() >= 10, "{routes:?}");
    // The Alertmanager webhook is Alertmanager's contract, configured in deploy/alertmanager.yml.
    assert!(routes.remove(&("/api/v1/alertmanager".to_string(), "post".to_string())));
    let missing: Vec<_> = routes.difference(&documented).collect();
    assert!(missing.is_empty(), "routes without documentation: {missing:?}");
    let stale: Vec<_> = documented.difference(&routes).collect();
    assert!(stale.is_empty(), "documented routes the router does not have: {stale:?}");
}

/// schemathesis (`pip install schemathesis`, which scripts/test does): required under CI.
fn schemathesis() -> Option<&'static str> {
    let found = Command::new("schemathesis").arg("--version").output().is_ok_and(|o| o.status.success());
    assert!(found || std::env::var("CI").is_err(), "schemathesis is missing (scripts/test installs it)");
    found.then_some("schemathesis")
}

async fn fuzz(backend: Backend) {
    let db = TestDb::new(backend).await;
    seed_registry(db.store.as_ref()).await;
    let token = create_token(db.store.as_ref(), "igate", &["31"]).await;
    let server = TestServer::start(db, NOW, Settings::default()).await;
    let (status, _) = server.post(&token, "application/json", Value::Array(synthetic_stream(3, 300)).to_string()).await;
    assert_eq!(status, 200);
    let served: Value = server.get_json("/api/v1/openapi.json").await;
    assert_eq!(served, serde_json::from_str::<Value>(dvc_monitor::web::openapi::document()).unwrap(), "the served document");
    let Some(tool) = schemathesis() else {
        eprintln!("schemathesis not installed: the fuzzing part is left to scripts/test");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let run = tokio::task::spawn_blocking({
        let (schema, base, dir) = (server.url("/api/v1/openapi.json"), server.base.clone(), dir.path().to_path_buf());
        move || {
            Command::new("timeout")
                .args(["600", tool, "run", &schema, "--url", &base])
                .args(["--checks", "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"])
                .args(["--max-examples", "40", "--seed", "7", "--request-timeout", "20", "--no-color"])
                .args(["--header", &format!("Authorization: Bearer {token}")])
                .current_dir(&dir)
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    let report = format!("{}{}", String::from_utf8_lossy(&run.stdout), String::from_utf8_lossy(&run.stderr));
    assert!(run.status.success(), "schemathesis found answers the document does not allow:\n{report}");
    // Every operation it selected was exercised, and it selected them all (it may leave out the document's
    // own path, which it loaded the schema from).
    let operations = served["paths"].as_object().unwrap().values().map(|item| item.as_object().unwrap().len()).sum::<usize>();
    let count = |label: &str| report.lines().find_map(|l| l.trim().strip_prefix(label).map(|n| n.trim().to_string()));
    let selected = count("Selected:").unwrap_or_default();
    let (chosen, total) = selected.split_once('/').unwrap_or_default();
    assert_eq!(chosen, total, "{report}");
    assert!(chosen.parse::<usize>().unwrap_or(0) >= operations - 1, "{report}");
    assert_eq!(count("Tested:").as_deref(), Some(chosen), "{report}");
}

backend_tests!(every_endpoint_fuzzed_from_the_document => super::fuzz);
