//! .xlsx workbooks (their first sheet), handed to the table reader as records: the same headers,
//! mapping and rows as CSV; a row's line is its row number.
//!
//! An .xlsx keeps all its text, the applicants' names, ID numbers, addresses and phones with the codes,
//! in one shared-strings part: it is never loaded whole. The header search rows are read first, keeping
//! only the texts that may be headers (`Keep`). Once the table reader knows the header row and the
//! mapped columns, one pass over the sheet notes the shared strings the mapped columns use (a bitset),
//! one pass over the shared strings keeps only those, and a last pass streams the rows, mapped columns
//! only. All of it runs on a thread of its own, a bounded channel ahead of the storing side.

mod book;
mod cells;
mod dates;
mod shared;

use super::table::{RowItem, Rows};
use book::Book;
use cells::{Broken, Cells, Value};
use csv::ByteRecord;
use dates::Formats;
use shared::{Strings, Wanted};
use std::path::Path;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

/// Rows read ahead of the storing side.
const AHEAD: usize = 1_024;

/// Which texts of the header search rows are kept: those that may be headers.
pub type Keep = Box<dyn Fn(&str) -> bool + Send>;

/// The header search rows of a sheet, and its reader waiting to be told the layout.
pub struct Head {
    /// Row number and record of each header search row, with the texts `Keep` let through (the other
    /// fields empty).
    pub rows: Vec<(u64, ByteRecord)>,
    layout: SyncSender<(u64, Vec<usize>)>,
    data: Receiver<RowItem>,
}

impl Head {
    /// The rows after the header row `header`, with the `columns` (from 0) the table maps.
    pub fn start(self, header: u64, columns: Vec<usize>) -> Rows {
        let _ = self.layout.send((header, columns));
        Box::new(self.data.into_iter())
    }
}

/// Opens the workbook and reads the first `search` rows (with values) of its first sheet.
pub fn open(path: &Path, name: &str, search: usize, keep: Keep) -> anyhow::Result<Head> {
    let (head_tx, head_rx) = sync_channel::<anyhow::Result<Vec<(u64, ByteRecord)>>>(1);
    let (layout_tx, layout_rx) = sync_channel::<(u64, Vec<usize>)>(1);
    let (data_tx, data_rx) = sync_channel::<RowItem>(AHEAD);
    let (path, file) = (path.to_path_buf(), name.to_string());
    std::thread::spawn(move || {
        let mut book = match Book::open(&path) {
            Ok(book) => book,
            Err(why) => {
                let _ = head_tx.send(Err(anyhow::anyhow!("{file}: not an .xlsx workbook ({why})")));
                return;
            }
        };
        let head = head_rows(&mut book, search, &*keep).map_err(|b| super::bad_row(&file, b.line, b.column, &b.why));
        let failed = head.is_err();
        if head_tx.send(head).is_err() || failed {
            return;
        }
        // Nothing more when the table reader found no header row (the layout's sender is dropped).
        let Ok((header, columns)) = layout_rx.recv() else { return };
        if let Err(b) = data_rows(&mut book, header, &columns, &data_tx) {
            let _ = data_tx.send(Err((b.line, b.column, b.why)));
        }
    });
    let rows = head_rx.recv().map_err(|_| anyhow::anyhow!("{name}: the workbook's reader stopped"))??;
    Ok(Head { rows, layout: layout_tx, data: data_rx })
}

/// A part that cannot be opened, placed at the sheet's start.
fn unreadable(why: String) -> Broken {
    Broken { line: 1, column: 1, why }
}

/// A cell's text: shared strings from `strings` (which must hold it), numbers as written, or as
/// `YYYY-MM-DDTHH:MM:SS` when their style shows a date.
fn text(value: Value, style: usize, strings: &Strings, formats: &Formats) -> Result<String, String> {
    Ok(match value {
        Value::Shared(i) => strings.get(i).ok_or_else(|| format!("shared string {i} is not in the workbook"))?.to_string(),
        Value::Text(t) => t,
        Value::Number(n) => formats.number(&n, style)?,
        Value::Bool(b) => if b { "1" } else { "0" }.to_string(),
        Value::Empty => String::new(),
    })
}

/// The first `search` rows with values, as records of the texts `keep` accepts. Their shared strings
/// are read in one pass that keeps only those.
fn head_rows(book: &mut Book, search: usize, keep: &dyn Fn(&str) -> bool) -> Result<Vec<(u64, ByteRecord)>, Broken> {
    let mut rows: Vec<(u64, Vec<(usize, Value)>)> = Vec::new();
    let mut wanted = Wanted::default();
    let mut cells = Cells::new(book.archive.part(&book.sheet).map_err(unreadable)?);
    let mut row = Vec::new();
    while rows.len() < search {
        let Some(r) = cells.next_row(&|_, _| true, &mut row)? else { break };
        if !r.has_values {
            continue;
        }
        let mut fields = Vec::with_capacity(row.len());
        for c in row.drain(..) {
            let at = |why| Broken { line: r.number, column: c.column + 1, why };
            match c.value {
                Value::Shared(i) => {
                    wanted.insert(i).map_err(at)?;
                    fields.push((c.column, Value::Shared(i)));
                }
                value => {
                    // Any other text is dropped here, before the next cell is read, unless it may be a header.
                    let t = text(value, c.style, &Strings::default(), &book.formats).map_err(at)?;
                    if keep(&t) {
                        fields.push((c.column, Value::Text(t)));
                    }
                }
            }
        }
        rows.push((r.number, fields));
    }
    drop(cells);
    let strings = shared_strings(book, &wanted, keep)?;
    Ok(rows
        .into_iter()
        .map(|(number, fields)| {
            let mut record = vec![String::new(); fields.iter().map(|(c, _)| c + 1).max().unwrap_or(0)];
            for (c, value) in fields {
                record[c] = match value {
                    Value::Shared(i) => strings.get(i).unwrap_or_default().to_string(),
                    Value::Text(t) => t,
                    _ => String::new(),
                };
            }
            (number, ByteRecord::from(record))
        })
        .collect())
}

/// The shared strings `wanted` names that `keep` accepts (none when the workbook has no such part).
fn shared_strings(book: &mut Book, wanted: &Wanted, keep: &dyn Fn(&str) -> bool) -> Result<Strings, Broken> {
    match book.shared.clone() {
        Some(part) => shared::read(book.archive.part(&part).map_err(unreadable)?, wanted, keep)
            .map_err(|e| unreadable(format!("the shared strings ({part}) cannot be read ({e})"))),
        None => Ok(Strings::default()),
    }
}

/// The rows after `header`, mapped columns only, sent as records as wide as the last mapped column.
fn data_rows(book: &mut Book, header: u64, columns: &[usize], out: &SyncSender<RowItem>) -> Result<(), Broken> {
    let want = |row: u64, column: usize| row > header && columns.contains(&column);
    let mut row = Vec::new();
    // The shared strings the mapped columns use, and only those.
    let mut wanted = Wanted::default();
    if book.shared.is_some() {
        let mut cells = Cells::new(book.archive.part(&book.sheet).map_err(unreadable)?);
        while let Some(r) = cells.next_row(&want, &mut row)? {
            for c in &row {
                if let Value::Shared(i) = c.value {
                    wanted.insert(i).map_err(|why| Broken { line: r.number, column: c.column + 1, why })?;
                }
            }
        }
    }
    let strings = shared_strings(book, &wanted, &|_| true)?;
    let width = columns.iter().max().map_or(0, |m| m + 1);
    let mut cells = Cells::new(book.archive.part(&book.sheet).map_err(unreadable)?);
    while let Some(r) = cells.next_row(&want, &mut row)? {
        if r.number <= header || !r.has_values {
            continue;
        }
        let mut record = vec![String::new(); width];
        for c in row.drain(..) {
            record[c.column] = text(c.value, c.style, &strings, &book.formats).map_err(|why| Broken { line: r.number, column: c.column + 1, why })?;
        }
        if out.send(Ok((r.number, ByteRecord::from(record)))).is_err() {
            return Ok(());
        }
    }
    Ok(())
}
