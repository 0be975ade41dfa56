//! Splits a request body into events: a JSON array, a single JSON object, or NDJSON.
//!
//! A body is read whole or refused whole (a 400, nothing stored) when it cannot be what its sender
//! meant; only the lines of an NDJSON body are judged one by one. The rules, in order:
//!
//! 1. a body of whitespace only is refused;
//! 2. a body that starts (after whitespace) with `[` is one JSON array, or is refused with the line,
//!    column and byte where it breaks off (a truncated array, an array followed by anything);
//! 3. a body that is one JSON document is read as such: an object is one event, any other value is refused;
//! 4. a JSON document written over several lines and followed by anything is refused (NDJSON holds one
//!    document a line, so this is a document with trailing garbage);
//! 5. otherwise the body is NDJSON, one event a non-blank line. A line that is not JSON is rejected on
//!    its own, unless it is the last non-blank line and the body does not end with a newline: the body
//!    was cut short, and is refused. A body none of whose lines is JSON is refused.
//!
//! The content type does not change how a body is read: NDJSON is recognised without it, and a body that
//! is one JSON document is read as JSON whatever it says.

use serde_json::Value;

/// One element of the batch: the parsed value, or why that element is not JSON.
pub type Item = Result<Value, String>;

/// Returns the batch's elements, or the reason the body is refused as a whole (a 400).
pub fn split(_content_type: Option<&str>, body: &[u8]) -> Result<Vec<Item>, String> {
    let Some(start) = body.iter().position(|b| !b.is_ascii_whitespace()) else {
        return Err("the body is empty: send a JSON array, a JSON object or NDJSON".into());
    };
    if body[start] == b'[' {
        return match serde_json::from_slice::<Vec<Value>>(body) {
            Ok(items) => Ok(items.into_iter().map(Ok).collect()),
            Err(e) => Err(format!(
                "the body starts with `[` but is not one whole JSON array: {} at {}; nothing was stored",
                message(&e),
                position(body, e.line(), e.column())
            )),
        };
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(v @ Value::Object(_)) => return Ok(vec![Ok(v)]),
        Ok(_) => return Err("the body must be a JSON array of events, one JSON event, or NDJSON".into()),
        Err(_) => {}
    }
    let mut documents = serde_json::Deserializer::from_slice(body).into_iter::<serde::de::IgnoredAny>();
    if let Some(Ok(_)) = documents.next() {
        let end = documents.byte_offset();
        if body[start..end].contains(&b'\n') {
            // Not whitespace only after it, or the body would have been read as one document above.
            let next = end + body[end..].iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(0);
            let (line, column) = line_and_column(body, next);
            return Err(format!(
                "the body is one JSON document (lines {} to {}) followed by more at {}; nothing was stored",
                line_and_column(body, start).0,
                line_and_column(body, end - 1).0,
                position(body, line, column)
            ));
        }
    }
    let lines = lines(body);
    if lines.iter().all(|(_, item)| item.is_err()) {
        let first = lines.into_iter().next().and_then(|(_, item)| item.err()).unwrap_or_default();
        return Err(format!("the body is neither JSON nor NDJSON ({first})"));
    }
    if let Some((line, Err(reason))) = lines.last() {
        if body.last() != Some(&b'\n') {
            return Err(format!(
                "the body ends inside line {line} without a newline ({reason}): it was cut short; nothing was stored"
            ));
        }
    }
    Ok(lines.into_iter().map(|(_, item)| item).collect())
}

/// The non-blank lines of an NDJSON body with their numbers (from 1), each parsed.
fn lines(body: &[u8]) -> Vec<(usize, Item)> {
    body.split(|b| *b == b'\n')
        .enumerate()
        .filter(|(_, l)| !l.iter().all(u8::is_ascii_whitespace))
        .map(|(n, l)| {
            let item = serde_json::from_slice::<Value>(l)
                .map_err(|e| format!("line {} is not JSON: {} at column {}", n + 1, message(&e), e.column()));
            (n + 1, item)
        })
        .collect()
}

/// serde_json's message without the position it appends.
fn message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    text.strip_suffix(&suffix).map(str::to_string).unwrap_or(text)
}

/// Line and column (both from 1, columns in bytes) of a byte offset.
fn line_and_column(body: &[u8], offset: usize) -> (usize, usize) {
    let before = &body[..offset.min(body.len())];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let line_start = before.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    (line, offset - line_start + 1)
}

/// "line L, column C (byte B)", B counted from 0, for serde_json's line and column.
fn position(body: &[u8], line: usize, column: usize) -> String {
    let line_start = if line <= 1 {
        0
    } else {
        body.iter().enumerate().filter(|(_, b)| **b == b'\n').nth(line - 2).map_or(body.len(), |(i, _)| i + 1)
    };
    let byte = (line_start + column.saturating_sub(1)).min(body.len());
    format!("line {line}, column {column} (byte {byte})")
}

#[cfg(test)]
mod tests {
    use super::*;

    const NDJSON: Option<&str> = Some("application/x-ndjson");

    fn refused(content_type: Option<&str>, body: &[u8]) -> String {
        split(content_type, body).unwrap_err()
    }

    #[test]
    fn shapes() {
        assert_eq!(split(None, br#"[{"a":1},{"b":2}]"#).unwrap().len(), 2);
        assert_eq!(split(None, br#"{"a":1}"#).unwrap().len(), 1);
        assert_eq!(split(None, b"[]").unwrap().len(), 0);
        assert_eq!(split(None, b" \n[\n{\"a\":1},\n{\"b\":2}\n]\n\n").unwrap().len(), 2);
        let nd = b"{\"a\":1}\n\n{\"b\":2}\nnot json\n";
        let items = split(NDJSON, nd).unwrap();
        assert_eq!(items.len(), 3);
        assert!(items[2].as_ref().unwrap_err().starts_with("line 4 is not JSON: expected ident at column 2"), "{items:?}");
        // NDJSON without its content type is still recognised, and its last line needs no newline.
        assert_eq!(split(Some("application/json"), b"{\"a\":1}\n{\"b\":2}").unwrap().len(), 2);
        assert_eq!(split(None, b"{\"a\":1}\r\n{\"b\":2}\r\n").unwrap().len(), 2);
        // A JSON array is one array whatever the content type says; its elements are judged one by one.
        assert_eq!(split(NDJSON, b"[1,2]").unwrap().len(), 2);
        // A JSON object over several lines is one document, whatever the content type says.
        assert_eq!(split(NDJSON, b"{\n  \"a\": 1,\n  \"b\": [1, 2]\n}\n").unwrap().len(), 1);
    }

    #[test]
    fn not_json_at_all() {
        assert!(split(None, b"").is_err());
        assert!(split(None, b"  \n").is_err());
        assert!(split(None, b"hello").unwrap_err().contains("neither JSON nor NDJSON"));
        assert!(split(None, b"42").unwrap_err().contains("JSON array"));
        assert!(split(NDJSON, b"<xml/>\n<x/>").is_err());
    }

    #[test]
    fn a_truncated_array_is_refused_with_its_position() {
        // Cut before the closing bracket, with one event a line: before, the last line was read as NDJSON.
        let body = b"[\n{\"id\":\"a\"},\n{\"id\":\"b\"}\n";
        assert_eq!(
            refused(None, body),
            "the body starts with `[` but is not one whole JSON array: EOF while parsing a list at line 4, column 0 (byte 25); nothing was stored"
        );
        assert!(refused(NDJSON, body).starts_with("the body starts with `[` but is not one whole JSON array"));
        assert!(refused(None, b"[{\"id\":\"a\"},{\"id\":").contains("EOF while parsing a value at line 1, column 18 (byte 17)"));
        assert!(refused(None, b"  [{\"id\":\"a\"}").contains("at line 1, column 13 (byte 12)"));
        assert!(refused(None, b"[{\"id\":\"a\"} {\"id\":\"b\"}]").contains("expected `,` or `]` at line 1, column 13 (byte 12)"));
        // Each line an array is not NDJSON of arrays: the body starts with `[` and is not one array.
        assert!(refused(NDJSON, b"[1]\n[2]\n").contains("trailing characters at line 2, column 1 (byte 4)"));
    }

    #[test]
    fn a_document_followed_by_anything_is_refused() {
        assert!(refused(None, b"[{\"id\":\"a\"}]x").contains("trailing characters at line 1, column 13 (byte 12)"));
        assert!(refused(None, b"[{\"id\":\"a\"}]\n{\"id\":\"b\"}\n").contains("trailing characters at line 2, column 1 (byte 13)"));
        // A pretty-printed object, then garbage or even another event: not NDJSON.
        for tail in ["garbage\n", "{\"id\":\"b\"}\n", "}"] {
            let body = format!("{{\n  \"id\": \"a\"\n}}\n{tail}");
            assert_eq!(
                refused(None, body.as_bytes()),
                "the body is one JSON document (lines 1 to 3) followed by more at line 4, column 1 (byte 16); nothing was stored",
                "{tail:?}"
            );
        }
        // On one line, with nothing else: no line of it is JSON.
        assert!(refused(None, b"{\"id\":\"a\"} x").contains("line 1 is not JSON: trailing characters at column 12"));
        assert!(refused(None, b"{\"id\":\"a\"}}\n").contains("neither JSON nor NDJSON"));
    }

    #[test]
    fn ndjson_cut_short_is_refused() {
        let body = b"{\"id\":\"a\"}\n{\"id\":\"b\"}\n{\"id\":\"c\",\"dos";
        for ct in [None, NDJSON] {
            assert_eq!(
                refused(ct, body),
                "the body ends inside line 3 without a newline (line 3 is not JSON: EOF while parsing a string at column 14): \
                 it was cut short; nothing was stored"
            );
        }
        // Trailing blanks do not hide it; a newline after the bad line makes it one bad line among others.
        assert!(refused(NDJSON, b"{\"id\":\"a\"}\n{\"id\":  \t").contains("cut short"));
        assert!(refused(NDJSON, b"{\"id\":\"a\"}\n}").contains("cut short"));
        let items = split(NDJSON, b"{\"id\":\"a\"}\n{\"id\":\"c\",\"dos\n").unwrap();
        assert_eq!(items.len(), 2);
        assert!(items[1].as_ref().unwrap_err().starts_with("line 2 is not JSON"));
        let items = split(NDJSON, b"{\"id\":\"a\"}\nnot json\n{\"id\":\"c\"}").unwrap();
        assert_eq!(items.iter().filter(|i| i.is_ok()).count(), 2);
    }

    #[test]
    fn positions() {
        assert_eq!(line_and_column(b"ab\ncd", 0), (1, 1));
        assert_eq!(line_and_column(b"ab\ncd", 4), (2, 2));
        assert_eq!(position(b"ab\ncd", 2, 2), "line 2, column 2 (byte 4)");
        assert_eq!(position(b"ab\ncd", 1, 0), "line 1, column 0 (byte 0)");
    }
}
