//! `dvc-monitor import`: history loaded from files, through the same validation, token scope and
//! `Store::ingest` as the ingest API.
//!
//! - national-sync snapshots (`snapshots`): a JSON array or NDJSON, mapped by the collector itself, so
//!   the events and their ids are those `POST /api/v1/national-sync/dossiers` would store;
//! - dossier lists one-door systems export (`table`): CSV with Vietnamese headers or a mapping file.
//!
//! Every file is read twice: a first pass validates all of them and stops at the first bad row, with
//! nothing stored; the second pass reads again and stores in batches of `BATCH_EVENTS` events, one
//! transaction each. Memory stays bounded by a batch: every format is streamed.
//! No value of a file is logged or echoed except codes (dossier, unit, procedure) already shaped as codes.

pub mod json_array;
pub mod sheet;
pub mod snapshots;
pub mod table;

use crate::ingest::{self, body, BatchReport};
use crate::registry::Registry;
use crate::store::{Store, TokenRecord};
use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressStyle};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Events stored per transaction.
pub const BATCH_EVENTS: usize = 5_000;

/// What an import did, over all its files.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    pub files: usize,
    /// Rows (CSV) or snapshots read.
    pub rows: u64,
    pub accepted: u64,
    pub duplicates: u64,
    /// Reasons events or dossiers were refused when stored (conflicts, units held by another source), with counts.
    pub rejected: BTreeMap<String, u64>,
}

impl Summary {
    fn add(&mut self, report: &BatchReport) {
        self.accepted += report.accepted as u64;
        self.duplicates += report.duplicates as u64;
        for r in &report.rejected {
            if !r.error.is_empty() {
                *self.rejected.entry(r.error.clone()).or_default() += 1;
            }
        }
    }

    pub fn rejected_total(&self) -> u64 {
        self.rejected.values().sum()
    }

    /// The summary the command prints.
    pub fn text(&self) -> String {
        let mut out = format!(
            "{} files, {} rows: {} events accepted, {} duplicates, {} rejected",
            self.files,
            self.rows,
            self.accepted,
            self.duplicates,
            self.rejected_total()
        );
        for (reason, n) in &self.rejected {
            out.push_str(&format!("\n  {n} × {reason}"));
        }
        out
    }
}

/// What kind of file it is: by its ending, else by its first character (`[` or `{`: snapshots).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Snapshots,
    Table,
}

pub fn format_of(path: &Path) -> anyhow::Result<Format> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "json" | "ndjson" | "jsonl" => return Ok(Format::Snapshots),
        "csv" | "tsv" | "txt" => return Ok(Format::Table),
        "xlsx" => return Ok(Format::Table),
        "xls" | "xlsm" | "ods" => bail!("{}: only .xlsx workbooks are read: save the sheet as .xlsx or CSV (UTF-8)", path.display()),
        _ => {}
    }
    use std::io::Read;
    let mut head = [0u8; 512];
    let n = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?.read(&mut head)?;
    let first = head[..n].iter().copied().find(|b| !b.is_ascii_whitespace() && *b != 0xEF && *b != 0xBB && *b != 0xBF);
    Ok(if matches!(first, Some(b'[' | b'{')) { Format::Snapshots } else { Format::Table })
}

/// What the files are stored as: the source's name and the scope of its live tokens together. An
/// import writes as that source would, so the source must have a live token (`tokens create`).
pub async fn source_token(store: &dyn Store, source: &str) -> anyhow::Result<TokenRecord> {
    let mut scope: Vec<String> = Vec::new();
    for t in store.tokens().await? {
        if t.source == source && t.revoked_at.is_none() {
            scope.extend(t.scope);
        }
    }
    if scope.is_empty() {
        bail!(
            "source {source:?} has no live token: create one with `dvc-monitor tokens create --source {source} --scope UNITS`; \
             an import stores events as that source, within its tokens' scope"
        );
    }
    scope.sort();
    scope.dedup();
    Ok(TokenRecord { hash: String::new(), source: source.to_string(), scope, created_at: 0, revoked_at: None })
}

/// A file's first bad row: `FILE: line L, column C: reason`.
pub fn bad_row(file: &str, line: u64, column: usize, reason: &str) -> anyhow::Error {
    anyhow::anyhow!("{file}: line {line}, column {column}: {reason}")
}

/// Imports the files as `source`: validates them all, then stores them. `progress` shows a bar on
/// standard error (the caller passes whether it is a terminal).
pub async fn import(store: &dyn Store, source: &str, files: &[PathBuf], mapping: Option<&Path>, progress: bool, now_ms: i64) -> anyhow::Result<Summary> {
    if files.is_empty() {
        bail!("no file given");
    }
    let token = source_token(store, source).await?;
    let registry = store.registry().await?;
    let mapping = match mapping {
        Some(path) => table::Mapping::load(path)?,
        None => table::Mapping::default(),
    };
    let mut kinds = Vec::with_capacity(files.len());
    for path in files {
        kinds.push(format_of(path)?);
    }
    // First pass: everything, before anything is stored.
    let mut total = 0u64;
    for (path, kind) in files.iter().zip(&kinds) {
        total += match kind {
            Format::Snapshots => snapshots::validate(path, &registry, &token, now_ms)?,
            Format::Table => table::validate(path, &mapping, &registry, &token, now_ms)?,
        };
    }
    let bar = if progress { ProgressBar::new(total) } else { ProgressBar::hidden() };
    if let Ok(style) = ProgressStyle::with_template("{wide_bar} {pos}/{len} rows {eta}") {
        bar.set_style(style);
    }
    let mut sink = Sink { store, registry: &registry, token: &token, now_ms, bar, summary: Summary { files: files.len(), ..Summary::default() } };
    for (path, kind) in files.iter().zip(&kinds) {
        match kind {
            Format::Snapshots => snapshots::store(path, &mut sink).await?,
            Format::Table => table::store(path, &mapping, &mut sink).await?,
        }
    }
    sink.bar.finish_and_clear();
    Ok(sink.summary)
}

/// Where the second pass stores, and what it has done so far.
pub struct Sink<'a> {
    pub store: &'a dyn Store,
    pub registry: &'a Registry,
    pub token: &'a TokenRecord,
    pub now_ms: i64,
    pub bar: ProgressBar,
    pub summary: Summary,
}

impl Sink<'_> {
    /// Stores one batch of events (one transaction), which `rows` rows gave.
    pub async fn store(&mut self, items: Vec<body::Item>, rows: u64) -> anyhow::Result<()> {
        if !items.is_empty() {
            let checked = ingest::check(self.registry, self.token, items, self.now_ms);
            let report = ingest::store(self.store, checked, self.now_ms).await?;
            self.summary.add(&report);
        }
        self.done(rows);
        Ok(())
    }

    fn done(&mut self, rows: u64) {
        self.summary.rows += rows;
        self.bar.inc(rows);
    }
}
