//! SIGTERM: the batch in flight is finished and acknowledged, then the service stops taking requests.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn sigterm_finishes_in_flight_batches_then_refuses_new_ones() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("units.csv"), "code,name,kind,parent\n31,Hải Phòng,province,\n31-STP,Sở Tư pháp,department,31\n").unwrap();
    std::fs::write(d.join("procedures.csv"), "code,name,level\n1.001612,Cấp phiếu lý lịch tư pháp,full\n").unwrap();
    let bin = env!("CARGO_BIN_EXE_dvc-monitor");
    let run = |args: &[&str]| String::from_utf8(Command::new(bin).current_dir(d).args(args).output().unwrap().stdout).unwrap();
    run(&["units", "import", "units.csv"]);
    run(&["procedures", "import", "procedures.csv"]);
    let token = run(&["tokens", "create", "--source", "igate", "--scope", "31"]).trim().to_string();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = Command::new(bin).current_dir(d).args(["serve", "--listen", &format!("127.0.0.1:{port}")]).env("DVC_LOG", "error").stdout(Stdio::null()).spawn().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while client.get(format!("{base}/readyz")).send().await.map(|r| !r.status().is_success()).unwrap_or(true) {
            assert!(Instant::now() < deadline);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // A large batch, and SIGTERM while it is being stored.
        let body: String = (0..20_000)
            .map(|i| format!(r#"{{"id":"e{i}","dossier":"D{i}","unit":"31-STP","procedure":"1.001612","status":"received","at":"2026-10-02T08:00:00+07:00","channel":"online"}}"#))
            .collect::<Vec<_>>()
            .join("\n");
        let post = client.post(format!("{base}/api/v1/events")).bearer_auth(&token).header("content-type", "application/x-ndjson").body(body).send();
        let term = async {
            tokio::time::sleep(Duration::from_millis(150)).await;
            let ok = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success();
            assert!(ok);
        };
        let (response, ()) = tokio::join!(post, term);
        let response = response.expect("the batch in flight is answered");
        assert_eq!(response.status(), 200);
        let report: serde_json::Value = response.json().await.unwrap();
        assert_eq!(report["accepted"], 20_000);
        // Then the service is gone: new requests are refused.
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if client.get(format!("{base}/healthz")).send().await.is_err() {
                break;
            }
            assert!(Instant::now() < deadline, "still answering after SIGTERM");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    let status = child.wait().unwrap();
    assert!(status.success(), "clean exit after SIGTERM: {status:?}");
    // What was acknowledged is there.
    let out = Command::new(bin).current_dir(d).args(["verify"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("20000 events of 20000 dossiers read"), "{}", String::from_utf8_lossy(&out.stdout));
}
