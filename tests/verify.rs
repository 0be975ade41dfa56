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

    assert_eq!(clean.counters_below, vec![], "{clean:?}");

    // Damage: a rollup cell off by five, a dossier's facts pointing at another unit, a unit counter
    // set back, a counter row naming no indicator.
    assert_eq!(execute(&url, "UPDATE unit_months SET intake_n = intake_n + 5 WHERE unit = '31-STP' AND month = 202611").await, 1);
    assert_eq!(execute(&url, "UPDATE dossiers SET unit = '31-SNV' WHERE code = 'SYN-21-0'").await, 1);
    assert_eq!(execute(&url, "UPDATE unit_counters SET denominator = 1 WHERE unit = '31-STP' AND indicator = 'completion'").await, 1);
    assert_eq!(execute(&url, "INSERT INTO unit_counters (unit, indicator, numerator, denominator) VALUES ('31-STP', 'speed', 1, 1)").await, 1);
    let drift = store.verify(false).await.unwrap();
    assert_eq!(drift.facts_differing, 1);
    assert_eq!(drift.counters_below.len(), 1, "{drift:?}");
    assert_eq!((drift.counters_below[0].0.as_str(), drift.counters_below[0].2.denominator), ("31-STP", 1));
    assert_eq!(drift.unreadable_rows.iter().map(|r| r.table).collect::<Vec<_>>(), ["unit_counters"]);
    assert_eq!(drift.rollups_differing.len(), 1);
    let (key, have, want) = &drift.rollups_differing[0];
    assert_eq!((key.unit.as_str(), have.numerator - want.numerator), ("31-STP", 5));
    assert!(!drift.repaired);

    let repaired = store.verify(true).await.unwrap();
    assert!(repaired.repaired);
    let after = store.verify(false).await.unwrap();
    assert_eq!((after.facts_differing, after.rollups_differing.len()), (0, 0), "{after:?}");
    assert!(after.counters_below.is_empty() && after.unreadable_rows.is_empty(), "{after:?}");
}

backend_tests!(verify_finds_and_repairs_drift => super::scenario);
