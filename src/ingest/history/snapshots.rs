//! A file of national-sync snapshots: a JSON array, or NDJSON with one snapshot (in any wrapping the
//! collector accepts) a line. Each is mapped by `national_sync::plan` and stored by
//! `national_sync::collect`, so its events and ids are exactly the collector's.

use super::{bad_row, Sink, BATCH_EVENTS};
use crate::ingest::national_sync::{self, Call, Plan};
use crate::registry::Registry;
use crate::store::TokenRecord;
use anyhow::Context;
use serde_json::value::RawValue;
use std::io::BufRead;
use std::path::Path;

/// Snapshots stored together: a snapshot gives a handful of events, so about `BATCH_EVENTS` events.
const BATCH_SNAPSHOTS: usize = BATCH_EVENTS / 5;

/// The snapshots of a file with the line and column each begins at.
enum Snapshots {
    Lines { reader: std::io::BufReader<std::fs::File>, line: u64, buf: String },
    Array { items: std::vec::IntoIter<(u64, usize, String)> },
}

impl Snapshots {
    fn open(path: &Path, name: &str) -> anyhow::Result<Snapshots> {
        let mut reader = std::io::BufReader::new(std::fs::File::open(path).with_context(|| format!("cannot open {name}"))?);
        let starts_array = loop {
            let buf = reader.fill_buf()?;
            match buf.iter().position(|b| !b.is_ascii_whitespace() && !matches!(b, 0xEF | 0xBB | 0xBF)) {
                Some(i) => break buf[i] == b'[',
                None if buf.is_empty() => break false,
                None => {
                    let n = buf.len();
                    reader.consume(n);
                }
            }
        };
        if !starts_array {
            return Ok(Snapshots::Lines { reader: std::io::BufReader::new(std::fs::File::open(path)?), line: 0, buf: String::new() });
        }
        // A JSON array is read whole: NDJSON is the shape for files that do not fit in memory.
        let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{name}: not UTF-8 text ({e})"))?;
        let text = text.trim_start_matches('\u{feff}');
        let items: Vec<&RawValue> = serde_json::from_str(text)
            .map_err(|e| bad_row(name, e.line() as u64, e.column(), "not a JSON array of snapshots"))?;
        let base = text.as_ptr() as usize;
        let placed = items
            .into_iter()
            .map(|raw| {
                let offset = raw.get().as_ptr() as usize - base;
                let before = &text[..offset];
                let line = before.matches('\n').count() as u64 + 1;
                let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
                (line, column, raw.get().to_string())
            })
            .collect::<Vec<_>>();
        Ok(Snapshots::Array { items: placed.into_iter() })
    }

    /// The next snapshot's line, column and text; blank lines are passed over.
    fn next(&mut self, name: &str) -> anyhow::Result<Option<(u64, usize, String)>> {
        match self {
            Snapshots::Array { items } => Ok(items.next()),
            Snapshots::Lines { reader, line, buf } => loop {
                buf.clear();
                let n = reader.read_line(buf).map_err(|_| bad_row(name, *line + 1, 1, "not UTF-8 text"))?;
                if n == 0 {
                    return Ok(None);
                }
                *line += 1;
                let text = buf.trim_start_matches('\u{feff}').trim();
                if !text.is_empty() {
                    return Ok(Some((*line, 1, text.to_string())));
                }
            },
        }
    }
}

fn plan_of(name: &str, registry: &Registry, source: &str, (line, column, text): &(u64, usize, String), now_ms: i64) -> anyhow::Result<Plan> {
    national_sync::plan(registry, source, Call::Dossiers, text.as_bytes(), now_ms).map_err(|why| bad_row(name, *line, *column, &why))
}

/// First pass: every snapshot mapped and its events validated; the number of snapshots, or the first
/// bad one as `FILE: line L, column C: reason`.
pub fn validate(path: &Path, registry: &Registry, token: &TokenRecord, now_ms: i64) -> anyhow::Result<u64> {
    let name = path.display().to_string();
    let mut snapshots = Snapshots::open(path, &name)?;
    let mut count = 0;
    while let Some(item) = snapshots.next(&name)? {
        let plan = plan_of(&name, registry, &token.source, &item, now_ms)?;
        if let Some(why) = plan.first_problem(registry, token, now_ms) {
            return Err(bad_row(&name, item.0, item.1, &why));
        }
        count += 1;
    }
    Ok(count)
}

/// Second pass: the snapshots stored in batches through the collector.
pub async fn store(path: &Path, sink: &mut Sink<'_>) -> anyhow::Result<()> {
    let name = path.display().to_string();
    let mut snapshots = Snapshots::open(path, &name)?;
    let mut pending = Vec::with_capacity(BATCH_SNAPSHOTS);
    loop {
        let item = snapshots.next(&name)?;
        let end = item.is_none();
        if let Some(item) = item {
            pending.push(plan_of(&name, sink.registry, &sink.token.source, &item, sink.now_ms)?);
        }
        if pending.len() >= BATCH_SNAPSHOTS || (end && !pending.is_empty()) {
            let n = pending.len() as u64;
            let collected = national_sync::collect(sink.store, sink.registry, sink.token, Plan::merge(pending.drain(..)), sink.now_ms).await?;
            let summary = &mut sink.summary;
            summary.accepted += collected.events.accepted as u64;
            summary.duplicates += collected.events.duplicates as u64;
            for r in collected.answer.results.iter().flatten().filter(|r| r.error_code != national_sync::STORED) {
                *summary.rejected.entry(r.message.clone()).or_default() += 1;
            }
            sink.done(n);
        }
        if end {
            return Ok(());
        }
    }
}
