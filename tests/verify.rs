//! `verify`: facts and rollups recomputed from the stored events alone; drift found and repaired.

mod common;

use common::{create_token, execute, seed_registry, synthetic_stream, Backend, TestDb, TestServer};
use dvc_monitor::Settings;

async fn scenario(backend: Backend) {
    let db = TestDb::new(backend).await;
    seed_registry(db.store.as_ref()).await;
    let token = create_token(db.store.as_ref(), "igate", &["31"]).await;
    let (store, url) = (db.store.clone(), db.url.clone());
    let server = TestServer::start(db, "2026-12-16T00:00:00+07:00", Settings::default()).await;
    let stream = synthetic_stream(21, 400);
    for batch in stream.chunks(97) {
        assert_eq!(server.post(&token, "application/json", serde_json::to_string(batch).unwrap()).await.0, 200);
    }
    let clean = store.verify(false).await.unwrap();
    assert_eq!(clean.events_read as usize, stream.len());
    assert_eq!(clean.dossiers_checked, 400);
    assert_eq!((clean.facts_differing, clean.rollups_differing.len()), (0, 0), "{clean:?}");

    // Damage: a rollup cell off by five, a dossier's facts pointing at another unit.
    assert_eq!(execute(&url, "UPDATE rollups SET numerator = numerator + 5 WHERE unit = '31-STP' AND month = 202611 AND indicator = 'intake'").await, 1);
    assert_eq!(execute(&url, "UPDATE dossiers SET unit = '31-SNV' WHERE code = 'SYN-21-0'").await, 1);
    let drift = store.verify(false).await.unwrap();
    assert_eq!(drift.facts_differing, 1);
    assert_eq!(drift.rollups_differing.len(), 1);
    let (key, have, want) = &drift.rollups_differing[0];
    assert_eq!((key.unit.as_str(), have.numerator - want.numerator), ("31-STP", 5));
    assert!(!drift.repaired);

    let repaired = store.verify(true).await.unwrap();
    assert!(repaired.repaired);
    let after = store.verify(false).await.unwrap();
    assert_eq!((after.facts_differing, after.rollups_differing.len()), (0, 0), "{after:?}");
}

backend_tests!(verify_finds_and_repairs_drift => super::scenario);
