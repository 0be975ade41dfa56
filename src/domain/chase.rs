//! The dossiers to chase: which dossiers of a unit's period failed an indicator, and at which step.
//! Each dossier is judged here from its facts with the rules of `dossier.rs` (its `contributions`
//! and `shortfalls`), so the list always agrees with the figures; the store only selects the
//! dossiers whose counting month may lie in the period (`Selection`) and pages through them in the
//! order of `DossierSort`.

use super::dossier::{DossierFacts, Shortfall};
use super::indicator::Indicator;
use super::month::Month;
use super::event::Channel;
use super::procedure::Terms;
use serde::{Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// A period as a range of whole months, `first..=last`: a month, a quarter, six months or a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonthRange {
    pub first: Month,
    pub last: Month,
}

impl MonthRange {
    /// None when `last` comes before `first`.
    pub fn new(first: Month, last: Month) -> Option<MonthRange> {
        (first <= last).then_some(MonthRange { first, last })
    }

    pub fn month(m: Month) -> MonthRange {
        MonthRange { first: m, last: m }
    }

    pub fn contains(self, m: Month) -> bool {
        (self.first..=self.last).contains(&m)
    }

    /// The first instant of the range and the first after it, in milliseconds.
    pub fn bounds_millis(self) -> (i64, i64) {
        (self.first.start_millis(), self.last.end_millis())
    }
}

/// Why a dossier is on the list: a step of the fully-online test it failed, or its due date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum FailedStep {
    /// Not submitted online (at the counter, by post, or no intake recorded).
    SubmittedOffline,
    /// Result neither returned online nor through the public postal service.
    ResultInPerson,
    /// Fee paid at a counter.
    FeePaidOffline,
    /// Returned after its due date.
    Late,
    /// No result returned and the due date has passed.
    OpenPastDue,
    /// The procedure's result is a paper and no result file was issued.
    NoElectronicResult,
    /// A fee applies and it was not paid online.
    FeeNotPaidOnline,
    /// No submitted component was digitised.
    NotDigitised,
    /// No stored data was re-used.
    DataNotReused,
    /// More than one supplement request: late as the national index counts it.
    RepeatedSupplement,
}

impl FailedStep {
    pub const ALL: [FailedStep; 10] = [
        FailedStep::SubmittedOffline,
        FailedStep::ResultInPerson,
        FailedStep::FeePaidOffline,
        FailedStep::Late,
        FailedStep::OpenPastDue,
        FailedStep::NoElectronicResult,
        FailedStep::FeeNotPaidOnline,
        FailedStep::NotDigitised,
        FailedStep::DataNotReused,
        FailedStep::RepeatedSupplement,
    ];

    /// The code the API and the CSV carry; the result and fee codes are those of the shortfall table.
    pub fn code(self) -> &'static str {
        match self {
            FailedStep::SubmittedOffline => "submitted_offline",
            FailedStep::ResultInPerson => "result_in_person",
            FailedStep::FeePaidOffline => "fee_paid_offline",
            FailedStep::Late => "late",
            FailedStep::OpenPastDue => "open_past_due",
            FailedStep::NoElectronicResult => "no_electronic_result",
            FailedStep::FeeNotPaidOnline => "fee_not_paid_online",
            FailedStep::NotDigitised => "not_digitised",
            FailedStep::DataNotReused => "data_not_reused",
            FailedStep::RepeatedSupplement => "repeated_supplement",
        }
    }
}

impl From<Shortfall> for FailedStep {
    fn from(s: Shortfall) -> FailedStep {
        match s {
            Shortfall::SubmittedOffline => FailedStep::SubmittedOffline,
            Shortfall::ResultInPerson => FailedStep::ResultInPerson,
            Shortfall::FeePaidOffline => FailedStep::FeePaidOffline,
        }
    }
}

impl Serialize for FailedStep {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

/// Which of a dossier's times can place it in an indicator's period: the store selects the dossiers
/// returned, or received, within the period's bounds, and `failed_steps` judges each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Selection {
    pub returned: bool,
    pub received: bool,
    /// By the instant that places a dossier in the index's on-time figures (`DossierFacts::index_at`).
    pub index: bool,
}

impl Selection {
    pub fn of(indicator: Indicator) -> Selection {
        let (returned, received, index) = match indicator {
            Indicator::Completion => (true, false, false),
            // Late dossiers by their return; dossiers not returned by their receipt.
            Indicator::OnTime => (true, true, false),
            Indicator::OnTimeIndex | Indicator::OverdueOpen => (false, false, true),
            Indicator::Intake
            | Indicator::OnlineSubmission
            | Indicator::OnlinePayment
            | Indicator::ElectronicResult
            | Indicator::Digitised
            | Indicator::ReusedData => (false, true, false),
        };
        Selection { returned, received, index }
    }
}

/// The steps a dossier failed in `indicator` over `months`, judged at `now_ms`; None when it does not
/// count in the indicator in those months, or passed.
///
/// - `completion`: an eligible dossier returned in the period that is not fully online, with every
///   step of the fully-online test it failed;
/// - `intake`: an eligible dossier received in the period not submitted online;
/// - `on_time`: a dossier returned in the period after its due date (`late`), or received in the
///   period, not returned, and past its due date at `now_ms` (`open_past_due`: not yet in the rate,
///   which counts returned dossiers, but late whenever it is returned).
pub fn failed_steps(facts: &DossierFacts, terms: Option<Terms>, indicator: Indicator, months: MonthRange, now_ms: i64) -> Option<Vec<FailedStep>> {
    let contributions = facts.contributions(terms);
    let counted = contributions.iter().find(|(k, _)| k.indicator == indicator && months.contains(k.month));
    let x = &facts.index;
    let no_file = x.result_file != Some(true);
    match counted {
        Some((_, figures)) if figures.numerator == 0 => Some(match indicator {
            Indicator::Completion => facts.shortfalls().into_iter().map(FailedStep::from).collect(),
            Indicator::Intake => vec![FailedStep::SubmittedOffline],
            Indicator::OnTime => vec![FailedStep::Late],
            Indicator::OnlineSubmission => match facts.channel == Some(Channel::Online) {
                true => vec![FailedStep::NoElectronicResult],
                false => vec![FailedStep::SubmittedOffline],
            },
            Indicator::OnlinePayment => vec![FailedStep::FeeNotPaidOnline],
            Indicator::ElectronicResult => vec![FailedStep::NoElectronicResult],
            Indicator::Digitised => {
                let mut out = Vec::new();
                if x.digitised != Some(true) {
                    out.push(FailedStep::NotDigitised);
                }
                if no_file {
                    out.push(FailedStep::NoElectronicResult);
                }
                out
            }
            Indicator::ReusedData => vec![FailedStep::DataNotReused],
            Indicator::OnTimeIndex | Indicator::OverdueOpen => match x.supplements > 1 {
                true => vec![FailedStep::RepeatedSupplement],
                false => vec![FailedStep::Late],
            },
        }),
        Some(_) => None,
        None if indicator == Indicator::OnTimeIndex => {
            // Open and placed in the period by its due date: late once that date has passed.
            let open = contributions.iter().find(|(k, _)| k.indicator == Indicator::OverdueOpen && months.contains(k.month));
            let past_due = open.is_some() && facts.index_at().is_some_and(|due| due < now_ms);
            past_due.then(|| vec![FailedStep::OpenPastDue])
        }
        None => {
            let open_past_due = indicator == Indicator::OnTime
                && facts.returned_at.is_none()
                && facts.received_at.is_some_and(|at| months.contains(Month::of_millis(at)))
                && facts.due.is_some_and(|due| due < now_ms);
            open_past_due.then(|| vec![FailedStep::OpenPastDue])
        }
    }
}

/// A column the list sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Code,
    Unit,
    Procedure,
    Received,
    Returned,
    Due,
}

impl SortKey {
    pub const ALL: [SortKey; 6] = [SortKey::Code, SortKey::Unit, SortKey::Procedure, SortKey::Received, SortKey::Returned, SortKey::Due];

    pub fn as_str(self) -> &'static str {
        match self {
            SortKey::Code => "code",
            SortKey::Unit => "unit",
            SortKey::Procedure => "procedure",
            SortKey::Received => "received",
            SortKey::Returned => "returned",
            SortKey::Due => "due",
        }
    }
}

/// The order of the list: a column, ascending or descending, then the dossier code in the same
/// direction, so that every order is total and pages never overlap or skip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DossierSort {
    pub key: SortKey,
    pub descending: bool,
}

impl Default for DossierSort {
    /// Oldest received first: the dossiers waiting longest come first.
    fn default() -> Self {
        DossierSort { key: SortKey::Received, descending: false }
    }
}

/// The value a dossier sorts by. A missing time sorts last in both directions.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum SortValue {
    Int(i64),
    Text(String),
}

impl DossierSort {
    /// What stands for a missing time: after every time in this direction (−i64::MAX rather than
    /// i64::MIN, which PostgreSQL cannot read as one literal).
    pub fn missing_time(self) -> i64 {
        if self.descending {
            -i64::MAX
        } else {
            i64::MAX
        }
    }

    pub fn value(self, f: &DossierFacts) -> SortValue {
        let time = |t: Option<i64>| SortValue::Int(t.unwrap_or(self.missing_time()));
        match self.key {
            SortKey::Code => SortValue::Text(f.code.clone()),
            SortKey::Unit => SortValue::Text(f.unit.clone()),
            SortKey::Procedure => SortValue::Text(f.procedure.clone()),
            SortKey::Received => time(f.received_at),
            SortKey::Returned => time(f.returned_at),
            SortKey::Due => time(f.due),
        }
    }

    /// The list's order of two dossiers (strings by their bytes, as the store compares codes).
    pub fn compare(self, a: &DossierFacts, b: &DossierFacts) -> std::cmp::Ordering {
        let order = (self.value(a), a.code.as_bytes()).cmp(&(self.value(b), b.code.as_bytes()));
        if self.descending {
            order.reverse()
        } else {
            order
        }
    }
}

impl fmt::Display for DossierSort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", if self.descending { "-" } else { "" }, self.key.as_str())
    }
}

impl FromStr for DossierSort {
    type Err = String;
    fn from_str(s: &str) -> Result<DossierSort, String> {
        let (descending, name) = s.strip_prefix('-').map_or((false, s), |rest| (true, rest));
        let key = SortKey::ALL.into_iter().find(|k| k.as_str() == name).ok_or_else(|| {
            let names: Vec<&str> = SortKey::ALL.iter().map(|k| k.as_str()).collect();
            format!("unknown sort {s:?} (expected {}, with a leading - for descending)", names.join(", "))
        })?;
        Ok(DossierSort { key, descending })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Channel, Level, Payment};
    use chrono::DateTime;

    fn t(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis()
    }

    fn facts() -> DossierFacts {
        DossierFacts {
            code: "D1".into(),
            unit: "31-STP".into(),
            procedure: "1.001612".into(),
            received_at: Some(t("2026-11-03T09:00:00+07:00")),
            channel: Some(Channel::Online),
            returned_at: Some(t("2026-11-10T09:00:00+07:00")),
            result_delivery: Some(Channel::Online),
            payment: Some(Payment::Online),
            due: Some(t("2026-11-12T17:00:00+07:00")),
            index: Default::default(),
        }
    }

    const FULL: Option<Terms> = Some(Terms { level: Level::Full, paper_result: false });
    const PARTIAL: Option<Terms> = Some(Terms { level: Level::Partial, paper_result: false });

    fn nov() -> MonthRange {
        MonthRange::month("2026-11".parse().unwrap())
    }

    #[test]
    fn a_fully_online_dossier_on_time_is_not_listed() {
        let now = t("2026-12-16T00:00:00+07:00");
        for i in Indicator::PROVINCIAL {
            assert_eq!(failed_steps(&facts(), FULL, i, nov(), now), None, "{i}");
        }
        // With every mark of the index, in its intake month (October) and its end (November).
        let marked = DossierFacts {
            index: crate::domain::index_facts::IndexFacts { result_file: Some(true), digitised: Some(true), reused_data: Some(true), fee: Some(true), ..Default::default() },
            received_at: Some(t("2026-11-03T09:00:00+07:00")),
            ..facts()
        };
        for i in Indicator::ALL {
            assert_eq!(failed_steps(&marked, FULL, i, nov(), now), None, "{i}");
        }
    }

    #[test]
    fn each_failed_step_is_named() {
        let now = t("2026-12-16T00:00:00+07:00");
        let mut f = facts();
        f.channel = Some(Channel::InPerson);
        f.payment = Some(Payment::Offline);
        assert_eq!(failed_steps(&f, FULL, Indicator::Completion, nov(), now), Some(vec![FailedStep::SubmittedOffline, FailedStep::FeePaidOffline]));
        assert_eq!(failed_steps(&f, FULL, Indicator::Intake, nov(), now), Some(vec![FailedStep::SubmittedOffline]));
        // A partial procedure is not eligible: neither completion nor intake, but on time still counts.
        assert_eq!(failed_steps(&f, PARTIAL, Indicator::Completion, nov(), now), None);
        f.returned_at = Some(t("2026-11-13T09:00:00+07:00"));
        f.result_delivery = Some(Channel::InPerson);
        assert_eq!(failed_steps(&f, PARTIAL, Indicator::OnTime, nov(), now), Some(vec![FailedStep::Late]));
        assert_eq!(
            failed_steps(&f, FULL, Indicator::Completion, nov(), now),
            Some(vec![FailedStep::SubmittedOffline, FailedStep::ResultInPerson, FailedStep::FeePaidOffline])
        );
        // Returned in December: not in November's completion or on-time list.
        f.returned_at = Some(t("2026-12-01T09:00:00+07:00"));
        assert_eq!(failed_steps(&f, FULL, Indicator::Completion, nov(), now), None);
        assert_eq!(failed_steps(&f, FULL, Indicator::OnTime, nov(), now), None);
    }

    #[test]
    fn open_past_due_depends_on_now() {
        let mut f = facts();
        f.returned_at = None;
        f.result_delivery = None;
        let due = f.due.unwrap();
        assert_eq!(failed_steps(&f, FULL, Indicator::OnTime, nov(), due), None);
        assert_eq!(failed_steps(&f, FULL, Indicator::OnTime, nov(), due + 1), Some(vec![FailedStep::OpenPastDue]));
        assert_eq!(failed_steps(&f, FULL, Indicator::Completion, nov(), due + 1), None);
        f.due = None;
        assert_eq!(failed_steps(&f, FULL, Indicator::OnTime, nov(), due + 1), None);
    }

    #[test]
    fn a_range_of_months_counts_each_month() {
        let q4 = MonthRange::new("2026-10".parse().unwrap(), "2026-12".parse().unwrap()).unwrap();
        let mut f = facts();
        f.channel = Some(Channel::Postal);
        let now = t("2027-01-05T00:00:00+07:00");
        assert_eq!(failed_steps(&f, FULL, Indicator::Intake, q4, now), Some(vec![FailedStep::SubmittedOffline]));
        assert!(MonthRange::new("2026-11".parse().unwrap(), "2026-10".parse().unwrap()).is_none());
        assert_eq!(q4.bounds_millis(), (t("2026-10-01T00:00:00+07:00"), t("2027-01-01T00:00:00+07:00")));
    }

    #[test]
    fn sorts_parse_and_order_totally() {
        assert_eq!("-due".parse::<DossierSort>(), Ok(DossierSort { key: SortKey::Due, descending: true }));
        assert_eq!("received".parse::<DossierSort>().unwrap().to_string(), "received");
        assert!("name".parse::<DossierSort>().unwrap_err().contains("expected code, unit"));
        let (mut a, mut b) = (facts(), facts());
        b.code = "D2".into();
        a.due = None;
        let asc: DossierSort = "due".parse().unwrap();
        let desc: DossierSort = "-due".parse().unwrap();
        // A missing due date sorts last both ways.
        assert_eq!(asc.compare(&a, &b), std::cmp::Ordering::Greater);
        assert_eq!(desc.compare(&a, &b), std::cmp::Ordering::Greater);
        a.due = b.due;
        assert_eq!(asc.compare(&a, &b), std::cmp::Ordering::Less);
        assert_eq!(desc.compare(&a, &b), std::cmp::Ordering::Greater);
    }
}
