//! A worksheet part read as a stream, a row at a time, handing on only the cells a pass asks for:
//! the others are passed over in the XML reader's buffer, their text never made a value.

use super::shared::{plain_text, rich_text};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use std::borrow::Cow;
use std::io::BufRead;

/// The widest sheet Excel writes (column XFD).
const MAX_COLUMNS: usize = 16_384;

/// What a cell holds, as the sheet writes it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// An index into the shared strings (`t="s"`).
    Shared(u32),
    /// Text written in the cell: an inline string (`t="inlineStr"`), a formula's text (`t="str"`) or an
    /// ISO date (`t="d"`).
    Text(String),
    /// A number as written (`t="n"` or none), with the cell's style, which tells whether it is a date.
    Number(String),
    Bool(bool),
    /// No value, or an error value (`t="e"`).
    Empty,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// From 0.
    pub column: usize,
    pub style: usize,
    pub value: Value,
}

/// Where a sheet stops making sense: its row number, the column (from 1) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    pub line: u64,
    pub column: usize,
    pub why: String,
}

/// A row read: its number, and whether any of its cells (asked for or not) holds something.
pub struct Row {
    pub number: u64,
    pub has_values: bool,
}

pub struct Cells<R> {
    xml: Reader<R>,
    buf: Vec<u8>,
    inner: Vec<u8>,
    /// The last row's number: a row without `r` follows it.
    row: u64,
    column: usize,
    /// The cells' tag as written (`c`, or `x:c` with a prefix), to skip a cell up to its end tag.
    cell_tag: String,
}

/// A column's index from a cell reference's letters (`B7` is 1).
fn column_of(reference: &str) -> Option<usize> {
    let letters = reference.bytes().take_while(|b| b.is_ascii_alphabetic());
    let mut n = 0usize;
    let mut any = false;
    for b in letters {
        n = n * 26 + (b.to_ascii_uppercase() - b'A' + 1) as usize;
        any = true;
        if n > MAX_COLUMNS {
            return None;
        }
    }
    any.then(|| n - 1)
}

/// An attribute as written: these (`r`, `t`, `s`) hold no entities.
fn raw<'e>(e: &'e BytesStart<'_>, local: &str) -> Option<Cow<'e, str>> {
    e.attributes().flatten().find(|a| a.key.local_name().as_ref() == local).map(|a| a.value)
}

impl<R: BufRead> Cells<R> {
    pub fn new(input: R) -> Cells<R> {
        Cells { xml: Reader::from_reader(input), buf: Vec::new(), inner: Vec::new(), row: 0, column: 0, cell_tag: "c".into() }
    }

    fn broken(&self, why: impl Into<String>) -> Broken {
        Broken { line: self.row.max(1), column: self.column + 1, why: why.into() }
    }

    fn xml_error(&self, e: impl std::fmt::Display) -> Broken {
        self.broken(format!("the sheet cannot be read ({e})"))
    }

    /// The next row, with the cells `want(row, column)` asks for put in `cells`; None after the last.
    pub fn next_row(&mut self, want: &dyn Fn(u64, usize) -> bool, cells: &mut Vec<Cell>) -> Result<Option<Row>, Broken> {
        cells.clear();
        loop {
            self.buf.clear();
            let event = self.xml.read_event_into(&mut self.buf);
            let (start, empty) = match event {
                Ok(Event::Start(e)) if e.local_name().as_ref() == "row" => (Some(row_number(&e)), false),
                Ok(Event::Empty(e)) if e.local_name().as_ref() == "row" => (Some(row_number(&e)), true),
                Ok(Event::End(e)) if e.local_name().as_ref() == "sheetData" => return Ok(None),
                Ok(Event::Eof) => return Ok(None),
                Ok(_) => (None, false),
                Err(e) => return Err(self.xml_error(e)),
            };
            let Some(number) = start else { continue };
            self.row = match number {
                None => self.row + 1,
                Some(Some(n)) if n > self.row => n,
                Some(_) => return Err(Broken { line: self.row + 1, column: 1, why: "a row number is not after the previous row's".into() }),
            };
            self.column = 0;
            if empty {
                return Ok(Some(Row { number: self.row, has_values: false }));
            }
            let has_values = self.cells(want, cells)?;
            return Ok(Some(Row { number: self.row, has_values }));
        }
    }

    /// The cells of the current row, up to its end tag.
    fn cells(&mut self, want: &dyn Fn(u64, usize) -> bool, cells: &mut Vec<Cell>) -> Result<bool, Broken> {
        let mut has_values = false;
        let mut previous: Option<usize> = None;
        loop {
            self.buf.clear();
            let (column, kind, style, empty) = match self.xml.read_event_into(&mut self.buf) {
                Ok(Event::Start(e)) if e.local_name().as_ref() == "c" => {
                    if e.name().as_ref() != self.cell_tag {
                        self.cell_tag = e.name().as_ref().to_string();
                    }
                    cell_start(&e, previous).map(|(c, k, s)| (c, k, s, false))
                }
                Ok(Event::Empty(e)) if e.local_name().as_ref() == "c" => cell_start(&e, previous).map(|(c, k, s)| (c, k, s, true)),
                Ok(Event::End(e)) if e.local_name().as_ref() == "row" => return Ok(has_values),
                Ok(Event::Eof) => return Err(self.broken("the sheet ends inside a row")),
                Ok(_) => continue,
                Err(e) => return Err(self.xml_error(e)),
            }
            .map_err(|why| Broken { line: self.row, column: previous.map_or(1, |p| p + 2), why })?;
            self.column = column;
            previous = Some(column);
            if empty {
                continue;
            }
            has_values = true;
            if !want(self.row, column) {
                self.inner.clear();
                self.xml.read_to_end_into(quick_xml::name::QName(&self.cell_tag), &mut self.inner).map_err(|e| self.xml_error(e))?;
                continue;
            }
            let value = self.value(&kind)?;
            cells.push(Cell { column, style, value });
        }
    }

    /// A wanted cell's value, read up to its end tag.
    fn value(&mut self, kind: &str) -> Result<Value, Broken> {
        let mut written: Option<String> = None;
        let mut inline: Option<String> = None;
        loop {
            self.buf.clear();
            let event = match self.xml.read_event_into(&mut self.buf) {
                Ok(event) => event,
                Err(e) => return Err(self.xml_error(e)),
            };
            match event {
                Event::Start(e) if e.local_name().as_ref() == "v" => {
                    written = Some(plain_text(&mut self.xml, &mut self.inner, "v").map_err(|e| self.xml_error(e))?);
                }
                Event::Start(e) if e.local_name().as_ref() == "is" => {
                    inline = Some(rich_text(&mut self.xml, &mut self.inner, "is").map_err(|e| self.xml_error(e))?);
                }
                Event::Start(e) => {
                    // A formula (`f`) or an extension: not the value.
                    let name = e.name().as_ref().to_string();
                    self.inner.clear();
                    self.xml.read_to_end_into(quick_xml::name::QName(&name), &mut self.inner).map_err(|e| self.xml_error(e))?;
                }
                Event::End(e) if e.local_name().as_ref() == "c" => break,
                Event::Eof => return Err(self.broken("the sheet ends inside a cell")),
                _ => {}
            }
        }
        let value = match (kind, written) {
            ("inlineStr", _) => Value::Text(inline.unwrap_or_default()),
            (_, None) => Value::Empty,
            ("s", Some(v)) => Value::Shared(v.trim().parse().map_err(|_| self.broken("a shared-string cell without a string index"))?),
            ("str" | "d", Some(v)) => Value::Text(v),
            ("b", Some(v)) => Value::Bool(v.trim() == "1" || v.trim() == "true"),
            ("e", Some(_)) => Value::Empty,
            ("n" | "", Some(v)) => Value::Number(v),
            (other, Some(_)) => return Err(self.broken(format!("a cell of an unknown type {:?}", other.chars().take(12).collect::<String>()))),
        };
        Ok(value)
    }
}

/// A row's `r`: None when it has none, Some(None) when it is not a row number.
fn row_number(e: &BytesStart<'_>) -> Option<Option<u64>> {
    raw(e, "r").map(|r| r.trim().parse().ok().filter(|n| *n >= 1))
}

/// A cell's column (its `r`, or the one after the previous cell's), type and style.
fn cell_start(e: &BytesStart<'_>, previous: Option<usize>) -> Result<(usize, String, usize), String> {
    let column = match raw(e, "r") {
        Some(r) => column_of(&r).ok_or("a cell reference is not a column and row")?,
        None => previous.map_or(0, |p| p + 1),
    };
    if column >= MAX_COLUMNS || previous.is_some_and(|p| column <= p) {
        return Err("a cell is not after the previous cell of its row".into());
    }
    let kind = raw(e, "t").map_or_else(String::new, |t| t.into_owned());
    let style = match raw(e, "s") {
        Some(s) => s.trim().parse().map_err(|_| "a cell style is not a number")?,
        None => 0,
    };
    Ok((column, kind, style))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(xml: &str, want: &dyn Fn(u64, usize) -> bool) -> Result<Vec<(u64, bool, Vec<Cell>)>, Broken> {
        let mut cells = Cells::new(xml.as_bytes());
        let mut out = Vec::new();
        let mut row = Vec::new();
        while let Some(r) = cells.next_row(want, &mut row)? {
            out.push((r.number, r.has_values, row.clone()));
        }
        Ok(out)
    }

    fn cell(column: usize, style: usize, value: Value) -> Cell {
        Cell { column, style, value }
    }

    #[test]
    fn every_kind_of_cell_and_positions_without_references() {
        let xml = r#"<worksheet><sheetData>
<row r="2"><c r="A2" t="s"><v>3</v></c><c r="C2" t="inlineStr"><is><r><t>X31</t></r><r><t xml:space="preserve">-1 </t></r></is></c><c t="str"><f>A1</f><v>a&amp;b</v></c></row>
<row><c t="b"><v>1</v></c><c s="2"><v>45719.5</v></c><c t="e"><v>#N/A</v></c><c s="1"/></row>
<row r="7"/>
</sheetData></worksheet>"#;
        let rows = read(xml, &|_, _| true).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].0, 2);
        assert_eq!(rows[0].2, [cell(0, 0, Value::Shared(3)), cell(2, 0, Value::Text("X31-1 ".into())), cell(3, 0, Value::Text("a&b".into()))]);
        assert_eq!((rows[1].0, rows[1].1), (3, true));
        assert_eq!(rows[1].2, [cell(0, 0, Value::Bool(true)), cell(1, 2, Value::Number("45719.5".into())), cell(2, 0, Value::Empty)]);
        assert_eq!((rows[2].0, rows[2].1, rows[2].2.len()), (7, false, 0));
    }

    #[test]
    fn cells_not_asked_for_are_passed_over() {
        let xml = r#"<x:worksheet xmlns:x="urn:x"><x:sheetData><x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>secret</x:t></x:is></x:c><x:c r="AB1"><x:v>5</x:v></x:c></x:row>
<x:row r="2"><x:c r="A2" t="inlineStr"><x:is><x:t>secret</x:t></x:is></x:c></x:row></x:sheetData></x:worksheet>"#;
        let rows = read(xml, &|_, c| c == 27).unwrap();
        assert_eq!(rows[0].2, [cell(27, 0, Value::Number("5".into()))]);
        assert!(rows[1].1 && rows[1].2.is_empty(), "a row with values only elsewhere still counts as a row");
    }

    #[test]
    fn a_broken_sheet_is_placed() {
        let err = read("<worksheet><sheetData><row r=\"4\"><c r=\"B4\"><v>1</v></c><c r=\"C4\" t=\"s\"><v>x</v></c></row></sheetData></worksheet>", &|_, _| true).unwrap_err();
        assert_eq!((err.line, err.column), (4, 3), "{err:?}");
        let err = read("<worksheet><sheetData><row r=\"4\"/><row r=\"3\"/></sheetData></worksheet>", &|_, _| true).unwrap_err();
        assert_eq!(err.line, 5, "{err:?}");
        let err = read("<worksheet><sheetData><row r=\"1\"><c r=\"B1\"/><c r=\"A1\"/></row></sheetData></worksheet>", &|_, _| true).unwrap_err();
        assert_eq!((err.line, err.column), (1, 3), "{err:?}");
        let err = read("<worksheet><sheetData><row r=\"2\"><c r=\"A2\"><v>1</v></c>", &|_, _| true).unwrap_err();
        assert_eq!(err.line, 2, "{err:?}");
    }
}
