//! Dossier events as the ingest contract (events.md) defines them, and their validation.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Deserialize;
use serde_json::Value;
use std::fmt;
use std::str::FromStr;

/// How far in the future an event's `at` may lie, to absorb clock skew of agency systems.
pub const MAX_FUTURE_MS: i64 = 10 * 60 * 1000;

/// Earliest `at` and `due` accepted: 2000-01-01T00:00:00+07:00. Online public services, and the
/// Decree 42/2022/NĐ-CP data this service ranks, are of this century: an earlier time is a sender's
/// placeholder (0001-01-01, a spreadsheet's 1899-12-30), never a real dossier. It also keeps every
/// month an event falls in within the years a `Month` key holds (1900 to 9999), so that rollups,
/// pages and `verify` can always read back what ingest stored.
pub const EARLIEST_TIME_MS: i64 = 946_659_600_000;
/// First `due` refused: 2100-01-01T00:00:00+07:00. A statutory deadline lies days or months after
/// receipt; beyond 2100 it is a placeholder (9999-12-31), and the bound stays well inside `Month` keys.
pub const DUE_BEFORE_MS: i64 = 4_102_419_600_000;
/// `EARLIEST_TIME_MS` and `DUE_BEFORE_MS` as written in reasons.
const EARLIEST_TIME: &str = "2000-01-01T00:00:00+07:00";
const DUE_BEFORE: &str = "2100-01-01T00:00:00+07:00";

/// Lengths in characters (Unicode scalar values). At most 4 bytes each in UTF-8, so an `id` is at most
/// 512 bytes and a `dossier` 256: with the source (at most 64), every index row stays far below
/// PostgreSQL's B-tree limit of about 2,700 bytes (SQLite has none).
pub const MAX_ID_CHARS: usize = 128;
pub const MAX_DOSSIER_CHARS: usize = 64;
/// Unit and procedure codes are 1 to 64 characters in the registry (`registry::import`): a longer
/// value cannot be known, and is refused before it is looked up (or echoed in full).
pub const MAX_CODE_CHARS: usize = 64;
/// A reason longer than this is cut (with `…`), so a huge field never comes back whole in the answer.
pub const MAX_REASON_CHARS: usize = 300;

macro_rules! named_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(format!("{s:?} is not one of {}", [$($text),+].join(", "))),
                }
            }
        }
    };
}

named_enum!(
    /// Status of a dossier (TrangThaiHoSo); the position in this list plus one is the national sync code.
    Status {
        Registered = "registered",
        Received = "received",
        Refused = "refused",
        Processing = "processing",
        SupplementRequested = "supplement_requested",
        PaymentRequested = "payment_requested",
        Withdrawn = "withdrawn",
        Stopped = "stopped",
        Resolved = "resolved",
        Returned = "returned",
    }
);

named_enum!(
    /// Submission channel (KenhThucHien) or result delivery: 1 in person, 2 online, 3 postal.
    Channel { InPerson = "in_person", Online = "online", Postal = "postal" }
);

named_enum!(
    /// How the fee was paid.
    Payment { Online = "online", Offline = "offline" }
);

/// The facts of Decision 766's dossier indicators that an event may carry (events.md, all optional).
/// A dossier takes each from the latest event that carries it (like `payment`), except
/// `supplement_answered`, taken from the earliest event that carries it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, Deserialize)]
pub struct Marks {
    /// An electronic result was issued: a result file with its code and link (DanhSachGiayToKetQua).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_file: Option<bool>,
    /// A submitted component was digitised (DuocSoHoa, HoSoCoThanhPhanSoHoa).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digitised: Option<bool>,
    /// The dossier re-used stored data instead of asking for the paper again (DuocTaiSuDung, DuocLayTuKhoDMQG).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reused_data: Option<bool>,
    /// A fee with an amount above zero applies to the dossier (DanhSachLePhi).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee: Option<bool>,
    /// At `at`, the applicant answered a supplement request (NgayTiepNhanBoSung). Only `true` is sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supplement_answered: Option<bool>,
}

impl Marks {
    pub fn is_empty(&self) -> bool {
        *self == Marks::default()
    }

    /// The stored form: a JSON object of the fields present, or none when there is none.
    pub fn to_column(&self) -> Option<String> {
        (!self.is_empty()).then(|| serde_json::to_string(self).expect("plain fields"))
    }

    pub fn from_column(text: Option<&str>) -> Result<Marks, String> {
        text.map(|t| serde_json::from_str(t).map_err(|e| format!("marks {t:?}: {e}"))).transpose().map(Option::unwrap_or_default)
    }
}

impl Status {
    pub fn code(self) -> u8 {
        Status::ALL.iter().position(|s| *s == self).expect("listed") as u8 + 1
    }
    pub fn from_code(code: i64) -> Option<Status> {
        usize::try_from(code).ok().and_then(|c| c.checked_sub(1)).and_then(|i| Status::ALL.get(i).copied())
    }
}

impl Channel {
    pub fn from_code(code: i64) -> Option<Channel> {
        usize::try_from(code).ok().and_then(|c| c.checked_sub(1)).and_then(|i| Channel::ALL.get(i).copied())
    }
}

/// A validated event. Times are milliseconds since the epoch (UTC).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub source: String,
    pub id: String,
    pub dossier: String,
    pub unit: String,
    pub procedure: String,
    pub status: Status,
    pub at: i64,
    pub channel: Option<Channel>,
    pub result_delivery: Option<Channel>,
    pub due: Option<i64>,
    pub payment: Option<Payment>,
    /// Facts of the national index's indicators, when the sender gives them.
    pub marks: Marks,
}

impl Event {
    /// Order used for "earliest" and "latest" (kpi.md): by `at`, ties by `id`, then by source.
    pub fn order_key(&self) -> (i64, &str, &str) {
        (self.at, &self.id, &self.source)
    }
}

/// Where an event stands in kpi.md's order: by `at`, ties by `id`, then by source.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, Deserialize)]
pub struct EventKey {
    pub at: i64,
    pub id: String,
    pub source: String,
}

impl EventKey {
    pub fn of(e: &Event) -> EventKey {
        EventKey { at: e.at, id: e.id.clone(), source: e.source.clone() }
    }
}

/// The wire shape. Unknown fields are refused, so a misspelt field never drops data silently and no
/// personal data can ride along in an extra field.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireEvent {
    id: String,
    dossier: String,
    unit: String,
    procedure: String,
    status: Value,
    at: String,
    #[serde(default)]
    channel: Option<Value>,
    #[serde(default)]
    result_delivery: Option<String>,
    #[serde(default)]
    due: Option<String>,
    #[serde(default)]
    payment: Option<String>,
    // `Marks`: booleans only (`true`/`false`), so `"yes"` or `1` is refused rather than guessed.
    #[serde(default)]
    result_file: Option<bool>,
    #[serde(default)]
    digitised: Option<bool>,
    #[serde(default)]
    reused_data: Option<bool>,
    #[serde(default)]
    fee: Option<bool>,
    #[serde(default)]
    supplement_answered: Option<bool>,
}

/// What the validator needs to know of the registry.
pub trait Catalog {
    fn has_unit(&self, code: &str) -> bool;
    fn has_procedure(&self, code: &str) -> bool;
}

/// Validates one event of a batch. `now_ms` bounds how far in the future `at` may be.
/// A reason longer than `MAX_REASON_CHARS` characters is cut there and ends with `…`.
pub fn validate(value: Value, source: &str, catalog: &impl Catalog, now_ms: i64) -> Result<Event, String> {
    validate_whole(value, source, catalog, now_ms).map_err(shorten)
}

fn validate_whole(value: Value, source: &str, catalog: &impl Catalog, now_ms: i64) -> Result<Event, String> {
    if !value.is_object() {
        return Err("an event must be a JSON object".into());
    }
    let w: WireEvent = serde_json::from_value(value).map_err(|e| e.to_string())?;
    check_text("id", &w.id, MAX_ID_CHARS)?;
    check_text("dossier", &w.dossier, MAX_DOSSIER_CHARS)?;
    check_len("unit", &w.unit, MAX_CODE_CHARS)?;
    if !catalog.has_unit(&w.unit) {
        return Err(format!("unknown unit {:?}", w.unit));
    }
    check_len("procedure", &w.procedure, MAX_CODE_CHARS)?;
    if !catalog.has_procedure(&w.procedure) {
        return Err(format!("unknown procedure {:?}", w.procedure));
    }
    let status = parse_status(&w.status)?;
    let at = parse_time("at", &w.at)?;
    let latest = now_ms.saturating_add(MAX_FUTURE_MS);
    if at < EARLIEST_TIME_MS {
        return Err(format!("at {:?} is before {EARLIEST_TIME}: accepted from {EARLIEST_TIME} to 10 minutes after now ({})", w.at, local(latest)));
    }
    if at > latest {
        return Err(format!(
            "at {:?} is more than 10 minutes in the future: accepted from {EARLIEST_TIME} to 10 minutes after now ({})",
            w.at,
            local(latest)
        ));
    }
    let channel = w.channel.as_ref().map(parse_channel).transpose()?;
    if status == Status::Received && channel.is_none() {
        return Err("channel is required when status is received".into());
    }
    let result_delivery = w
        .result_delivery
        .as_deref()
        .map(|s| s.parse::<Channel>().map_err(|e| format!("result_delivery: {e}")))
        .transpose()?;
    if status == Status::Returned && result_delivery.is_none() {
        return Err("result_delivery is required when status is returned".into());
    }
    let due = w.due.as_deref().map(|d| parse_time("due", d)).transpose()?;
    if let (Some(due), Some(text)) = (due, &w.due) {
        if !(EARLIEST_TIME_MS..DUE_BEFORE_MS).contains(&due) {
            return Err(format!("due {text:?} is outside the accepted range: from {EARLIEST_TIME} to before {DUE_BEFORE}"));
        }
    }
    let payment = w.payment.as_deref().map(|p| p.parse::<Payment>().map_err(|e| format!("payment: {e}"))).transpose()?;
    if w.supplement_answered == Some(false) {
        return Err("supplement_answered can only be true: send it on the event at which the applicant answered a supplement request".into());
    }
    let marks = Marks { result_file: w.result_file, digitised: w.digitised, reused_data: w.reused_data, fee: w.fee, supplement_answered: w.supplement_answered };
    Ok(Event {
        source: source.to_string(),
        id: w.id,
        dossier: w.dossier,
        unit: w.unit,
        procedure: w.procedure,
        status,
        at,
        channel,
        result_delivery,
        due,
        payment,
        marks,
    })
}

fn check_len(field: &str, value: &str, max: usize) -> Result<(), String> {
    let n = value.chars().count();
    if n == 0 || n > max {
        return Err(format!("{field} must be 1 to {max} characters long (got {n})"));
    }
    Ok(())
}

/// An identifier the store keeps and pages, CSV files and logs show: 1 to `max` characters, none of
/// them a control or invisible formatting character, no whitespace at either end.
fn check_text(field: &str, value: &str, max: usize) -> Result<(), String> {
    check_len(field, value, max)?;
    if let Some((i, c)) = value.chars().enumerate().find(|(_, c)| is_forbidden(*c)) {
        return Err(format!(
            "{field} must not contain control or invisible formatting characters (U+{:04X} at character {})",
            c as u32,
            i + 1
        ));
    }
    if value.starts_with(char::is_whitespace) || value.ends_with(char::is_whitespace) {
        return Err(format!("{field} must not begin or end with whitespace"));
    }
    Ok(())
}

/// Characters refused in `id` and `dossier`: control characters (C0 with NUL, which PostgreSQL's text
/// cannot hold, DEL, C1), and the invisible ones that make a code read as another or reorder what
/// follows it on a page: zero-width characters and marks, bidirectional embeddings, overrides and
/// isolates, line and paragraph separators, the byte-order mark.
pub fn is_forbidden(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{061C}' | '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{FEFF}')
}

/// Cuts a reason to `MAX_REASON_CHARS` characters.
fn shorten(reason: String) -> String {
    cut(reason, MAX_REASON_CHARS)
}

/// `text` cut to `max` characters, ending with `…` when it was longer: what a sender sees of a value
/// it sent, never the whole of a huge one.
pub fn cut(text: String, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text,
    }
}

/// An instant in Vietnam's local time, as reasons show it.
fn local(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|t| t.with_timezone(&crate::domain::month::vn_offset()).to_rfc3339_opts(SecondsFormat::Secs, false))
        .unwrap_or_else(|| ms.to_string())
}

fn parse_status(v: &Value) -> Result<Status, String> {
    match v {
        Value::String(s) => s.parse().map_err(|e| format!("status: {e}")),
        Value::Number(n) => n
            .as_i64()
            .and_then(Status::from_code)
            .ok_or_else(|| format!("status: {n} is not a status code (a whole number from 1 to 10)")),
        _ => Err("status must be a name or a code from 1 to 10".into()),
    }
}

fn parse_channel(v: &Value) -> Result<Channel, String> {
    match v {
        Value::String(s) => s.parse().map_err(|e| format!("channel: {e}")),
        Value::Number(n) => n
            .as_i64()
            .and_then(Channel::from_code)
            .ok_or_else(|| format!("channel: {n} is not a channel code (1 in person, 2 online, 3 postal)")),
        _ => Err("channel must be in_person, online, postal or 1, 2, 3".into()),
    }
}

/// RFC 3339 with an explicit offset (`Z` or `±hh:mm`); local times without offset are refused.
fn parse_time(field: &str, s: &str) -> Result<i64, String> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.timestamp_millis())
        .map_err(|e| format!("{field}: {s:?} is not an RFC 3339 timestamp with offset ({e})"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct All;
    impl Catalog for All {
        fn has_unit(&self, c: &str) -> bool {
            c == "31-STP"
        }
        fn has_procedure(&self, c: &str) -> bool {
            c == "1.001612"
        }
    }

    fn now() -> i64 {
        DateTime::parse_from_rfc3339("2026-11-22T10:00:00+07:00").unwrap().timestamp_millis()
    }

    fn base() -> Value {
        json!({"id": "e1", "dossier": "H31-1", "unit": "31-STP", "procedure": "1.001612",
               "status": "received", "at": "2026-11-03T08:15:00+07:00", "channel": "online"})
    }

    fn with(k: &str, v: Value) -> Value {
        let mut b = base();
        b[k] = v;
        b
    }

    fn err(v: Value) -> String {
        validate(v, "s", &All, now()).unwrap_err()
    }

    #[test]
    fn accepts_the_contract_example() {
        let e = validate(base(), "igate", &All, now()).unwrap();
        assert_eq!(e.status, Status::Received);
        assert_eq!(e.channel, Some(Channel::Online));
        assert_eq!(e.at, DateTime::parse_from_rfc3339("2026-11-03T01:15:00Z").unwrap().timestamp_millis());
    }

    #[test]
    fn numeric_aliases() {
        assert_eq!(validate(with("status", json!(2)), "s", &All, now()).unwrap().status, Status::Received);
        assert_eq!(Status::Returned.code(), 10);
        assert_eq!(Status::from_code(10), Some(Status::Returned));
        assert_eq!(Status::from_code(0), None);
        assert_eq!(Status::from_code(11), None);
        let e = validate(with("channel", json!(3)), "s", &All, now()).unwrap();
        assert_eq!(e.channel, Some(Channel::Postal));
        assert!(err(with("status", json!(11))).contains("status code"));
        assert!(err(with("channel", json!(0))).contains("channel code"));
    }

    #[test]
    fn rejects_with_reasons() {
        assert!(err(with("full_name", json!("Nguyễn Văn A"))).contains("unknown field `full_name`"));
        assert!(err(with("id", json!(""))).contains("id must be 1 to 128"));
        assert!(err(with("id", json!("x".repeat(129)))).contains("id must be 1 to 128"));
        assert!(err(with("dossier", json!("x".repeat(65)))).contains("dossier must be 1 to 64"));
        assert!(err(with("unit", json!("99-XXX"))).contains("unknown unit"));
        assert!(err(with("procedure", json!("0.000"))).contains("unknown procedure"));
        assert!(err(with("status", json!("done"))).contains("status"));
        assert!(err(with("at", json!("2026-11-03T08:15:00"))).contains("RFC 3339"));
        assert!(err(with("at", json!("2026-11-22T10:10:01+07:00"))).contains("future"));
        assert!(err(with("channel", json!("fax"))).contains("channel"));
        assert!(err(with("channel", Value::Null)).contains("channel is required"));
        assert!(err(with("status", json!("returned"))).contains("result_delivery is required"));
        assert!(err(with("payment", json!("cash"))).contains("payment"));
        assert!(err(with("due", json!("tomorrow"))).contains("due"));
        assert!(err(json!([1])).contains("JSON object"));
        let mut missing = base();
        missing.as_object_mut().unwrap().remove("dossier");
        assert!(err(missing).contains("missing field `dossier`"));
    }

    #[test]
    fn ten_minutes_ahead_is_allowed() {
        assert!(validate(with("at", json!("2026-11-22T10:10:00+07:00")), "s", &All, now()).is_ok());
    }

    fn ok(v: Value) -> Event {
        validate(v, "s", &All, now()).unwrap()
    }

    #[test]
    fn control_and_invisible_characters_are_refused_in_id_and_dossier() {
        for field in ["id", "dossier"] {
            for bad in ["a\0b", "\0", "a\u{7}", "a\tb", "a\nb", "a\rb", "a\u{7F}", "a\u{85}b", "a\u{9F}", "a\u{202E}b", "a\u{2066}b",
                "a\u{200B}b", "a\u{200F}", "a\u{2028}b", "\u{FEFF}a", "a\u{061C}"]
            {
                let e = err(with(field, json!(bad)));
                assert!(e.starts_with(&format!("{field} must not contain control or invisible formatting characters (U+")), "{bad:?}: {e}");
            }
        }
        assert!(err(with("id", json!("ab\0"))).contains("(U+0000 at character 3)"));
        assert!(err(with("dossier", json!("H31\u{202E}1"))).contains("(U+202E at character 4)"));
        // Letters of any script, marks, emoji, punctuation and inner spaces are kept as they are.
        for good in ["H31.05-261103-0001", "Hồ sơ 1", "hồ-sơ/2026#1", "ĐĂNG KÝ", "😀🇻🇳", "a b", "x\u{301}"] {
            assert_eq!(ok(with("id", json!(good))).id, good);
            assert_eq!(ok(with("dossier", json!(good))).dossier, good);
        }
    }

    #[test]
    fn whitespace_at_either_end_is_refused() {
        for field in ["id", "dossier"] {
            for bad in [" a", "a ", " ", "a\u{A0}", "\u{3000}a", "a\u{2003}"] {
                assert_eq!(err(with(field, json!(bad))), format!("{field} must not begin or end with whitespace"), "{bad:?}");
            }
        }
    }

    #[test]
    fn lengths_are_counted_in_characters_and_bound_bytes() {
        // 128 four-byte characters (512 bytes) are an id; one more is not.
        assert_eq!(ok(with("id", json!("😀".repeat(128)))).id.len(), 512);
        assert!(err(with("id", json!("😀".repeat(129)))).starts_with("id must be 1 to 128 characters long (got 129)"));
        assert_eq!(ok(with("dossier", json!("ệ".repeat(64)))).dossier.chars().count(), 64);
        assert!(err(with("dossier", json!("ệ".repeat(65)))).starts_with("dossier must be 1 to 64 characters long (got 65)"));
        assert!(err(with("dossier", json!(""))).starts_with("dossier must be 1 to 64"));
        // Unit and procedure lengths are checked before the registry is asked.
        assert_eq!(err(with("unit", json!("x".repeat(65)))), "unit must be 1 to 64 characters long (got 65)");
        assert_eq!(err(with("unit", json!(""))), "unit must be 1 to 64 characters long (got 0)");
        assert_eq!(err(with("procedure", json!("x".repeat(100_000)))), "procedure must be 1 to 64 characters long (got 100000)");
        assert!(err(with("unit", json!("x".repeat(64)))).starts_with("unknown unit"));
    }

    #[test]
    fn numeric_codes_that_do_not_fit_are_refused() {
        for n in [json!(0), json!(-1), json!(11), json!(2.5), json!(2.0), json!(1e20), json!(u64::MAX), json!(i64::MIN), json!(-0.0)] {
            assert!(err(with("status", n.clone())).starts_with("status: "), "{n}");
            assert!(err(with("status", n.clone())).contains("is not a status code (a whole number from 1 to 10)"), "{n}");
            assert!(err(with("channel", n.clone())).contains("is not a channel code"), "{n}");
        }
        assert!(err(with("channel", json!(4))).contains("channel: 4 is not a channel code"));
        assert!(err(with("status", json!(true))).contains("status must be a name or a code"));
        assert!(err(with("channel", json!([2]))).contains("channel must be"));
        let mut returned = with("status", json!(10));
        returned["result_delivery"] = json!("online");
        assert_eq!(ok(returned).status, Status::Returned);
        assert_eq!(ok(with("channel", json!(1))).channel, Some(Channel::InPerson));
    }

    fn ms(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis()
    }

    #[test]
    fn time_bounds_are_the_instants_they_name() {
        assert_eq!(EARLIEST_TIME_MS, ms(EARLIEST_TIME));
        assert_eq!(DUE_BEFORE_MS, ms(DUE_BEFORE));
        // Every accepted time falls in a month a `Month` key can hold.
        use crate::domain::Month;
        for t in [EARLIEST_TIME_MS, DUE_BEFORE_MS - 1] {
            let m = Month::of_millis(t);
            assert_eq!(Month::from_key(m.key()), Some(m));
        }
    }

    #[test]
    fn at_lies_between_2000_and_ten_minutes_from_now() {
        for bad in ["0001-01-01T00:00:00Z", "1899-12-30T00:00:00+07:00", "1970-01-01T00:00:00Z", "1999-12-31T23:59:59.999+07:00", "1999-12-31T16:59:59Z"] {
            let e = err(with("at", json!(bad)));
            assert_eq!(
                e,
                format!("at {bad:?} is before 2000-01-01T00:00:00+07:00: accepted from 2000-01-01T00:00:00+07:00 to 10 minutes after now (2026-11-22T10:10:00+07:00)")
            );
        }
        assert_eq!(ok(with("at", json!("2000-01-01T00:00:00+07:00"))).at, EARLIEST_TIME_MS);
        assert_eq!(ok(with("at", json!("1999-12-31T17:00:00Z"))).at, EARLIEST_TIME_MS);
        for bad in ["2026-11-22T10:10:00.001+07:00", "2100-01-01T00:00:00Z", "9999-12-31T23:59:59Z"] {
            assert_eq!(
                err(with("at", json!(bad))),
                format!("at {bad:?} is more than 10 minutes in the future: accepted from 2000-01-01T00:00:00+07:00 to 10 minutes after now (2026-11-22T10:10:00+07:00)")
            );
        }
        // A clock at the end of time does not overflow.
        assert!(validate(base(), "s", &All, i64::MAX).is_ok());
    }

    #[test]
    fn due_lies_between_2000_and_2100() {
        for bad in ["0001-01-01T00:00:00Z", "1999-12-31T23:59:59+07:00", "2100-01-01T00:00:00+07:00", "9999-12-31T23:59:59Z"] {
            assert_eq!(
                err(with("due", json!(bad))),
                format!("due {bad:?} is outside the accepted range: from 2000-01-01T00:00:00+07:00 to before 2100-01-01T00:00:00+07:00")
            );
        }
        assert_eq!(ok(with("due", json!("2000-01-01T00:00:00+07:00"))).due, Some(EARLIEST_TIME_MS));
        assert_eq!(ok(with("due", json!("2099-12-31T23:59:59.999+07:00"))).due, Some(DUE_BEFORE_MS - 1));
    }

    #[test]
    fn reasons_are_cut_short() {
        for (k, v) in [("status", json!("x".repeat(100_000))), ("at", json!("y".repeat(100_000))), ("x".repeat(100_000).as_str(), json!(1))] {
            let e = err(with(k, v));
            assert_eq!(e.chars().count(), MAX_REASON_CHARS + 1, "{k:.10}");
            assert!(e.ends_with('…'));
        }
    }

    mod properties {
        use super::*;
        use crate::ingest::body;
        use proptest::prelude::*;

        struct AnyCode;
        impl Catalog for AnyCode {
            fn has_unit(&self, _: &str) -> bool {
                true
            }
            fn has_procedure(&self, _: &str) -> bool {
                true
            }
        }

        /// Any string, and strings near the rules' edges (lengths, control and space characters).
        fn text() -> impl Strategy<Value = String> {
            prop_oneof![
                any::<String>(),
                "[ -~]{0,140}",
                "\\PC{0,130}",
                "[\\x00-\\x20\\u{7F}-\\u{A0}\\u{200B}-\\u{202F}\\u{FEFF}a-z😀]{0,12}",
                Just("😀".repeat(128)),
            ]
        }

        const FIELDS: [&str; 10] = ["id", "dossier", "unit", "procedure", "status", "at", "channel", "result_delivery", "due", "payment"];

        proptest! {
            #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

            /// A string in any field, sent as JSON text: the event comes back with exactly that string,
            /// or a short reason; never a panic.
            #[test]
            fn any_string_round_trips_or_gets_a_reason(field in 0..FIELDS.len(), value in text()) {
                let field = FIELDS[field];
                let mut v = base();
                v["status"] = json!("returned");
                v["result_delivery"] = json!("postal");
                v["due"] = json!("2026-11-30T17:00:00+07:00");
                v[field] = json!(value);
                let text = serde_json::to_string(&json!([v])).unwrap();
                let items = body::split(Some("application/json"), text.as_bytes()).unwrap();
                prop_assert_eq!(items.len(), 1);
                let parsed = items.into_iter().next().unwrap().unwrap();
                match validate(parsed, "s", &AnyCode, now()) {
                    Ok(e) => {
                        let kept = match field {
                            "id" => Some(&e.id),
                            "dossier" => Some(&e.dossier),
                            "unit" => Some(&e.unit),
                            "procedure" => Some(&e.procedure),
                            _ => None,
                        };
                        if let Some(kept) = kept {
                            prop_assert_eq!(kept, &value);
                        }
                        for s in [&e.id, &e.dossier] {
                            prop_assert!(!s.chars().any(is_forbidden));
                            prop_assert!(s.trim() == s.as_str() && !s.is_empty());
                        }
                        prop_assert!(e.id.chars().count() <= MAX_ID_CHARS && e.dossier.chars().count() <= MAX_DOSSIER_CHARS);
                        prop_assert!((EARLIEST_TIME_MS..=now() + MAX_FUTURE_MS).contains(&e.at));
                        prop_assert!(e.due.is_none_or(|d| (EARLIEST_TIME_MS..DUE_BEFORE_MS).contains(&d)));
                    }
                    Err(reason) => {
                        prop_assert!(!reason.is_empty());
                        prop_assert!(reason.chars().count() <= MAX_REASON_CHARS + 1);
                    }
                }
            }

            /// Any number as status or channel: a code from the table, or a reason.
            #[test]
            fn any_number_is_a_code_or_a_reason(n in prop_oneof![any::<i64>().prop_map(Value::from), any::<u64>().prop_map(Value::from), any::<f64>().prop_map(|f| json!(f)), (-3i64..14).prop_map(Value::from)], channel in any::<bool>()) {
                let field = if channel { "channel" } else { "status" };
                match validate(with(field, n.clone()), "s", &AnyCode, now()) {
                    Ok(e) => {
                        let code = n.as_i64().unwrap();
                        if channel {
                            prop_assert_eq!(e.channel, Channel::from_code(code));
                            prop_assert!((1..=3).contains(&code));
                        } else {
                            prop_assert_eq!(Some(e.status), Status::from_code(code));
                        }
                    }
                    Err(reason) => prop_assert!(reason.contains("code") || reason.contains("required"), "{}", reason),
                }
            }
        }
    }
}
