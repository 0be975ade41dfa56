//! Upgrading a database stored before dossier records (migration 0006): every dossier gets the keys
//! of the events its facts came from, exactly as if its events had been folded in one by one, and
//! ingest goes on from there. Upgrading rollups stored a row per (month, indicator, unit) to a row per
//! (month, unit) (migration 0011): every figure is read back as it was.

mod common;

use common::{Backend, EmptyDb};
use dvc_monitor::domain::dossier::derive;
use dvc_monitor::domain::event::Status;
use dvc_monitor::domain::{Channel, Event, Level, Payment};
use std::borrow::Cow;
use std::collections::BTreeMap;

const T: i64 = 1_793_422_800_000;
const H: i64 = 3_600_000;

fn ev(source: &str, id: &str, dossier: &str, status: Status, at: i64) -> Event {
    Event {
        source: source.into(),
        id: id.into(),
        dossier: dossier.into(),
        unit: format!("U-{id}"),
        procedure: "P".into(),
        status,
        at,
        channel: (status == Status::Received).then_some(Channel::Online),
        result_delivery: (status == Status::Returned).then_some(Channel::Postal),
        due: None,
        payment: None,
        marks: Default::default(),
    }
}

/// Dossiers whose facts hang on ties of time, of id and of source.
fn history() -> Vec<Event> {
    let mut out = vec![
        ev("s1", "b", "D1", Status::Processing, T),
        Event { due: Some(T + 48 * H), ..ev("s1", "a", "D1", Status::Received, T + H) },
        ev("s1", "c", "D1", Status::Returned, T + 5 * H),
        Event { payment: Some(Payment::Offline), ..ev("s1", "p1", "D1", Status::PaymentRequested, T + 2 * H) },
        Event { payment: Some(Payment::Online), ..ev("s1", "p2", "D1", Status::Processing, T + 2 * H) },
        ev("s2", "x", "D2", Status::Processing, T),
        ev("s1", "x", "D2", Status::Processing, T),
        ev("s1", "r2", "D3", Status::Received, T),
        Event { due: Some(T + 9 * H), ..ev("s1", "r3", "D3", Status::Received, T) },
        Event { channel: Some(Channel::InPerson), ..ev("s1", "r1", "D3", Status::Received, T) },
        ev("s1", "z", "D4", Status::Returned, T + 3 * H),
        Event { result_delivery: Some(Channel::InPerson), ..ev("s2", "z", "D4", Status::Returned, T + 3 * H) },
    ];
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

macro_rules! store_before_records {
    ($pool:ty, $db:ty, $dir:literal, $url:expr, $events:expr) => {{
        let pool = <$pool>::connect($url).await.expect("connect");
        let mut migrator = sqlx::migrate!($dir);
        migrator.migrations = Cow::Owned(migrator.migrations.iter().filter(|m| m.version <= 5).cloned().collect());
        migrator.run(&pool).await.expect("migrations 1 to 5");
        let mut by_dossier: BTreeMap<&str, Vec<Event>> = BTreeMap::new();
        for e in $events {
            let mut qb = sqlx::QueryBuilder::<$db>::new("INSERT INTO events (source, id, dossier, unit, procedure, status, at, channel, result_delivery, due, payment, stored_at) ");
            qb.push_values([e], |mut b, e| {
                b.push_bind(e.source.as_str()).push_bind(e.id.as_str()).push_bind(e.dossier.as_str()).push_bind(e.unit.as_str())
                    .push_bind(e.procedure.as_str()).push_bind(e.status.as_str()).push_bind(e.at)
                    .push_bind(e.channel.map(|c| c.as_str())).push_bind(e.result_delivery.map(|c| c.as_str()))
                    .push_bind(e.due).push_bind(e.payment.map(|p| p.as_str())).push_bind(0i64);
            });
            qb.build().execute(&pool).await.expect("insert event");
            by_dossier.entry(e.dossier.as_str()).or_default().push(e.clone());
        }
        // The facts as ingest stored them then: derived from all of the dossier's events.
        for events in by_dossier.values() {
            let f = derive(events).expect("events");
            sqlx::query("INSERT INTO dossiers (code, unit, procedure, received_at, channel, returned_at, result_delivery, payment, due) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
                .bind(&f.code).bind(&f.unit).bind(&f.procedure).bind(f.received_at).bind(f.channel.map(|c| c.as_str()))
                .bind(f.returned_at).bind(f.result_delivery.map(|c| c.as_str())).bind(f.payment.map(|p| p.as_str())).bind(f.due)
                .execute(&pool).await.expect("insert facts");
        }
        pool.close().await;
        by_dossier.len() as u64
    }};
}

async fn upgrade(backend: Backend) {
    let empty = EmptyDb::new(backend).await;
    let events = history();
    let dossiers = match backend {
        Backend::Sqlite => store_before_records!(sqlx::SqlitePool, sqlx::Sqlite, "migrations/sqlite", &empty.url, &events),
        Backend::Postgres => store_before_records!(sqlx::PgPool, sqlx::Postgres, "migrations/postgres", &empty.url, &events),
    };
    let db = empty.open().await;
    let drift = db.store.verify(false).await.unwrap();
    assert_eq!((drift.dossiers_checked, drift.events_read), (dossiers, events.len() as u64));
    assert_eq!(drift.facts_differing, 0, "every record equals the fold of its dossier's events");

    // Events arriving after the upgrade fold into the backfilled records.
    db.store.upsert_procedures(&[dvc_monitor::domain::Procedure { code: "P".into(), name: "P".into(), level: Level::Full, paper_result: false }]).await.unwrap();
    let later = vec![
        ev("s0", "x", "D2", Status::Processing, T),
        Event { payment: Some(Payment::Offline), ..ev("s1", "p3", "D1", Status::Processing, T + 2 * H) },
        Event { due: Some(T), ..ev("s1", "r0", "D3", Status::Received, T) },
    ];
    db.store.ingest(later, std::sync::Arc::new(dvc_monitor::domain::Scope::everything()).repeated(3), T).await.unwrap();
    let drift = db.store.verify(false).await.unwrap();
    assert_eq!(drift.facts_differing, 0);
    assert_eq!(drift.events_read, events.len() as u64 + 3);
}

backend_tests!(upgrade_backfills_records => crate::upgrade);

/// Rollup rows as builds before migration 0011 stored them: (month key, indicator, unit, n, d).
const OLD_ROLLUPS: [(i64, &str, &str, i64, i64); 7] = [
    (202611, "completion", "31-STP", 3, 10),
    (202611, "intake", "31-STP", 7, 10),
    (202611, "overdue_open", "31-STP", 0, 2),
    (202611, "on_time_index", "31-SYT", 4, 5),
    (202612, "completion", "31-STP", 1, 1),
    (202612, "digitised", "31-SYT", 0, 0),
    // An indicator no build knows: never read, not carried over.
    (202611, "speed", "31-STP", 9, 9),
];

macro_rules! store_before_unit_months {
    ($pool:ty, $dir:literal, $url:expr) => {{
        let pool = <$pool>::connect($url).await.expect("connect");
        let mut migrator = sqlx::migrate!($dir);
        migrator.migrations = Cow::Owned(migrator.migrations.iter().filter(|m| m.version <= 10).cloned().collect());
        migrator.run(&pool).await.expect("migrations 1 to 10");
        for (month, indicator, unit, n, d) in OLD_ROLLUPS {
            sqlx::query("INSERT INTO rollups (month, indicator, unit, numerator, denominator) VALUES ($1, $2, $3, $4, $5)")
                .bind(month).bind(indicator).bind(unit).bind(n).bind(d)
                .execute(&pool).await.expect("insert rollup");
        }
        pool.close().await;
    }};
}

async fn gather_rollups(backend: Backend) {
    use dvc_monitor::domain::{Indicator, Month};
    let empty = EmptyDb::new(backend).await;
    match backend {
        Backend::Sqlite => store_before_unit_months!(sqlx::SqlitePool, "migrations/sqlite", &empty.url),
        Backend::Postgres => store_before_unit_months!(sqlx::PgPool, "migrations/postgres", &empty.url),
    }
    let db = empty.open().await;
    let (from, to): (Month, Month) = ("2026-01".parse().unwrap(), "2026-12".parse().unwrap());
    let mut got = Vec::new();
    for indicator in Indicator::STORED {
        for r in db.store.rollups(indicator, from, to).await.unwrap() {
            got.push((r.month.key() as i64, indicator.as_str().to_string(), r.unit, r.figures.numerator, r.figures.denominator));
        }
    }
    got.sort();
    let mut want: Vec<_> = OLD_ROLLUPS
        .iter()
        .filter(|(_, i, _, n, d)| Indicator::from_stored(i).is_ok() && (*n, *d) != (0, 0))
        .map(|&(m, i, u, n, d)| (m, i.to_string(), u.to_string(), n, d))
        .collect();
    want.sort();
    assert_eq!(got, want);
}

backend_tests!(upgrade_gathers_rollups_by_unit_and_month => crate::gather_rollups);
