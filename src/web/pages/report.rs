//! `/report`: a province's monthly meeting report, and `/report/week`: its weekly quick report. One
//! page, made to print as one A4 landscape sheet from the browser (two columns: the headline and the
//! departments on the left; the communes by band, who fell behind and the week on the right).

use super::layout::{layout, query_string};
use super::period::{self, capitalised, local_time};
use super::status_class;
use crate::domain::{Month, Period, PeriodKind, UnitKind};
use crate::report::digest::{self, Digest};
use crate::web::error::{AppError, Result};
use crate::web::format::{integer, percent, points};
use crate::web::params::{Query, ReadParams};
use crate::web::AppState;
use axum::extract::State;
use maud::{html, Markup};

/// The province a report is for: `parent`, or the registry's only province.
pub async fn province_of(state: &AppState, p: &ReadParams) -> Result<crate::domain::Unit> {
    let registry = state.store.registry().await?;
    let code = match (p.parent(&registry)?, registry.units.of_kind(UnitKind::Province, None).as_slice()) {
        (Some(code), _) => code,
        (None, [only]) => only.code.clone(),
        (None, _) => return Err(AppError::BadRequest("choose the province: parent=CODE".into())),
    };
    let unit = registry.units.get(&code).cloned().ok_or_else(|| AppError::NotFound(format!("unknown unit {code:?}")))?;
    if unit.kind != UnitKind::Province {
        return Err(AppError::BadRequest(format!("{code} is not a province: the report is a province's")));
    }
    Ok(unit)
}

/// The monthly meeting report's digest: the period asked for, else the last finished month.
pub async fn monthly_for(state: &AppState, p: &ReadParams) -> Result<Digest> {
    let province = province_of(state, p).await?;
    let now = state.clock.now_ms();
    let period = p.period_given()?.unwrap_or_else(|| Period::from(Month::of_millis(now)).prev());
    let registry = state.store.registry().await?;
    Ok(digest::digest(state.store.as_ref(), &registry, &province, period, state.settings.min_volume, now).await?)
}

pub async fn weekly_for(state: &AppState, p: &ReadParams) -> Result<Digest> {
    let province = province_of(state, p).await?;
    let registry = state.store.registry().await?;
    Ok(digest::weekly(state.store.as_ref(), &registry, &province, state.settings.min_volume, state.clock.now_ms()).await?)
}

pub async fn monthly(State(state): State<AppState>, Query(p): Query<ReadParams>) -> Result<Markup> {
    let d = monthly_for(&state, &p).await?;
    Ok(ReportView { digest: &d, periods: period::choices(state.clock.now_ms()), now_ms: state.clock.now_ms() }.render())
}

pub async fn weekly(State(state): State<AppState>, Query(p): Query<ReadParams>) -> Result<Markup> {
    let d = weekly_for(&state, &p).await?;
    Ok(ReportView { digest: &d, periods: period::choices(state.clock.now_ms()), now_ms: state.clock.now_ms() }.render())
}

pub struct ReportView<'a> {
    pub digest: &'a Digest,
    pub periods: Vec<(PeriodKind, Vec<Period>)>,
    pub now_ms: i64,
}

/// "Báo cáo tháng 11/2026 — Thành phố Hải Phòng", or the weekly report's title.
pub fn title(d: &Digest) -> String {
    match &d.week {
        Some(_) => format!("Báo cáo nhanh tuần — {} — {} (đến nay)", d.province.name, d.period.label_vi()),
        None => format!("Báo cáo {} — {}", d.period.label_vi(), d.province.name),
    }
}

impl ReportView<'_> {
    pub fn render(&self) -> Markup {
        layout(&title(self.digest), self.body())
    }

    fn link(&self, path: &str) -> String {
        let d = self.digest;
        format!("{path}?{}", query_string(&[("parent", Some(&d.province.code)), ("period", Some(&d.period.to_string()))]))
    }

    pub fn body(&self) -> Markup {
        let d = self.digest;
        let weekly = d.week.is_some();
        html! {
            h1 { (title(d)) }
            @if !weekly {
                form.filters method="get" action="/report" aria-label="Chọn kỳ báo cáo" {
                    input type="hidden" name="parent" value=(d.province.code);
                    (period::select(d.period, &self.periods))
                    button type="submit" { "Xem" }
                }
            }
            nav.links aria-label="Tải xuống và xem thêm" {
                @if weekly {
                    a href={ "/export/report-week.xlsx?parent=" (d.province.code) } download { "Tải Excel (.xlsx)" }
                    a href={ "/report?parent=" (d.province.code) } { "Báo cáo tháng" }
                } @else {
                    a href=(self.link("/export/report.xlsx")) download { "Tải Excel (.xlsx)" }
                    a href={ "/report/week?parent=" (d.province.code) } { "Báo cáo nhanh tuần" }
                }
                a href=(self.link("/scorecard")) { "Bảng điểm" }
                span.no-print { "In: Ctrl+P (A4 ngang, một trang)" }
            }
            p.note {
                @if d.provisional { strong { "Số liệu tạm tính" } ": kỳ chưa kết thúc; trạng thái là dự báo đến cuối kỳ. " }
                "Số liệu: dvc-monitor, lập lúc " (local_time(self.now_ms)) ". So sánh với " (d.period.prev().label_vi()) "."
            }
            div.digest {
                div {
                    (self.headline())
                    (self.departments())
                }
                div {
                    @if let Some(w) = &d.week { (self.week(w)) }
                    (self.communes())
                    (self.fell_behind())
                }
            }
        }
    }

    fn headline(&self) -> Markup {
        let d = self.digest;
        html! {
            section.figures aria-label="Chỉ số chung của tỉnh" {
                @for h in &d.headline {
                    div.figure {
                        div.muted { (h.indicator.label_vi()) }
                        div.big { (percent(h.judged.rate)) }
                        div { (integer(h.judged.figures.numerator)) " / " (integer(h.judged.figures.denominator)) " hồ sơ" }
                        div { "Chỉ tiêu " (percent(h.judged.target.map(|t| t.as_f64()))) }
                        div { span class={ "status " (status_class(h.judged.status)) } { (h.judged.status.label_vi()) } }
                        div.muted { "Kỳ trước " (percent(h.before)) " (" (points(h.judged.rate.zip(h.before).map(|(a, b)| a - b))) ")" }
                    }
                }
            }
        }
    }

    fn departments(&self) -> Markup {
        let b = &self.digest.departments;
        html! {
            table.compact {
                caption { "Sở, ban, ngành: tỷ lệ hồ sơ trực tuyến toàn trình, xếp hạng" }
                thead { tr {
                    th.num scope="col" { "Hạng" } th scope="col" { "Đơn vị" } th.num scope="col" { "Hồ sơ" }
                    th.num scope="col" { "Tỷ lệ" } th.num scope="col" { "Chỉ tiêu" } th scope="col" { "Trạng thái" } th.num scope="col" { "So kỳ trước" }
                } }
                tbody {
                    @for r in b.rows() {
                        tr {
                            td.num { (r.row.rank.map(|x| x.to_string()).unwrap_or_else(|| "—".into())) }
                            th scope="row" { (r.row.name) }
                            td.num { (integer(r.row.judged.figures.denominator)) }
                            td.num { strong { (percent(r.row.judged.rate)) } }
                            td.num { (percent(r.row.judged.target.map(|t| t.as_f64()))) }
                            td { span class={ "status " (status_class(r.row.judged.status)) } { (r.row.judged.status.label_vi()) } }
                            td.num { (points(r.row.rate_change)) }
                        }
                    }
                }
                tfoot { tr {
                    td {} th scope="row" { "Tổng " (b.total) " đơn vị" } td.num { (integer(b.sum.denominator)) }
                    td.num { strong { (percent(b.sum.rate())) } } td colspan="3" {}
                } }
            }
        }
    }

    fn communes(&self) -> Markup {
        let c = &self.digest.communes;
        html! {
            h2 { "Xã, phường, đặc khu (" (c.total) @if c.over_week { ", 7 ngày qua" } ")" }
            ul.bands {
                @for (band, n) in &c.bands {
                    li { span class={ "status " (band.class()) } { (band.label_vi()) } ": " strong { (n) } }
                }
                li.muted { "Chưa đủ dữ liệu để đánh giá: " (c.unranked) }
            }
            @if !c.lowest.is_empty() {
                p { strong { "Thấp nhất: " }
                    @for (i, r) in c.lowest.iter().enumerate() {
                        @if i > 0 { "; " }
                        (r.name) " " (percent(r.figures.rate()))
                    }
                }
            }
        }
    }

    fn fell_behind(&self) -> Markup {
        let d = self.digest;
        html! {
            h2 { "Đơn vị tụt xuống dưới chỉ tiêu so với " (d.period.prev().label_vi()) }
            @if d.fell_behind.is_empty() {
                p { "Không có đơn vị nào." }
            } @else {
                ul {
                    @for f in &d.fell_behind {
                        li {
                            (f.name) " (" (f.kind.label_vi().to_lowercase()) "): " (f.before.label_vi().to_lowercase()) " → "
                            span class={ "status " (status_class(f.now)) } { (f.now.label_vi().to_lowercase()) }
                            ", " (percent(f.rate)) " so với chỉ tiêu " (percent(f.target))
                        }
                    }
                }
            }
        }
    }

    fn week(&self, w: &digest::Week) -> Markup {
        let mut departments: Vec<&(String, String, crate::domain::Figures)> = w.departments.iter().filter(|(_, _, f)| f.denominator > 0).collect();
        departments.sort_by(|a, b| a.2.rate().partial_cmp(&b.2.rate()).unwrap_or(std::cmp::Ordering::Equal));
        html! {
            h2 { "7 ngày qua (" (local_time(w.from_ms)) " – " (local_time(w.to_ms)) ")" }
            p { "Cả tỉnh: " strong { (percent(w.province.rate())) } " (" (integer(w.province.numerator)) " / " (integer(w.province.denominator)) " hồ sơ trả kết quả)." }
            @if !departments.is_empty() {
                p { strong { "Năm sở, ban, ngành thấp nhất trong tuần: " }
                    @for (i, (_, name, f)) in departments.iter().take(digest::LOWEST).enumerate() {
                        @if i > 0 { "; " }
                        (name) " " (percent(f.rate())) " (" (integer(f.denominator)) " hồ sơ)"
                    }
                }
            }
            p.note { (capitalised(&self.digest.period.label_vi())) " đến nay ở bảng bên trái và dưới đây." }
        }
    }
}
