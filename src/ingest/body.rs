//! Splits a request body into events: a JSON array, a single JSON object, or NDJSON.

use serde_json::Value;

/// One element of the batch: the parsed value, or why that element is not JSON.
pub type Item = Result<Value, String>;

/// Returns the batch's elements, or the reason the body is not JSON or NDJSON at all (a 400).
/// With `Content-Type: application/x-ndjson` each non-blank line is one event and a bad line is
/// rejected on its own; otherwise the body is read as JSON, and as NDJSON when it is not one document.
pub fn split(content_type: Option<&str>, body: &[u8]) -> Result<Vec<Item>, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err("the body is empty: send a JSON array, a JSON object or NDJSON".into());
    }
    let ndjson = content_type
        .map(|c| c.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
        .is_some_and(|c| c == "application/x-ndjson" || c == "application/jsonl" || c == "application/json-seq");
    if !ndjson {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Array(items)) => return Ok(items.into_iter().map(Ok).collect()),
            Ok(v @ Value::Object(_)) => return Ok(vec![Ok(v)]),
            Ok(_) => return Err("the body must be a JSON array of events, one JSON event, or NDJSON".into()),
            Err(_) => {}
        }
    }
    let items = lines(body);
    if items.iter().all(Result::is_err) {
        let first = items.into_iter().next().and_then(Result::err).unwrap_or_default();
        return Err(format!("the body is neither JSON nor NDJSON ({first})"));
    }
    Ok(items)
}

fn lines(body: &[u8]) -> Vec<Item> {
    body.split(|b| *b == b'\n')
        .enumerate()
        .filter(|(_, l)| !l.iter().all(u8::is_ascii_whitespace))
        .map(|(n, l)| serde_json::from_slice::<Value>(l).map_err(|e| format!("line {} is not JSON: {e}", n + 1)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert_eq!(split(None, br#"[{"a":1},{"b":2}]"#).unwrap().len(), 2);
        assert_eq!(split(None, br#"{"a":1}"#).unwrap().len(), 1);
        assert_eq!(split(None, b"[]").unwrap().len(), 0);
        let nd = b"{\"a\":1}\n\n{\"b\":2}\nnot json\n";
        let items = split(Some("application/x-ndjson"), nd).unwrap();
        assert_eq!(items.len(), 3);
        assert!(items[2].as_ref().unwrap_err().starts_with("line 4 is not JSON"));
        // NDJSON without its content type is still recognised.
        assert_eq!(split(Some("application/json"), b"{\"a\":1}\n{\"b\":2}").unwrap().len(), 2);
        // A single JSON array sent as NDJSON is one (non-object) line.
        assert_eq!(split(Some("application/x-ndjson"), b"[1,2]").unwrap().len(), 1);
    }

    #[test]
    fn not_json_at_all() {
        assert!(split(None, b"").is_err());
        assert!(split(None, b"  \n").is_err());
        assert!(split(None, b"hello").unwrap_err().contains("neither JSON nor NDJSON"));
        assert!(split(None, b"42").unwrap_err().contains("JSON array"));
        assert!(split(Some("application/x-ndjson"), b"<xml/>\n<x/>").is_err());
    }
}
