//! SQLite's allocations in mimalloc, without its accounting (`store::sqlite_memory`): set before SQLite
//! is first used, refused after, and a store run on it ingests and verifies exactly as on the default.
//! One test in this binary, so nothing opened a connection before it.

mod common;

use common::{create_token, seed_registry, synthetic_stream, Backend, TestDb, TestServer};
use dvc_monitor::store::sqlite_memory;
use dvc_monitor::Settings;

#[tokio::test]
async fn sqlite_allocates_with_mimalloc_and_keeps_no_accounting() {
    assert!(sqlite_memory::configure(), "set before SQLite's first use");
    let db = TestDb::new(Backend::Sqlite).await;
    // Set once SQLite runs, it is refused and changes nothing.
    assert!(!sqlite_memory::configure());
    seed_registry(db.store.as_ref()).await;
    let token = create_token(db.store.as_ref(), "igate", &["31"]).await;
    let store = db.store.clone();
    let server = TestServer::start(db, "2026-12-16T00:00:00+07:00", Settings::default()).await;
    let stream = synthetic_stream(7, 300);
    for batch in stream.chunks(101) {
        assert_eq!(server.post(&token, "application/json", serde_json::to_string(batch).unwrap()).await.0, 200);
    }
    let check = store.verify(false).await.unwrap();
    assert_eq!((check.events_read as usize, check.dossiers_checked), (stream.len(), 300));
    assert_eq!((check.facts_differing, check.rollups_differing.len()), (0, 0), "{check:?}");
    // With the accounting off, SQLite reports no memory in use although its connections hold caches.
    // SAFETY: a plain read of SQLite's counter.
    assert_eq!(unsafe { libsqlite3_sys::sqlite3_memory_used() }, 0);
}
