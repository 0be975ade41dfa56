//! Reporting periods: a month, a quarter, six months or a year, as the national index and leaders'
//! reports count them. A period is a run of whole calendar months (Vietnam's local time), so its figures
//! are the sums of its months' and every rule that holds for a month holds for it.

use super::month::{Month, Progress};
use serde::{Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    Month,
    Quarter,
    Half,
    Year,
}

impl PeriodKind {
    pub const ALL: [PeriodKind; 4] = [PeriodKind::Month, PeriodKind::Quarter, PeriodKind::Half, PeriodKind::Year];

    /// Months in a period of this kind.
    pub fn months(self) -> u32 {
        match self {
            PeriodKind::Month => 1,
            PeriodKind::Quarter => 3,
            PeriodKind::Half => 6,
            PeriodKind::Year => 12,
        }
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            PeriodKind::Month => "Tháng",
            PeriodKind::Quarter => "Quý",
            PeriodKind::Half => "6 tháng",
            PeriodKind::Year => "Năm",
        }
    }

    /// The word for a count of such periods: "12 tháng", "8 quý", "4 nửa năm", "3 năm".
    pub fn unit_vi(self) -> &'static str {
        match self {
            PeriodKind::Month => "tháng",
            PeriodKind::Quarter => "quý",
            PeriodKind::Half => "nửa năm",
            PeriodKind::Year => "năm",
        }
    }

    /// How many periods of this kind a history (sparklines, the unit page's table) shows: about two years.
    pub fn history_len(self) -> usize {
        match self {
            PeriodKind::Month => 12,
            PeriodKind::Quarter => 8,
            PeriodKind::Half => 4,
            PeriodKind::Year => 3,
        }
    }
}

/// One period: its kind, its year and its number within the year (month 1–12, quarter 1–4, half 1–2,
/// year 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    year: i32,
    kind: PeriodKind,
    index: u32,
}

impl Period {
    /// The period of `kind` that `month` falls in.
    pub fn containing(kind: PeriodKind, month: Month) -> Period {
        Period { year: month.year(), kind, index: (month.month() - 1) / kind.months() + 1 }
    }

    pub fn kind(self) -> PeriodKind {
        self.kind
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn first(self) -> Month {
        Month::new(self.year, (self.index - 1) * self.kind.months() + 1).expect("a period lies within its year")
    }

    pub fn last(self) -> Month {
        Month::new(self.year, self.index * self.kind.months()).expect("a period lies within its year")
    }

    /// The month it is, if it is one.
    pub fn as_month(self) -> Option<Month> {
        (self.kind == PeriodKind::Month).then(|| self.first())
    }

    /// Its months, oldest first.
    pub fn months(self) -> impl Iterator<Item = Month> {
        std::iter::successors(Some(self.first()), |m| Some(m.next())).take(self.kind.months() as usize)
    }

    pub fn contains(self, month: Month) -> bool {
        self.first() <= month && month <= self.last()
    }

    /// The period of the same kind before it: the previous month, quarter, half or year.
    pub fn prev(self) -> Period {
        Period::containing(self.kind, self.first().prev())
    }

    pub fn next(self) -> Period {
        Period::containing(self.kind, self.last().next())
    }

    /// The `n` periods of its kind ending with this one, oldest first.
    pub fn trailing(self, n: usize) -> Vec<Period> {
        let mut periods = Vec::with_capacity(n);
        let mut p = self;
        for _ in 0..n {
            periods.push(p);
            p = p.prev();
        }
        periods.reverse();
        periods
    }

    pub fn start_millis(self) -> i64 {
        self.first().start_millis()
    }

    pub fn end_millis(self) -> i64 {
        self.last().end_millis()
    }

    /// Where `now` stands relative to the whole period: its outlook is that of the period's end.
    pub fn progress(self, now_ms: i64) -> Progress {
        Progress::between(self.start_millis(), self.end_millis(), now_ms)
    }

    /// As a Vietnamese report names it: "tháng 11/2026", "quý IV/2026", "6 tháng đầu năm 2026", "năm 2026".
    pub fn label_vi(self) -> String {
        match self.kind {
            PeriodKind::Month => format!("tháng {}/{}", self.index, self.year),
            PeriodKind::Quarter => format!("quý {}/{}", ["I", "II", "III", "IV"][self.index as usize - 1], self.year),
            PeriodKind::Half if self.index == 1 => format!("6 tháng đầu năm {}", self.year),
            PeriodKind::Half => format!("6 tháng cuối năm {}", self.year),
            PeriodKind::Year => format!("năm {}", self.year),
        }
    }

    /// A short label for a column or a chart axis: "11/2026", "Q4/2026", "H2/2026", "2026".
    pub fn short_label(self) -> ShortLabel {
        ShortLabel { period: self, two_digit_year: false }
    }

    /// The same with the year in two digits, for a crowded axis: "11/26", "Q4/26".
    pub fn axis_label(self) -> ShortLabel {
        ShortLabel { period: self, two_digit_year: true }
    }
}

/// A period's short label, written where it is needed (thousands of sparklines on one page).
pub struct ShortLabel {
    period: Period,
    two_digit_year: bool,
}

impl fmt::Display for ShortLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = self.period;
        let year = if self.two_digit_year { p.year % 100 } else { p.year };
        let width = if self.two_digit_year { 2 } else { 4 };
        match p.kind {
            PeriodKind::Month => write!(f, "{:02}/{:0width$}", p.index, year),
            PeriodKind::Quarter => write!(f, "Q{}/{:0width$}", p.index, year),
            PeriodKind::Half => write!(f, "H{}/{:0width$}", p.index, year),
            PeriodKind::Year => write!(f, "{}", p.year),
        }
    }
}

impl From<Month> for Period {
    fn from(month: Month) -> Period {
        Period::containing(PeriodKind::Month, month)
    }
}

/// `2026-11`, `2026-Q4`, `2026-H2`, `2026`.
impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            PeriodKind::Month => write!(f, "{:04}-{:02}", self.year, self.index),
            PeriodKind::Quarter => write!(f, "{:04}-Q{}", self.year, self.index),
            PeriodKind::Half => write!(f, "{:04}-H{}", self.year, self.index),
            PeriodKind::Year => write!(f, "{:04}", self.year),
        }
    }
}

impl FromStr for Period {
    type Err = String;
    fn from_str(s: &str) -> Result<Period, String> {
        let err = || format!("invalid period {s:?}: expected YYYY-MM (month), YYYY-Qn (quarter 1–4), YYYY-Hn (half 1–2) or YYYY (year)");
        let (y, rest) = match s.split_once('-') {
            Some((y, rest)) => (y, Some(rest)),
            None => (s, None),
        };
        if y.len() != 4 || !y.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err());
        }
        let year: i32 = y.parse().map_err(|_| err())?;
        let (kind, index) = match rest {
            None => (PeriodKind::Year, 1),
            Some(r) => {
                let (kind, digits, len) = match r.as_bytes().first() {
                    Some(b'Q' | b'q') => (PeriodKind::Quarter, &r[1..], 1),
                    Some(b'H' | b'h') => (PeriodKind::Half, &r[1..], 1),
                    _ => (PeriodKind::Month, r, 2),
                };
                if digits.len() != len || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(err());
                }
                (kind, digits.parse::<u32>().map_err(|_| err())?)
            }
        };
        if index == 0 || index > 12 / kind.months() || Month::new(year, 1).is_none() {
            return Err(err());
        }
        Ok(Period { year, kind, index })
    }
}

impl Serialize for Period {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    fn p(s: &str) -> Period {
        s.parse().unwrap()
    }

    fn ms(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis()
    }

    #[test]
    fn parse_and_print() {
        for s in ["2026-11", "2026-01", "2026-Q1", "2026-Q4", "2026-H1", "2026-H2", "2026"] {
            assert_eq!(p(s).to_string(), s);
        }
        assert_eq!(p("2026-q3").to_string(), "2026-Q3");
        for bad in ["2026-Q5", "2026-Q0", "2026-H3", "2026-13", "2026-1", "26", "2026-", "2026-Q", "2026-Q12", "", "abcd", "2026-W1", "0999"] {
            assert!(bad.parse::<Period>().is_err(), "{bad}");
        }
    }

    #[test]
    fn months_of_each_kind() {
        let names = |x: Period| x.months().map(|m| m.to_string()).collect::<Vec<_>>();
        assert_eq!(names(p("2026-Q4")), ["2026-10", "2026-11", "2026-12"]);
        assert_eq!(names(p("2026-H1")).len(), 6);
        assert_eq!(p("2026-H2").first().to_string(), "2026-07");
        assert_eq!(p("2026").last().to_string(), "2026-12");
        assert_eq!(p("2026-11").as_month(), Some("2026-11".parse().unwrap()));
        assert_eq!(p("2026-Q4").as_month(), None);
        assert!(p("2026-Q4").contains("2026-11".parse().unwrap()));
        assert!(!p("2026-Q4").contains("2027-01".parse().unwrap()));
    }

    #[test]
    fn previous_period_of_the_same_kind_crosses_years() {
        assert_eq!(p("2026-Q1").prev(), p("2025-Q4"));
        assert_eq!(p("2026-H1").prev(), p("2025-H2"));
        assert_eq!(p("2026").prev(), p("2025"));
        assert_eq!(p("2026-01").prev(), p("2025-12"));
        assert_eq!(p("2025-Q4").next(), p("2026-Q1"));
        assert_eq!(p("2026-Q2").trailing(3), [p("2025-Q4"), p("2026-Q1"), p("2026-Q2")]);
        assert_eq!(Period::containing(PeriodKind::Half, "2026-07".parse().unwrap()), p("2026-H2"));
    }

    #[test]
    fn boundaries_are_local_midnight_and_leap_years_count() {
        assert_eq!(p("2026-Q4").start_millis(), ms("2026-09-30T17:00:00Z"));
        assert_eq!(p("2026").end_millis(), ms("2026-12-31T17:00:00Z"));
        assert_eq!(p("2028").end_millis() - p("2028").start_millis(), 366 * 86_400_000);
        assert_eq!(p("2028-Q1").end_millis() - p("2028-Q1").start_millis(), 91 * 86_400_000);
        // The last instant of the year in Hà Nội is still in the year; the next is not.
        assert!(matches!(p("2026").progress(ms("2026-12-31T23:59:59+07:00")), Progress::Current { .. }));
        assert_eq!(p("2026").progress(ms("2027-01-01T00:00:00+07:00")), Progress::Finished);
        assert_eq!(p("2026-Q4").progress(ms("2026-09-30T23:59:59+07:00")), Progress::NotStarted);
        match p("2026-H2").progress(ms("2026-10-01T00:00:00+07:00")) {
            Progress::Current { elapsed_ms, length_ms } => assert_eq!((elapsed_ms, length_ms), (92 * 86_400_000, 184 * 86_400_000)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn labels_in_vietnamese() {
        assert_eq!(p("2026-11").label_vi(), "tháng 11/2026");
        assert_eq!(p("2026-Q3").label_vi(), "quý III/2026");
        assert_eq!(p("2026-H1").label_vi(), "6 tháng đầu năm 2026");
        assert_eq!(p("2026-H2").label_vi(), "6 tháng cuối năm 2026");
        assert_eq!(p("2026").label_vi(), "năm 2026");
        assert_eq!(p("2026-Q3").short_label().to_string(), "Q3/2026");
        assert_eq!(p("2026-03").short_label().to_string(), "03/2026");
        assert_eq!(p("2026-03").axis_label().to_string(), "03/26");
        assert_eq!(p("2026").axis_label().to_string(), "2026");
    }
}
