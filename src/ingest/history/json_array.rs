//! A JSON array read an element at a time from a stream, so a file of snapshots of any length takes
//! the memory of one snapshot. The scanner knows only what splits elements (strings with their escapes,
//! nesting of `{}` and `[]`, commas); each element's text is then parsed by the snapshot path, which
//! reports what is wrong inside it. Lines and columns (in characters, from 1) are those of the file.

use std::io::BufRead;

/// The longest element: a snapshot is a few kilobytes; the bound keeps one broken file (a missing
/// closing quote) from taking the memory.
pub const MAX_ELEMENT_BYTES: usize = 16 << 20;

/// An element of the array: where it begins, and its text.
#[derive(Debug, PartialEq, Eq)]
pub struct Element {
    pub line: u64,
    pub column: usize,
    pub text: String,
}

/// Where the array stops being one, and why.
#[derive(Debug, PartialEq, Eq)]
pub struct Malformed {
    pub line: u64,
    pub column: usize,
    pub why: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before `[` (a byte-order mark and whitespace allowed).
    Start,
    /// After `[`: an element or `]`.
    Open,
    /// After an element: `,` or `]`.
    Element,
    /// After `,`: an element.
    Comma,
    /// After `]`: whitespace only.
    Closed,
    Done,
}

pub struct Elements<R> {
    input: R,
    line: u64,
    column: usize,
    state: State,
}

impl<R: BufRead> Elements<R> {
    pub fn new(input: R) -> Elements<R> {
        Elements { input, line: 1, column: 1, state: State::Start }
    }

    fn malformed(&self, why: &str) -> Malformed {
        Malformed { line: self.line, column: self.column, why: why.to_string() }
    }

    fn io(&self, e: std::io::Error) -> Malformed {
        self.malformed(&format!("the file cannot be read ({e})"))
    }

    /// The next byte that is not whitespace, left unread; None at the end of the file.
    fn skip_whitespace(&mut self) -> Result<Option<u8>, Malformed> {
        loop {
            let buf = match self.input.fill_buf() {
                Ok(buf) => buf,
                Err(e) => return Err(self.io(e)),
            };
            let Some(&first) = buf.first() else { return Ok(None) };
            if !matches!(first, b' ' | b'\t' | b'\r' | b'\n') {
                return Ok(Some(first));
            }
            self.advance(first);
            self.input.consume(1);
        }
    }

    /// Moves the position past one byte of the file.
    fn advance(&mut self, b: u8) {
        if b == b'\n' {
            self.line += 1;
            self.column = 1;
        } else if b & 0xC0 != 0x80 {
            // A character's first byte (UTF-8 continuation bytes are 10xxxxxx).
            self.column += 1;
        }
    }

    fn take(&mut self, b: u8) {
        self.advance(b);
        self.input.consume(1);
    }

    /// A byte-order mark at the start of the file, passed over (it is no column).
    fn skip_bom(&mut self) -> Result<(), Malformed> {
        let buf = match self.input.fill_buf() {
            Ok(buf) => buf,
            Err(e) => return Err(self.io(e)),
        };
        if buf.starts_with(&[0xEF, 0xBB, 0xBF]) {
            self.input.consume(3);
        }
        Ok(())
    }

    /// The next element, None after `]`.
    pub fn next_element(&mut self) -> Result<Option<Element>, Malformed> {
        loop {
            let next = match self.state {
                State::Done => return Ok(None),
                State::Start => {
                    self.skip_bom()?;
                    self.skip_whitespace()?
                }
                _ => self.skip_whitespace()?,
            };
            match (self.state, next) {
                (State::Start, Some(b'[')) => {
                    self.take(b'[');
                    self.state = State::Open;
                }
                (State::Start, _) => return Err(self.malformed("not a JSON array of snapshots: it does not begin with [")),
                (State::Closed, None) => {
                    self.state = State::Done;
                    return Ok(None);
                }
                (State::Closed, Some(_)) => return Err(self.malformed("not a JSON array of snapshots: text after the closing ]")),
                (_, None) => return Err(self.malformed("not a JSON array of snapshots: the file ends before the closing ]")),
                (State::Open | State::Element, Some(b']')) => {
                    self.take(b']');
                    self.state = State::Closed;
                }
                (State::Comma, Some(b']')) => return Err(self.malformed("not a JSON array of snapshots: a comma before the closing ]")),
                (State::Element, Some(b',')) => {
                    self.take(b',');
                    self.state = State::Comma;
                }
                (State::Element, Some(_)) => return Err(self.malformed("not a JSON array of snapshots: a ',' or ']' is missing after the snapshot")),
                (State::Open | State::Comma, Some(first)) => {
                    let element = self.element(first)?;
                    self.state = State::Element;
                    return Ok(Some(element));
                }
                (State::Done, _) => unreachable!("returned above"),
            }
        }
    }

    /// An element from its first byte: an object or array up to its closing bracket, a string up to its
    /// closing quote, anything else (a number, `true`) up to whitespace, `,` or `]`.
    fn element(&mut self, first: u8) -> Result<Element, Malformed> {
        let (line, column) = (self.line, self.column);
        let scalar = !matches!(first, b'{' | b'[' | b'"');
        let mut text = Vec::new();
        let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
        loop {
            let buf = match self.input.fill_buf() {
                Ok(buf) => buf,
                Err(e) => return Err(self.io(e)),
            };
            if buf.is_empty() {
                if scalar {
                    break;
                }
                return Err(self.malformed("not a JSON array of snapshots: the file ends inside a snapshot (a missing } or \")"));
            }
            let mut used = 0;
            let mut done = false;
            for &b in buf {
                if scalar && matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b',' | b']') {
                    done = true;
                    break;
                }
                used += 1;
                if b == b'\n' {
                    self.line += 1;
                    self.column = 1;
                } else if b & 0xC0 != 0x80 {
                    self.column += 1;
                }
                if scalar {
                    continue;
                }
                if in_string {
                    match (escaped, b) {
                        (true, _) => escaped = false,
                        (false, b'\\') => escaped = true,
                        (false, b'"') => in_string = false,
                        _ => {}
                    }
                } else {
                    match b {
                        b'"' => in_string = true,
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => depth = depth.saturating_sub(1),
                        _ => {}
                    }
                }
                if depth == 0 && !in_string {
                    done = true;
                    break;
                }
            }
            text.extend_from_slice(&buf[..used]);
            self.input.consume(used);
            if text.len() > MAX_ELEMENT_BYTES {
                return Err(Malformed { line, column, why: format!("a snapshot longer than {} MiB", MAX_ELEMENT_BYTES >> 20) });
            }
            if done {
                break;
            }
        }
        let text = String::from_utf8(text).map_err(|_| Malformed { line, column, why: "not UTF-8 text".into() })?;
        Ok(Element { line, column, text })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(input: &str) -> Result<Vec<Element>, Malformed> {
        let mut elements = Elements::new(input.as_bytes());
        let mut out = Vec::new();
        while let Some(e) = elements.next_element()? {
            out.push(e);
        }
        Ok(out)
    }

    fn texts(input: &str) -> Vec<String> {
        all(input).unwrap().into_iter().map(|e| e.text).collect()
    }

    #[test]
    fn elements_with_nesting_and_brackets_or_quotes_in_strings() {
        let input = r#"[{"a": [1, {"b": "]}"}], "c": "x,\"y\"}"}, {"d": "\\"}, [1, 2], "s]", 12.5e3, true, null]"#;
        assert_eq!(
            texts(input),
            [r#"{"a": [1, {"b": "]}"}], "c": "x,\"y\"}"}"#, r#"{"d": "\\"}"#, "[1, 2]", r#""s]""#, "12.5e3", "true", "null"]
        );
    }

    #[test]
    fn lines_and_columns_where_each_element_begins() {
        let input = "\u{feff}  [\n  {\"MaHoSo\": \"Hồ sơ\",\n   \"x\": 1},\n  {\"y\": 2}, {\"z\": \"ế\"}\n]\n\n";
        let got = all(input).unwrap();
        assert_eq!(got.iter().map(|e| (e.line, e.column)).collect::<Vec<_>>(), [(2, 3), (4, 3), (4, 13)]);
        assert_eq!(got[0].text, "{\"MaHoSo\": \"Hồ sơ\",\n   \"x\": 1}", "a multi-line element whole");
        // Columns count characters, not bytes.
        assert_eq!(all("[{\"a\": \"ế\"}, {}]").unwrap()[1].column, 14);
    }

    #[test]
    fn empty_arrays() {
        assert!(texts("[]").is_empty());
        assert!(texts(" \n[ \n ]\n").is_empty());
    }

    #[test]
    fn malformed_arrays_are_placed() {
        let cases = [
            ("[{\"a\": 1} {\"b\": 2}]", (1, 11), "a ',' or ']' is missing"),
            ("[{\"a\": 1},\n", (2, 1), "ends before the closing ]"),
            ("[{\"a\": \"1}]\n", (2, 1), "ends inside a snapshot"),
            ("[{\"a\": 1}] x", (1, 12), "text after the closing ]"),
            ("[{\"a\": 1},]", (1, 11), "a comma before the closing ]"),
            ("{\"a\": 1}", (1, 1), "does not begin with ["),
            ("", (1, 1), "does not begin with ["),
        ];
        for (input, at, why) in cases {
            let m = all(input).unwrap_err();
            assert_eq!((m.line, m.column), at, "{input:?}: {}", m.why);
            assert!(m.why.contains(why), "{input:?}: {}", m.why);
        }
        let m = all("[\n {\"a\": \"\u{0}\"}, {\"b\": \"\\\"}]").unwrap_err();
        assert_eq!((m.line, m.column), (2, 25), "{}", m.why);
    }

    #[test]
    fn elements_are_read_one_at_a_time() {
        // An element is handed on before the rest of the file is looked at.
        let mut elements = Elements::new("[{\"a\": 1}, {broken".as_bytes());
        assert_eq!(elements.next_element().unwrap().unwrap().text, "{\"a\": 1}");
        assert!(elements.next_element().is_err());
    }

    #[test]
    fn an_endless_element_is_refused() {
        let mut input = String::from("[\"");
        input.push_str(&"x".repeat(MAX_ELEMENT_BYTES + 10));
        let m = all(&input).unwrap_err();
        assert_eq!((m.line, m.column, m.why.contains("longer than 16 MiB")), (1, 2, true));
    }
}
