//! .xlsx workbooks (their first sheet), read a cell at a time with calamine and handed to the table
//! reader as records: the same headers, mapping and rows as CSV; a row's line is its row number.
//!
//! Once the header row is found, only the mapped columns are converted; the others are left empty.
//! calamine holds the workbook's shared strings while it reads (an .xlsx keeps its text there).

use calamine::{open_workbook, DataRef, Reader, Xlsx};
use csv::ByteRecord;
use std::path::Path;
use std::sync::{Arc, OnceLock};

/// Rows read ahead of the storing side.
const AHEAD: usize = 1_024;

fn text(value: &DataRef<'_>) -> String {
    match value {
        DataRef::String(s) | DataRef::DateTimeIso(s) => s.clone(),
        DataRef::SharedString(s) => s.to_string(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        DataRef::Float(f) => f.to_string(),
        DataRef::Bool(b) => if *b { "1" } else { "0" }.to_string(),
        DataRef::DateTime(d) => d.as_datetime().map(|t| t.format("%Y-%m-%dT%H:%M:%S").to_string()).unwrap_or_default(),
        DataRef::DurationIso(_) | DataRef::Error(_) | DataRef::Empty => String::new(),
    }
}

/// The first sheet's rows, read on a thread of their own. `wanted` holds the mapped columns once the
/// header row is known.
pub fn rows(path: &Path, name: &str, wanted: Arc<OnceLock<Vec<usize>>>) -> anyhow::Result<super::table::Rows> {
    let mut book: Xlsx<_> = open_workbook(path).map_err(|e| anyhow::anyhow!("{name}: not an .xlsx workbook ({e})"))?;
    let sheet = book.sheet_names().first().cloned().ok_or_else(|| anyhow::anyhow!("{name}: the workbook has no sheet"))?;
    let (tx, rx) = std::sync::mpsc::sync_channel::<Result<(u64, ByteRecord), (u64, String)>>(AHEAD);
    std::thread::spawn(move || {
        let mut cells = match book.worksheet_cells_reader(&sheet) {
            Ok(c) => c,
            Err(e) => {
                let _ = tx.send(Err((1, format!("the sheet cannot be read ({e})"))));
                return;
            }
        };
        let mut current: Option<(u32, Vec<String>)> = None;
        let send = |row: u32, fields: Vec<String>| tx.send(Ok((row as u64 + 1, ByteRecord::from(fields)))).is_ok();
        loop {
            let cell = match cells.next_cell() {
                Ok(Some(c)) => c,
                Ok(None) => break,
                Err(e) => {
                    let at = current.as_ref().map_or(1, |(r, _)| *r as u64 + 1);
                    let _ = tx.send(Err((at, format!("the sheet cannot be read ({e})"))));
                    return;
                }
            };
            let (row, col) = cell.get_position();
            if current.as_ref().is_some_and(|(r, _)| *r != row) {
                let (r, fields) = current.take().expect("a row");
                if !send(r, fields) {
                    return;
                }
            }
            let fields = &mut current.get_or_insert_with(|| (row, Vec::new())).1;
            let col = col as usize;
            if wanted.get().is_some_and(|w| !w.contains(&col)) {
                continue;
            }
            if fields.len() <= col {
                fields.resize(col + 1, String::new());
            }
            fields[col] = text(cell.get_value());
        }
        if let Some((r, fields)) = current {
            send(r, fields);
        }
    });
    Ok(Box::new(rx.into_iter()))
}
