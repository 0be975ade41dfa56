//! Codes agency systems use for their units, and which registry unit each one stands for.
//!
//! A provincial system names the handling unit of a dossier in its own codes (`DonViXuLy`, OpenCPS's
//! `madonvi`). The operator maps them to registry units (`sender-codes import`); a mapping may hold for
//! one source (collector token source) or for every source (`source` empty), and the source's own
//! mapping wins. A code that is not mapped but is itself a registry unit code stands for that unit, so
//! a system configured with registry codes needs no file; a mapping always wins over that.

use super::unit::UnitTree;
use std::collections::HashMap;

/// One row of the mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SenderCode {
    /// The collector source the row is for; empty for every source.
    pub source: String,
    pub code: String,
    pub unit: String,
}

/// A code that arrived without a mapping: how often and when, nothing else.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct UnmappedCode {
    pub source: String,
    pub code: String,
    /// Snapshots refused for it.
    pub seen: i64,
    /// Milliseconds since the epoch.
    pub first_seen: i64,
    pub last_seen: i64,
}

/// A processing step of the national-sync collector held until its dossier's snapshot arrives from the
/// same source: the dossier code, the status the step led to and its time, nothing else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldStep {
    pub dossier: String,
    pub status: crate::domain::event::Status,
    /// Milliseconds since the epoch.
    pub at: i64,
}

/// How many steps a source has held, and since when (milliseconds since the epoch).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct HeldSteps {
    pub source: String,
    pub steps: i64,
    pub oldest: i64,
}

/// The mapping, built for lookups.
#[derive(Debug, Clone, Default)]
pub struct SenderCodes {
    by_source_and_code: HashMap<(String, String), String>,
}

/// Longest sender code accepted (as registry codes); longer values are not codes.
pub const MAX_SENDER_CODE_CHARS: usize = 64;

impl SenderCodes {
    pub fn new(rows: Vec<SenderCode>) -> SenderCodes {
        SenderCodes { by_source_and_code: rows.into_iter().map(|r| ((r.source, r.code), r.unit)).collect() }
    }

    pub fn len(&self) -> usize {
        self.by_source_and_code.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_source_and_code.is_empty()
    }

    /// The registry unit `code` stands for when `source` sends it: the source's own mapping, else the
    /// mapping for every source, else the code itself when it is a registry unit.
    pub fn resolve<'a>(&'a self, source: &str, code: &'a str, units: &UnitTree) -> Option<&'a str> {
        let key = |s: &str| (s.to_string(), code.to_string());
        self.by_source_and_code
            .get(&key(source))
            .or_else(|| self.by_source_and_code.get(&key("")))
            .map(String::as_str)
            .or_else(|| units.contains(code).then_some(code))
    }
}

/// Whether `code` can be a sender code: 1 to 64 letters, digits, `.`, `-`, `_` (the shapes real codes
/// take, e.g. `000.00.31.H31`). Only such values are recorded as unmapped or quoted back, so free text
/// put in a code field is never kept or echoed.
pub fn is_code(code: &str) -> bool {
    !code.is_empty()
        && code.chars().count() <= MAX_SENDER_CODE_CHARS
        && code.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::unit::tests::sample_tree;

    #[test]
    fn the_source_mapping_wins_then_every_source_then_the_registry() {
        let row = |source: &str, code: &str, unit: &str| SenderCode { source: source.into(), code: code.into(), unit: unit.into() };
        let codes = SenderCodes::new(vec![row("", "000.00.31.H31", "31-STP"), row("igate", "000.00.31.H31", "31-SYT"), row("", "31-SYT", "31-STP")]);
        let tree = sample_tree();
        assert_eq!(codes.resolve("igate", "000.00.31.H31", &tree), Some("31-SYT"));
        assert_eq!(codes.resolve("opencps", "000.00.31.H31", &tree), Some("31-STP"));
        // A registry code is the unit itself, unless a mapping says otherwise.
        assert_eq!(codes.resolve("opencps", "31", &tree), Some("31"));
        assert_eq!(codes.resolve("opencps", "31-SYT", &tree), Some("31-STP"));
        assert_eq!(codes.resolve("opencps", "H31.99", &tree), None);
    }

    #[test]
    fn codes_have_a_plain_alphabet() {
        for good in ["000.00.31.H31", "H31-STP", "a_b", "1"] {
            assert!(is_code(good), "{good}");
        }
        for bad in ["", "Nguyễn Văn A", "a b", "x@y.vn", &"1".repeat(65), "0912 345 678"] {
            assert!(!is_code(bad), "{bad}");
        }
    }
}
