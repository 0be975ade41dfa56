//! Query parameters shared by the API and the pages, parsed with clear messages.

use super::error::{AppError, Result};
use crate::domain::{Indicator, Month, Period, UnitKind};
use crate::registry::Registry;
use crate::report::aggregate::Level;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
pub struct ReadParams {
    pub month: Option<String>,
    /// `YYYY-MM`, `YYYY-Qn`, `YYYY-Hn` or `YYYY`; `month` is the same for a month.
    pub period: Option<String>,
    pub kind: Option<String>,
    pub indicator: Option<String>,
    pub parent: Option<String>,
    pub level: Option<String>,
    pub format: Option<String>,
    /// Pages and exports: a search on unit names and codes.
    pub q: Option<String>,
    /// Unit exports: which table (`indicators`, `history`, `shortfalls`, `procedures`).
    pub table: Option<String>,
    /// Units of one function across provinces (`report::peers::key`, e.g. `so tu phap`).
    pub peer: Option<String>,
    /// The scorecard's layout: `indicators` (default) or `periods`.
    pub view: Option<String>,
    /// The alert list: a province's code (its own alerts and its units').
    pub province: Option<String>,
    /// The alert list: a unit's code, or an agency system's source name.
    pub unit: Option<String>,
    /// The alert list: the rule, e.g. `DvcUnitAtRisk`.
    pub alert: Option<String>,
    /// The alert list: notifications read, newest first.
    pub limit: Option<i64>,
}

/// The months pages, read API and exports answer for: 2000-01 to 2100-12. Anything else is `400`, so no
/// hostile month reaches the store or date arithmetic (ingest has its own rule on `at`).
pub const FIRST_MONTH: (i32, u32) = (2000, 1);
pub const LAST_MONTH: (i32, u32) = (2100, 12);

/// A month of the read side's range.
pub fn month_in_range(text: &str) -> Result<Month> {
    let first = Month::new(FIRST_MONTH.0, FIRST_MONTH.1).expect("valid month");
    let last = Month::new(LAST_MONTH.0, LAST_MONTH.1).expect("valid month");
    match text.parse::<Month>() {
        Ok(m) if (first..=last).contains(&m) => Ok(m),
        Ok(m) => Err(AppError::BadRequest(format!("month {m} is outside {first}..{last}, the months this service answers for"))),
        Err(_) => Err(AppError::BadRequest(format!("invalid month {text:?}: expected YYYY-MM within {first}..{last}"))),
    }
}

/// A period of the read side's range.
pub fn period_in_range(text: &str) -> Result<Period> {
    let period = text.parse::<Period>().map_err(AppError::BadRequest)?;
    month_in_range(&period.first().to_string())?;
    month_in_range(&period.last().to_string())?;
    Ok(period)
}

/// A unit (or source) code from a query or a path: printable, at most 128 characters. Control
/// characters (a percent-encoded NUL) never reach the store.
pub fn check_code(code: &str) -> Result<()> {
    if code.is_empty() || code.chars().count() > 128 || code.chars().any(char::is_control) {
        return Err(AppError::BadRequest(format!("invalid code {:?}: expected a unit code such as 31-STP", code.chars().take(40).collect::<String>())));
    }
    Ok(())
}

/// Forms send empty fields for "not chosen".
fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl ReadParams {
    /// The period asked for (`period`, or `month` for a month), if any.
    pub fn period_given(&self) -> Result<Option<Period>> {
        match (given(&self.period), given(&self.month)) {
            (Some(p), Some(m)) => {
                let (p, m) = (period_in_range(p)?, month_in_range(m)?);
                if p != Period::from(m) {
                    return Err(AppError::BadRequest(format!("period {p} and month {m} disagree: give one of them")));
                }
                Ok(Some(p))
            }
            (Some(p), None) => period_in_range(p).map(Some),
            (None, Some(m)) => month_in_range(m).map(|m| Some(m.into())),
            (None, None) => Ok(None),
        }
    }

    /// The period asked for; the current month by default (the read API's rule).
    pub fn period(&self, now_ms: i64) -> Result<Period> {
        Ok(self.period_given()?.unwrap_or_else(|| Month::of_millis(now_ms).into()))
    }

    pub fn kind(&self, default: UnitKind) -> Result<UnitKind> {
        given(&self.kind).map_or(Ok(default), |k| k.parse().map_err(AppError::BadRequest))
    }

    pub fn indicator(&self) -> Result<Indicator> {
        given(&self.indicator).map_or(Ok(Indicator::Completion), |i| i.parse().map_err(AppError::BadRequest))
    }

    /// The parent unit, which must exist.
    pub fn parent(&self, registry: &Registry) -> Result<Option<String>> {
        match given(&self.parent) {
            Some(p) if registry.units.contains(p) => Ok(Some(p.to_string())),
            Some(p) => Err(AppError::NotFound(format!("unknown unit {p:?}"))),
            None => Ok(None),
        }
    }

    /// The function asked for (`peer`), which units of `kind` must have.
    pub fn peer(&self, registry: &Registry, kind: UnitKind) -> Result<Option<String>> {
        let Some(k) = given(&self.peer) else { return Ok(None) };
        if registry.units.of_kind(kind, None).iter().any(|u| crate::report::peers::key(&registry.units, u) == k) {
            Ok(Some(k.to_string()))
        } else {
            Err(AppError::NotFound(format!("no unit of kind {kind} has the function {k:?}")))
        }
    }

    /// Where a page looks (parent, function): provinces and ministries, and one function across
    /// provinces, nationwide; a registry with one province opens on it; else the parent asked for.
    pub fn page_scope(&self, registry: &Registry, kind: UnitKind) -> Result<(Option<String>, Option<String>)> {
        let peer = self.peer(registry, kind)?;
        let provinces = registry.units.of_kind(UnitKind::Province, None);
        let parent = match (self.parent(registry)?, provinces.as_slice()) {
            _ if peer.is_some() || matches!(kind, UnitKind::Province | UnitKind::Ministry | UnitKind::Nation) => None,
            (None, [only]) if self.parent.is_none() => Some(only.code.clone()),
            (parent, _) => parent,
        };
        Ok((parent, peer))
    }

    pub fn level(&self) -> Result<Level> {
        match given(&self.level) {
            None | Some("province") => Ok(Level::Province),
            Some("nation") => Ok(Level::Nation),
            Some(l) => Err(AppError::BadRequest(format!("unknown level {l:?} (expected province or nation)"))),
        }
    }

    /// The search as typed, when not blank.
    pub fn search(&self) -> Option<&str> {
        given(&self.q)
    }

    /// The alert list's filter (`/alerts`, `GET /api/v1/alerts`); empty fields mean "any".
    pub fn alert_filter(&self) -> Result<crate::store::AlertFilter> {
        let code = |v: &Option<String>| -> Result<Option<String>> { given(v).map(|c| check_code(c).map(|()| c.to_string())).transpose() };
        Ok(crate::store::AlertFilter { province: code(&self.province)?, unit: code(&self.unit)?, alertname: code(&self.alert)? })
    }

    /// Notifications the alert list reads: `default` unless given, never more than 5,000.
    pub fn alert_limit(&self, default: i64) -> i64 {
        self.limit.unwrap_or(default).clamp(1, 5000)
    }

    pub fn wants_csv(&self) -> Result<bool> {
        match given(&self.format) {
            None | Some("json") => Ok(false),
            Some("csv") => Ok(true),
            Some(f) => Err(AppError::BadRequest(format!("unknown format {f:?} (expected json or csv)"))),
        }
    }
}

/// `axum`'s `Query`, refusing a query string it cannot read with the API's own `400` (JSON
/// `{"error"}`, as the OpenAPI document says) instead of a plain-text one.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> axum::extract::FromRequestParts<S> for Query<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self> {
        axum::extract::Query::<T>::from_request_parts(parts, state).await.map(|q| Query(q.0)).map_err(|e| AppError::BadRequest(e.body_text()))
    }
}

/// `axum`'s `Path`, likewise.
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned + Send> axum::extract::FromRequestParts<S> for Path<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self> {
        axum::extract::Path::<T>::from_request_parts(parts, state).await.map(|p| Path(p.0)).map_err(|e| AppError::BadRequest(e.body_text()))
    }
}

/// Lines per page of a dossier list by default, and at most.
pub const PER_PAGE: u64 = 50;
pub const MAX_PER_PAGE: u64 = 500;

/// The parameters of a dossier list (`/units/CODE/dossiers`): those of every read, and the order and page.
#[derive(Debug, Default, Deserialize)]
pub struct ChaseParams {
    #[serde(flatten)]
    pub read: ReadParams,
    pub sort: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<String>,
}

impl ChaseParams {
    /// What the list asks for: the month (today's by default) as the period, the indicator, the order,
    /// and the page; `paged` false for an export of every page.
    pub fn query(&self, now_ms: i64, paged: bool) -> Result<crate::report::chase::ChaseQuery> {
        use crate::domain::{DossierSort, MonthRange};
        let whole = |name: &str, v: &Option<String>, default: u64, max: u64| -> Result<u64> {
            match given(v) {
                None => Ok(default),
                Some(s) => s.parse::<u64>().ok().filter(|n| (1..=max).contains(n)).ok_or_else(|| {
                    AppError::BadRequest(format!("invalid {name} {:?}: expected a whole number from 1 to {max}", s.chars().take(40).collect::<String>()))
                }),
            }
        };
        let sort = given(&self.sort).map_or(Ok(DossierSort::default()), |s| s.parse().map_err(AppError::BadRequest))?;
        let (page, per_page) = match paged {
            true => (whole("page", &self.page, 1, 1_000_000)?, whole("per_page", &self.per_page, PER_PAGE, MAX_PER_PAGE)?),
            false => (1, u64::MAX),
        };
        let period = self.read.period(now_ms)?;
        let months = MonthRange::new(period.first(), period.last()).expect("a period's months are in order");
        Ok(crate::report::chase::ChaseQuery { period, months, indicator: self.read.indicator()?, sort, page, per_page })
    }
}
