//! `/units/CODE`: one unit's month at a glance (rate, target, status), what would raise the rate, its
//! indicators over twelve months against target, the breakdown by procedure, and its alerts.

use super::chart::month_chart;
use super::layout::{layout, query_string, scroll_box};
use super::league::{closed_on, month_vi, numerator_label};
use super::status_class;
use crate::domain::{Indicator, Month, UnitKind};
use crate::report::history::IndicatorHistory;
use crate::report::shortfall::{needed_for_target, step_help, step_label};
use crate::report::unit::{unit_page, UnitPage};
use crate::store::AlertRecord;
use crate::web::error::{AppError, Result};
use crate::web::format::{integer, percent, points};
use crate::web::params::ReadParams;
use crate::web::AppState;
use crate::web::params::{Path, Query};
use axum::extract::State;
use maud::{html, Markup};

/// The unit page's data for a request, and its parent's name.
pub async fn page_for(state: &AppState, code: &str, p: &ReadParams) -> Result<(UnitPage, Option<(String, String)>)> {
    let registry = state.store.registry().await?;
    let unit = registry.units.get(code).ok_or_else(|| AppError::NotFound(format!("unknown unit {code:?}")))?.clone();
    let now = state.clock.now_ms();
    let page = unit_page(state.store.as_ref(), &registry, &unit, p.month(now)?, state.settings.min_volume, now).await?;
    let parent = unit.parent.as_deref().and_then(|c| registry.units.get(c)).map(|u| (u.code.clone(), u.name.clone()));
    Ok((page, parent))
}

pub async fn page(State(state): State<AppState>, Path(code): Path<String>, Query(p): Query<ReadParams>) -> Result<Markup> {
    let (data, parent) = page_for(&state, &code, &p).await?;
    let alerts = state.store.alert_history(&crate::store::AlertFilter { unit: Some(code.clone()), ..Default::default() }, 20).await?;
    let view = UnitView {
        page: &data,
        parent: parent.as_ref().map(|(c, n)| (c.as_str(), n.as_str())),
        alerts: &alerts,
        months: Month::of_millis(state.clock.now_ms()).trailing(24),
    };
    Ok(view.render())
}

/// Everything the unit page shows, so that it renders without a server.
pub struct UnitView<'a> {
    pub page: &'a UnitPage,
    /// The parent unit's code and name.
    pub parent: Option<(&'a str, &'a str)>,
    pub alerts: &'a [AlertRecord],
    /// The months the month selector offers, oldest first.
    pub months: Vec<Month>,
}

impl UnitView<'_> {
    pub fn render(&self) -> Markup {
        let r = &self.page.report;
        layout(&format!("{} — {}", r.name, month_vi(r.month)), self.body())
    }

    fn export(&self, ext: &str, table: Option<&str>) -> String {
        let r = &self.page.report;
        format!("/export/units/{}.{ext}?{}", r.unit, query_string(&[("month", Some(&r.month.to_string())), ("table", table)]))
    }

    pub fn body(&self) -> Markup {
        let r = &self.page.report;
        html! {
            h1 { (r.name) " — " (month_vi(r.month)) }
            p.muted {
                (r.kind.label_vi()) " · mã " (r.unit)
                @if let Some((code, name)) = self.parent {
                    " · thuộc " a href={ "/units/" (code) "?month=" (r.month) } { (name) }
                }
            }
            form.filters method="get" action={ "/units/" (r.unit) } aria-label="Chọn tháng" {
                label { "Tháng"
                    select name="month" {
                        @for m in self.months.iter().rev() {
                            option value=(m) selected[*m == r.month] { "Tháng " (m.month()) "/" (m.year()) }
                        }
                        @if !self.months.contains(&r.month) {
                            option value=(r.month) selected { "Tháng " (r.month.month()) "/" (r.month.year()) }
                        }
                    }
                }
                button type="submit" { "Xem" }
            }
            nav.links aria-label="Xem thêm và tải xuống" {
                @if let Some((code, name)) = self.parent {
                    @if matches!(r.kind, UnitKind::Department | UnitKind::Commune) {
                        a href={ "/?" (query_string(&[("month", Some(&r.month.to_string())), ("kind", Some(r.kind.as_str())), ("parent", Some(code))])) } {
                            "Bảng xếp hạng " (r.kind.label_vi().to_lowercase()) " của " (name)
                        }
                    }
                }
                @if r.kind == UnitKind::Province {
                    a href={ "/?" (query_string(&[("month", Some(&r.month.to_string())), ("kind", Some("department")), ("parent", Some(&r.unit))])) } { "Sở, ban, ngành của " (r.name) }
                    a href={ "/?" (query_string(&[("month", Some(&r.month.to_string())), ("kind", Some("commune")), ("parent", Some(&r.unit))])) } { "Xã, phường, đặc khu của " (r.name) }
                }
                a href=(self.export("xlsx", None)) download { "Tải Excel (.xlsx), mọi bảng" }
            }
            @if let Some(closed) = &self.page.report.closed {
                p role="note" {
                    strong { "Số liệu đã chốt" } " ngày " (closed_on(closed.closed_at)) ": các chỉ số là số liệu đã công bố, như bảng xếp hạng. "
                    @if let Some(revision) = &self.page.report.revision {
                        @let c = &revision[0].judged;
                        "Tính cả hồ sơ cập nhật sau khi chốt: " (percent(c.rate)) " (" (integer(c.figures.numerator)) " / " (integer(c.figures.denominator)) " hồ sơ). "
                    }
                    "Bảng theo thủ tục và danh sách cần cải thiện tính theo hồ sơ hiện có."
                }
            }
            (self.headline())
            h2 id="chi-so" { "Các chỉ số của tháng" }
            (self.indicators())
            p.links { a href=(self.export("csv", Some("indicators"))) download { "Tải CSV bảng này" } }
            h2 id="nang-ty-le" { "Điều gì sẽ nâng tỷ lệ" }
            (self.shortfalls())
            h2 id="12-thang" { "12 tháng qua so với chỉ tiêu" }
            @for h in &self.page.history {
                (self.history(h))
            }
            p.links { a href=(self.export("csv", Some("history"))) download { "Tải CSV 12 tháng" } }
            h2 id="thu-tuc" { "Theo thủ tục hành chính" }
            (self.procedures())
            p.links { a href=(self.export("csv", Some("procedures"))) download { "Tải CSV bảng này" } }
            h2 id="canh-bao" { "Cảnh báo gần đây" }
            (super::alerts::history(self.alerts))
        }
    }

    fn headline(&self) -> Markup {
        let r = &self.page.report;
        let i = &r.indicators[0];
        let needed = i.judged.target.and_then(|t| needed_for_target(i.judged.figures.numerator, i.judged.figures.denominator, t)).filter(|n| *n > 0);
        html! {
            section.headline aria-label="Tóm tắt" {
                div {
                    div.muted { (i.indicator.label_vi()) }
                    div.big { (percent(i.judged.rate)) }
                    div { (integer(i.judged.figures.numerator)) " / " (integer(i.judged.figures.denominator)) " hồ sơ" }
                }
                div {
                    div.muted { "Chỉ tiêu" }
                    div.big { (percent(i.judged.target.map(|t| t.as_f64()))) }
                    div { "Chênh lệch " (points(i.judged.gap)) }
                }
                div {
                    div.muted { "Trạng thái" }
                    div.big { span class={ "status " (status_class(i.judged.status)) } { (i.judged.status.label_vi()) } }
                    @if let Some(n) = needed {
                        div { "Cần thêm " strong { (integer(n)) } " hồ sơ toàn trình (trên " (integer(i.judged.figures.denominator)) " hồ sơ) để đạt chỉ tiêu" }
                    }
                    @if let Some(p) = &i.projection {
                        div { "Dự kiến cả tháng khoảng " (integer(p.projected_denominator.round() as i64)) " hồ sơ" }
                    }
                }
            }
        }
    }

    fn indicators(&self) -> Markup {
        let r = &self.page.report;
        scroll_box("cap-chi-so", html! { table {
            caption id="cap-chi-so" { "Ba chỉ số của " (month_vi(r.month)) " so với chỉ tiêu." }
            thead { tr {
                th scope="col" { "Chỉ số" } th.num scope="col" { "Hồ sơ đạt" } th.num scope="col" { "Số hồ sơ" }
                th.num scope="col" { "Tỷ lệ" } th.num scope="col" { "Chỉ tiêu" } th.num scope="col" { "Chênh lệch" }
                th scope="col" { "Trạng thái" } th scope="col" { "Nguồn chỉ tiêu" }
            } }
            tbody { @for i in &r.indicators { tr {
                th.unit scope="row" { (i.indicator.label_vi()) }
                td.num { (integer(i.judged.figures.numerator)) } td.num { (integer(i.judged.figures.denominator)) }
                td.num { (percent(i.judged.rate)) } td.num { (percent(i.judged.target.map(|t| t.as_f64()))) } td.num { (points(i.judged.gap)) }
                td { span class={ "status " (status_class(i.judged.status)) } { (i.judged.status.label_vi()) } }
                td.muted { (i.target_source.as_deref().unwrap_or("—")) }
            } } }
        } })
    }

    fn shortfalls(&self) -> Markup {
        let s = &self.page.shortfalls;
        let u = &s.unit;
        html! {
            @if u.denominator == 0 {
                p { "Không có hồ sơ đủ điều kiện (thủ tục toàn trình) trả kết quả trong tháng." }
            } @else if u.not_online == 0 {
                p { "Mọi " (integer(u.denominator)) " hồ sơ đủ điều kiện trả kết quả trong tháng đều trực tuyến toàn trình." }
            } @else {
                p {
                    (integer(u.not_online)) " trong " (integer(u.denominator)) " hồ sơ đủ điều kiện trả kết quả trong tháng chưa toàn trình. "
                    "Bảng dưới cho biết mỗi bước bị lỗi và tỷ lệ tăng thêm bao nhiêu nếu khắc phục."
                }
                p.note {
                    "Cách đếm: hồ sơ chỉ lỗi đúng một bước được tính ở bước đó (cột «Chỉ lỗi bước này»); khắc phục bước ấy là hồ sơ thành toàn trình, "
                    "nên tỷ lệ tăng thêm = số hồ sơ đó ÷ " (integer(u.denominator)) " hồ sơ của tháng. "
                    "Hồ sơ lỗi từ hai bước trở lên chỉ thành toàn trình khi khắc phục mọi bước: được đếm một lần ở dòng «Lỗi từ hai bước trở lên», "
                    "không cộng vào các bước, nhưng có mặt trong cột «Có lỗi bước này» của từng bước. Tổng các dòng bằng số hồ sơ chưa toàn trình."
                }
                (scroll_box("cap-nang-ty-le", html! { table {
                    caption id="cap-nang-ty-le" { "Hồ sơ chưa toàn trình theo bước bị lỗi, " (month_vi(s.month)) "." }
                    thead { tr {
                        th scope="col" { "Bước bị lỗi" }
                        th.num scope="col" { "Chỉ lỗi bước này" }
                        th.num scope="col" { "Tỷ lệ tăng thêm nếu khắc phục" }
                        th.num scope="col" { "Có lỗi bước này" }
                    } }
                    tbody {
                        @for st in &u.steps {
                            tr {
                                th.unit scope="row" { (step_label(st.step)) br; span.note { (step_help(st.step)) } }
                                td.num { (integer(st.only)) }
                                td.num { strong { (points(st.gain)) } }
                                td.num { (integer(st.with_step)) }
                            }
                        }
                        tr {
                            th.unit scope="row" { "Lỗi từ hai bước trở lên" br; span.note { "phải khắc phục mọi bước" } }
                            td.num { (integer(u.several)) }
                            td.num { strong { (points(u.several_gain)) } }
                            td.num { "—" }
                        }
                        tr {
                            th.unit scope="row" { strong { "Tất cả hồ sơ chưa toàn trình" } }
                            td.num { strong { (integer(u.not_online)) } }
                            td.num { strong { (points(u.all_gain)) } }
                            td.num { "—" }
                        }
                    }
                } }))
                h3 { "Theo thủ tục" }
                (scroll_box("cap-nang-thu-tuc", html! { table {
                    caption id="cap-nang-thu-tuc" {
                        "Thủ tục có hồ sơ chưa toàn trình, nhiều nhất trước. Mỗi ô: số hồ sơ chỉ lỗi bước đó, và tỷ lệ của đơn vị tăng thêm nếu khắc phục."
                    }
                    thead { tr {
                        th scope="col" { "Thủ tục" }
                        th.num scope="col" { "Toàn trình / số hồ sơ" }
                        @for st in &u.steps { th.num scope="col" { (step_label(st.step)) } }
                        th.num scope="col" { "Lỗi từ hai bước" }
                        th.num scope="col" { "Chưa toàn trình" }
                    } }
                    tbody {
                        @for p in &s.procedures {
                            tr {
                                th.unit scope="row" { (p.name) " " span.code { (p.procedure) } }
                                td.num { (integer(p.breakdown.numerator)) " / " (integer(p.breakdown.denominator)) }
                                @for st in &p.breakdown.steps { td.num { (cell(st.only, st.gain)) } }
                                td.num { (cell(p.breakdown.several, p.breakdown.several_gain)) }
                                td.num { (cell(p.breakdown.not_online, p.breakdown.all_gain)) }
                            }
                        }
                    }
                } }))
                p.links { a href=(self.export("csv", Some("shortfalls"))) download { "Tải CSV các bảng này" } }
            }
        }
    }

    fn history(&self, h: &IndicatorHistory) -> Markup {
        let id = format!("cap-12-{}", h.indicator.as_str());
        let first = h.months.first().map(|p| p.month).unwrap_or(self.page.report.month);
        let content = html! {
            div.history {
                div { (month_chart(h.indicator.label_vi(), &h.months)) }
                (scroll_box(&id, html! { table {
                    caption id=(id) { (h.indicator.label_vi()) ", " (month_vi(first)) " – " (month_vi(self.page.report.month)) ", mới nhất trước." }
                    thead { tr {
                        th scope="col" { "Tháng" }
                        th.num scope="col" { (numerator_label(h.indicator)) }
                        th.num scope="col" { "Số hồ sơ" }
                        th.num scope="col" { "Tỷ lệ" }
                        th.num scope="col" { "Chỉ tiêu" }
                        th.num scope="col" { "Chênh lệch" }
                        th scope="col" { "Trạng thái" }
                    } }
                    tbody { @for p in h.months.iter().rev() { tr {
                        th scope="row" { (p.month.month()) "/" (p.month.year()) }
                        td.num { (integer(p.judged.figures.numerator)) }
                        td.num { (integer(p.judged.figures.denominator)) }
                        td.num { (percent(p.judged.rate)) }
                        td.num { (percent(p.judged.target.map(|t| t.as_f64()))) }
                        td.num { (points(p.judged.gap)) }
                        td { span class={ "status " (status_class(p.judged.status)) } { (p.judged.status.label_vi()) } }
                    } } }
                } }))
            }
        };
        html! {
            @if h.indicator == Indicator::Completion {
                h3 { (h.indicator.label_vi()) }
                (content)
            } @else {
                details {
                    summary { h3.inline { (h.indicator.label_vi()) } " " span.muted { "(bấm để xem 12 tháng)" } }
                    (content)
                }
            }
        }
    }

    fn procedures(&self) -> Markup {
        let r = &self.page.report;
        scroll_box("cap-thu-tuc", html! { table {
            caption id="cap-thu-tuc" { "Hồ sơ của " (month_vi(r.month)) " theo thủ tục hành chính." }
            thead { tr {
                th scope="col" { "Thủ tục" } th scope="col" { "Mức độ" }
                th.num scope="col" { "Toàn trình / đã trả" } th.num scope="col" { "Tỷ lệ toàn trình" }
                th.num scope="col" { "Nộp trực tuyến / tiếp nhận" } th.num scope="col" { "Đúng hạn / có hạn" }
            } }
            tbody {
                @for p in &r.procedures { tr {
                    th.unit scope="row" { (p.name) " " span.code { (p.procedure) } }
                    td { (p.level.map(|l| l.label_vi()).unwrap_or("—")) }
                    td.num { (integer(p.completion.numerator)) " / " (integer(p.completion.denominator)) }
                    td.num { (percent(p.completion.rate())) }
                    td.num { (integer(p.intake.numerator)) " / " (integer(p.intake.denominator)) }
                    td.num { (integer(p.on_time.numerator)) " / " (integer(p.on_time.denominator)) }
                } }
                @if r.procedures.is_empty() { tr { td colspan="6" { "Không có hồ sơ trong tháng." } } }
            }
        } })
    }
}

/// "3 (+6,0 đ.%)", or a dash for none.
fn cell(count: i64, gain: Option<f64>) -> Markup {
    html! {
        @if count == 0 { span.muted { "—" } } @else { (integer(count)) " " span.muted { "(" (points(gain)) ")" } }
    }
}
