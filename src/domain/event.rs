//! Dossier events as the ingest contract (events.md) defines them, and their validation.

use chrono::DateTime;
use serde::Deserialize;
use serde_json::Value;
use std::fmt;
use std::str::FromStr;

/// How far in the future an event's `at` may lie, to absorb clock skew of agency systems.
pub const MAX_FUTURE_MS: i64 = 10 * 60 * 1000;

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
}

impl Event {
    /// Order used for "earliest" and "latest" (kpi.md): by `at`, ties by `id`, then by source.
    pub fn order_key(&self) -> (i64, &str, &str) {
        (self.at, &self.id, &self.source)
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
}

/// What the validator needs to know of the registry.
pub trait Catalog {
    fn has_unit(&self, code: &str) -> bool;
    fn has_procedure(&self, code: &str) -> bool;
}

/// Validates one event of a batch. `now_ms` bounds how far in the future `at` may be.
pub fn validate(value: Value, source: &str, catalog: &impl Catalog, now_ms: i64) -> Result<Event, String> {
    if !value.is_object() {
        return Err("an event must be a JSON object".into());
    }
    let w: WireEvent = serde_json::from_value(value).map_err(|e| e.to_string())?;
    check_len("id", &w.id, 128)?;
    check_len("dossier", &w.dossier, 64)?;
    if !catalog.has_unit(&w.unit) {
        return Err(format!("unknown unit {:?}", w.unit));
    }
    if !catalog.has_procedure(&w.procedure) {
        return Err(format!("unknown procedure {:?}", w.procedure));
    }
    let status = parse_status(&w.status)?;
    let at = parse_time("at", &w.at)?;
    if at > now_ms + MAX_FUTURE_MS {
        return Err(format!("at {:?} is more than 10 minutes in the future", w.at));
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
    let payment = w.payment.as_deref().map(|p| p.parse::<Payment>().map_err(|e| format!("payment: {e}"))).transpose()?;
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
    })
}

fn check_len(field: &str, value: &str, max: usize) -> Result<(), String> {
    let n = value.chars().count();
    if n == 0 || n > max {
        return Err(format!("{field} must be 1 to {max} characters long (got {n})"));
    }
    Ok(())
}

fn parse_status(v: &Value) -> Result<Status, String> {
    match v {
        Value::String(s) => s.parse().map_err(|e| format!("status: {e}")),
        Value::Number(n) => n
            .as_i64()
            .and_then(Status::from_code)
            .ok_or_else(|| format!("status: {n} is not a status code (1 to 10)")),
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
}
