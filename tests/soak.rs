//! A bounded soak on loopback: mixed valid, repeated and invalid traffic for a while, the service's
//! memory sampled throughout; after warm-up it must stay flat.

use serde_json::{json, Value};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() * 1024
}

#[test]
fn memory_stays_flat_under_mixed_traffic() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("units.csv"), "code,name,kind,parent\nVN,Việt Nam,nation,\n31,Hải Phòng,province,VN\n31-STP,Sở Tư pháp,department,31\n31-SYT,Sở Y tế,department,31\n").unwrap();
    std::fs::write(d.join("procedures.csv"), "code,name,level\n1.001612,Cấp phiếu lý lịch tư pháp,full\n").unwrap();
    let bin = env!("CARGO_BIN_EXE_dvc-monitor");
    let run = |args: &[&str]| {
        let out = Command::new(bin).current_dir(d).args(args).env("DVC_LOG", "warn").output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    run(&["units", "import", "units.csv"]);
    run(&["procedures", "import", "procedures.csv"]);
    let token = run(&["tokens", "create", "--source", "soak", "--scope", "31"]).trim().to_string();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = Command::new(bin)
        .current_dir(d)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--alert-eval-seconds", "5"])
        .env("DVC_LOG", "error")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let samples = rt.block_on(async move {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while client.get(format!("{base}/readyz")).send().await.map(|r| !r.status().is_success()).unwrap_or(true) {
            assert!(Instant::now() < deadline);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let mut samples = Vec::new();
        let started = Instant::now();
        let mut n = 0u64;
        // Bounded: 24 seconds, one batch after another.
        while started.elapsed() < Duration::from_secs(24) {
            let mut batch: Vec<Value> = Vec::new();
            for i in 0..200 {
                n += 1;
                let code = format!("S{n}");
                let unit = if i % 2 == 0 { "31-STP" } else { "31-SYT" };
                let day = 1 + (n % 20) as u32;
                batch.push(json!({"id": format!("{code}-r"), "dossier": code, "unit": unit, "procedure": "1.001612", "status": "received",
                    "at": format!("2026-10-{day:02}T08:00:00+07:00"), "channel": "online"}));
                match i % 10 {
                    0 => batch.push(json!({"id": format!("{code}-x"), "dossier": code, "unit": "99-XX", "procedure": "1.001612", "status": 2, "at": "2026-10-01T08:00:00+07:00", "channel": 2})),
                    1 => batch.push(json!({"id": format!("{code}-y"), "ho_ten": "Nguyễn Văn A"})),
                    _ => {}
                }
            }
            let body = batch.iter().map(Value::to_string).collect::<Vec<_>>().join("\n");
            // Each batch twice: the second time all duplicates.
            for _ in 0..2 {
                let r = client.post(format!("{base}/api/v1/events")).bearer_auth(&token).header("content-type", "application/x-ndjson").body(body.clone()).send().await.unwrap();
                assert_eq!(r.status(), 200);
            }
            let r = client.post(format!("{base}/api/v1/events")).bearer_auth(&token).body("not json").send().await.unwrap();
            assert_eq!(r.status(), 400);
            client.get(format!("{base}/?month=2026-10")).send().await.unwrap().bytes().await.unwrap();
            client.get(format!("{base}/metrics")).send().await.unwrap().bytes().await.unwrap();
            if samples.last().is_none_or(|(t, _): &(Duration, u64)| started.elapsed() - *t >= Duration::from_secs(2)) {
                samples.push((started.elapsed(), rss(pid)));
            }
        }
        samples
    });
    let _ = child.kill();
    let _ = child.wait();
    let mb = |b: u64| b as f64 / 1e6;
    eprintln!("RSS samples (s, MB): {:?}", samples.iter().map(|(t, b)| (t.as_secs(), mb(*b))).collect::<Vec<_>>());
    assert!(samples.len() >= 8);
    // Warm-up: the first third (caches, pools, allocator arenas). After it, growth stays small.
    let warm = samples[samples.len() / 3].1;
    let peak = samples.iter().skip(samples.len() / 3).map(|(_, b)| *b).max().unwrap();
    assert!(peak <= warm + 40_000_000, "memory grew from {:.1} MB to {:.1} MB after warm-up", mb(warm), mb(peak));
}
