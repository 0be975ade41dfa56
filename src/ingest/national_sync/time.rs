//! Times as provincial systems write them: local to Vietnam (UTC+07:00) unless they carry an offset.

use crate::domain::month::vn_offset;
use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, Utc};

/// Layouts without an offset, read as Vietnam's local time. `yyyyMMddHHmmss` is the shape's own; the
/// others are what some variants and hand-made exports send.
const LOCAL_LAYOUTS: &[&str] = &[
    "%Y%m%d%H%M%S",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
];

/// Milliseconds since the epoch, or None when `text` is in none of the accepted layouts: the
/// `LOCAL_LAYOUTS`, a date alone (`dd/MM/yyyy`, `yyyyMMdd`: midnight local), or RFC 3339 with an offset.
pub fn parse(text: &str) -> Option<i64> {
    let text = text.trim();
    // chrono reads fields of any width: the compact layouts must have all their digits.
    if text.bytes().all(|b| b.is_ascii_digit()) && text.len() != 14 && text.len() != 8 {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.timestamp_millis());
    }
    let local = LOCAL_LAYOUTS
        .iter()
        .find_map(|layout| NaiveDateTime::parse_from_str(text, layout).ok())
        .or_else(|| {
            ["%d/%m/%Y", "%Y%m%d"].iter().find_map(|layout| NaiveDate::parse_from_str(text, layout).ok()).and_then(|d| d.and_hms_opt(0, 0, 0))
        })?;
    local.and_local_timezone(vn_offset()).single().map(|t| t.timestamp_millis())
}

/// An instant as the native contract writes it: RFC 3339 in Vietnam's offset.
pub fn rfc3339(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|t| t.with_timezone(&vn_offset()).to_rfc3339_opts(SecondsFormat::Millis, false))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis()
    }

    #[test]
    fn local_layouts_are_vietnam_time() {
        let at = ms("2025-03-01T08:30:00+07:00");
        for text in ["20250301083000", "01/03/2025 08:30:00", "01/03/2025 08:30", "2025-03-01T08:30:00", "2025-03-01 08:30:00", " 20250301083000 ", "2025-03-01T01:30:00Z"] {
            assert_eq!(parse(text), Some(at), "{text}");
        }
        assert_eq!(parse("01/03/2025"), Some(ms("2025-03-01T00:00:00+07:00")));
        assert_eq!(parse("20250301"), Some(ms("2025-03-01T00:00:00+07:00")));
        // Late evening in Vietnam is still the same local day, though UTC has moved on.
        assert_eq!(parse("20251031233000"), Some(ms("2025-10-31T16:30:00Z")));
    }

    #[test]
    fn anything_else_is_not_a_time() {
        for text in ["", "2025", "31/02/2025 08:00:00", "20251301083000", "tomorrow", "01-03-2025 08:30:00", "2025030108300", "Nguyễn Văn A"] {
            assert_eq!(parse(text), None, "{text}");
        }
    }

    #[test]
    fn written_back_in_the_contract_shape() {
        assert_eq!(rfc3339(ms("2025-03-01T08:30:00+07:00")), "2025-03-01T08:30:00.000+07:00");
        assert_eq!(parse(&rfc3339(1_740_792_600_123)), Some(1_740_792_600_123));
    }
}
