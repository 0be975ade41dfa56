//! The store: the source of truth, behind one trait in domain terms. SQLite is the embedded default;
//! PostgreSQL serves a province or the nation. Both share the SQL of `sql.rs`.

mod cached;
mod grouped;
mod phases;
pub(crate) mod index_record;
mod postgres;
mod sql;
mod sqlite;
pub mod sqlite_memory;
mod unit_months;

use crate::domain::{Contact, DossierFacts, DossierSort, MonthRange, Selection, Event, Figures, Indicator, Month, Procedure, Scope, HeldStep, HeldSteps, SenderCode, Target, Unit, UnmappedCode};
use async_trait::async_trait;
use std::sync::Arc;

pub use cached::CachedStore;
pub use grouped::GroupCommit;
pub use postgres::PgStore;
pub use sql::CHUNK;
pub(crate) use sql::{bind_event, EVENT_COLUMNS};
pub use sqlite::SqliteStore;

pub use crate::domain::procedure::ProcedureTerms;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database URL {0:?}: expected sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
    #[error("corrupt row in {table}: {detail}")]
    Corrupt { table: &'static str, detail: String },
    /// The error of a transaction several ingest batches shared (group commit).
    #[error(transparent)]
    Shared(Arc<StoreError>),
    #[error("the ingest writer has stopped")]
    WriterStopped,
}

impl StoreError {
    /// The database cannot be reached or the store is shutting down: worth retrying later.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Database(sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed | sqlx::Error::Io(_)) => true,
            StoreError::Shared(e) => e.is_unavailable(),
            StoreError::WriterStopped => true,
            _ => false,
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// What became of one event handed to `ingest`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Accepted,
    /// The same (source, id) with the same content was stored before.
    Duplicate,
    /// The same (source, id) was stored before with other content; nothing changed.
    Conflict,
    /// The event's `dossier` is attributed to `holder`, a unit outside the scope the event was sent
    /// under (`domain::scope`); nothing changed.
    Foreign { dossier: String, holder: String },
}

/// What `ingest` did: one outcome per event, and the (indicator, month) rollups it moved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IngestOutcome {
    pub outcomes: Vec<Outcome>,
    pub touched: std::collections::BTreeSet<(Indicator, Month)>,
}

/// A unit's figures and target for one indicator of a closed month, as published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedRow {
    pub unit: String,
    pub indicator: Indicator,
    pub figures: Figures,
    pub target: Option<crate::domain::Ratio>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ClosedMonth {
    /// Milliseconds since the epoch.
    pub closed_at: i64,
    pub min_volume: i64,
}

/// What `verify` found: dossiers whose stored facts differ from their events, rollup cells whose
/// stored figures differ from the recomputation (with both values), and rows no reader can use.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Drift {
    pub dossiers_checked: u64,
    pub events_read: u64,
    pub facts_differing: u64,
    pub rollups_differing: Vec<(crate::domain::RollupKey, Figures, Figures)>,
    /// Rows of `rollups`, `published_rollups` and `unit_counters` whose month key or indicator names no
    /// month or indicator; `--repair` removes them.
    pub unreadable_rows: Vec<UnreadableRow>,
    /// Rollup cells the events give for months no month key holds (before 1900 or after 9999: events
    /// stored before ingest refused such times). They are left out of the rollups; not drift.
    pub cells_outside_months: u64,
    /// Unit counters below what the events give: (unit, indicator, stored, floor). A counter adds the
    /// positive part of every change, so it is never below the sum of the unit's rollups over all months
    /// (it exceeds it by what corrections took back); `--repair` raises it to that floor (a counter
    /// never goes down).
    pub counters_below: Vec<(String, crate::domain::Indicator, Figures, Figures)>,
    pub repaired: bool,
}

impl Drift {
    /// Whether anything differs from what the events give (what `--repair` replaces).
    pub fn found(&self) -> bool {
        self.facts_differing > 0 || !self.rollups_differing.is_empty() || !self.unreadable_rows.is_empty() || !self.counters_below.is_empty()
    }
}

/// A stored row as it is, whose month key or indicator cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnreadableRow {
    pub table: &'static str,
    pub unit: String,
    pub month: i64,
    pub indicator: String,
    pub figures: Figures,
}

/// A collector token as stored: only the hash of the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    pub hash: String,
    pub source: String,
    pub scope: Vec<String>,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

/// One cell of the rollup table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollupRow {
    pub unit: String,
    pub month: Month,
    pub figures: Figures,
}

/// One notification about one alert to one recipient, as kept in the alert history.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct AlertRecord {
    /// Milliseconds since the epoch.
    pub at: i64,
    pub alertname: String,
    pub unit: Option<String>,
    /// `firing` or `resolved`.
    pub state: String,
    /// Who: the contact's name and address.
    pub recipient: String,
    /// `email`, `webhook`, or `none` when the unit has no reachable head.
    pub channel: String,
    /// `sent` or `failed`.
    pub outcome: String,
    /// The delivery error, or the address used.
    pub detail: String,
    pub summary: String,
    /// The province the alert is about (its `province` label), when it names one.
    pub province: Option<String>,
    /// The indicator a unit's alert is about (`completion`, `intake`, `on_time`).
    pub indicator: Option<String>,
    /// The month the alert is about (`YYYY-MM`, its `month` annotation), when it speaks of one.
    pub period: Option<String>,
}

/// Which notifications of the alert history to read: every condition given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlertFilter {
    pub province: Option<String>,
    /// The unit (or, for an agency system's alert, the source) it is about.
    pub unit: Option<String>,
    /// The rule (`DvcUnitAtRisk`, …).
    pub alertname: Option<String>,
}

/// What `Store::visit_dossiers_in_period` reads.
#[derive(Debug, Clone, Copy)]
pub struct PeriodDossiers<'a> {
    /// The unit; the dossiers of the units under it (by `parent`, at any depth) are included.
    pub unit: &'a str,
    pub months: MonthRange,
    /// Dossiers returned, or received, within the months' bounds.
    pub selection: Selection,
    pub sort: DossierSort,
    /// A dossier already read: only those after it in `sort`'s order (a keyset, to resume a read).
    pub after: Option<&'a DossierFacts>,
}

/// A unit's monotonic totals for one indicator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CounterRow {
    pub unit: String,
    pub indicator: Indicator,
    pub figures: Figures,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Which backend this is, for logs and the readiness page.
    fn backend(&self) -> &'static str;
    /// Database reachable and migrations applied.
    async fn ready(&self) -> Result<()>;

    /// Units, procedures and targets, built for lookups.
    async fn registry(&self) -> Result<Arc<crate::registry::Registry>>;

    async fn upsert_units(&self, units: &[Unit]) -> Result<()>;
    async fn units(&self) -> Result<Vec<Unit>>;
    /// Upserts procedures; when a known procedure changes level or paper result, every rollup is recomputed
    /// in the same transaction, since what a dossier counts for depends on them. Returns how many changed.
    async fn upsert_procedures(&self, procedures: &[Procedure]) -> Result<usize>;
    async fn procedures(&self) -> Result<Vec<Procedure>>;
    async fn upsert_targets(&self, targets: &[Target]) -> Result<()>;
    async fn targets(&self) -> Result<Vec<Target>>;

    /// Upserts the mapping of agency systems' unit codes (`sender-codes import`), and takes the codes
    /// it maps off the list of unmapped ones, in one transaction.
    async fn upsert_sender_codes(&self, codes: &[SenderCode]) -> Result<()>;
    async fn sender_codes(&self) -> Result<Vec<SenderCode>>;
    /// Counts each (source, code) once more as seen without a mapping, at `now_ms`.
    async fn record_unmapped_codes(&self, seen: &[(String, String)], now_ms: i64) -> Result<()>;
    /// The codes seen without a mapping, most recently seen first.
    async fn unmapped_codes(&self) -> Result<Vec<UnmappedCode>>;
    /// The events stored from `source` whose id starts with one of `prefixes` (read by the primary key:
    /// the national-sync collector finds the events it derived for a dossier by their id prefix).
    async fn events_with_id_prefix(&self, source: &str, prefixes: &[String]) -> Result<Vec<Event>>;

    /// Holds national-sync steps of dossiers not yet known from `source`, stamped `now_ms`, in one
    /// transaction: first every held step older than `max_age_ms` is dropped, then, unless `source`
    /// would hold more than `max_per_source` steps, the new ones are added (a step held already is
    /// kept once). Returns false, holding none, when the bound would be passed.
    async fn hold_steps(&self, source: &str, steps: &[HeldStep], now_ms: i64, max_per_source: i64, max_age_ms: i64) -> Result<bool>;
    /// The steps `source` holds for these dossiers that arrived at `since_ms` or later.
    async fn held_steps(&self, source: &str, dossiers: &[String], since_ms: i64) -> Result<Vec<HeldStep>>;
    /// Deletes the steps `source` holds for these dossiers (once they are events).
    async fn release_held_steps(&self, source: &str, dossiers: &[String]) -> Result<()>;
    /// How many steps each source holds, by source.
    async fn held_step_counts(&self) -> Result<Vec<HeldSteps>>;

    async fn upsert_contacts(&self, contacts: &[Contact]) -> Result<()>;
    async fn contacts(&self) -> Result<Vec<Contact>>;
    async fn record_alerts(&self, entries: &[AlertRecord]) -> Result<()>;
    /// Newest first; only `unit`'s when given.
    async fn alert_history(&self, filter: &AlertFilter, limit: i64) -> Result<Vec<AlertRecord>>;

    /// Appends to the audit log of administrative changes.
    async fn audit(&self, at_ms: i64, actor: &str, action: &str, detail: &str) -> Result<()>;
    /// Newest first: (at, actor, action, detail).
    async fn audit_log(&self, limit: i64) -> Result<Vec<(i64, String, String, String)>>;

    async fn insert_token(&self, token: &TokenRecord) -> Result<()>;
    async fn token_by_hash(&self, hash: &str) -> Result<Option<TokenRecord>>;
    async fn tokens(&self) -> Result<Vec<TokenRecord>>;
    /// Revokes the live tokens whose hash starts with `hash_prefix`; returns how many.
    async fn revoke_tokens(&self, hash_prefix: &str, now_ms: i64) -> Result<u64>;

    /// Stores a batch of validated events in one transaction: new ones are appended, their dossiers'
    /// facts re-derived from all of their events, and the rollups moved by the difference.
    /// `scopes[i]` is the scope of the token `events[i]` was sent with: an event for a dossier held by
    /// a unit outside it is refused (`Outcome::Foreign`, the ownership rule of `domain::scope`).
    /// Eligibility is judged with the procedure levels the transaction reads, never with a cached
    /// catalogue, so a concurrent catalogue change cannot leave rollups that differ from a recomputation.
    /// Returns one outcome per input event, in order, and the rollup cells it changed. `now_ms` stamps
    /// the events and their source.
    async fn ingest(&self, events: Vec<Event>, scopes: Vec<Arc<Scope>>, now_ms: i64) -> Result<IngestOutcome>;

    /// Monotonic totals per unit and indicator (the Prometheus counters).
    async fn counters(&self) -> Result<Vec<CounterRow>>;
    /// When each source last sent a valid event, in milliseconds.
    async fn sources(&self) -> Result<Vec<(String, i64)>>;
    /// Unit codes each source's live tokens may write to.
    async fn token_scopes(&self) -> Result<Vec<(String, String)>>;

    /// Rollups of one indicator for the months `from..=to`.
    async fn rollups(&self, indicator: Indicator, from: Month, to: Month) -> Result<Vec<RollupRow>>;
    /// The same rows in shared slices, which a reader that only looks at them takes without copying:
    /// the cache hands out the slices it keeps (a national page reads a year, some 50,000 rows, each
    /// with its unit's code). One slice of `rollups` here.
    async fn rollups_shared(&self, indicator: Indicator, from: Month, to: Month) -> Result<Vec<Arc<Vec<RollupRow>>>> {
        Ok(vec![Arc::new(self.rollups(indicator, from, to).await?)])
    }
    /// Closes a month: publishes each unit's figures with the target that applied. False when the
    /// month was closed already (nothing changes then).
    async fn close_month(&self, month: Month, published: &[PublishedRow], min_volume: i64, now_ms: i64) -> Result<bool>;
    /// When the month was closed and with which minimum volume; None while it is open.
    async fn closed_month(&self, month: Month) -> Result<Option<ClosedMonth>>;
    /// Every closed month (one row per month closed: a few a year), for readers that ask of many months.
    async fn closed_months(&self) -> Result<Vec<(Month, ClosedMonth)>>;
    /// The published figures of a closed month for one indicator.
    async fn published(&self, indicator: Indicator, month: Month) -> Result<Vec<PublishedRow>>;

    /// Recomputes every dossier's facts and every rollup from the stored events alone and compares
    /// them with what the store holds; with `repair`, replaces what differs, in one transaction.
    async fn verify(&self, repair: bool) -> Result<Drift>;

    /// Facts of the dossiers of these units received or returned in the month.
    async fn dossiers_in_month(&self, units: &[String], month: Month) -> Result<Vec<DossierFacts>>;

    /// The dossiers of a unit and every unit under it that `q.selection` places in the period, in
    /// `q.sort`'s order, after `q.after`, handed to `visit` one at a time as the database streams them:
    /// a list reads its period in one query and one sort, holding one row at a time. Which of them
    /// failed what is judged by `domain::chase`, never here.
    async fn visit_dossiers_in_period(&self, q: &PeriodDossiers<'_>, visit: &mut (dyn FnMut(DossierFacts) + Send)) -> Result<()>;

    /// A number that changes whenever what a view of this indicator over `from..=to` reads (rollups of
    /// those months, the registry, closings) is changed through this store; None when the store does
    /// not track it. Lets a rendered page be served again while it would render the same.
    fn data_version(&self, _indicator: Indicator, _from: Month, _to: Month) -> Option<u64> {
        None
    }
}

/// How long cached registry and rollups may lag a change made by another process.
pub const CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(10);

/// Opens the store a URL names, creating a SQLite file if missing, applies migrations, and puts the
/// read-through cache in front.
pub async fn connect(url: &str) -> Result<Arc<dyn Store>> {
    let inner: Arc<dyn Store> = if url.starts_with("sqlite:") {
        Arc::new(SqliteStore::connect(url).await?)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Arc::new(PgStore::connect(url).await?)
    } else {
        return Err(StoreError::UnsupportedUrl(url.to_string()));
    };
    Ok(Arc::new(CachedStore::new(inner, CACHE_TTL)))
}
