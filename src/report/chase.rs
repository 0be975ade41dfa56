//! The dossiers to chase: a unit's dossiers of a period that failed an indicator, with the step
//! that failed, for a department head to follow up. The store streams the dossiers the period may
//! hold in the list's order; `domain::chase` judges each, and only the page asked for is kept, with
//! the total and the count per step.

use crate::domain::chase::{failed_steps, DossierSort, FailedStep, MonthRange, Selection};
use crate::domain::month::vn_offset;
use crate::domain::{DossierFacts, Indicator, Month, Period, Unit};
use crate::registry::Registry;
use crate::store::{PeriodDossiers, Store, StoreError};
use serde::Serialize;

/// What a list asks for.
#[derive(Debug, Clone, Copy)]
pub struct ChaseQuery {
    pub period: Period,
    /// The period's months.
    pub months: MonthRange,
    pub indicator: Indicator,
    pub sort: DossierSort,
    /// 1-based.
    pub page: u64,
    pub per_page: u64,
}

/// One page of the list, with the totals of the whole list.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ChaseList {
    pub unit: String,
    pub name: String,
    /// `YYYY-MM`, `YYYY-Qn`, `YYYY-Hn` or `YYYY`.
    #[schema(value_type = String, example = "2026-11")]
    pub period: Period,
    /// The period, first and last month.
    pub first: Month,
    pub last: Month,
    pub indicator: Indicator,
    /// `code`, `unit`, `procedure`, `received`, `returned` or `due`, with a leading `-` when descending.
    pub sort: String,
    pub page: u64,
    pub per_page: u64,
    /// Dossiers on the list, all pages.
    pub total: u64,
    pub pages: u64,
    /// Dossiers on the list that failed each step (a dossier can fail several).
    pub by_step: Vec<StepCount>,
    pub dossiers: Vec<ChaseRow>,
}

#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
pub struct StepCount {
    pub step: FailedStep,
    pub dossiers: u64,
}

/// One dossier on the list: codes, times in Vietnam time (RFC 3339, +07:00), and what failed.
/// Nothing about the applicant: the store keeps none.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChaseRow {
    pub code: String,
    pub unit: String,
    pub unit_name: String,
    pub procedure: String,
    pub procedure_name: String,
    pub received_at: Option<String>,
    pub returned_at: Option<String>,
    pub due: Option<String>,
    /// `in_person`, `online` or `postal`.
    pub channel: Option<&'static str>,
    /// `in_person`, `online` or `postal`.
    pub result_delivery: Option<&'static str>,
    /// `online` or `offline`; none when no event carried a payment.
    pub payment: Option<&'static str>,
    pub failed: Vec<FailedStep>,
}

/// A time in Vietnam time, as RFC 3339 with its offset.
pub fn vn_time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.with_timezone(&vn_offset()).to_rfc3339_opts(chrono::SecondsFormat::Secs, false))
        .unwrap_or_default()
}

fn row(registry: &Registry, f: DossierFacts, failed: Vec<FailedStep>) -> ChaseRow {
    ChaseRow {
        unit_name: registry.units.get(&f.unit).map(|u| u.name.clone()).unwrap_or_default(),
        procedure_name: registry.procedure_names.get(&f.procedure).cloned().unwrap_or_default(),
        received_at: f.received_at.map(vn_time),
        returned_at: f.returned_at.map(vn_time),
        due: f.due.map(vn_time),
        channel: f.channel.map(|c| c.as_str()),
        result_delivery: f.result_delivery.map(|c| c.as_str()),
        payment: f.payment.map(|p| p.as_str()),
        code: f.code,
        unit: f.unit,
        procedure: f.procedure,
        failed,
    }
}

/// The list of `unit` (and the units under it) for `q`, judged at `now_ms`. The period is read once,
/// in the list's order (a nation's month is millions of dossiers: reading it in pages would sort what
/// is left of it again for each page); each dossier is judged as it streams by and only the page
/// asked for is kept.
pub async fn chase_list(store: &dyn Store, registry: &Registry, unit: &Unit, q: &ChaseQuery, now_ms: i64) -> Result<ChaseList, StoreError> {
    let skip = q.page.saturating_sub(1).saturating_mul(q.per_page);
    let mut total = 0u64;
    let mut by_step = [0u64; FailedStep::ALL.len()];
    let mut dossiers = Vec::new();
    let period = PeriodDossiers {
        unit: &unit.code,
        months: q.months,
        selection: Selection::of(q.indicator),
        sort: q.sort,
        after: None,
    };
    let mut judge = |f: DossierFacts| {
        let level = registry.terms.get(&f.procedure).copied();
        let Some(failed) = failed_steps(&f, level, q.indicator, q.months, now_ms) else { return };
        for s in &failed {
            by_step[FailedStep::ALL.iter().position(|x| x == s).expect("listed")] += 1;
        }
        if total >= skip && total - skip < q.per_page {
            dossiers.push(row(registry, f, failed));
        }
        total += 1;
    };
    store.visit_dossiers_in_period(&period, &mut judge).await?;
    Ok(ChaseList {
        unit: unit.code.clone(),
        name: unit.name.clone(),
        period: q.period,
        first: q.months.first,
        last: q.months.last,
        indicator: q.indicator,
        sort: q.sort.to_string(),
        page: q.page,
        per_page: q.per_page,
        total,
        pages: total.div_ceil(q.per_page.max(1)),
        by_step: FailedStep::ALL.iter().zip(by_step).map(|(&step, dossiers)| StepCount { step, dossiers }).collect(),
        dossiers,
    })
}

/// What a head reads for each step.
pub fn step_vi(s: FailedStep) -> &'static str {
    use super::shortfall::step_label;
    use crate::domain::Shortfall;
    match s {
        FailedStep::SubmittedOffline => step_label(Shortfall::SubmittedOffline),
        FailedStep::ResultInPerson => step_label(Shortfall::ResultInPerson),
        FailedStep::FeePaidOffline => step_label(Shortfall::FeePaidOffline),
        FailedStep::Late => "Trả kết quả quá hạn",
        FailedStep::OpenPastDue => "Chưa trả kết quả, đã quá hạn",
        FailedStep::NoElectronicResult => "Chưa cấp kết quả điện tử",
        FailedStep::FeeNotPaidOnline => "Phí, lệ phí không thanh toán trực tuyến",
        FailedStep::NotDigitised => "Thành phần hồ sơ chưa được số hóa",
        FailedStep::DataNotReused => "Không tái sử dụng dữ liệu đã số hóa",
        FailedStep::RepeatedSupplement => "Yêu cầu bổ sung hồ sơ quá một lần",
    }
}
