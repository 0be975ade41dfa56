//! When the weekly quick report goes out: a weekday and a time of day in Vietnam's time
//! (`mon 07:30`). Pure: the instant asked about comes in.

use crate::domain::month::vn_offset;
use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Weekday};
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeeklySchedule {
    pub weekday: Weekday,
    pub time: NaiveTime,
}

impl FromStr for WeeklySchedule {
    type Err = String;
    /// `mon 07:30` (English or Vietnamese day: `t2`…`t7`, `cn`).
    fn from_str(s: &str) -> Result<Self, String> {
        let err = || format!("invalid schedule {s:?}: expected a day and a time in Vietnam's time, e.g. \"mon 07:30\" or \"t2 07:30\"");
        let (day, time) = s.trim().split_once(' ').ok_or_else(err)?;
        let weekday = match day.trim().to_ascii_lowercase().as_str() {
            "t2" => Weekday::Mon,
            "t3" => Weekday::Tue,
            "t4" => Weekday::Wed,
            "t5" => Weekday::Thu,
            "t6" => Weekday::Fri,
            "t7" => Weekday::Sat,
            "cn" => Weekday::Sun,
            other => other.parse::<Weekday>().map_err(|_| err())?,
        };
        let time = NaiveTime::parse_from_str(time.trim(), "%H:%M").map_err(|_| err())?;
        Ok(WeeklySchedule { weekday, time })
    }
}

impl WeeklySchedule {
    /// The latest scheduled instant at or before `now_ms`, in milliseconds.
    pub fn last_due(&self, now_ms: i64) -> i64 {
        let now = DateTime::from_timestamp_millis(now_ms).unwrap_or_default().with_timezone(&vn_offset());
        let back = (now.weekday().num_days_from_monday() + 7 - self.weekday.num_days_from_monday()) % 7;
        let day = now.date_naive() - Duration::days(back as i64);
        let at = vn_offset().from_local_datetime(&day.and_time(self.time)).single().expect("a fixed offset is unambiguous").timestamp_millis();
        if at > now_ms {
            at - 7 * 86_400_000
        } else {
            at
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis()
    }

    #[test]
    fn parses_days_in_english_and_vietnamese() {
        assert_eq!("mon 07:30".parse::<WeeklySchedule>().unwrap().weekday, Weekday::Mon);
        assert_eq!("T2 07:30".parse::<WeeklySchedule>().unwrap(), "Monday 07:30".parse().unwrap());
        assert_eq!("cn 20:00".parse::<WeeklySchedule>().unwrap().weekday, Weekday::Sun);
        for bad in ["", "mon", "mon 7h30", "mon 25:00", "someday 07:30"] {
            assert!(bad.parse::<WeeklySchedule>().is_err(), "{bad}");
        }
    }

    #[test]
    fn the_last_monday_morning_in_vietnam() {
        let s: WeeklySchedule = "mon 07:30".parse().unwrap();
        // Wednesday 2 December 2026: the Monday before.
        assert_eq!(s.last_due(ms("2026-12-02T10:00:00+07:00")), ms("2026-11-30T07:30:00+07:00"));
        // Monday 07:29 is still last week's; 07:30 is this week's.
        assert_eq!(s.last_due(ms("2026-12-07T07:29:59+07:00")), ms("2026-11-30T07:30:00+07:00"));
        assert_eq!(s.last_due(ms("2026-12-07T07:30:00+07:00")), ms("2026-12-07T07:30:00+07:00"));
        // Sunday 23:30 UTC is already Monday 06:30 in Hà Nội: still before the hour.
        assert_eq!(s.last_due(ms("2026-12-06T23:30:00Z")), ms("2026-11-30T07:30:00+07:00"));
        // Across the new year: Friday 1 January 2027 looks back to Monday 28 December 2026.
        assert_eq!(s.last_due(ms("2027-01-01T00:00:00+07:00")), ms("2026-12-28T07:30:00+07:00"));
        // A leap day: Tuesday 29 February 2028 looks back to Monday the 28th.
        assert_eq!(s.last_due(ms("2028-02-29T12:00:00+07:00")), ms("2028-02-28T07:30:00+07:00"));
    }
}
