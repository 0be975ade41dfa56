//! The read API (api.md): JSON by default, CSV with `?format=csv`. Handlers only fetch and encode.

use super::error::{AppError, Result};
use super::params::{ChaseParams, ReadParams};
use super::AppState;
use crate::domain::UnitKind;
use crate::report::{aggregate, chase, league, unit};
use axum::body::Bytes;
use super::params::{Path, Query};
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use super::openapi::{ErrorBody, Format};
use crate::domain::Month;
use serde::Serialize;
use utoipa::ToSchema;

/// The league table of one unit kind and period (api.md), ranked, with targets, statuses and changes
/// against the period before of the same kind; a closed month as published, with its revision.
#[utoipa::path(get, path = "/api/v1/league", tag = "read",
    params(("month" = Option<Month>, Query, description = "YYYY-MM, 2000-01 to 2100-12; default: the current month (UTC+07:00)"), ("period" = Option<String>, Query, description = "YYYY-MM (month), YYYY-Qn (quarter), YYYY-Hn (six months) or YYYY (year), within 2000-01 to 2100-12; figures are the sums of the period's months (closed months as published); default: the current month (UTC+07:00)"), ("kind" = Option<UnitKind>, Query, description = "`department` (default), `commune`, `province` or `ministry`"), ("indicator" = Option<crate::domain::Indicator>, Query, description = "`completion` (default), `intake`, `on_time`, or one of the national index's dossier indicators: `online_submission`, `online_payment`, `electronic_result`, `digitised`, `reused_data`, `on_time_index`"),
        ("parent" = Option<String>, Query, description = "A unit code: only the units under it; default: nationwide"), ("peer" = Option<String>, Query, description = "Only units of one function across provinces, named by their folded name without the province (`so tu phap`)"), ("format" = Option<Format>, Query, description = "`csv` for CSV with the same columns; default JSON")),
    responses((status = 200, description = "The table", content((league::LeagueTable = "application/json"), (String = "text/csv"))), (status = 400, description = "A parameter is not understood", body = ErrorBody),
        (status = 404, description = "Unknown parent unit", body = ErrorBody)))]
pub async fn league(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    Query(p): Query<ReadParams>,
) -> Result<Response> {
    let now = state.clock.now_ms();
    // The JSON table reads its period and the one before: kept in the page cache while they are unchanged.
    let (period, indicator, csv) = (p.period(now)?, p.indicator()?, p.wants_csv()?);
    let version = state.store.data_version(indicator, period.prev().first(), period.last()).filter(|_| !csv);
    let key = format!("/api/v1/league?{}", raw.unwrap_or_default());
    if let Some(body) = state.pages.lookup(&headers, &key, version) {
        return Ok(json_response(body));
    }
    let read_at = std::time::Instant::now();
    let registry = state.store.registry().await?;
    let kind = p.kind(UnitKind::Department)?;
    let q = league::LeagueQuery { period, kind, indicator, parent: p.parent(&registry)?, peer: p.peer(&registry, kind)? };
    let table = league::league_table(state.store.as_ref(), &registry, &q, state.settings.min_volume, now).await?;
    if csv {
        let name = format!("league-{}-{}-{}.csv", table.period, table.kind, table.indicator);
        return csv_response(&table.rows.iter().map(LeagueCsvRow::of).collect::<Vec<_>>(), &name);
    }
    let body = Bytes::from(serde_json::to_vec(&table).map_err(|e| AppError::Internal(format!("league table as JSON: {e}")))?);
    if let Some(v) = version {
        state.pages.put(key, v, read_at, body.clone());
    }
    Ok(json_response(body))
}

/// The unit codes agency systems sent without a mapping (their snapshots were refused), most recently
/// seen first: code, source, snapshots refused, first and last seen (milliseconds); and, in
/// `held_steps`, how many national-sync steps each source holds for dossiers whose snapshots have not
/// arrived, with the arrival time of the oldest (milliseconds).
#[utoipa::path(get, path = "/api/v1/sender-codes/unmapped", tag = "read",
    responses((status = 200, description = "Unit codes agency systems sent without a mapping, and the steps held for snapshots to come", body = UnmappedCodes)))]
pub async fn unmapped_sender_codes(State(state): State<AppState>) -> Result<Response> {
    Ok(Json(UnmappedCodes { unmapped: state.store.unmapped_codes().await?, held_steps: state.store.held_step_counts().await? }).into_response())
}

fn json_response(body: Bytes) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// One unit's period: the three indicators against target, and the breakdown by procedure.
#[utoipa::path(get, path = "/api/v1/units/{code}", tag = "read",
    params(("code" = String, Path, description = "A registry unit code", example = "31-STP"), ("month" = Option<Month>, Query, description = "YYYY-MM, 2000-01 to 2100-12; default: the current month (UTC+07:00)"), ("period" = Option<String>, Query, description = "YYYY-MM (month), YYYY-Qn (quarter), YYYY-Hn (six months) or YYYY (year), within 2000-01 to 2100-12; figures are the sums of the period's months (closed months as published); default: the current month (UTC+07:00)"), ("format" = Option<Format>, Query, description = "`csv` for CSV with the same columns; default JSON")),
    responses((status = 200, description = "The unit report", content((unit::UnitReport = "application/json"), (String = "text/csv"))), (status = 400, description = "A parameter is not understood", body = ErrorBody),
        (status = 404, description = "Unknown unit", body = ErrorBody)))]
pub async fn unit(State(state): State<AppState>, Path(code): Path<String>, Query(p): Query<ReadParams>) -> Result<Response> {
    let registry = state.store.registry().await?;
    let unit = registry.units.get(&code).ok_or_else(|| AppError::NotFound(format!("unknown unit {code:?}")))?.clone();
    let now = state.clock.now_ms();
    let report = unit::unit_report(state.store.as_ref(), &registry, &unit, p.period(now)?, state.settings.min_volume, now).await?;
    if p.wants_csv()? {
        return csv_response(&unit_csv_rows(&report), &format!("unit-{}-{}.csv", report.unit, report.period));
    }
    Ok(Json(report).into_response())
}

/// The national index's dossier-based components for a unit and period, estimated from this service's
/// dossiers (the unit and every unit under it): figures, points, points lost and the dossiers needed to
/// earn them back; for a province or the nation, its units ranked by the estimate.
#[utoipa::path(get, path = "/api/v1/units/{code}/index", tag = "read",
    params(("code" = String, Path, description = "A registry unit code", example = "31"), ("month" = Option<Month>, Query, description = "YYYY-MM, 2000-01 to 2100-12; default: the current month (UTC+07:00)"), ("period" = Option<String>, Query, description = "YYYY-MM (month), YYYY-Qn (quarter), YYYY-Hn (six months) or YYYY (year), within 2000-01 to 2100-12; default: the current month (UTC+07:00)")),
    responses((status = 200, description = "The estimate", body = crate::report::index::IndexEstimate), (status = 400, description = "A parameter is not understood", body = ErrorBody),
        (status = 404, description = "Unknown unit", body = ErrorBody)))]
pub async fn unit_index(State(state): State<AppState>, Path(code): Path<String>, Query(p): Query<ReadParams>) -> Result<Response> {
    let estimate = super::pages::index::estimate_for(&state, &code, &p).await?;
    Ok(Json(estimate).into_response())
}

/// The dossiers of a unit's month (and of the units under it) that failed an indicator, with the
/// steps they failed, for a head to chase: codes and times only, never personal data. Paged, in the
/// order asked for.
#[utoipa::path(get, path = "/api/v1/units/{code}/dossiers", tag = "read",
    params(("code" = String, Path, description = "A registry unit code", example = "31-STP"), ("month" = Option<Month>, Query, description = "YYYY-MM, 2000-01 to 2100-12; default: the current month (UTC+07:00)"),
        ("indicator" = Option<crate::domain::Indicator>, Query, description = "`completion` (default: not fully online), `intake` (not submitted online), `on_time` (returned late, or not returned and past due), or an index indicator: `online_submission`, `online_payment`, `electronic_result`, `digitised`, `reused_data`, `on_time_index` (each: the dossiers that did not count as passed, with the step)"),
        ("sort" = Option<String>, Query, description = "`code`, `unit`, `procedure`, `received` (default), `returned` or `due`; a leading `-` sorts descending. Ties by dossier code", example = "-due"),
        ("page" = Option<u64>, Query, description = "1 to 1,000,000; default 1", minimum = 1, maximum = 1000000), ("per_page" = Option<u64>, Query, description = "1 to 500; default 50", minimum = 1, maximum = 500),
        ("format" = Option<Format>, Query, description = "`csv` for CSV with the same columns (steps joined by `;`); default JSON")),
    responses((status = 200, description = "One page of the list, with its totals", content((chase::ChaseList = "application/json"), (String = "text/csv"))), (status = 400, description = "A parameter is not understood", body = ErrorBody),
        (status = 404, description = "Unknown unit", body = ErrorBody)))]
pub async fn unit_dossiers(State(state): State<AppState>, Path(code): Path<String>, Query(p): Query<ChaseParams>) -> Result<Response> {
    let list = super::pages::dossiers::list_for(&state, &code, &p, true).await?;
    if p.read.wants_csv()? {
        let rows: Vec<ChaseCsvRow> = list.dossiers.iter().map(ChaseCsvRow::from).collect();
        return csv_response(&rows, &format!("dossiers-{}-{}-{}-page-{}.csv", list.unit, list.period, list.indicator, list.page));
    }
    Ok(Json(list).into_response())
}

/// A dossier of the list as one CSV row.
#[derive(Serialize)]
struct ChaseCsvRow<'a> {
    code: &'a str,
    unit: &'a str,
    procedure: &'a str,
    received_at: Option<&'a str>,
    returned_at: Option<&'a str>,
    due: Option<&'a str>,
    channel: Option<&'a str>,
    result_delivery: Option<&'a str>,
    payment: Option<&'a str>,
    failed: String,
}

impl<'a> From<&'a chase::ChaseRow> for ChaseCsvRow<'a> {
    fn from(d: &'a chase::ChaseRow) -> Self {
        ChaseCsvRow {
            code: &d.code,
            unit: &d.unit,
            procedure: &d.procedure,
            received_at: d.received_at.as_deref(),
            returned_at: d.returned_at.as_deref(),
            due: d.due.as_deref(),
            channel: d.channel,
            result_delivery: d.result_delivery,
            payment: d.payment,
            failed: d.failed.iter().map(|s| s.code()).collect::<Vec<_>>().join(";"),
        }
    }
}

/// Aggregates for the national committee: per province, or the nation.
#[utoipa::path(get, path = "/api/v1/aggregate", tag = "read",
    params(("month" = Option<Month>, Query, description = "YYYY-MM, 2000-01 to 2100-12; default: the current month (UTC+07:00)"), ("period" = Option<String>, Query, description = "YYYY-MM (month), YYYY-Qn (quarter), YYYY-Hn (six months) or YYYY (year), within 2000-01 to 2100-12; figures are the sums of the period's months (closed months as published); default: the current month (UTC+07:00)"), ("level" = Option<aggregate::Level>, Query, description = "`province` (default) or `nation`"), ("indicator" = Option<crate::domain::Indicator>, Query, description = "`completion` (default), `intake`, `on_time`, or one of the national index's dossier indicators: `online_submission`, `online_payment`, `electronic_result`, `digitised`, `reused_data`, `on_time_index`"), ("format" = Option<Format>, Query, description = "`csv` for CSV with the same columns; default JSON")),
    responses((status = 200, description = "The aggregate", content((aggregate::Aggregate = "application/json"), (String = "text/csv"))), (status = 400, description = "A parameter is not understood", body = ErrorBody)))]
pub async fn aggregate(State(state): State<AppState>, Query(p): Query<ReadParams>) -> Result<Response> {
    let registry = state.store.registry().await?;
    let now_ms = state.clock.now_ms();
    let period = p.period(now_ms)?;
    let agg = aggregate::aggregate(state.store.as_ref(), &registry, period, p.level()?, p.indicator()?, now_ms).await?;
    if p.wants_csv()? {
        return csv_response(&agg.rows, &format!("aggregate-{}-{}.csv", agg.period, agg.indicator));
    }
    Ok(Json(agg).into_response())
}

/// The alert history, newest first: every notification sent, resolved or failed, with the heads'
/// addresses masked (`alerting::mask`); and the same notifications grouped by alert, unit and month.
#[utoipa::path(get, path = "/api/v1/alerts", tag = "read",
    params(
        ("province" = Option<String>, Query, description = "Only alerts about this province (its code, e.g. 31) or a unit of it"),
        ("unit" = Option<String>, Query, description = "Only this unit's alerts (or an agency system's, by its source name)"),
        ("alert" = Option<String>, Query, description = "Only this alert (rule), e.g. DvcUnitAtRisk"),
        ("limit" = Option<i64>, Query, description = "At most this many notifications, 1 to 5,000; default 200 (the groups count within them)"),
    ),
    responses((status = 200, description = "The alert history, newest first, and its repeats grouped", body = AlertHistory), (status = 400, description = "A parameter is not understood", body = ErrorBody)))]
pub async fn alerts(State(state): State<AppState>, Query(p): Query<ReadParams>) -> Result<Response> {
    let mut rows = state.store.alert_history(&p.alert_filter()?, p.alert_limit(200)).await?;
    for r in &mut rows {
        r.recipient = crate::alerting::mask::text(&r.recipient);
        r.detail = crate::alerting::mask::text(&r.detail);
    }
    let groups = crate::alerting::repeats::group(&rows);
    Ok(Json(AlertHistory { alerts: rows, groups }).into_response())
}

#[derive(serde::Deserialize)]
pub struct TargetParams {
    scope: Option<String>,
    year: Option<i32>,
}

/// Every imported target (optionally one scope's, or one year's) with where it came from.
#[utoipa::path(get, path = "/api/v1/targets", tag = "read",
    params(("scope" = Option<String>, Query, description = "A unit code or `kind:KIND`"), ("year" = Option<i32>, Query, description = "Only this year's targets")),
    responses((status = 200, description = "The imported targets with their source", body = TargetList), (status = 400, description = "A parameter is not understood", body = ErrorBody)))]
pub async fn targets(State(state): State<AppState>, Query(p): Query<TargetParams>) -> Result<Response> {
    let registry = state.store.registry().await?;
    let targets: Vec<crate::domain::Target> = registry
        .targets
        .all()
        .iter()
        .filter(|t| p.scope.as_deref().is_none_or(|s| t.scope.to_string() == s))
        .filter(|t| p.year.is_none_or(|y| t.year == y))
        .cloned()
        .collect();
    Ok(Json(TargetList { targets }).into_response())
}

/// Liveness.
#[utoipa::path(get, path = "/healthz", tag = "service", responses((status = 200, description = "`ok`", body = String, content_type = "text/plain")))]
pub async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: the database is reachable and migrated.
#[utoipa::path(get, path = "/readyz", tag = "service",
    responses((status = 200, description = "Ready", body = Readiness), (status = 503, description = "The database is unavailable", body = Readiness)))]
pub async fn readyz(State(state): State<AppState>) -> Response {
    match state.store.ready().await {
        Ok(()) => (StatusCode::OK, Json(Readiness { status: "ready", database: state.store.backend() })).into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "not ready");
            (StatusCode::SERVICE_UNAVAILABLE, Json(Readiness { status: "unavailable", database: state.store.backend() })).into_response()
        }
    }
}

/// The unit report flattened for CSV: one row per indicator for the unit, then per procedure.
#[derive(Serialize)]
struct UnitCsvRow<'a> {
    procedure: &'a str,
    name: &'a str,
    indicator: &'static str,
    numerator: i64,
    denominator: i64,
    rate: Option<f64>,
    target: Option<crate::domain::Ratio>,
    status: Option<crate::domain::kpi::Status>,
}

/// A league row as the API's CSV lists it: the JSON's fields, in the same order (the CSV writer cannot
/// flatten the judgement).
#[derive(Serialize)]
struct LeagueCsvRow<'a> {
    rank: Option<u32>,
    unit: &'a str,
    name: &'a str,
    numerator: i64,
    denominator: i64,
    rate: Option<f64>,
    target: Option<crate::domain::Ratio>,
    gap: Option<f64>,
    status: crate::domain::kpi::Status,
    rate_change: Option<f64>,
    rank_change: Option<i64>,
}

impl<'a> LeagueCsvRow<'a> {
    fn of(r: &'a crate::report::league::LeagueRow) -> LeagueCsvRow<'a> {
        let j = &r.judged;
        LeagueCsvRow {
            rank: r.rank,
            unit: &r.unit,
            name: &r.name,
            numerator: j.figures.numerator,
            denominator: j.figures.denominator,
            rate: j.rate,
            target: j.target,
            gap: j.gap,
            status: j.status,
            rate_change: r.rate_change,
            rank_change: r.rank_change,
        }
    }
}

fn unit_csv_rows(r: &unit::UnitReport) -> Vec<UnitCsvRow<'_>> {
    let mut rows: Vec<UnitCsvRow> = r
        .indicators
        .iter()
        .map(|i| UnitCsvRow {
            procedure: "",
            name: &r.name,
            indicator: i.indicator.as_str(),
            numerator: i.judged.figures.numerator,
            denominator: i.judged.figures.denominator,
            rate: i.judged.rate,
            target: i.judged.target,
            status: Some(i.judged.status),
        })
        .collect();
    for p in &r.procedures {
        for (indicator, f) in [("completion", p.completion), ("intake", p.intake), ("on_time", p.on_time)] {
            rows.push(UnitCsvRow {
                procedure: &p.procedure,
                name: &p.name,
                indicator,
                numerator: f.numerator,
                denominator: f.denominator,
                rate: f.rate(),
                target: None,
                status: None,
            });
        }
    }
    rows
}

pub fn csv_response<T: Serialize>(rows: &[T], filename: &str) -> Result<Response> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in rows {
        w.serialize(r).map_err(|e| AppError::BadRequest(format!("cannot encode CSV: {e}")))?;
    }
    let bytes = w.into_inner().map_err(|e| AppError::BadRequest(format!("cannot encode CSV: {e}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("inline; filename=\"{filename}\"")),
        ],
        bytes,
    )
        .into_response())
}

/// `GET /api/v1/sender-codes/unmapped`: most recently seen first.
#[derive(Serialize, ToSchema)]
pub struct UnmappedCodes {
    pub unmapped: Vec<crate::domain::sender::UnmappedCode>,
    pub held_steps: Vec<crate::domain::sender::HeldSteps>,
}

/// `GET /api/v1/alerts`: every notification sent, resolved or failed, addresses masked.
#[derive(Serialize, ToSchema)]
pub struct AlertHistory {
    pub alerts: Vec<crate::store::AlertRecord>,
    /// The same notifications, repeats of one alert about one unit, indicator and month counted once,
    /// the group with the latest notification first.
    pub groups: Vec<crate::alerting::repeats::AlertGroup>,
}

/// `GET /api/v1/targets`.
#[derive(Serialize, ToSchema)]
pub struct TargetList {
    pub targets: Vec<crate::domain::Target>,
}

/// `GET /readyz`: `ready` or `unavailable`, and which database.
#[derive(Serialize, ToSchema)]
pub struct Readiness {
    pub status: &'static str,
    pub database: &'static str,
}
