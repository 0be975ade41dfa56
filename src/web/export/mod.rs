//! Exports of the pages' tables, fit to forward: CSV for people (Vietnamese, byte-order mark, codes kept
//! as text), CSV for machines (`format=data`: the API's keys, plain numbers) and Excel workbooks that say
//! what, where and when on every sheet, print on A4 landscape one page wide, colour statuses and total
//! their rows. The read API's own `?format=csv` is a different thing and stays as it is.

pub mod csv_file;
pub mod dossiers;
pub mod league;
pub mod report;
pub mod sheet;
pub mod unit;
pub mod workbook;

pub use csv_file::{guard, to_csv, to_data_csv};
pub use league::{league_sheet, league_sheets};
pub use sheet::{Cell, Column, Heading, Sheet};
pub use unit::{unit_sheets, UNIT_TABLES};
pub use workbook::to_xlsx;

use super::error::{AppError, Result};
use super::pages::league::board_for;
use super::pages::period::when_vi;
use super::pages::unit::page_for;
use super::params::{ChaseParams, ReadParams};
use super::pages::dossiers::list_for;
use super::params::{Path, Query};
use super::AppState;
use crate::report::league::LeagueBoard;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use rust_xlsxwriter::XlsxError;

/// Who a CSV is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Vietnamese headings and figures, byte-order mark, total row (the default).
    People,
    /// `format=data`: English keys, plain numbers, no total row.
    Machines,
}

impl Audience {
    fn of(p: &ReadParams) -> Result<Audience> {
        match p.format.as_deref().map(str::trim).filter(|f| !f.is_empty()) {
            None | Some("people") => Ok(Audience::People),
            Some("data") => Ok(Audience::Machines),
            Some(f) => Err(AppError::BadRequest(format!("unknown format {f:?} (expected people, the default, or data)"))),
        }
    }

    fn csv(self, sheet: &Sheet) -> Vec<u8> {
        match self {
            Audience::People => to_csv(sheet),
            Audience::Machines => to_data_csv(sheet),
        }
    }

    fn suffix(self) -> &'static str {
        match self {
            Audience::People => "",
            Audience::Machines => "-data",
        }
    }
}

/// Letters, digits, `-` and `_` only, for a file name.
fn file_safe(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect()
}

fn download(bytes: Vec<u8>, content_type: &str, filename: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\"")),
        ],
        bytes,
    )
        .into_response()
}

const CSV_TYPE: &str = "text/csv; charset=utf-8";
const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn xlsx_error(e: XlsxError) -> AppError {
    tracing::error!(error = %e, "cannot write workbook");
    AppError::BadRequest(format!("cannot write the workbook: {e}"))
}

fn league_name(b: &LeagueBoard) -> String {
    file_safe(&format!("xep-hang-{}-{}-{}{}", b.period, b.kind, b.indicator, b.parent.as_deref().map(|p| format!("-{p}")).unwrap_or_default()))
}

/// When the last event arrived (any source), for "provisional, updated at".
async fn updated_at(state: &AppState) -> Result<Option<i64>> {
    Ok(state.store.sources().await?.into_iter().map(|(_, at)| at).max())
}

/// The name of the unit a table is within, or "Toàn quốc".
async fn place(state: &AppState, parent: Option<&str>) -> Result<String> {
    let registry = state.store.registry().await?;
    Ok(parent.and_then(|c| registry.units.get(c)).map_or_else(|| "Toàn quốc".to_string(), |u| u.name.clone()))
}

/// `GET /export/league.csv`: the league table of `/` with the same query parameters; `format=data` for
/// machines.
pub async fn league_csv(State(state): State<AppState>, Query(p): Query<ReadParams>) -> Result<Response> {
    let audience = Audience::of(&p)?;
    let (board, _) = board_for(&state, &p).await?;
    let name = format!("{}{}.csv", league_name(&board), audience.suffix());
    Ok(download(audience.csv(&league_sheet(&board)), CSV_TYPE, &name))
}

/// `GET /export/league.xlsx`: the same as a workbook: the ranking and the rates of the periods before.
pub async fn league_xlsx(State(state): State<AppState>, Query(p): Query<ReadParams>) -> Result<Response> {
    let (board, _) = board_for(&state, &p).await?;
    let now = state.clock.now_ms();
    let heading = Heading {
        place: place(&state, board.parent.as_deref()).await?,
        when: when_vi(board.period, now, updated_at(&state).await?, board.closed.as_ref().map(|c| c.closed_at)),
        exported_at_ms: now,
    };
    let sheets = league_sheets(&board);
    let bytes = to_xlsx(&sheets[0].title, &heading, &sheets).map_err(xlsx_error)?;
    Ok(download(bytes, XLSX_TYPE, &format!("{}.xlsx", league_name(&board))))
}

/// `GET /export/units/CODE.csv?table=…` (one table: indicators, history, shortfalls or procedures, the
/// default; `format=data` for machines) and `GET /export/units/CODE.xlsx` (every table, a sheet each).
pub async fn unit(State(state): State<AppState>, Path(file): Path<String>, Query(p): Query<ReadParams>) -> Result<Response> {
    let (code, ext) = file
        .rsplit_once('.')
        .filter(|(_, e)| matches!(*e, "csv" | "xlsx"))
        .ok_or_else(|| AppError::NotFound(format!("unknown export {file:?} (expected CODE.csv or CODE.xlsx)")))?;
    let audience = Audience::of(&p)?;
    let (page, parent) = page_for(&state, code, &p).await?;
    let sheets = unit_sheets(&page);
    let r = &page.report;
    let name = file_safe(&format!("don-vi-{}-{}", r.unit, r.period));
    if ext == "xlsx" {
        let now = state.clock.now_ms();
        let heading = Heading {
            place: parent.map_or_else(|| "Toàn quốc".to_string(), |(_, name)| name),
            when: when_vi(r.period, now, updated_at(&state).await?, r.closed.as_ref().map(|c| c.closed_at)),
            exported_at_ms: now,
        };
        let bytes = to_xlsx(&format!("{} ({}) — {}", r.name, r.unit, r.period.label_vi()), &heading, &sheets).map_err(xlsx_error)?;
        return Ok(download(bytes, XLSX_TYPE, &format!("{name}.xlsx")));
    }
    let table = p.table.as_deref().map(str::trim).filter(|t| !t.is_empty()).unwrap_or("procedures");
    let i = UNIT_TABLES.iter().position(|t| *t == table).ok_or_else(|| {
        AppError::BadRequest(format!("unknown table {table:?} (expected {})", UNIT_TABLES.join(", ")))
    })?;
    Ok(download(audience.csv(&sheets[i]), CSV_TYPE, &format!("{name}-{table}{}.csv", audience.suffix())))
}

/// `GET /export/units/CODE/dossiers.csv` and `.xlsx`: every page of `/units/CODE/dossiers` with the
/// same query parameters (`format=data` for machines).
pub async fn unit_dossiers(State(state): State<AppState>, Path((code, file)): Path<(String, String)>, Query(p): Query<ChaseParams>) -> Result<Response> {
    let ext = match file.as_str() {
        "dossiers.csv" => "csv",
        "dossiers.xlsx" => "xlsx",
        _ => return Err(AppError::NotFound(format!("unknown export {file:?} (expected dossiers.csv or dossiers.xlsx)"))),
    };
    let audience = Audience::of(&p.read)?;
    let list = list_for(&state, &code, &p, false).await?;
    let sheet = dossiers::dossiers_sheet(&list);
    let name = file_safe(&format!("ho-so-can-xu-ly-{}-{}-{}", list.unit, list.period, list.indicator));
    if ext == "xlsx" {
        let now = state.clock.now_ms();
        let registry = state.store.registry().await?;
        let parent = registry.units.get(&code).and_then(|u| u.parent.as_deref());
        let heading = Heading { place: place(&state, parent).await?, when: when_vi(list.period, now, updated_at(&state).await?, None), exported_at_ms: now };
        let bytes = to_xlsx(&sheet.title, &heading, std::slice::from_ref(&sheet)).map_err(xlsx_error)?;
        return Ok(download(bytes, XLSX_TYPE, &format!("{name}.xlsx")));
    }
    Ok(download(audience.csv(&sheet), CSV_TYPE, &format!("{name}{}.csv", audience.suffix())))
}

/// A province's meeting report as a workbook, and its file name.
pub fn report_workbook(d: &crate::report::digest::Digest, now_ms: i64, updated_at: Option<i64>) -> Result<(Vec<u8>, String)> {
    let heading = Heading { place: d.province.name.clone(), when: when_vi(d.period, now_ms, updated_at, None), exported_at_ms: now_ms };
    let sheets = report::report_sheets(d);
    let bytes = to_xlsx(&super::pages::report::title(d), &heading, &sheets).map_err(xlsx_error)?;
    let kind = if d.week.is_some() { "bao-cao-nhanh-tuan" } else { "bao-cao" };
    Ok((bytes, format!("{}.xlsx", file_safe(&format!("{kind}-{}-{}", d.province.code, d.period)))))
}

/// `GET /export/report.xlsx?parent=CODE&period=P`: the monthly meeting report of `/report`.
pub async fn report_xlsx(State(state): State<AppState>, Query(p): Query<ReadParams>) -> Result<Response> {
    let d = super::pages::report::monthly_for(&state, &p).await?;
    let (bytes, name) = report_workbook(&d, state.clock.now_ms(), updated_at(&state).await?)?;
    Ok(download(bytes, XLSX_TYPE, &name))
}

/// `GET /export/report-week.xlsx?parent=CODE`: the weekly quick report of `/report/week`.
pub async fn report_week_xlsx(State(state): State<AppState>, Query(p): Query<ReadParams>) -> Result<Response> {
    let d = super::pages::report::weekly_for(&state, &p).await?;
    let (bytes, name) = report_workbook(&d, state.clock.now_ms(), updated_at(&state).await?)?;
    Ok(download(bytes, XLSX_TYPE, &name))
}
