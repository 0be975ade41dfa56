//! Calendar months in Vietnam's local time (UTC+07:00, no daylight saving), as kpi.md defines them.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, TimeZone, Utc};
use serde::{Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// Offset of Asia/Ho_Chi_Minh, fixed since 1975.
pub const VN_OFFSET_SECONDS: i32 = 7 * 3600;

pub fn vn_offset() -> FixedOffset {
    FixedOffset::east_opt(VN_OFFSET_SECONDS).expect("valid offset")
}

/// A month, stored as `year * 100 + month` (e.g. 202611) so that keys sort and compare as integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    year: i32,
    month: u32,
}

impl Month {
    pub fn new(year: i32, month: u32) -> Option<Month> {
        ((1..=12).contains(&month) && (1900..=9999).contains(&year)).then_some(Month { year, month })
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn month(self) -> u32 {
        self.month
    }

    /// The month (local time) that an instant, in milliseconds since the epoch, falls in.
    pub fn of_millis(ms: i64) -> Month {
        let local = DateTime::<Utc>::from_timestamp_millis(ms)
            .unwrap_or_default()
            .with_timezone(&vn_offset());
        Month { year: local.year(), month: local.month() }
    }

    pub fn of(instant: DateTime<Utc>) -> Month {
        Month::of_millis(instant.timestamp_millis())
    }

    pub fn key(self) -> i32 {
        self.year * 100 + self.month as i32
    }

    pub fn from_key(key: i32) -> Option<Month> {
        Month::new(key / 100, (key % 100) as u32)
    }

    /// How many months from `self` to `later` (negative when `later` comes first).
    pub fn months_until(self, later: Month) -> i64 {
        (i64::from(later.year) - i64::from(self.year)) * 12 + i64::from(later.month) - i64::from(self.month)
    }

    pub fn next(self) -> Month {
        if self.month == 12 {
            Month { year: self.year + 1, month: 1 }
        } else {
            Month { year: self.year, month: self.month + 1 }
        }
    }

    pub fn prev(self) -> Month {
        if self.month == 1 {
            Month { year: self.year - 1, month: 12 }
        } else {
            Month { year: self.year, month: self.month - 1 }
        }
    }

    /// First instant of the month, in milliseconds since the epoch.
    pub fn start_millis(self) -> i64 {
        let date = NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("valid month");
        vn_offset()
            .from_local_datetime(&date.and_hms_opt(0, 0, 0).expect("midnight"))
            .single()
            .expect("fixed offset is unambiguous")
            .timestamp_millis()
    }

    /// First instant after the month.
    pub fn end_millis(self) -> i64 {
        self.next().start_millis()
    }

    /// Where `now` stands relative to this month.
    pub fn progress(self, now_ms: i64) -> Progress {
        Progress::between(self.start_millis(), self.end_millis(), now_ms)
    }

    /// The `n` months ending with this one, oldest first.
    pub fn trailing(self, n: usize) -> Vec<Month> {
        let mut months = Vec::with_capacity(n);
        let mut m = self;
        for _ in 0..n {
            months.push(m);
            m = m.prev();
        }
        months.reverse();
        months
    }
}

/// The state of a period (a month, quarter, half or year) at the moment a status is evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    Finished,
    /// The period in progress; `elapsed_ms / length_ms` is the share of it that has passed.
    Current { elapsed_ms: i64, length_ms: i64 },
    NotStarted,
}

impl Progress {
    /// Where `now_ms` stands relative to the period `[start_ms, end_ms)`.
    pub fn between(start_ms: i64, end_ms: i64, now_ms: i64) -> Progress {
        if now_ms >= end_ms {
            Progress::Finished
        } else if now_ms < start_ms {
            Progress::NotStarted
        } else {
            // At least one millisecond has passed: elapsed lies in (0, 1].
            Progress::Current { elapsed_ms: (now_ms - start_ms).max(1), length_ms: end_ms - start_ms }
        }
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl FromStr for Month {
    type Err = String;
    fn from_str(s: &str) -> Result<Month, String> {
        let err = || format!("invalid month {s:?}: expected YYYY-MM");
        let (y, m) = s.split_once('-').ok_or_else(err)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(err());
        }
        let year = y.parse().map_err(|_| err())?;
        let month = m.parse().map_err(|_| err())?;
        Month::new(year, month).ok_or_else(err)
    }
}

impl Serialize for Month {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis()
    }

    #[test]
    fn month_is_taken_in_vietnam_local_time() {
        // The example of kpi.md: 18:30 UTC on 31 October is 01:30 on 1 November in Hà Nội.
        assert_eq!(Month::of_millis(ms("2026-10-31T18:30:00Z")).to_string(), "2026-11");
        assert_eq!(Month::of_millis(ms("2026-10-31T16:59:59.999Z")).to_string(), "2026-10");
        assert_eq!(Month::of_millis(ms("2026-10-31T17:00:00Z")).to_string(), "2026-11");
        assert_eq!(Month::of_millis(ms("2026-11-01T00:00:00+07:00")).to_string(), "2026-11");
        assert_eq!(Month::of_millis(ms("2026-12-31T23:59:59+07:00")).to_string(), "2026-12");
        assert_eq!(Month::of_millis(ms("2026-12-31T17:00:00Z")).to_string(), "2027-01");
    }

    #[test]
    fn boundaries_are_local_midnight() {
        let nov: Month = "2026-11".parse().unwrap();
        assert_eq!(nov.start_millis(), ms("2026-10-31T17:00:00Z"));
        assert_eq!(nov.end_millis(), ms("2026-11-30T17:00:00Z"));
        let feb: Month = "2028-02".parse().unwrap();
        assert_eq!(feb.end_millis() - feb.start_millis(), 29 * 86_400_000);
    }

    #[test]
    fn parse_and_navigate() {
        assert!("2026-13".parse::<Month>().is_err());
        assert!("2026-1".parse::<Month>().is_err());
        assert!("26-01".parse::<Month>().is_err());
        let jan: Month = "2026-01".parse().unwrap();
        assert_eq!(jan.prev().to_string(), "2025-12");
        assert_eq!(jan.prev().next(), jan);
        assert_eq!(Month::from_key(jan.key()), Some(jan));
        assert_eq!(jan.trailing(3).iter().map(|m| m.to_string()).collect::<Vec<_>>(), ["2025-11", "2025-12", "2026-01"]);
    }

    #[test]
    fn months_are_counted_across_years() {
        let dec: Month = "2025-12".parse().unwrap();
        let jan: Month = "2026-01".parse().unwrap();
        assert_eq!(dec.months_until(jan), 1);
        assert_eq!(jan.months_until(dec), -1);
        assert_eq!(jan.months_until(jan), 0);
        assert_eq!(dec.months_until("2027-02".parse().unwrap()), 14);
    }

    #[test]
    fn period_relative_to_now() {
        let nov: Month = "2026-11".parse().unwrap();
        assert_eq!(nov.progress(ms("2026-12-01T00:00:00+07:00")), Progress::Finished);
        assert_eq!(nov.progress(ms("2026-10-31T23:59:59+07:00")), Progress::NotStarted);
        match nov.progress(ms("2026-11-16T00:00:00+07:00")) {
            Progress::Current { elapsed_ms, length_ms } => assert_eq!(elapsed_ms * 2, length_ms),
            p => panic!("{p:?}"),
        }
    }
}
