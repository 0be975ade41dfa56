//! An .xlsx keeps the text of its cells in one part, sharedStrings.xml, which cells name by index: the
//! applicants' names, ID numbers, addresses and phones are there with the codes. It is read as a stream,
//! keeping only the strings at the indexes a pass asks for (those the mapped columns use); the others
//! go through the XML reader's buffer and are dropped unread.

use super::book::attr;
use quick_xml::escape::resolve_xml_entity;
use quick_xml::events::Event;
use quick_xml::Reader;
use std::io::BufRead;

/// Shared-string indexes a workbook may use: more than any sheet Excel can hold has distinct texts,
/// and a bound on the set below.
const MAX_INDEX: usize = 1 << 27;

/// The shared-string indexes a pass needs, one bit each.
#[derive(Debug, Default)]
pub struct Wanted {
    bits: Vec<u64>,
    last: Option<usize>,
}

impl Wanted {
    pub fn insert(&mut self, index: u32) -> Result<(), String> {
        let i = index as usize;
        if i >= MAX_INDEX {
            return Err(format!("shared string index {i} is out of range"));
        }
        if self.bits.len() <= i / 64 {
            self.bits.resize(i / 64 + 1, 0);
        }
        self.bits[i / 64] |= 1 << (i % 64);
        self.last = self.last.max(Some(i));
        Ok(())
    }

    pub fn contains(&self, i: usize) -> bool {
        self.bits.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0)
    }
}

/// The strings kept by a pass, by index.
#[derive(Debug, Default)]
pub struct Strings {
    kept: Vec<(u32, Box<str>)>,
}

impl Strings {
    pub fn get(&self, index: u32) -> Option<&str> {
        self.kept.binary_search_by_key(&index, |(i, _)| *i).ok().map(|at| &*self.kept[at].1)
    }

    /// Every string kept, in index order.
    #[cfg(test)]
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        self.kept.iter().map(|(_, t)| &**t)
    }
}

/// Reads the shared strings, keeping those `wanted` names that `keep` accepts; stops after the last
/// wanted one.
pub fn read(input: impl BufRead, wanted: &Wanted, keep: &dyn Fn(&str) -> bool) -> Result<Strings, String> {
    let mut strings = Strings::default();
    let Some(last) = wanted.last else { return Ok(strings) };
    let mut xml = Reader::from_reader(input);
    let (mut buf, mut inner) = (Vec::new(), Vec::new());
    let mut index = 0usize;
    while index <= last {
        buf.clear();
        match xml.read_event_into(&mut buf).map_err(|e| e.to_string())? {
            Event::Start(e) if e.local_name().as_ref() == "si" => {
                if wanted.contains(index) {
                    let text = rich_text(&mut xml, &mut inner, "si")?;
                    if keep(&text) {
                        strings.kept.push((index as u32, text.into()));
                    }
                } else {
                    inner.clear();
                    xml.read_to_end_into(e.name(), &mut inner).map_err(|e| e.to_string())?;
                }
                index += 1;
            }
            Event::Empty(e) if e.local_name().as_ref() == "si" => {
                if wanted.contains(index) && keep("") {
                    strings.kept.push((index as u32, "".into()));
                }
                index += 1;
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(strings)
}

/// The text of a string item (`<si>` or a cell's `<is>`), read up to its end tag `end`: its `<t>`, or
/// its rich-text runs' `<t>` joined; phonetic runs (`<rPh>`) are not the text. Spaces around a `<t>`
/// are dropped unless it keeps them (`xml:space="preserve"`).
pub fn rich_text<R: BufRead>(xml: &mut Reader<R>, buf: &mut Vec<u8>, end: &str) -> Result<String, String> {
    let mut out = String::new();
    // Inside a `<t>`: its text so far, and whether its spaces are kept.
    let mut piece: Option<(String, bool)> = None;
    let mut phonetic = 0usize;
    loop {
        buf.clear();
        match xml.read_event_into(buf).map_err(|e| e.to_string())? {
            Event::Start(e) => match e.local_name().as_ref() {
                "t" if phonetic == 0 => piece = Some((String::new(), attr(&e, "space").is_some_and(|v| v == "preserve"))),
                "rPh" => phonetic += 1,
                _ => {}
            },
            Event::End(e) => match e.local_name().as_ref() {
                "t" => {
                    if let Some((text, preserve)) = piece.take() {
                        out.push_str(if preserve { &text } else { text.trim_matches([' ', '\t', '\r', '\n']) });
                    }
                }
                "rPh" => phonetic = phonetic.saturating_sub(1),
                name if name == end => return Ok(unescape_code_points(out)),
                _ => {}
            },
            Event::Eof => return Err(format!("the part ends inside <{end}>")),
            event => {
                if let Some((text, _)) = &mut piece {
                    push_text(&event, text)?;
                }
            }
        }
    }
}

/// The text of an element without children (a cell's `<v>`), read up to its end tag `end`.
pub fn plain_text<R: BufRead>(xml: &mut Reader<R>, buf: &mut Vec<u8>, end: &str) -> Result<String, String> {
    let mut out = String::new();
    loop {
        buf.clear();
        match xml.read_event_into(buf).map_err(|e| e.to_string())? {
            Event::End(e) if e.local_name().as_ref() == end => return Ok(out),
            Event::Eof => return Err(format!("the part ends inside <{end}>")),
            event => push_text(&event, &mut out)?,
        }
    }
}

/// A piece of text (characters, CDATA, a reference) into `out`; other events add nothing.
fn push_text(event: &Event<'_>, out: &mut String) -> Result<(), String> {
    match event {
        Event::Text(t) => out.push_str(&t.xml10_content()),
        Event::CData(t) => out.push_str(&t.xml10_content()),
        Event::GeneralRef(r) => entity(r, out)?,
        _ => {}
    }
    Ok(())
}

/// An entity or character reference (`&amp;`, `&#7871;`) into `out`.
fn entity(r: &quick_xml::events::BytesRef<'_>, out: &mut String) -> Result<(), String> {
    if let Some(text) = resolve_xml_entity(r) {
        out.push_str(text);
        return Ok(());
    }
    match r.resolve_char_ref() {
        Ok(Some(c)) => {
            out.push(c);
            Ok(())
        }
        _ => Err("an unknown entity".to_string()),
    }
}

/// Excel writes characters XML cannot hold (control characters) as `_xHHHH_`, and `_` before such a
/// pattern as `_x005F_`.
fn unescape_code_points(text: String) -> String {
    if !text.contains("_x") {
        return text;
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(at) = rest.find("_x") {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let code = tail.get(2..6).filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()) && tail.as_bytes().get(6) == Some(&b'_'));
        match code.and_then(|h| u32::from_str_radix(h, 16).ok()).and_then(char::from_u32) {
            Some(c) => {
                out.push(c);
                rest = &tail[7..];
            }
            None => {
                out.push_str("_x");
                rest = &tail[2..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SST: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="6" uniqueCount="6">
<si><t>Mã hồ sơ</t></si>
<si><t>Nguyễn Văn Bí Mật</t></si>
<si><r><rPr><b/></rPr><t xml:space="preserve">H31 </t></r><r><t>-0001</t></r><rPh sb="0" eb="1"><t>ふりがな</t></rPh></si>
<si/>
<si><t>0912345678</t></si>
<si><t xml:space="preserve"> A &amp; B &#7871;_x000D_ </t></si>
<si><t>never reached</t></si>
</sst>"#;

    fn wanted(indexes: &[u32]) -> Wanted {
        let mut w = Wanted::default();
        for i in indexes {
            w.insert(*i).unwrap();
        }
        w
    }

    #[test]
    fn only_the_wanted_strings_are_kept() {
        let kept = read(SST.as_bytes(), &wanted(&[0, 2, 3, 5]), &|_| true).unwrap();
        let texts: Vec<&str> = kept.texts().collect();
        assert_eq!(texts, ["Mã hồ sơ", "H31 -0001", "", " A & B ế\r "]);
        assert_eq!(kept.get(2), Some("H31 -0001"));
        assert_eq!(kept.get(1), None, "a personal value not asked for is not kept");
        assert_eq!(kept.get(4), None);
        assert_eq!(kept.get(6), None);
    }

    #[test]
    fn keep_filters_and_nothing_wanted_reads_nothing() {
        let kept = read(SST.as_bytes(), &wanted(&[0, 1, 4]), &|t| t.starts_with("Mã")).unwrap();
        assert_eq!(kept.texts().collect::<Vec<_>>(), ["Mã hồ sơ"]);
        let none = read("not even XML <".as_bytes(), &Wanted::default(), &|_| true).unwrap();
        assert_eq!(none.texts().count(), 0);
    }

    #[test]
    fn a_broken_part_is_an_error() {
        assert!(read("<sst><si><t>a</t>".as_bytes(), &wanted(&[0]), &|_| true).is_err());
        assert!(read("<sst><si><t>&bogus;</t></si></sst>".as_bytes(), &wanted(&[0]), &|_| true).is_err());
        assert!(wanted(&[]).insert(u32::MAX).is_err());
    }

    #[test]
    fn code_points_as_excel_escapes_them() {
        assert_eq!(unescape_code_points("a_x000D_b_x005F_x0041_".into()), "a\rb_x0041_");
        assert_eq!(unescape_code_points("_x12 and _xZZZZ_".into()), "_x12 and _xZZZZ_");
    }
}
