//! The parts of an .xlsx workbook a dossier list needs, found as Excel finds them: the first sheet
//! through xl/workbook.xml and its relationships, the shared strings (a workbook may have none), the
//! cell styles that mark dates, and the date system. Only these small parts are read whole.

use super::dates::{self, Formats};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;
use zip::ZipArchive;

/// A workbook opened, its parts located.
pub struct Book {
    pub archive: Archive,
    /// The first sheet's part, e.g. `xl/worksheets/sheet1.xml`.
    pub sheet: String,
    /// The shared strings' part, when the workbook has one.
    pub shared: Option<String>,
    pub formats: Formats,
}

/// The zip archive an .xlsx is, read a part at a time.
pub struct Archive(ZipArchive<BufReader<File>>);

/// An attribute's value by local name (`r:id` is `id`), its entities resolved.
pub fn attr(e: &BytesStart<'_>, local: &str) -> Option<String> {
    e.attributes().flatten().find(|a| a.key.local_name().as_ref() == local).and_then(|a| a.normalized_value(quick_xml::XmlVersion::Implicit1_0).ok()).map(|v| v.into_owned())
}

/// A part's path in the archive from a relationship's target: absolute (`/xl/...`) or relative to xl/.
fn resolve(target: &str) -> String {
    let joined = match target.strip_prefix('/') {
        Some(absolute) => absolute.to_string(),
        None => format!("xl/{target}"),
    };
    let mut parts: Vec<&str> = Vec::new();
    for p in joined.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

/// Each start or empty element of a small part, in order.
fn elements(input: impl BufRead, mut each: impl FnMut(&BytesStart<'_>)) -> Result<(), String> {
    let mut xml = Reader::from_reader(input);
    let mut buf = Vec::new();
    loop {
        match xml.read_event_into(&mut buf) {
            Ok(Event::Start(e) | Event::Empty(e)) => each(&e),
            Ok(Event::Eof) => return Ok(()),
            Ok(_) => {}
            Err(e) => return Err(e.to_string()),
        }
        buf.clear();
    }
}

impl Book {
    pub fn open(path: &Path) -> Result<Book, String> {
        let file = File::open(path).map_err(|e| e.to_string())?;
        let zip = ZipArchive::new(BufReader::new(file)).map_err(|e| format!("not a zip archive: {e}"))?;
        let mut archive = Archive(zip);

        let (mut first_sheet, mut date1904) = (None, false);
        archive.read("xl/workbook.xml", |e| match e.local_name().as_ref() {
            "workbookPr" => date1904 = attr(e, "date1904").is_some_and(|v| v == "1" || v == "true"),
            "sheet" if first_sheet.is_none() => first_sheet = attr(e, "id"),
            _ => {}
        })?;
        let first_sheet = first_sheet.ok_or("the workbook has no sheet")?;

        let (mut sheet, mut shared, mut styles) = (None, None, None);
        archive.read("xl/_rels/workbook.xml.rels", |e| {
            if e.local_name().as_ref() != "Relationship" || attr(e, "TargetMode").is_some_and(|m| m == "External") {
                return;
            }
            let (Some(id), Some(kind), Some(target)) = (attr(e, "Id"), attr(e, "Type"), attr(e, "Target")) else { return };
            if id == first_sheet {
                sheet = Some(resolve(&target));
            } else if kind.ends_with("/sharedStrings") {
                shared = Some(resolve(&target));
            } else if kind.ends_with("/styles") {
                styles = Some(resolve(&target));
            }
        })?;
        let sheet = sheet.ok_or("the first sheet's part is not in the workbook's relationships")?;
        let shared = shared.or_else(|| archive.name_of("xl/sharedStrings.xml"));
        let date_styles = match styles.or_else(|| archive.name_of("xl/styles.xml")) {
            Some(styles) => archive.date_styles(&styles)?,
            None => Vec::new(),
        };
        Ok(Book { archive, sheet, shared, formats: Formats { date_styles, date1904 } })
    }
}

impl Archive {
    /// The archive's name for a part, matched without regard to case as Excel does.
    fn name_of(&self, part: &str) -> Option<String> {
        self.0.file_names().flatten().find(|n| n.eq_ignore_ascii_case(part)).map(|n| n.into_owned())
    }

    /// A part, streamed as it is decompressed.
    pub fn part(&mut self, part: &str) -> Result<impl BufRead + '_, String> {
        let name = self.name_of(part).ok_or_else(|| format!("the workbook has no part {part}"))?;
        let file = self.0.by_name(&name).map_err(|e| format!("{part}: {e}"))?;
        Ok(BufReader::with_capacity(64 * 1024, file))
    }

    fn read(&mut self, part: &str, each: impl FnMut(&BytesStart<'_>)) -> Result<(), String> {
        elements(self.part(part)?, each).map_err(|e| format!("{part}: {e}"))
    }

    /// Whether each cell style shows a date, by its number format.
    fn date_styles(&mut self, part: &str) -> Result<Vec<bool>, String> {
        let mut customs: Vec<(u32, String)> = Vec::new();
        let mut formats: Vec<u32> = Vec::new();
        // `xf` elements are cell styles only inside `cellXfs` (`cellStyleXfs` holds named styles).
        let mut in_cell_xfs = false;
        let mut xml = Reader::from_reader(self.part(part)?);
        let mut buf = Vec::new();
        loop {
            match xml.read_event_into(&mut buf).map_err(|e| format!("{part}: {e}"))? {
                Event::Start(e) if e.local_name().as_ref() == "cellXfs" => in_cell_xfs = true,
                Event::End(e) if e.local_name().as_ref() == "cellXfs" => in_cell_xfs = false,
                Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                    "numFmt" => {
                        if let (Some(id), Some(code)) = (attr(&e, "numFmtId").and_then(|i| i.parse().ok()), attr(&e, "formatCode")) {
                            customs.push((id, code));
                        }
                    }
                    "xf" if in_cell_xfs => formats.push(attr(&e, "numFmtId").and_then(|i| i.parse().ok()).unwrap_or(0)),
                    _ => {}
                },
                Event::Eof => break,
                _ => {}
            }
            buf.clear();
        }
        Ok(formats.into_iter().map(|id| dates::format_is_date(id, &customs)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_relative_to_xl_or_absolute() {
        let targets = [
            ("worksheets/sheet1.xml", "xl/worksheets/sheet1.xml"),
            ("/xl/worksheets/sheet1.xml", "xl/worksheets/sheet1.xml"),
            ("./worksheets/../sharedStrings.xml", "xl/sharedStrings.xml"),
        ];
        for (target, part) in targets {
            assert_eq!(resolve(target), part, "{target}");
        }
    }
}
