//! The one source of "now". The binary's entry points choose the clock; everything below is given it
//! (or the instant it reads), so date logic can be run at any instant, in tests and in the demo.

use chrono::{DateTime, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// The machine's clock.
    System,
    /// Always this instant (milliseconds since the epoch): tests.
    Fixed(i64),
    /// The machine's clock moved by this many milliseconds: time flows, from another starting day
    /// (`demo --now`).
    Shifted(i64),
}

impl Clock {
    /// A clock that reads `start_ms` now and runs on from there.
    pub fn starting_at(start_ms: i64) -> Clock {
        Clock::Shifted(start_ms - Utc::now().timestamp_millis())
    }

    pub fn now_ms(self) -> i64 {
        match self {
            Clock::System => Utc::now().timestamp_millis(),
            Clock::Fixed(ms) => ms,
            Clock::Shifted(by) => Utc::now().timestamp_millis() + by,
        }
    }

    /// Now, as an RFC 3339 time in UTC.
    pub fn now_rfc3339(self) -> String {
        DateTime::from_timestamp_millis(self.now_ms()).unwrap_or_default().to_rfc3339()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shifted_clock_starts_where_it_is_told_and_runs_on() {
        let start = DateTime::parse_from_rfc3339("2028-02-29T23:59:00+07:00").unwrap().timestamp_millis();
        let clock = Clock::starting_at(start);
        let a = clock.now_ms();
        assert!((a - start).abs() < 5_000, "{a} vs {start}");
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert!(clock.now_ms() > a);
        assert_eq!(Clock::Fixed(start).now_ms(), start);
        assert_eq!(Clock::Fixed(0).now_rfc3339(), "1970-01-01T00:00:00+00:00");
    }
}
