//! One transaction for tens of thousands of dossiers (a group of large batches): on PostgreSQL the
//! dossier locks must stay within the server's lock table, and every event must land.

mod common;

use common::{Backend, TestDb};
use dvc_monitor::domain::event::Status;
use dvc_monitor::domain::{Channel, Event, Indicator, Level, Month};

/// 2026-11-10T08:00:00+07:00.
const T: i64 = 1_794_272_400_000;

async fn scenario(backend: Backend) {
    let db = TestDb::new(backend).await;
    let dossiers = 30_000;
    let events: Vec<Event> = (0..dossiers)
        .map(|i| Event {
            source: "igate".into(),
            id: format!("E{i}"),
            dossier: format!("D{i}"),
            unit: ["31-STP", "31-SYT"][i % 2].into(),
            procedure: "P".into(),
            status: Status::Received,
            at: T + i as i64,
            channel: Some(if i % 3 == 0 { Channel::InPerson } else { Channel::Online }),
            result_delivery: None,
            due: None,
            payment: None,
            marks: Default::default(),
        })
        .collect();
    db.store.upsert_procedures(&[dvc_monitor::domain::Procedure { code: "P".into(), name: "P".into(), level: Level::Full, paper_result: false }]).await.unwrap();
    let scopes = std::sync::Arc::new(dvc_monitor::domain::Scope::everything()).repeated(events.len());
    let done = db.store.ingest(events, scopes, T).await.unwrap();
    assert_eq!(done.outcomes.len(), dossiers);
    assert!(done.outcomes.iter().all(|o| *o == dvc_monitor::store::Outcome::Accepted));
    let month: Month = "2026-11".parse().unwrap();
    let rows = db.store.rollups(Indicator::Intake, month, month).await.unwrap();
    let total: i64 = rows.iter().map(|r| r.figures.denominator).sum();
    let online: i64 = rows.iter().map(|r| r.figures.numerator).sum();
    assert_eq!((online, total), (20_000, 30_000));
}

backend_tests!(thirty_thousand_dossiers_in_one_transaction => crate::scenario);
