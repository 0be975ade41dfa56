//! Targets: a rate per unit (or unit kind) and year, optionally overridden for one month.

use super::indicator::Indicator;
use super::month::Month;
use super::period::Period;
use super::unit::{Unit, UnitKind};
use serde::{Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// A rate in millionths (0..=1_000_000), so that comparisons with a numerator/denominator pair are exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ratio(i64);

pub const RATIO_SCALE: i64 = 1_000_000;

impl Ratio {
    pub fn from_millionths(m: i64) -> Option<Ratio> {
        (0..=RATIO_SCALE).contains(&m).then_some(Ratio(m))
    }
    pub fn millionths(self) -> i64 {
        self.0
    }
    pub fn as_f64(self) -> f64 {
        self.0 as f64 / RATIO_SCALE as f64
    }
}

impl FromStr for Ratio {
    type Err = String;
    /// A decimal from 0 to 1 with at most six decimals ("0.7", "0.855", "1").
    fn from_str(s: &str) -> Result<Ratio, String> {
        let err = || format!("target {s:?} must be a decimal from 0 to 1 with at most 6 decimals (e.g. 0.7)");
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err());
        }
        if frac.len() > 6 || int.len() > 7 {
            return Err(err());
        }
        let int: i64 = int.parse().map_err(|_| err())?;
        let frac: i64 = if frac.is_empty() { 0 } else { format!("{frac:0<6}").parse().map_err(|_| err())? };
        Ratio::from_millionths(int * RATIO_SCALE + frac).ok_or_else(err)
    }
}

impl fmt::Display for Ratio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let frac = format!("{:06}", self.0 % RATIO_SCALE);
        let frac = frac.trim_end_matches('0');
        if frac.is_empty() {
            write!(f, "{}", self.0 / RATIO_SCALE)
        } else {
            write!(f, "{}.{}", self.0 / RATIO_SCALE, frac)
        }
    }
}

impl Serialize for Ratio {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.as_f64())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TargetScope {
    Unit(String),
    Kind(UnitKind),
}

impl FromStr for TargetScope {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.strip_prefix("kind:") {
            Some(kind) => kind.parse().map(TargetScope::Kind),
            None if s.is_empty() => Err("scope is empty".into()),
            None => Ok(TargetScope::Unit(s.to_string())),
        }
    }
}

impl fmt::Display for TargetScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TargetScope::Unit(code) => f.write_str(code),
            TargetScope::Kind(kind) => write!(f, "kind:{kind}"),
        }
    }
}

impl Serialize for TargetScope {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Target {
    pub scope: TargetScope,
    pub year: i32,
    /// None: the whole year; Some(m): an override for that month.
    pub month: Option<u32>,
    pub indicator: Indicator,
    pub value: Ratio,
    /// Where the target came from (the imported file, or another note), shown to users.
    pub source: String,
}

/// All targets, resolved per unit and month; indexed by scope, as every unit of a league asks (looked
/// up by the unit's code as it is, without building a scope to hash).
#[derive(Debug, Clone, Default)]
pub struct Targets {
    all: Vec<Target>,
    by_unit: foldhash::HashMap<String, Vec<usize>>,
    by_kind: foldhash::HashMap<UnitKind, Vec<usize>>,
}

impl Targets {
    pub fn new(targets: Vec<Target>) -> Targets {
        let (mut by_unit, mut by_kind) = (foldhash::HashMap::<String, Vec<usize>>::default(), foldhash::HashMap::<UnitKind, Vec<usize>>::default());
        for (i, t) in targets.iter().enumerate() {
            match &t.scope {
                TargetScope::Unit(code) => by_unit.entry(code.clone()).or_default().push(i),
                TargetScope::Kind(kind) => by_kind.entry(*kind).or_default().push(i),
            }
        }
        Targets { all: targets, by_unit, by_kind }
    }

    pub fn all(&self) -> &[Target] {
        &self.all
    }

    /// The targets of the unit's own scope, then those of its kind.
    fn scopes(&self, unit: &Unit) -> [&[usize]; 2] {
        [
            self.by_unit.get(unit.code.as_str()).map_or(&[][..], Vec::as_slice),
            self.by_kind.get(&unit.kind).map_or(&[][..], Vec::as_slice),
        ]
    }

    /// The target that applies, most specific first: the unit's month override, the unit's year, the
    /// kind's month override, the kind's year. None: no target applies.
    pub fn resolve(&self, unit: &Unit, month: Month, indicator: Indicator) -> Option<&Target> {
        self.scopes(unit).into_iter().find_map(|scope| {
            let find = |m: Option<u32>| scope.iter().map(|&i| &self.all[i]).find(|t| t.year == month.year() && t.month == m && t.indicator == indicator);
            find(Some(month.month())).or_else(|| find(None))
        })
    }

    /// The target of a period: a month's as `resolve` gives it; for a quarter, half or year, the target
    /// of its year (the unit's, else its kind's), since month overrides speak of one month only.
    pub fn resolve_period(&self, unit: &Unit, period: Period, indicator: Indicator) -> Option<&Target> {
        if let Some(month) = period.as_month() {
            return self.resolve(unit, month, indicator);
        }
        self.scopes(unit).into_iter().find_map(|scope| {
            scope.iter().map(|&i| &self.all[i]).find(|t| t.year == period.year() && t.month.is_none() && t.indicator == indicator)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::unit::tests::unit;

    fn target(scope: &str, year: i32, month: Option<u32>, v: &str) -> Target {
        Target {
            scope: scope.parse().unwrap(),
            year,
            month,
            indicator: Indicator::Completion,
            value: v.parse().unwrap(),
            source: "test".into(),
        }
    }

    #[test]
    fn ratio_parsing_is_exact() {
        assert_eq!("0.7".parse::<Ratio>().unwrap().millionths(), 700_000);
        assert_eq!("0.855".parse::<Ratio>().unwrap().millionths(), 855_000);
        assert_eq!("1".parse::<Ratio>().unwrap().millionths(), 1_000_000);
        assert_eq!("0".parse::<Ratio>().unwrap().millionths(), 0);
        assert_eq!("0.123456".parse::<Ratio>().unwrap().to_string(), "0.123456");
        assert_eq!("0.70".parse::<Ratio>().unwrap().to_string(), "0.7");
        for bad in ["1.1", "-0.1", "0.1234567", "70%", "", ".5", "abc", "0,7"] {
            assert!(bad.parse::<Ratio>().is_err(), "{bad}");
        }
    }

    #[test]
    fn most_specific_target_wins() {
        let ts = Targets::new(vec![
            target("kind:department", 2026, None, "0.8"),
            target("kind:department", 2026, Some(12), "0.85"),
            target("31-STP", 2026, None, "0.9"),
            target("31-STP", 2026, Some(11), "0.95"),
            target("kind:commune", 2025, None, "0.7"),
        ]);
        let stp = unit("31-STP", UnitKind::Department, Some("31"));
        let syt = unit("31-SYT", UnitKind::Department, Some("31"));
        let xa = unit("11311", UnitKind::Commune, Some("31"));
        let get = |u: &Unit, m: &str| ts.resolve(u, m.parse().unwrap(), Indicator::Completion).map(|t| t.value.to_string());
        assert_eq!(get(&stp, "2026-11").as_deref(), Some("0.95"));
        assert_eq!(get(&stp, "2026-12").as_deref(), Some("0.9"));
        assert_eq!(get(&syt, "2026-12").as_deref(), Some("0.85"));
        assert_eq!(get(&syt, "2026-01").as_deref(), Some("0.8"));
        assert_eq!(get(&xa, "2025-05").as_deref(), Some("0.7"));
        assert_eq!(get(&xa, "2026-05"), None);
        assert_eq!(ts.resolve(&stp, "2026-11".parse().unwrap(), Indicator::Intake), None);
        let period = |u: &Unit, p: &str| ts.resolve_period(u, p.parse().unwrap(), Indicator::Completion).map(|t| t.value.to_string());
        assert_eq!(period(&stp, "2026-Q4").as_deref(), Some("0.9"), "the year's target, not November's override");
        assert_eq!(period(&syt, "2026").as_deref(), Some("0.8"), "the kind's year, not December's override");
        assert_eq!(period(&stp, "2026-11").as_deref(), Some("0.95"), "a month is resolved as a month");
        assert_eq!(period(&xa, "2026-H1"), None);
    }

    #[test]
    fn scope_parsing() {
        assert_eq!("kind:commune".parse::<TargetScope>().unwrap(), TargetScope::Kind(UnitKind::Commune));
        assert_eq!("31-STP".parse::<TargetScope>().unwrap(), TargetScope::Unit("31-STP".into()));
        assert!("kind:village".parse::<TargetScope>().is_err());
    }
}
