//! A file of national-sync snapshots: a JSON array, or NDJSON with one snapshot (in any wrapping the
//! collector accepts) a line. Both are streamed a snapshot at a time. Each is mapped by
//! `national_sync::plan` and stored by `national_sync::collect`, so its events and ids are exactly the
//! collector's.

use super::json_array::Elements;
use super::{bad_row, Sink, BATCH_EVENTS};
use crate::ingest::national_sync::{self, Call, Plan};
use crate::registry::Registry;
use crate::store::TokenRecord;
use anyhow::Context;
use std::io::{BufRead, BufReader};
use std::fs::File;
use std::path::Path;

/// Snapshots stored together: a snapshot gives a handful of events, so about `BATCH_EVENTS` events.
const BATCH_SNAPSHOTS: usize = BATCH_EVENTS / 5;

/// The snapshots of a file with the line and column each begins at.
enum Snapshots {
    Lines { reader: BufReader<File>, line: u64, buf: String },
    Array { elements: Elements<BufReader<File>> },
}

impl Snapshots {
    fn open(path: &Path, name: &str) -> anyhow::Result<Snapshots> {
        let mut reader = BufReader::new(File::open(path).with_context(|| format!("cannot open {name}"))?);
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
        let reader = BufReader::new(File::open(path)?);
        Ok(if starts_array { Snapshots::Array { elements: Elements::new(reader) } } else { Snapshots::Lines { reader, line: 0, buf: String::new() } })
    }

    /// The next snapshot's line, column and text; blank lines are passed over.
    fn next(&mut self, name: &str) -> anyhow::Result<Option<(u64, usize, String)>> {
        match self {
            Snapshots::Array { elements } => match elements.next_element() {
                Ok(element) => Ok(element.map(|e| (e.line, e.column, e.text))),
                Err(m) => Err(bad_row(name, m.line, m.column, &m.why)),
            },
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
