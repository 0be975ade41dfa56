//! A procedure catalogue changed while the service ingests (the `procedures import` command, from
//! another process) never leaves rollups that differ from a recomputation. On both backends.

mod common;

use common::{create_token, seed_registry, synthetic_stream, Backend, TestDb, TestServer};
use dvc_monitor::domain::{Level, Procedure};
use dvc_monitor::Settings;
use serde_json::Value;
use std::sync::Arc;

const NOW: &str = "2026-12-16T00:00:00+07:00";

async fn levels_changed_during_ingest(backend: Backend) {
    let db = TestDb::new(backend).await;
    seed_registry(db.store.as_ref()).await;
    let url = db.url.clone();
    let token = create_token(db.store.as_ref(), "igate", &["31"]).await;
    let server = Arc::new(TestServer::start(db, NOW, Settings::default()).await);
    let stream = synthetic_stream(17, 3000);
    let senders: Vec<_> = (0..3)
        .map(|s| {
            let (server, token) = (server.clone(), token.clone());
            let mine: Vec<Value> = stream.iter().skip(s).step_by(3).cloned().collect();
            tokio::spawn(async move {
                for chunk in mine.chunks(150) {
                    let body = Value::Array(chunk.to_vec()).to_string();
                    let (status, answer) = server.post(&token, "application/json", body).await;
                    assert_eq!(status, 200, "{answer}");
                }
            })
        })
        .collect();
    // The operator's command: its own connection, as another process has.
    let admin = dvc_monitor::store::connect(&url).await.unwrap();
    for round in 0..12 {
        let level = if round % 2 == 0 { Level::Partial } else { Level::Full };
        let change = vec![
            Procedure { code: "1.001612".into(), name: "Cấp phiếu lý lịch tư pháp".into(), level, paper_result: false },
            Procedure { code: "3.000001".into(), name: "Cấp giấy phép xây dựng".into(), level: if level == Level::Full { Level::Partial } else { Level::Full }, paper_result: false },
        ];
        assert_eq!(admin.upsert_procedures(&change).await.unwrap(), 2);
        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    }
    for s in senders {
        s.await.unwrap();
    }
    let drift = server.db.store.verify(false).await.unwrap();
    assert_eq!(drift.events_read, stream.len() as u64);
    assert_eq!(drift.rollups_differing, vec![], "stored rollups equal a recomputation with the final catalogue");
}

backend_tests!(levels_changed_while_ingesting => crate::levels_changed_during_ingest);
