//! Dossier lists as one-door systems export them: one row per dossier, Vietnamese headers (matched
//! without regard to case, tone marks or spacing), or any layout through a mapping file.
//!
//! Only the mapped columns are read: a record is kept as bytes and the other fields (the applicant's
//! name, ID number, address, phone) are skipped by their index, never decoded into values.
//!
//! A row gives the intake (`received`, with channel, due date and payment) and, when it has a return
//! time, the return (`returned`, with how the result was delivered). Their ids are
//! `imp/{dossier}/received` and `imp/{dossier}/returned`: the same row imported again is a duplicate;
//! a row of the same dossier with other content is a conflict, refused and counted in the summary.

use super::{bad_row, Sink, BATCH_EVENTS};
use crate::domain::event::{Channel, Payment, MAX_DOSSIER_CHARS};
use crate::domain::sender;
use crate::ingest::national_sync::time;
use crate::ingest::{self, body};
use crate::registry::Registry;
use crate::report::vietnamese::fold;
use crate::store::TokenRecord;
use anyhow::{bail, Context};
use csv::ByteRecord;
use serde_json::{json, Value};
use std::path::Path;

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Code,
    Procedure,
    Unit,
    ReceivedAt,
    Channel,
    Due,
    ReturnedAt,
    Delivery,
    Payment,
}

/// Each field: its name in a mapping file, whether a file must have it, and the headers exports write
/// (folded: lower case, no tone marks, đ as d).
const FIELDS: [(Field, &str, bool, &[&str]); 9] = [
    (Field::Code, "code", true, &["ma ho so", "so ho so", "ma hs"]),
    (Field::Procedure, "procedure", true, &["ma thu tuc", "ma tthc", "ma thu tuc hanh chinh"]),
    (Field::Unit, "unit", true, &["don vi", "ma don vi", "don vi xu ly", "ma don vi xu ly"]),
    (Field::ReceivedAt, "received_at", true, &["ngay tiep nhan", "thoi gian tiep nhan"]),
    (Field::Channel, "channel", true, &["kenh nop", "hinh thuc nop", "kenh nop ho so", "hinh thuc nop ho so"]),
    (Field::Due, "due", false, &["ngay hen tra", "ngay hen tra ket qua"]),
    (Field::ReturnedAt, "returned_at", false, &["ngay tra ket qua", "ngay tra", "thoi gian tra ket qua"]),
    (Field::Delivery, "delivery", false, &["hinh thuc tra ket qua", "hinh thuc nhan ket qua"]),
    (Field::Payment, "payment", false, &["thanh toan truc tuyen", "hinh thuc thanh toan"]),
];

fn entry(field: Field) -> &'static (Field, &'static str, bool, &'static [&'static str]) {
    FIELDS.iter().find(|f| f.0 == field).expect("every field is listed")
}

/// The header each field is known by in messages: its first Vietnamese header, or the mapped one.
fn label(field: Field) -> &'static str {
    match field {
        Field::Code => "Mã hồ sơ",
        Field::Procedure => "Mã thủ tục",
        Field::Unit => "Đơn vị",
        Field::ReceivedAt => "Ngày tiếp nhận",
        Field::Channel => "Kênh nộp",
        Field::Due => "Ngày hẹn trả",
        Field::ReturnedAt => "Ngày trả kết quả",
        Field::Delivery => "Hình thức trả kết quả",
        Field::Payment => "Thanh toán trực tuyến",
    }
}

/// Headers of another layout: a CSV `field,header` (with that header row), `field` one of `code`,
/// `procedure`, `unit`, `received_at`, `channel`, `due`, `returned_at`, `delivery`, `payment`. A
/// mapped field is found by its mapped header only; the others by the usual headers.
#[derive(Debug, Default, Clone)]
pub struct Mapping {
    headers: Vec<(Field, String)>,
}

impl Mapping {
    pub fn load(path: &Path) -> anyhow::Result<Mapping> {
        let name = path.display().to_string();
        let file = std::fs::File::open(path).with_context(|| format!("cannot open {name}"))?;
        Mapping::read(&name, file)
    }

    pub fn read(name: &str, input: impl std::io::Read) -> anyhow::Result<Mapping> {
        let mut reader = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(input);
        let head = reader.headers().with_context(|| format!("{name}: not CSV"))?.clone();
        let head: Vec<String> = head.iter().map(|h| h.trim_start_matches('\u{feff}').to_string()).collect();
        if head != ["field", "header"] {
            bail!("{name}: line 1: the header must be `field,header`");
        }
        let mut headers = Vec::new();
        for (n, rec) in reader.records().enumerate() {
            let line = n as u64 + 2;
            let rec = rec.map_err(|e| anyhow::anyhow!("{name}: line {line}: not CSV ({e})"))?;
            let (Some(f), Some(h), 2) = (rec.get(0), rec.get(1), rec.len()) else {
                bail!("{name}: line {line}: a row is `field,header`");
            };
            let Some(&(field, ..)) = FIELDS.iter().find(|e| e.1 == f) else {
                let known: Vec<&str> = FIELDS.iter().map(|e| e.1).collect();
                return Err(bad_row(name, line, 1, &format!("unknown field {f:?}: one of {}", known.join(", "))));
            };
            if fold(h).is_empty() {
                return Err(bad_row(name, line, 2, "the header is empty"));
            }
            if headers.iter().any(|(g, _)| *g == field) {
                return Err(bad_row(name, line, 1, &format!("{f} is mapped twice")));
            }
            headers.push((field, fold(h)));
        }
        Ok(Mapping { headers })
    }

    fn matches(&self, field: Field, folded: &str) -> bool {
        match self.headers.iter().find(|(f, _)| *f == field) {
            Some((_, h)) => h == folded,
            None => entry(field).3.contains(&folded),
        }
    }

    /// Whether a text is a header of some field (the sheet reader keeps no other text of the rows
    /// the header is searched in).
    fn is_header(&self, text: &str) -> bool {
        let folded = fold(text.trim_start_matches('\u{feff}'));
        FIELDS.iter().any(|(field, ..)| self.matches(*field, &folded))
    }

    fn header_of(&self, field: Field) -> String {
        self.headers.iter().find(|(f, _)| *f == field).map_or_else(|| label(field).to_string(), |(_, h)| h.clone())
    }
}

/// Where each field is in a file, found in its header row.
struct Layout {
    columns: [Option<usize>; 9],
}

impl Layout {
    fn at(&self, field: Field) -> Option<usize> {
        self.columns[field as usize]
    }
}

/// Rows before the header that are passed over (the title lines exports put above the table).
const HEADER_SEARCH_ROWS: usize = 20;

/// `;` or a tab when the first line has more of them than commas.
fn delimiter(path: &Path) -> anyhow::Result<u8> {
    use std::io::{BufRead, Read};
    let mut first = Vec::new();
    let file = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    std::io::BufReader::new(file).take(64 * 1024).read_until(b'\n', &mut first)?;
    let count = |c: u8| first.iter().filter(|b| **b == c).count();
    Ok([b',', b';', b'\t'].into_iter().max_by_key(|c| (count(*c), *c == b',')).unwrap_or(b','))
}

/// A file's record with its line (for a sheet, its row number), or the line and column (from 1) where
/// the file stops being records, and why.
pub(crate) type RowItem = Result<(u64, ByteRecord), (u64, usize, String)>;

/// A file's records, in order.
pub(crate) type Rows = Box<dyn Iterator<Item = RowItem> + Send>;

fn is_xlsx(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| e.eq_ignore_ascii_case("xlsx"))
}

fn csv_rows(path: &Path) -> anyhow::Result<Rows> {
    let file = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter(path)?).from_reader(std::io::BufReader::new(file));
    let mut done = false;
    Ok(Box::new(std::iter::from_fn(move || {
        if done {
            return None;
        }
        let line = reader.position().line();
        let mut rec = ByteRecord::new();
        match reader.read_byte_record(&mut rec) {
            Ok(true) => Some(Ok((rec.position().map_or(line, |p| p.line()), rec))),
            Ok(false) => None,
            Err(_) => {
                done = true;
                Some(Err((line, 1, "not a CSV record (an unclosed quote?)".to_string())))
            }
        }
    })))
}

/// Opens the file and reads up to its header row; the rows are left at the first data row, and for a
/// workbook hold the mapped columns only.
fn open(path: &Path, name: &str, mapping: &Mapping) -> anyhow::Result<(Rows, Layout)> {
    if is_xlsx(path) {
        // The sheet's header search rows keep only the texts that may be headers: the values of the
        // data rows among them (a name, a phone) are dropped as they are read.
        let known = mapping.clone();
        let mut head = super::sheet::open(path, name, HEADER_SEARCH_ROWS, Box::new(move |text| known.is_header(text)))?;
        let (header, layout) = header_row(&mut std::mem::take(&mut head.rows).into_iter().map(Ok), name, mapping)?;
        let columns = layout.columns.iter().flatten().copied().collect();
        Ok((head.start(header, columns), layout))
    } else {
        let mut rows = csv_rows(path)?;
        let (_, layout) = header_row(&mut rows, name, mapping)?;
        Ok((rows, layout))
    }
}

/// The header row among the first `HEADER_SEARCH_ROWS` rows: its line, and where each field is.
fn header_row(rows: &mut dyn Iterator<Item = RowItem>, name: &str, mapping: &Mapping) -> anyhow::Result<(u64, Layout)> {
    for _ in 0..HEADER_SEARCH_ROWS {
        let (line, rec) = match rows.next() {
            None => break,
            Some(Ok(row)) => row,
            Some(Err((line, column, why))) => return Err(bad_row(name, line, column, &why)),
        };
        let mut columns = [None; 9];
        for (i, raw) in rec.iter().enumerate() {
            let text = String::from_utf8_lossy(raw);
            let folded = fold(text.trim_start_matches('\u{feff}'));
            for &(field, ..) in &FIELDS {
                if columns[field as usize].is_none() && mapping.matches(field, &folded) {
                    columns[field as usize] = Some(i);
                }
            }
        }
        if FIELDS.iter().all(|(f, _, required, _)| !required || columns[*f as usize].is_some()) {
            return Ok((line, Layout { columns }));
        }
    }
    let wanted: Vec<String> = FIELDS.iter().filter(|f| f.2).map(|f| mapping.header_of(f.0)).collect();
    bail!("{name}: no header row with the columns {} in its first {HEADER_SEARCH_ROWS} rows", wanted.join(", "))
}

/// A row read: the events it gives, in the native contract's shape, with the column each event's
/// time came from.
struct Row {
    events: Vec<(Value, Field)>,
}

/// A row's bad field: its column (from 1) and why, quoting no value.
type Bad = (usize, String);

fn cell<'r>(rec: &'r ByteRecord, layout: &Layout, field: Field) -> Result<Option<&'r str>, Bad> {
    let Some(i) = layout.at(field) else { return Ok(None) };
    let bytes = rec.get(i).unwrap_or(b"");
    let text = std::str::from_utf8(bytes).map_err(|_| (i + 1, format!("{} is not UTF-8", label(field))))?;
    let text = text.trim();
    Ok((!text.is_empty()).then_some(text))
}

fn column(layout: &Layout, field: Field) -> usize {
    layout.at(field).map_or(1, |i| i + 1)
}

fn required<'r>(rec: &'r ByteRecord, layout: &Layout, field: Field) -> Result<&'r str, Bad> {
    cell(rec, layout, field)?.ok_or_else(|| (column(layout, field), format!("{} is empty", label(field))))
}

fn when(rec: &ByteRecord, layout: &Layout, field: Field) -> Result<Option<i64>, Bad> {
    cell(rec, layout, field)?
        .map(|t| {
            time::parse(t).ok_or_else(|| {
                (column(layout, field), format!("{} is not a time (dd/MM/yyyy HH:mm[:ss], dd/MM/yyyy, yyyyMMddHHmmss or RFC 3339)", label(field)))
            })
        })
        .transpose()
}

/// Channels as exports write them: Trực tiếp, Trực tuyến, Bưu chính công ích (or 1, 2, 3, or the contract's names).
fn channel(text: &str) -> Option<Channel> {
    let f = fold(text);
    match f.as_str() {
        "1" | "truc tiep" | "tai quay" | "tai bo phan mot cua" | "in person" | "in_person" => Some(Channel::InPerson),
        "2" | "truc tuyen" | "qua mang" | "online" | "dich vu cong truc tuyen" => Some(Channel::Online),
        "3" | "buu chinh" | "buu chinh cong ich" | "qua buu chinh" | "qua buu chinh cong ich" | "postal" => Some(Channel::Postal),
        _ if f.starts_with("truc tuyen") => Some(Channel::Online),
        _ if f.contains("buu chinh") => Some(Channel::Postal),
        _ => None,
    }
}

fn payment(text: &str) -> Option<Payment> {
    match fold(text).as_str() {
        "co" | "x" | "1" | "true" | "yes" | "truc tuyen" | "online" | "da thanh toan truc tuyen" => Some(Payment::Online),
        "khong" | "0" | "false" | "no" | "truc tiep" | "tien mat" | "offline" => Some(Payment::Offline),
        _ => None,
    }
}

/// A dossier code as exports write it: 1 to 64 letters, digits and `.-_/` (free text is refused, not kept).
fn dossier_code(text: &str) -> bool {
    text.chars().count() <= MAX_DOSSIER_CHARS && text.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/'))
}

fn row(rec: &ByteRecord, layout: &Layout, registry: &Registry, source: &str) -> Result<Row, Bad> {
    let code = required(rec, layout, Field::Code)?;
    if !dossier_code(code) {
        return Err((column(layout, Field::Code), format!("{} must be 1 to {MAX_DOSSIER_CHARS} letters, digits, '.', '-', '_' or '/'", label(Field::Code))));
    }
    let procedure = required(rec, layout, Field::Procedure)?;
    if !sender::is_code(procedure) {
        return Err((column(layout, Field::Procedure), format!("{} must be a procedure code", label(Field::Procedure))));
    }
    let sent_unit = required(rec, layout, Field::Unit)?;
    if !sender::is_code(sent_unit) {
        return Err((column(layout, Field::Unit), format!("{} must be a unit code", label(Field::Unit))));
    }
    let unit = registry.sender_codes.resolve(source, sent_unit, &registry.units).ok_or_else(|| {
        (
            column(layout, Field::Unit),
            format!("{} {sent_unit:?} is not mapped to a unit of the registry: add it with `dvc-monitor sender-codes import`", label(Field::Unit)),
        )
    })?;
    let received = when(rec, layout, Field::ReceivedAt)?.ok_or_else(|| (column(layout, Field::ReceivedAt), format!("{} is empty", label(Field::ReceivedAt))))?;
    let ch = channel(required(rec, layout, Field::Channel)?)
        .ok_or_else(|| (column(layout, Field::Channel), format!("{} must be Trực tiếp, Trực tuyến or Bưu chính công ích (or 1, 2, 3)", label(Field::Channel))))?;
    let due = when(rec, layout, Field::Due)?;
    let paid = cell(rec, layout, Field::Payment)?
        .map(|t| payment(t).ok_or_else(|| (column(layout, Field::Payment), format!("{} must be Có or Không (or 1, 0)", label(Field::Payment)))))
        .transpose()?;
    let returned = when(rec, layout, Field::ReturnedAt)?;

    let base = json!({"dossier": code, "unit": unit, "procedure": procedure});
    let mut intake = base.clone();
    intake["id"] = format!("imp/{code}/received").into();
    intake["status"] = "received".into();
    intake["at"] = time::rfc3339(received).into();
    intake["channel"] = ch.as_str().into();
    if let Some(d) = due {
        intake["due"] = time::rfc3339(d).into();
    }
    if let Some(p) = paid {
        intake["payment"] = p.as_str().into();
    }
    let mut events = vec![(intake, Field::ReceivedAt)];
    if let Some(at) = returned {
        let delivery = channel(required(rec, layout, Field::Delivery).map_err(|(c, _)| {
            (c, format!("{} is empty (required when {} is given)", label(Field::Delivery), label(Field::ReturnedAt)))
        })?)
        .ok_or_else(|| (column(layout, Field::Delivery), format!("{} must be Trực tiếp, Trực tuyến or Bưu chính công ích (or 1, 2, 3)", label(Field::Delivery))))?;
        let mut ret = base;
        ret["id"] = format!("imp/{code}/returned").into();
        ret["status"] = "returned".into();
        ret["at"] = time::rfc3339(at).into();
        ret["result_delivery"] = delivery.as_str().into();
        events.push((ret, Field::ReturnedAt));
    }
    Ok(Row { events })
}

/// The column a validation reason is about, by the contract field it names.
fn column_of(reason: &str, time_field: Field, layout: &Layout) -> usize {
    let field = if reason.starts_with("unknown unit") || reason.contains("outside the scope") {
        Field::Unit
    } else if reason.starts_with("unknown procedure") || reason.starts_with("procedure") {
        Field::Procedure
    } else if reason.starts_with("due") {
        Field::Due
    } else if reason.starts_with("payment") {
        Field::Payment
    } else if reason.starts_with("channel") {
        Field::Channel
    } else if reason.starts_with("result_delivery") {
        Field::Delivery
    } else if reason.starts_with("dossier") || reason.starts_with("id") {
        Field::Code
    } else {
        time_field
    };
    column(layout, field)
}

/// Events waiting for validation or storing, with the line of the row each came from.
#[derive(Default)]
struct Batch {
    items: Vec<body::Item>,
    origin: Vec<(u64, Field)>,
}

impl Batch {
    fn push(&mut self, line: u64, row: Row) {
        for (event, field) in row.events {
            self.items.push(Ok(event));
            self.origin.push((line, field));
        }
    }

    /// The first event validation refuses, as the row's error.
    fn check(&mut self, name: &str, layout: &Layout, registry: &Registry, token: &TokenRecord, now_ms: i64) -> anyhow::Result<()> {
        let items = std::mem::take(&mut self.items);
        let origin = std::mem::take(&mut self.origin);
        match ingest::check(registry, token, items, now_ms).rejected().first() {
            Some(r) => {
                let (line, field) = origin[r.index];
                Err(bad_row(name, line, column_of(&r.error, field, layout), &r.error))
            }
            None => Ok(()),
        }
    }
}

/// First pass: every row read and its events validated; the number of rows, or the first bad row as
/// `FILE: line L, column C: reason`.
pub fn validate(path: &Path, mapping: &Mapping, registry: &Registry, token: &TokenRecord, now_ms: i64) -> anyhow::Result<u64> {
    let name = path.display().to_string();
    let (rows, layout) = open(path, &name, mapping)?;
    let mut batch = Batch::default();
    let mut count = 0;
    for item in rows {
        let bad = match item {
            Ok((line, rec)) => match row(&rec, &layout, registry, &token.source) {
                Ok(r) => {
                    batch.push(line, r);
                    None
                }
                Err((column, why)) => Some((line, column, why)),
            },
            Err((line, column, why)) => Some((line, column, why)),
        };
        if let Some((line, column, why)) = bad {
            // An earlier row's refusal comes first.
            batch.check(&name, &layout, registry, token, now_ms)?;
            return Err(bad_row(&name, line, column, &why));
        }
        count += 1;
        if batch.items.len() >= BATCH_EVENTS {
            batch.check(&name, &layout, registry, token, now_ms)?;
        }
    }
    batch.check(&name, &layout, registry, token, now_ms)?;
    Ok(count)
}

/// Second pass: the rows read again and stored, `BATCH_EVENTS` events a transaction.
pub async fn store(path: &Path, mapping: &Mapping, sink: &mut Sink<'_>) -> anyhow::Result<()> {
    let name = path.display().to_string();
    let (mut rows, layout) = open(path, &name, mapping)?;
    let mut batch = Batch::default();
    let mut rows_in_batch = 0u64;
    loop {
        let item = rows.next();
        let end = item.is_none();
        if let Some(item) = item {
            let changed = |line: u64, c: usize, why: String| anyhow::anyhow!("{name}: changed since it was validated: line {line}, column {c}: {why}");
            let (line, rec) = item.map_err(|(line, c, why)| changed(line, c, why))?;
            let r = row(&rec, &layout, sink.registry, &sink.token.source).map_err(|(c, why)| changed(line, c, why))?;
            batch.push(line, r);
            rows_in_batch += 1;
        }
        if batch.items.len() >= BATCH_EVENTS || end {
            batch.origin.clear();
            sink.store(std::mem::take(&mut batch.items), rows_in_batch).await?;
            rows_in_batch = 0;
        }
        if end {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_match_whatever_their_case_or_tone_marks() {
        let m = Mapping::default();
        for h in ["Mã hồ sơ", "MÃ HỒ SƠ", "ma ho so", "  Mã  hồ sơ "] {
            assert!(m.matches(Field::Code, &fold(h)), "{h}");
        }
        assert!(m.matches(Field::Procedure, &fold("Mã TTHC")));
        assert!(m.matches(Field::Channel, &fold("Hình thức nộp")));
        assert!(!m.matches(Field::Code, &fold("Chủ hồ sơ")));
        let mapped = Mapping::read("m.csv", "field,header\ncode,Số biên nhận\n".as_bytes()).unwrap();
        assert!(mapped.matches(Field::Code, &fold("SO BIEN NHAN")));
        assert!(!mapped.matches(Field::Code, &fold("Mã hồ sơ")), "a mapped field is found by its mapped header only");
        let err = Mapping::read("m.csv", "field,header\ncodes,X\n".as_bytes()).unwrap_err().to_string();
        assert!(err.starts_with("m.csv: line 2, column 1: unknown field \"codes\""), "{err}");
    }

    #[test]
    fn channels_and_payments_as_exports_write_them() {
        assert_eq!(channel("Trực tuyến"), Some(Channel::Online));
        assert_eq!(channel("TRỰC TIẾP"), Some(Channel::InPerson));
        assert_eq!(channel("Bưu chính công ích"), Some(Channel::Postal));
        assert_eq!(channel("3"), Some(Channel::Postal));
        assert_eq!(channel("Nguyễn Văn A"), None);
        assert_eq!(payment("Có"), Some(Payment::Online));
        assert_eq!(payment("không"), Some(Payment::Offline));
        assert_eq!(payment("maybe"), None);
    }
}
