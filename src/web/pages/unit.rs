//! `/units/CODE`: one unit's period (month, quarter, half or year) at a glance (rate, target, status,
//! outlook), what would raise the rate, its indicators over the periods before against target, the
//! breakdown by procedure, and its alerts.

use super::chart::period_chart;
use super::layout::{layout, query_string, scroll_box};
use super::league::{closed_on, numerator_label};
use super::period::{self, provisional_note};
use super::status_class;
use crate::domain::{Indicator, Period, PeriodKind, UnitKind};
use crate::report::history::IndicatorHistory;
use crate::report::outlook::{outlook, Outlook};
use crate::report::shortfall::{step_help, step_label};
use crate::report::unit::{unit_page, UnitPage};
use crate::store::AlertRecord;
use crate::web::error::{AppError, Result};
use crate::web::format::{decimal, integer, percent, points};
use crate::web::params::ReadParams;
use crate::web::AppState;
use crate::web::params::{Path, Query};
use axum::extract::State;
use maud::{html, Markup};

/// The unit page's data for a request, and its parent's name.
pub async fn page_for(state: &AppState, code: &str, p: &ReadParams) -> Result<(UnitPage, Option<(String, String)>)> {
    let (page, parent, _) = page_shown(state, code, p).await?;
    Ok((page, parent))
}

/// The same, and the current month when the page opened on the last finished one instead: without a
/// period, a unit's page opens on the current month once the unit has the minimum volume in it, and
/// on the last finished month before that (when that month has it), as the league page does.
async fn page_shown(state: &AppState, code: &str, p: &ReadParams) -> Result<(UnitPage, Option<(String, String)>, Option<Period>)> {
    let registry = state.store.registry().await?;
    let unit = registry.units.get(code).ok_or_else(|| AppError::NotFound(format!("unknown unit {code:?}")))?.clone();
    let now = state.clock.now_ms();
    let given = p.period_given()?;
    let current = Period::from(crate::domain::Month::of_millis(now));
    let mut page = unit_page(state.store.as_ref(), &registry, &unit, given.unwrap_or(current), state.settings.min_volume, now).await?;
    let mut instead_of = None;
    if given.is_none() && !page.report.status.is_ranked() {
        let earlier = unit_page(state.store.as_ref(), &registry, &unit, current.prev(), state.settings.min_volume, now).await?;
        if earlier.report.status.is_ranked() {
            (page, instead_of) = (earlier, Some(current));
        }
    }
    let parent = unit.parent.as_deref().and_then(|c| registry.units.get(c)).map(|u| (u.code.clone(), u.name.clone()));
    Ok((page, parent, instead_of))
}

pub async fn page(State(state): State<AppState>, Path(code): Path<String>, Query(p): Query<ReadParams>) -> Result<Markup> {
    let (data, parent, instead_of) = page_shown(&state, &code, &p).await?;
    let alerts = state.store.alert_history(&crate::store::AlertFilter { unit: Some(code.clone()), ..Default::default() }, 20).await?;
    let now = state.clock.now_ms();
    let updated_at = state.store.sources().await?.into_iter().map(|(_, at)| at).max();
    let view = UnitView {
        page: &data,
        parent: parent.as_ref().map(|(c, n)| (c.as_str(), n.as_str())),
        alerts: &alerts,
        periods: period::choices(now),
        now_ms: now,
        updated_at,
        instead_of,
    };
    Ok(view.render())
}

/// Everything the unit page shows, so that it renders without a server.
pub struct UnitView<'a> {
    pub page: &'a UnitPage,
    /// The parent unit's code and name.
    pub parent: Option<(&'a str, &'a str)>,
    pub alerts: &'a [AlertRecord],
    /// The periods the selector offers, by kind.
    pub periods: Vec<(PeriodKind, Vec<Period>)>,
    pub now_ms: i64,
    /// When the last event arrived, for the note over a period still running.
    pub updated_at: Option<i64>,
    /// Set when the page opened on the last finished month because the unit has too few dossiers in
    /// this one yet.
    pub instead_of: Option<Period>,
}

impl UnitView<'_> {
    pub fn render(&self) -> Markup {
        let r = &self.page.report;
        layout(&format!("{} — {}", r.name, r.period.label_vi()), self.body())
    }

    /// The unit's list of dossiers to chase for an indicator, in the same month.
    fn dossiers(&self, indicator: Indicator) -> String {
        let r = &self.page.report;
        format!("/units/{}/dossiers?{}", r.unit, query_string(&[("period", Some(&r.period.to_string())), ("indicator", Some(indicator.as_str()))]))
    }

    fn export(&self, ext: &str, table: Option<&str>) -> String {
        let r = &self.page.report;
        format!("/export/units/{}.{ext}?{}", r.unit, query_string(&[("period", Some(&r.period.to_string())), ("table", table)]))
    }

    /// The league table of `kind` under `parent`, for this period.
    fn league(&self, kind: &str, parent: &str) -> String {
        format!("/?{}", query_string(&[("period", Some(&self.page.report.period.to_string())), ("kind", Some(kind)), ("parent", Some(parent))]))
    }

    /// "tháng", "quý"…: what the page speaks of.
    fn unit_of_time(&self) -> &'static str {
        self.page.report.period.kind().unit_vi()
    }

    pub fn body(&self) -> Markup {
        let r = &self.page.report;
        html! {
            h1 { (r.name) " — " (r.period.label_vi()) }
            p.muted {
                (r.kind.label_vi()) " · mã " (r.unit)
                @if let Some((code, name)) = self.parent {
                    " · thuộc " a href={ "/units/" (code) "?period=" (r.period) } { (name) }
                }
            }
            form.filters method="get" action={ "/units/" (r.unit) } aria-label="Chọn kỳ báo cáo" {
                (period::select(r.period, &self.periods))
                button type="submit" { "Xem" }
            }
            @if let Some(current) = self.instead_of {
                p.provisional role="note" {
                    (super::period::capitalised(&current.label_vi())) " chưa đủ hồ sơ để đánh giá đơn vị này, nên trang mở " (r.period.label_vi()) " đã kết thúc. "
                    a href={ "/units/" (r.unit) "?period=" (current) } { "Xem " (current.label_vi()) " (tạm tính)" }
                }
            }
            (provisional_note(r.period, self.now_ms, self.updated_at))
            nav.links aria-label="Xem thêm và tải xuống" {
                @if let Some((code, name)) = self.parent {
                    @if matches!(r.kind, UnitKind::Department | UnitKind::Commune) {
                        a href=(self.league(r.kind.as_str(), code)) {
                            "Bảng xếp hạng " (r.kind.label_vi().to_lowercase()) " của " (name)
                        }
                    }
                }
                @if r.kind == UnitKind::Province {
                    a href=(self.league("department", &r.unit)) { "Sở, ban, ngành của " (r.name) }
                    a href=(self.league("commune", &r.unit)) { "Xã, phường, đặc khu của " (r.name) }
                }
                (super::index::link(&r.unit, r.kind, r.period))
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
            h2 id="chi-so" { "Các chỉ số của " (self.unit_of_time()) }
            (self.indicators())
            p.links { a href=(self.export("csv", Some("indicators"))) download { "Tải CSV bảng này" } }
            h2 id="nang-ty-le" { "Điều gì sẽ nâng tỷ lệ" }
            (self.shortfalls())
            h2 id="12-thang" { (self.history_span()) " qua so với chỉ tiêu" }
            @for h in &self.page.history {
                (self.history(h))
            }
            p.links { a href=(self.export("csv", Some("history"))) download { "Tải CSV " (self.history_span()) } }
            h2 id="thu-tuc" { "Theo thủ tục hành chính" }
            (self.procedures())
            p.links { a href=(self.export("csv", Some("procedures"))) download { "Tải CSV bảng này" } }
            h2 id="canh-bao" { "Cảnh báo gần đây" }
            (super::alerts::history(self.alerts))
        }
    }

    /// "12 tháng", "8 quý"…
    fn history_span(&self) -> String {
        let n = self.page.history.first().map_or(0, |h| h.points.len());
        format!("{n} {}", self.unit_of_time())
    }

    /// The outlook of the headline indicator in words (`report::outlook`).
    fn outlook(&self) -> Markup {
        let r = &self.page.report;
        let i = &r.indicators[0];
        let of = self.unit_of_time();
        let target = percent(i.judged.target.map(|t| t.as_f64()));
        html! {
            @match outlook(&i.judged, r.period.progress(self.now_ms)) {
                Outlook::Needs { needed, remaining, share } if share > 1.0 => {
                    div { strong { "Không còn khả năng đạt chỉ tiêu " (target) } ": kể cả khi mọi hồ sơ còn lại của " (of) " (khoảng "
                        (integer(remaining)) ") đều toàn trình, vẫn thiếu khoảng " (integer(needed - remaining)) " hồ sơ." }
                }
                Outlook::Needs { needed, remaining, share } => {
                    div { "Để đạt chỉ tiêu " (target) ", khoảng " strong { (integer(needed)) " trong " (integer(remaining)) } " hồ sơ còn lại của "
                        (of) " (" strong { (percent(Some(share))) } ") phải là toàn trình, theo nhịp tiếp nhận hiện tại." }
                }
                Outlook::Secured => { div { "Chỉ tiêu " (target) " đã chắc đạt với số hồ sơ toàn trình hiện có, theo nhịp tiếp nhận hiện tại." } }
                Outlook::Met => { div { "Đã đạt chỉ tiêu " (target) "." } }
                Outlook::Missed { points: missed, dossiers } => {
                    div { "Không đạt chỉ tiêu " (target) ": thiếu " strong { (crate::web::format::points(Some(missed)).trim_start_matches('+')) }
                        ", tức " (integer(dossiers)) " hồ sơ toàn trình trên " (integer(i.judged.figures.denominator)) " hồ sơ của " (of) "." }
                }
                Outlook::Nothing => {}
            }
        }
    }

    fn headline(&self) -> Markup {
        let r = &self.page.report;
        let i = &r.indicators[0];
        html! {
            section.headline aria-label="Tóm tắt" {
                div {
                    div.muted { (i.indicator.label_vi()) }
                    div.big { (percent(i.judged.rate)) }
                    div { (integer(i.judged.figures.numerator)) " / " (integer(i.judged.figures.denominator)) " hồ sơ" }
                    div { a href=(self.dossiers(Indicator::Completion)) { "Hồ sơ cần xử lý: " (integer(self.page.shortfalls.unit.not_online)) " chưa toàn trình" } }
                }
                div {
                    div.muted { "Chỉ tiêu" }
                    div.big { (percent(i.judged.target.map(|t| t.as_f64()))) }
                    div { "Chênh lệch " (points(i.judged.gap)) }
                }
                div {
                    div.muted { "Trạng thái" }
                    div.big { span class={ "status " (status_class(i.judged.status)) } { (i.judged.status.label_vi()) } }
                    (self.outlook())
                    @if let Some(p) = &i.projection {
                        div { "Dự kiến cả " (self.unit_of_time()) " khoảng " (integer(p.projected_denominator.round() as i64)) " hồ sơ" }
                    }
                }
            }
        }
    }

    fn indicators(&self) -> Markup {
        let r = &self.page.report;
        scroll_box("cap-chi-so", html! { table {
            caption id="cap-chi-so" { "Các chỉ số của " (r.period.label_vi()) " so với chỉ tiêu: ba chỉ số của tỉnh, rồi các chỉ số hồ sơ của Chỉ số 766." }
            thead { tr {
                th scope="col" { "Chỉ số" } th.num scope="col" { "Hồ sơ đạt" } th.num scope="col" { "Số hồ sơ" }
                th.num scope="col" { "Tỷ lệ" } th.num scope="col" { "Chỉ tiêu" } th.num scope="col" { "Chênh lệch" }
                th scope="col" { "Trạng thái" } th scope="col" { "Nguồn chỉ tiêu" } th scope="col" { "Hồ sơ cần xử lý" }
            } }
            tbody { @for i in &r.indicators { tr {
                th.unit scope="row" { (i.indicator.label_vi()) }
                td.num { (integer(i.judged.figures.numerator)) } td.num { (integer(i.judged.figures.denominator)) }
                td.num { (percent(i.judged.rate)) } td.num { (percent(i.judged.target.map(|t| t.as_f64()))) } td.num { (points(i.judged.gap)) }
                td { span class={ "status " (status_class(i.judged.status)) } { (i.judged.status.label_vi()) } }
                td.muted { (i.target_source.as_deref().unwrap_or("—")) }
                td { a href=(self.dossiers(i.indicator)) { "Danh sách" span.sr-only { " hồ sơ chưa đạt " (i.indicator.label_vi().to_lowercase()) } } }
            } } }
        } })
    }

    fn shortfalls(&self) -> Markup {
        let s = &self.page.shortfalls;
        let u = &s.unit;
        html! {
            @if u.denominator == 0 {
                p { "Không có hồ sơ đủ điều kiện (thủ tục toàn trình) trả kết quả trong " (self.unit_of_time()) "." }
            } @else if u.not_online == 0 {
                p { "Mọi " (integer(u.denominator)) " hồ sơ đủ điều kiện trả kết quả trong " (self.unit_of_time()) " đều trực tuyến toàn trình." }
            } @else {
                p {
                    (integer(u.not_online)) " trong " (integer(u.denominator)) " hồ sơ đủ điều kiện trả kết quả trong " (self.unit_of_time()) " chưa toàn trình. "
                    "Bảng dưới cho biết mỗi bước bị lỗi và tỷ lệ tăng thêm bao nhiêu nếu khắc phục."
                }
                p.note {
                    "Cách đếm: hồ sơ chỉ lỗi đúng một bước được tính ở bước đó (cột «Chỉ lỗi bước này»); khắc phục bước ấy là hồ sơ thành toàn trình, "
                    "nên tỷ lệ tăng thêm = số hồ sơ đó ÷ " (integer(u.denominator)) " hồ sơ của " (self.unit_of_time()) ". "
                    "Hồ sơ lỗi từ hai bước trở lên chỉ thành toàn trình khi khắc phục mọi bước: được đếm một lần ở dòng «Lỗi từ hai bước trở lên», "
                    "không cộng vào các bước, nhưng có mặt trong cột «Có lỗi bước này» của từng bước. Tổng các dòng bằng số hồ sơ chưa toàn trình."
                }
                (scroll_box("cap-nang-ty-le", html! { table {
                    caption id="cap-nang-ty-le" { "Hồ sơ chưa toàn trình theo bước bị lỗi, " (s.period.label_vi()) "." }
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
                p.links {
                    a href=(self.dossiers(Indicator::Completion)) { "Danh sách hồ sơ chưa toàn trình" }
                    a href=(self.dossiers(Indicator::OnTime)) { "Danh sách hồ sơ trễ hạn" }
                    a href=(self.export("csv", Some("shortfalls"))) download { "Tải CSV các bảng này" }
                }
            }
        }
    }

    fn history(&self, h: &IndicatorHistory) -> Markup {
        let id = format!("cap-12-{}", h.indicator.as_str());
        let shown = self.page.report.period;
        let first = h.points.first().map_or(shown, |p| p.period);
        let content = html! {
            div.history {
                div { (period_chart(h.indicator.label_vi(), &h.points)) }
                (scroll_box(&id, html! { table {
                    caption id=(id) { (h.indicator.label_vi()) ", " (first.label_vi()) " – " (shown.label_vi()) ", mới nhất trước." }
                    thead { tr {
                        th scope="col" { (shown.kind().label_vi()) }
                        th.num scope="col" { (numerator_label(h.indicator)) }
                        th.num scope="col" { "Số hồ sơ" }
                        th.num scope="col" { "Tỷ lệ" }
                        th.num scope="col" { "Chỉ tiêu" }
                        th.num scope="col" { "Chênh lệch" }
                        th scope="col" { "Trạng thái" }
                    } }
                    tbody { @for p in h.points.iter().rev() { tr {
                        th scope="row" { (p.period.short_label()) }
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
                    summary { h3.inline { (h.indicator.label_vi()) } " " span.muted.no-print { "(bấm để xem " (self.history_span()) ")" } }
                    (content)
                }
            }
        }
    }

    fn procedures(&self) -> Markup {
        let r = &self.page.report;
        scroll_box("cap-thu-tuc", html! { table {
            caption id="cap-thu-tuc" {
                "Hồ sơ của " (r.period.label_vi()) " theo thủ tục hành chính. Thời gian xử lý: từ tiếp nhận đến kết thúc xử lý, "
                "trừ thời gian công dân bổ sung hồ sơ (một lần yêu cầu), trung bình trên hồ sơ trả kết quả trong kỳ."
            }
            thead { tr {
                th scope="col" { "Thủ tục" } th scope="col" { "Mức độ" }
                th.num scope="col" { "Toàn trình / đã trả" } th.num scope="col" { "Tỷ lệ toàn trình" }
                th.num scope="col" { "Nộp trực tuyến / tiếp nhận" } th.num scope="col" { "Đúng hạn / có hạn" }
                th.num scope="col" { "Thời gian xử lý trung bình" }
            } }
            tbody {
                @for p in &r.procedures { tr {
                    th.unit scope="row" { (p.name) " " span.code { (p.procedure) } }
                    td { (p.level.map(|l| l.label_vi()).unwrap_or("—")) }
                    td.num { (integer(p.completion.numerator)) " / " (integer(p.completion.denominator)) }
                    td.num { (percent(p.completion.rate())) }
                    td.num { (integer(p.intake.numerator)) " / " (integer(p.intake.denominator)) }
                    td.num { (integer(p.on_time.numerator)) " / " (integer(p.on_time.denominator)) }
                    td.num { @match p.processing.average_days { Some(d) => { (decimal(d, 1)) " ngày" }, None => "—" } }
                } }
                @if r.procedures.is_empty() { tr { td colspan="7" { "Không có hồ sơ trong " (self.unit_of_time()) "." } } }
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
