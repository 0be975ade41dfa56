//! `/units/CODE`: one unit's month, its indicators against target and the breakdown by procedure.

use super::layout::layout;
use super::status_class;
use crate::registry::Registry;
use crate::report::unit::{unit_report, UnitReport};
use crate::web::error::{AppError, Result};
use crate::web::format::{integer, percent, points};
use crate::web::params::ReadParams;
use crate::web::AppState;
use axum::extract::{Path, Query, State};
use maud::{html, Markup};

pub async fn page(State(state): State<AppState>, Path(code): Path<String>, Query(p): Query<ReadParams>) -> Result<Markup> {
    let registry = Registry::load(state.store.as_ref()).await?;
    let unit = registry.units.get(&code).ok_or_else(|| AppError::NotFound(format!("unknown unit {code:?}")))?.clone();
    let now = state.clock.now_ms();
    let report = unit_report(state.store.as_ref(), &registry, &unit, p.month(now)?, state.settings.min_volume, now).await?;
    let alerts = state.store.alert_history(Some(&code), 20).await?;
    Ok(layout(&report.name, render(&report, &alerts)))
}

fn render(r: &UnitReport, alerts: &[crate::store::AlertRecord]) -> Markup {
    html! {
        h1 { (r.name) " — tháng " (r.month.month()) "/" (r.month.year()) }
        p.muted { (r.kind.label_vi()) " · mã " (r.unit) }
        div.scroll { table {
            caption.muted { "Các chỉ số của tháng" }
            thead { tr {
                th scope="col" { "Chỉ số" } th.num scope="col" { "Đạt" } th.num scope="col" { "Hồ sơ" }
                th.num scope="col" { "Tỷ lệ" } th.num scope="col" { "Chỉ tiêu" } th.num scope="col" { "Chênh lệch" }
                th scope="col" { "Trạng thái" }
            } }
            tbody { @for i in &r.indicators { tr {
                td { (i.indicator.label_vi()) }
                td.num { (integer(i.numerator)) } td.num { (integer(i.denominator)) }
                td.num { (percent(i.rate)) } td.num { (percent(i.target.map(|t| t.as_f64()))) } td.num { (points(i.gap)) }
                td { span class={ "status " (status_class(i.status)) } { (i.status.label_vi()) } }
            } } }
        } }
        h2 { "Theo thủ tục hành chính" }
        div.scroll { table {
            thead { tr {
                th scope="col" { "Thủ tục" } th scope="col" { "Mức độ" }
                th.num scope="col" { "Toàn trình / đã trả" } th.num scope="col" { "Tỷ lệ toàn trình" }
                th.num scope="col" { "Nộp trực tuyến / tiếp nhận" } th.num scope="col" { "Đúng hạn / có hạn" }
            } }
            tbody {
                @for p in &r.procedures { tr {
                    td { (p.name) " " span.muted { (p.procedure) } }
                    td { (p.level.map(|l| l.label_vi()).unwrap_or("—")) }
                    td.num { (integer(p.completion.numerator)) " / " (integer(p.completion.denominator)) }
                    td.num { (percent(p.completion.rate())) }
                    td.num { (integer(p.intake.numerator)) " / " (integer(p.intake.denominator)) }
                    td.num { (integer(p.on_time.numerator)) " / " (integer(p.on_time.denominator)) }
                } }
                @if r.procedures.is_empty() { tr { td colspan="6" { "Không có hồ sơ trong tháng." } } }
            }
        } }
        h2 { "Cảnh báo gần đây" }
        (super::alerts::history(alerts))
    }
}
