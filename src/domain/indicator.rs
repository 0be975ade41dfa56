//! The three indicators of kpi.md and the numerator/denominator pair every rate is made of.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::{Add, AddAssign, Neg};
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Indicator {
    /// Fully-online completion rate (the headline).
    Completion,
    /// Online intake rate (Decision 766 style).
    Intake,
    /// On-time rate.
    OnTime,
}

impl Indicator {
    pub const ALL: [Indicator; 3] = [Indicator::Completion, Indicator::Intake, Indicator::OnTime];

    pub fn as_str(self) -> &'static str {
        match self {
            Indicator::Completion => "completion",
            Indicator::Intake => "intake",
            Indicator::OnTime => "on_time",
        }
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            Indicator::Completion => "Tỷ lệ hồ sơ trực tuyến toàn trình",
            Indicator::Intake => "Tỷ lệ tiếp nhận trực tuyến",
            Indicator::OnTime => "Tỷ lệ giải quyết đúng hạn",
        }
    }
}

impl fmt::Display for Indicator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Indicator {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Indicator::ALL
            .into_iter()
            .find(|i| i.as_str() == s)
            .ok_or_else(|| format!("unknown indicator {s:?} (expected completion, intake or on_time)"))
    }
}

/// Numerator and denominator of one rate. Parents sum these, never rates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
pub struct Figures {
    pub numerator: i64,
    pub denominator: i64,
}

impl Figures {
    pub fn new(numerator: i64, denominator: i64) -> Figures {
        Figures { numerator, denominator }
    }

    /// numerator / denominator, or none when there is nothing to divide by.
    pub fn rate(self) -> Option<f64> {
        (self.denominator > 0).then(|| self.numerator as f64 / self.denominator as f64)
    }

    pub fn is_zero(self) -> bool {
        self.numerator == 0 && self.denominator == 0
    }
}

impl Add for Figures {
    type Output = Figures;
    fn add(self, o: Figures) -> Figures {
        Figures::new(self.numerator + o.numerator, self.denominator + o.denominator)
    }
}

impl AddAssign for Figures {
    fn add_assign(&mut self, o: Figures) {
        *self = *self + o;
    }
}

impl Neg for Figures {
    type Output = Figures;
    fn neg(self) -> Figures {
        Figures::new(-self.numerator, -self.denominator)
    }
}

impl std::iter::Sum for Figures {
    fn sum<I: Iterator<Item = Figures>>(iter: I) -> Figures {
        iter.fold(Figures::default(), Add::add)
    }
}
