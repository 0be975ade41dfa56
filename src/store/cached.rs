//! A read-through cache in front of any store: the registry (units, procedures, targets, contacts) and
//! the rollups of each month are read once and kept, so a league table or an ingest batch does not read
//! 4,000 units again. Ingest batches pass through group commit (`grouped.rs`) on their way to the store.
//!
//! Freshness, as the README states it:
//! - a change made through this store (ingest, imports, closing, repair) is seen by every read that
//!   starts after it returns: the write bumps a generation and drops what it changes, and a read keeps
//!   what it read only if no generation it depends on moved while it read (so a read that overlapped a
//!   write never caches what the write replaced);
//! - a change made by another process (a CLI import, another replica) is seen within `ttl`: every cached
//!   value, the registry included, was read from the database at most `ttl` ago (the registry is built
//!   from the database, not from the other cached values, so its age never adds to theirs).

use super::{AlertFilter, AlertRecord, ClosedMonth, PeriodDossiers, Drift, CounterRow, IngestOutcome, PublishedRow, Result, RollupRow, Store, TokenRecord};
use crate::domain::{Contact, DossierFacts, Event, Indicator, Month, Procedure, Scope, HeldStep, HeldSteps, SenderCode, Target, Unit, UnmappedCode};
use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct CachedStore {
    inner: Arc<dyn Store>,
    /// Ingest goes through group commit (`grouped.rs`).
    group: super::GroupCommit,
    ttl: Duration,
    units: Slot<Vec<Unit>>,
    procedures: Slot<Vec<Procedure>>,
    targets: Slot<Vec<Target>>,
    contacts: Slot<Vec<Contact>>,
    registry: Slot<Arc<crate::registry::Registry>>,
    /// The closed months: a page of a year's sparklines asks of twelve months, each a query otherwise.
    closed: Slot<HashMap<Month, ClosedMonth>>,
    rollups: Mutex<HashMap<(Indicator, Month), MonthRows>>,
    /// Bumped by each write through this store: per (indicator, month) by ingest, `everything` by the
    /// rest (registry, closings, repairs, a failed ingest). See `Store::data_version`.
    versions: Mutex<HashMap<(Indicator, Month), u64>>,
    everything: std::sync::atomic::AtomicU64,
}

/// Events per group transaction at most: a few large batches, enough to share one commit.
const GROUP_MAX_EVENTS: usize = 40_000;

/// One month's rollups of one indicator, and when they were read.
type MonthRows = (Instant, Arc<Vec<RollupRow>>);

/// One cached value and when it was read.
struct Slot<T>(Mutex<Option<(Instant, Arc<T>)>>);

impl<T> Slot<T> {
    fn new() -> Self {
        Slot(Mutex::new(None))
    }
    fn get(&self, ttl: Duration) -> Option<Arc<T>> {
        self.0.lock().expect("not poisoned").as_ref().filter(|(at, _)| at.elapsed() < ttl).map(|(_, v)| v.clone())
    }
    /// Keeps `v`, read from `at` on, unless a write moved the generation since `read_from`.
    fn put(&self, at: Instant, v: T, read_from: u64, generation: &std::sync::atomic::AtomicU64) -> Arc<T> {
        let v = Arc::new(v);
        let mut slot = self.0.lock().expect("not poisoned");
        if generation.load(std::sync::atomic::Ordering::SeqCst) == read_from {
            *slot = Some((at, v.clone()));
        }
        v
    }
    fn clear(&self) {
        *self.0.lock().expect("not poisoned") = None;
    }
}

impl CachedStore {
    pub fn new(inner: Arc<dyn Store>, ttl: Duration) -> CachedStore {
        // SQLite has one writer; PostgreSQL runs a few group transactions side by side.
        let writers = if inner.backend() == "sqlite" { 1 } else { 2 };
        CachedStore {
            group: super::GroupCommit::new(inner.clone(), writers, GROUP_MAX_EVENTS),
            inner,
            ttl,
            units: Slot::new(),
            procedures: Slot::new(),
            targets: Slot::new(),
            contacts: Slot::new(),
            registry: Slot::new(),
            closed: Slot::new(),
            rollups: Mutex::new(HashMap::new()),
            versions: Mutex::new(HashMap::new()),
            everything: std::sync::atomic::AtomicU64::new(0),
        }
    }

    fn forget_rollups(&self, which: impl Fn(&(Indicator, Month)) -> bool) {
        self.rollups.lock().expect("not poisoned").retain(|k, _| !which(k));
    }

    /// Moves on with every write through this store that can change a cached value.
    fn changed_everything(&self) {
        self.everything.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }

    fn generation(&self) -> u64 {
        self.everything.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// The closed months by month, read again once the ttl has passed.
    async fn closed_map(&self) -> Result<Arc<HashMap<Month, ClosedMonth>>> {
        if let Some(c) = self.closed.get(self.ttl) {
            return Ok(c);
        }
        let at = Instant::now();
        let read_from = self.generation();
        let read: HashMap<Month, ClosedMonth> = self.inner.closed_months().await?.into_iter().collect();
        Ok(self.closed.put(at, read, read_from, &self.everything))
    }
}

macro_rules! cached {
    ($self:ident, $slot:ident, $read:expr) => {{
        if let Some(v) = $self.$slot.get($self.ttl) {
            return Ok(v.as_ref().clone());
        }
        // Stamped before the read, so a write that lands during it is not hidden for a whole ttl; kept
        // only if no write through this store landed meanwhile.
        let at = Instant::now();
        let read_from = $self.generation();
        let v = $read.await?;
        Ok($self.$slot.put(at, v, read_from, &$self.everything).as_ref().clone())
    }};
}

#[async_trait]
impl Store for CachedStore {
    fn backend(&self) -> &'static str {
        self.inner.backend()
    }
    async fn ready(&self) -> Result<()> {
        self.inner.ready().await
    }
    async fn registry(&self) -> Result<Arc<crate::registry::Registry>> {
        if let Some(r) = self.registry.get(self.ttl) {
            return Ok(r.as_ref().clone());
        }
        let at = Instant::now();
        let read_from = self.generation();
        // From the database, not from the other cached values, so their ages never add up.
        let built = self.inner.registry().await?;
        Ok(self.registry.put(at, built, read_from, &self.everything).as_ref().clone())
    }
    async fn upsert_units(&self, units: &[Unit]) -> Result<()> {
        let r = self.inner.upsert_units(units).await;
        self.changed_everything();
        self.units.clear();
        self.registry.clear();
        r
    }
    async fn units(&self) -> Result<Vec<Unit>> {
        cached!(self, units, self.inner.units())
    }
    async fn upsert_procedures(&self, procedures: &[Procedure]) -> Result<usize> {
        let r = self.inner.upsert_procedures(procedures).await;
        self.changed_everything();
        self.procedures.clear();
        self.registry.clear();
        if matches!(r, Ok(changed) if changed > 0) {
            self.forget_rollups(|_| true);
        }
        r
    }
    async fn procedures(&self) -> Result<Vec<Procedure>> {
        cached!(self, procedures, self.inner.procedures())
    }
    async fn upsert_targets(&self, targets: &[Target]) -> Result<()> {
        let r = self.inner.upsert_targets(targets).await;
        self.changed_everything();
        self.targets.clear();
        self.registry.clear();
        r
    }
    async fn targets(&self) -> Result<Vec<Target>> {
        cached!(self, targets, self.inner.targets())
    }
    async fn upsert_sender_codes(&self, codes: &[SenderCode]) -> Result<()> {
        let r = self.inner.upsert_sender_codes(codes).await;
        self.changed_everything();
        self.registry.clear();
        r
    }
    async fn sender_codes(&self) -> Result<Vec<SenderCode>> {
        self.inner.sender_codes().await
    }
    async fn record_unmapped_codes(&self, seen: &[(String, String)], now_ms: i64) -> Result<()> {
        self.inner.record_unmapped_codes(seen, now_ms).await
    }
    async fn unmapped_codes(&self) -> Result<Vec<UnmappedCode>> {
        self.inner.unmapped_codes().await
    }
    async fn events_with_id_prefix(&self, source: &str, prefixes: &[String]) -> Result<Vec<Event>> {
        self.inner.events_with_id_prefix(source, prefixes).await
    }
    async fn hold_steps(&self, source: &str, steps: &[HeldStep], now_ms: i64, max_per_source: i64, max_age_ms: i64) -> Result<bool> {
        self.inner.hold_steps(source, steps, now_ms, max_per_source, max_age_ms).await
    }
    async fn held_steps(&self, source: &str, dossiers: &[String], since_ms: i64) -> Result<Vec<HeldStep>> {
        self.inner.held_steps(source, dossiers, since_ms).await
    }
    async fn release_held_steps(&self, source: &str, dossiers: &[String]) -> Result<()> {
        self.inner.release_held_steps(source, dossiers).await
    }
    async fn held_step_counts(&self) -> Result<Vec<HeldSteps>> {
        self.inner.held_step_counts().await
    }
    async fn upsert_contacts(&self, contacts: &[Contact]) -> Result<()> {
        let r = self.inner.upsert_contacts(contacts).await;
        self.changed_everything();
        self.contacts.clear();
        r
    }
    async fn contacts(&self) -> Result<Vec<Contact>> {
        cached!(self, contacts, self.inner.contacts())
    }
    async fn record_alerts(&self, entries: &[AlertRecord]) -> Result<()> {
        self.inner.record_alerts(entries).await
    }
    async fn alert_history(&self, filter: &AlertFilter, limit: i64) -> Result<Vec<AlertRecord>> {
        self.inner.alert_history(filter, limit).await
    }
    async fn audit(&self, at_ms: i64, actor: &str, action: &str, detail: &str) -> Result<()> {
        self.inner.audit(at_ms, actor, action, detail).await
    }
    async fn audit_log(&self, limit: i64) -> Result<Vec<(i64, String, String, String)>> {
        self.inner.audit_log(limit).await
    }
    async fn insert_token(&self, token: &TokenRecord) -> Result<()> {
        self.inner.insert_token(token).await
    }
    async fn token_by_hash(&self, hash: &str) -> Result<Option<TokenRecord>> {
        self.inner.token_by_hash(hash).await
    }
    async fn tokens(&self) -> Result<Vec<TokenRecord>> {
        self.inner.tokens().await
    }
    async fn revoke_tokens(&self, hash_prefix: &str, now_ms: i64) -> Result<u64> {
        self.inner.revoke_tokens(hash_prefix, now_ms).await
    }
    async fn ingest(&self, events: Vec<Event>, scopes: Vec<Arc<Scope>>, now_ms: i64) -> Result<IngestOutcome> {
        let r = self.group.ingest(events, scopes, now_ms).await;
        match &r {
            Ok(done) => {
                {
                    let mut versions = self.versions.lock().expect("not poisoned");
                    for k in &done.touched {
                        *versions.entry(*k).or_default() += 1;
                    }
                }
                self.forget_rollups(|k| done.touched.contains(k));
            }
            // An error may have come after a commit (a lost connection): forget everything.
            Err(_) => {
                self.changed_everything();
                self.forget_rollups(|_| true);
            }
        }
        r
    }
    async fn counters(&self) -> Result<Vec<CounterRow>> {
        self.inner.counters().await
    }
    async fn sources(&self) -> Result<Vec<(String, i64)>> {
        self.inner.sources().await
    }
    async fn token_scopes(&self) -> Result<Vec<(String, String)>> {
        self.inner.token_scopes().await
    }
    async fn rollups(&self, indicator: Indicator, from: Month, to: Month) -> Result<Vec<RollupRow>> {
        Ok(self.rollups_shared(indicator, from, to).await?.iter().flat_map(|rows| rows.iter().cloned()).collect())
    }
    async fn rollups_shared(&self, indicator: Indicator, from: Month, to: Month) -> Result<Vec<Arc<Vec<RollupRow>>>> {
        let mut months = Vec::new();
        let mut m = from;
        while m <= to {
            months.push(m);
            m = m.next();
        }
        let mut found: HashMap<Month, Arc<Vec<RollupRow>>> = HashMap::new();
        {
            let cache = self.rollups.lock().expect("not poisoned");
            for m in &months {
                if let Some((_, rows)) = cache.get(&(indicator, *m)).filter(|(at, _)| at.elapsed() < self.ttl) {
                    found.insert(*m, rows.clone());
                }
            }
        }
        let missing: Vec<Month> = months.iter().copied().filter(|m| !found.contains_key(m)).collect();
        if let (Some(first), Some(last)) = (missing.first(), missing.last()) {
            let at = Instant::now();
            let read_from = self.data_version(indicator, *first, *last);
            let rows = self.inner.rollups(indicator, *first, *last).await?;

            let mut by_month: HashMap<Month, Vec<RollupRow>> = missing.iter().map(|m| (*m, Vec::new())).collect();
            for r in rows {
                if let Some(v) = by_month.get_mut(&r.month) {
                    v.push(r);
                }
            }
            let mut cache = self.rollups.lock().expect("not poisoned");
            // Months read more than `ttl` ago go: what is kept is what was read lately, not every month
            // ever read (a year of pages browsed through would otherwise stay in memory for good).
            cache.retain(|_, (read_at, _)| read_at.elapsed() < self.ttl);
            // What an ingest committed while this read ran may be missing from it: kept only if no
            // write through this store moved these months meanwhile (checked under the cache's lock,
            // which a write takes after moving the version, to drop what it changed).
            let current = self.data_version(indicator, *first, *last) == read_from;
            for (m, rows) in by_month {
                let rows = Arc::new(rows);
                if current {
                    cache.insert((indicator, m), (at, rows.clone()));
                }
                found.insert(m, rows);
            }
        }
        Ok(months.iter().map(|m| found[m].clone()).collect())
    }
    async fn close_month(&self, month: Month, published: &[PublishedRow], min_volume: i64, now_ms: i64) -> Result<bool> {
        let r = self.inner.close_month(month, published, min_volume, now_ms).await;
        self.changed_everything();
        self.closed.clear();
        r
    }
    async fn closed_month(&self, month: Month) -> Result<Option<ClosedMonth>> {
        Ok(self.closed_map().await?.get(&month).copied())
    }
    async fn closed_months(&self) -> Result<Vec<(Month, ClosedMonth)>> {
        let mut months: Vec<(Month, ClosedMonth)> = self.closed_map().await?.iter().map(|(m, c)| (*m, *c)).collect();
        months.sort_unstable_by_key(|(m, _)| *m);
        Ok(months)
    }
    async fn published(&self, indicator: Indicator, month: Month) -> Result<Vec<PublishedRow>> {
        self.inner.published(indicator, month).await
    }
    async fn verify(&self, repair: bool) -> Result<Drift> {
        let r = self.inner.verify(repair).await;
        if repair {
            self.changed_everything();
            self.forget_rollups(|_| true);
        }
        r
    }
    async fn dossiers_in_month(&self, units: &[String], month: Month) -> Result<Vec<DossierFacts>> {
        self.inner.dossiers_in_month(units, month).await
    }
    async fn visit_dossiers_in_period(&self, q: &PeriodDossiers<'_>, visit: &mut (dyn FnMut(DossierFacts) + Send)) -> Result<()> {
        self.inner.visit_dossiers_in_period(q, visit).await
    }
    fn data_version(&self, indicator: Indicator, from: Month, to: Month) -> Option<u64> {
        // A sum of counters that only grow changes whenever one of them does.
        let versions = self.versions.lock().expect("not poisoned");
        let months: u64 = versions.iter().filter(|((i, m), _)| *i == indicator && from <= *m && *m <= to).map(|(_, v)| *v).sum();
        Some(self.everything.load(std::sync::atomic::Ordering::SeqCst) + months)
    }
}

