//! `/units/CODE/index`: the national index (Decision 766/QĐ-TTg) estimated from the province's own
//! dossiers, for a unit and period: each dossier-based component with its rate, the points it earns and
//! loses, how many more dossiers would earn them back and the list of the dossiers behind the loss;
//! for a province (or the nation), its units ranked by the estimate.

use super::layout::{layout, scroll_box};
use super::period::{self, provisional_note};
use crate::domain::{Month, Period, PeriodKind, UnitKind};
use crate::report::index::{estimate, IndexEstimate};
use crate::web::error::{AppError, Result};
use crate::web::format::{decimal, integer, percent};
use crate::web::params::{Path, Query, ReadParams};
use crate::web::AppState;
use axum::extract::State;
use maud::{html, Markup};

/// The estimate a request asks for: its unit, and its period (default: the current month).
pub async fn estimate_for(state: &AppState, code: &str, p: &ReadParams) -> Result<IndexEstimate> {
    let registry = state.store.registry().await?;
    let unit = registry.units.get(code).ok_or_else(|| AppError::NotFound(format!("unknown unit {code:?}")))?.clone();
    let now = state.clock.now_ms();
    let period = p.period_given()?.unwrap_or_else(|| Period::from(Month::of_millis(now)));
    Ok(estimate(state.store.as_ref(), &registry, &state.settings.index_scheme, &unit, period, now).await?)
}

pub async fn page(State(state): State<AppState>, Path(code): Path<String>, Query(p): Query<ReadParams>) -> Result<Markup> {
    let estimate = estimate_for(&state, &code, &p).await?;
    let now = state.clock.now_ms();
    let updated_at = state.store.sources().await?.into_iter().map(|(_, at)| at).max();
    Ok(IndexView { estimate: &estimate, periods: period::choices(now), now_ms: now, updated_at }.render())
}

pub struct IndexView<'a> {
    pub estimate: &'a IndexEstimate,
    pub periods: Vec<(PeriodKind, Vec<Period>)>,
    pub now_ms: i64,
    pub updated_at: Option<i64>,
}

/// Points with two decimals: 12.5 → "12,50".
fn pts(p: Option<f64>) -> String {
    p.map_or_else(|| "—".into(), |p| decimal(p, 2))
}

impl IndexView<'_> {
    pub fn render(&self) -> Markup {
        let e = self.estimate;
        layout(&format!("Chỉ số 766 ước tính — {} — {}", e.name, e.period.label_vi()), self.body())
    }

    fn body(&self) -> Markup {
        let e = self.estimate;
        html! {
            h1 { "Chỉ số 766 ước tính — " (e.name) " — " (e.period.label_vi()) }
            p.muted { (e.kind.label_vi()) " · mã " (e.unit) " · " a href={ "/units/" (e.unit) "?period=" (e.period) } { "Trang đơn vị" } }
            p.provisional role="note" {
                strong { "Ước tính từ dữ liệu hồ sơ của tỉnh" } ", không phải số liệu Cổng Dịch vụ công quốc gia công bố. "
                "Chỉ gồm các thành phần tính từ hồ sơ (" (decimal(e.scheme_points, 0)) " trên 100 điểm của Bộ chỉ số); "
                "điểm theo " (e.scheme_source) " (" (e.scheme_date) ")."
            }
            form.filters method="get" action={ "/units/" (e.unit) "/index" } aria-label="Chọn kỳ" {
                (period::select(e.period, &self.periods))
                button type="submit" { "Xem" }
            }
            (provisional_note(e.period, self.now_ms, self.updated_at))
            p.headline {
                "Điểm ước tính: " strong { (pts(Some(e.points))) } " / " (pts(Some(e.max_points))) " điểm của các thành phần có hồ sơ; "
                "mất " strong { (pts(Some(e.max_points - e.points))) } " điểm."
            }
            (self.components())
            @if !e.units.is_empty() {
                h2 id="don-vi" { "Các đơn vị theo điểm ước tính" }
                (self.units())
            }
        }
    }

    fn components(&self) -> Markup {
        let e = self.estimate;
        scroll_box("cap-thanh-phan", html! { table {
            caption id="cap-thanh-phan" { "Các thành phần tính từ hồ sơ, " (e.period.label_vi()) ": điểm đạt, điểm mất và việc cần làm để lấy lại." }
            thead { tr {
                th scope="col" { "Nhóm" } th scope="col" { "Thành phần" }
                th.num scope="col" { "Hồ sơ đạt" } th.num scope="col" { "Số hồ sơ" } th.num scope="col" { "Tỷ lệ" }
                th.num scope="col" { "Đạt tối đa từ" } th.num scope="col" { "Điểm tối đa" } th.num scope="col" { "Điểm ước tính" }
                th.num scope="col" { "Điểm mất" } th scope="col" { "Để lấy lại" }
            } }
            tbody { @for c in &e.components { tr {
                td { (c.component.group) }
                th.unit scope="row" { (c.component.name) }
                td.num { (integer(c.score.figures.numerator)) } td.num { (integer(c.score.figures.denominator)) }
                td.num { (percent(c.score.rate)) } td.num { (percent(Some(c.component.full_at.as_f64()))) }
                td.num { (pts(Some(c.component.max_points))) } td.num { (pts(c.score.points)) } td.num { (pts(c.score.lost)) }
                td {
                    @match c.score.needed {
                        None => span.muted { "Không có hồ sơ trong kỳ" },
                        Some(0) => "Đã đạt tối đa",
                        Some(n) => {
                            "Thêm " (integer(n)) " hồ sơ đạt · "
                            a href={ "/units/" (e.unit) "/dossiers?indicator=" (c.component.indicator) "&period=" (e.period) } {
                                "Hồ sơ chưa đạt" span.sr-only { " " (c.component.name.to_lowercase()) }
                            }
                        }
                    }
                }
            } } }
            tfoot { tr {
                th scope="row" colspan="6" { "Cộng (thành phần có hồ sơ)" }
                td.num { (pts(Some(e.max_points))) } td.num { (pts(Some(e.points))) } td.num { (pts(Some(e.max_points - e.points))) } td {}
            } }
        } })
    }

    fn units(&self) -> Markup {
        let e = self.estimate;
        scroll_box("cap-don-vi", html! { table {
            caption id="cap-don-vi" {
                "Điểm ước tính của từng đơn vị, " (e.period.label_vi()) ", xếp theo tỷ lệ điểm đạt trên điểm tối đa của các thành phần có hồ sơ "
                "(đơn vị không có hồ sơ thu phí không bị tính thiếu điểm thanh toán trực tuyến)."
            }
            thead { tr {
                th scope="col" { "Loại" } th scope="col" { "Đơn vị" } th.num scope="col" { "Điểm ước tính" } th.num scope="col" { "Trên tối đa" }
                th.num scope="col" { "Tỷ lệ điểm" }
            } }
            tbody { @for u in &e.units { tr {
                td { (u.kind.label_vi()) }
                th.unit scope="row" { a href={ "/units/" (u.unit) "/index?period=" (e.period) } { (u.name) } }
                td.num { (pts(Some(u.points))) } td.num { (pts(Some(u.max_points))) } td.num { (percent(Some(u.points / u.max_points))) }
            } } }
        } })
    }
}

/// The link a unit page gives to its estimate.
pub fn link(unit: &str, kind: UnitKind, period: Period) -> Markup {
    let what = if matches!(kind, UnitKind::Province | UnitKind::Nation) { "Chỉ số 766 ước tính và xếp hạng đơn vị" } else { "Chỉ số 766 ước tính" };
    html! { a href={ "/units/" (unit) "/index?period=" (period) } { (what) } }
}
