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

/// The shared strings the mapped `columns` use below the `header` row, and only those: one pass over
/// the sheet notes their indexes, one over the shared strings keeps them.
fn mapped_strings(book: &mut Book, want: &dyn Fn(u64, usize) -> bool) -> Result<Strings, Broken> {
    let mut wanted = Wanted::default();
    if book.shared.is_some() {
        let mut cells = Cells::new(book.archive.part(&book.sheet).map_err(unreadable)?);
        let mut row = Vec::new();
        while let Some(r) = cells.next_row(want, &mut row)? {
            for c in &row {
                if let Value::Shared(i) = c.value {
                    wanted.insert(i).map_err(|why| Broken { line: r.number, column: c.column + 1, why })?;
                }
            }
        }
    }
    shared_strings(book, &wanted, &|_| true)
}

/// The rows after `header`, mapped columns only, sent as records as wide as the last mapped column.
fn data_rows(book: &mut Book, header: u64, columns: &[usize], out: &SyncSender<RowItem>) -> Result<(), Broken> {
    let want = |row: u64, column: usize| row > header && columns.contains(&column);
    let strings = mapped_strings(book, &want)?;
    let width = columns.iter().max().map_or(0, |m| m + 1);
    let mut cells = Cells::new(book.archive.part(&book.sheet).map_err(unreadable)?);
    let mut row = Vec::new();
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

#[cfg(test)]
mod tests {
    use super::*;
    use rust_xlsxwriter::Workbook;

    const PERSONAL: [&str; 4] = ["Nguyễn Văn Bí Mật", "001099123456", "12 Phố Riêng", "0912345678"];
    const HEADERS: [&str; 6] = ["Mã hồ sơ", "Chủ hồ sơ", "Số CMND/CCCD", "Địa chỉ", "Số điện thoại", "Đơn vị"];

    /// A title row, the header row, then 30 dossiers whose personal columns hold shared strings.
    fn workbook(dir: &Path) -> std::path::PathBuf {
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write_string(0, 0, "DANH SÁCH HỒ SƠ").unwrap();
        for (c, h) in HEADERS.iter().enumerate() {
            sheet.write_string(1, c as u16, *h).unwrap();
        }
        for r in 0..30u32 {
            sheet.write_string(r + 2, 0, format!("H-{r}")).unwrap();
            for (c, p) in PERSONAL.iter().enumerate() {
                sheet.write_string(r + 2, c as u16 + 1, format!("{p} {r}")).unwrap();
            }
            sheet.write_string(r + 2, 5, "31-STP").unwrap();
        }
        let path = dir.join("personal.xlsx");
        book.save(&path).unwrap();
        path
    }

    #[test]
    fn the_reader_keeps_only_the_mapped_columns_strings() {
        let dir = tempfile::tempdir().unwrap();
        let mut book = Book::open(&workbook(dir.path())).unwrap();
        assert!(book.shared.is_some(), "the workbook's text is in shared strings");

        // The header search rows (data rows among them) keep header texts only.
        let head = head_rows(&mut book, 20, &|t| t == "Mã hồ sơ" || t == "Đơn vị").unwrap();
        assert_eq!(head.len(), 20);
        let texts: Vec<&[u8]> = head.iter().flat_map(|(_, rec)| rec.iter()).filter(|f| !f.is_empty()).collect();
        assert_eq!(texts, ["Mã hồ sơ".as_bytes(), "Đơn vị".as_bytes()]);

        // The data rows' pass keeps the strings of the mapped columns (code, unit) below the header.
        let header = head.iter().find(|(_, rec)| rec.get(0) == Some("Mã hồ sơ".as_bytes())).unwrap().0;
        assert_eq!(header, 2);
        let kept = mapped_strings(&mut book, &|row, column| row > header && [0, 5].contains(&column)).unwrap();
        let mut kept: Vec<String> = kept.texts().map(str::to_string).collect();
        kept.sort();
        let mut expected: Vec<String> = (0..30).map(|r| format!("H-{r}")).chain(["31-STP".to_string()]).collect();
        expected.sort();
        assert_eq!(kept, expected);

        // And the rows handed on hold those columns only.
        let (tx, rx) = sync_channel(64);
        std::thread::scope(|s| {
            s.spawn(|| data_rows(&mut book, header, &[0, 5], &tx).unwrap());
            let first = rx.recv().unwrap().unwrap();
            assert_eq!(first.0, 3);
            assert_eq!(first.1.iter().collect::<Vec<_>>(), [&b"H-0"[..], b"", b"", b"", b"", b"31-STP"]);
            let rest: Vec<_> = rx.iter().take(29).map(|r| r.unwrap()).collect();
            assert_eq!(rest.len(), 29);
        });
    }
}
