//! The indicators (kpi.md's three and the national index's dossier indicators) and the numerator/denominator pair every rate is made of.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::{Add, AddAssign, Neg};
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case", try_from = "String")]
pub enum Indicator {
    /// Fully-online completion rate (the headline).
    Completion,
    /// Online intake rate (Decision 766 style).
    Intake,
    /// On-time rate.
    OnTime,
    /// Decision 766: dossiers submitted online (with an electronic result where the result is a paper),
    /// over dossiers of online services received in the month.
    OnlineSubmission,
    /// Decision 766: fees paid online, over dossiers received in the month that carry a fee.
    OnlinePayment,
    /// Decision 766: electronic results, over finished dossiers received in the month whose procedure's
    /// result is a paper.
    ElectronicResult,
    /// Decision 766: dossiers with a digitised component and a result file, over dossiers received.
    Digitised,
    /// Decision 766: dossiers that re-used stored data, over dossiers received.
    ReusedData,
    /// Decision 766: ended on time as the index counts it (supplement time excluded), by the month
    /// processing ended; open dossiers past due count late (`OverdueOpen`).
    OnTimeIndex,
    /// Not an indicator of its own: open dossiers by the month of their due date, which `OnTimeIndex`
    /// counts late once that month has ended (`report::figures::Ledger`). Stored, never ranked.
    #[serde(skip)]
    OverdueOpen,
}

impl Indicator {
    /// The indicators that are judged, ranked and shown.
    pub const ALL: [Indicator; 9] = [
        Indicator::Completion,
        Indicator::Intake,
        Indicator::OnTime,
        Indicator::OnlineSubmission,
        Indicator::OnlinePayment,
        Indicator::ElectronicResult,
        Indicator::Digitised,
        Indicator::ReusedData,
        Indicator::OnTimeIndex,
    ];
    /// Every indicator the rollups hold: `ALL`, then the hidden `OverdueOpen`.
    pub const STORED: [Indicator; 10] = {
        let mut out = [Indicator::OverdueOpen; 10];
        let mut i = 0;
        while i < Indicator::ALL.len() {
            out[i] = Indicator::ALL[i];
            i += 1;
        }
        out
    };
    /// The three indicators of kpi.md; the others are the national index's dossier indicators.
    pub const PROVINCIAL: [Indicator; 3] = [Indicator::Completion, Indicator::Intake, Indicator::OnTime];

    pub fn as_str(self) -> &'static str {
        match self {
            Indicator::Completion => "completion",
            Indicator::Intake => "intake",
            Indicator::OnTime => "on_time",
            Indicator::OnlineSubmission => "online_submission",
            Indicator::OnlinePayment => "online_payment",
            Indicator::ElectronicResult => "electronic_result",
            Indicator::Digitised => "digitised",
            Indicator::ReusedData => "reused_data",
            Indicator::OnTimeIndex => "on_time_index",
            Indicator::OverdueOpen => "overdue_open",
        }
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            Indicator::Completion => "Tỷ lệ hồ sơ trực tuyến toàn trình",
            Indicator::Intake => "Tỷ lệ tiếp nhận trực tuyến",
            Indicator::OnTime => "Tỷ lệ giải quyết đúng hạn",
            Indicator::OnlineSubmission => "Tỷ lệ hồ sơ trực tuyến (Chỉ số 766)",
            Indicator::OnlinePayment => "Tỷ lệ thanh toán trực tuyến",
            Indicator::ElectronicResult => "Tỷ lệ cấp kết quả điện tử",
            Indicator::Digitised => "Tỷ lệ số hóa hồ sơ, kết quả",
            Indicator::ReusedData => "Tỷ lệ tái sử dụng dữ liệu số hóa",
            Indicator::OnTimeIndex => "Tỷ lệ giải quyết đúng hạn (Chỉ số 766)",
            Indicator::OverdueOpen => "Hồ sơ chưa giải quyết quá hạn",
        }
    }

    /// Whether this indicator belongs to the national index's dossier components (Decision 766).
    pub fn is_index(self) -> bool {
        !Indicator::PROVINCIAL.contains(&self) && self != Indicator::OverdueOpen
    }

    /// Reads a stored indicator name, the hidden `overdue_open` included.
    pub fn from_stored(s: &str) -> Result<Indicator, String> {
        Indicator::STORED.into_iter().find(|i| i.as_str() == s).ok_or_else(|| format!("unknown stored indicator {s:?}"))
    }
}

impl fmt::Display for Indicator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What readers and importers accept: the indicators of `ALL`.
impl FromStr for Indicator {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Indicator::ALL.into_iter().find(|i| i.as_str() == s).ok_or_else(|| {
            format!("unknown indicator {s:?} (expected one of {})", Indicator::ALL.map(|i| i.as_str()).join(", "))
        })
    }
}

impl TryFrom<String> for Indicator {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
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
