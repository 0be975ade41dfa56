//! `/units/CODE/dossiers`: the dossiers of a unit's period that failed an indicator, with the step
//! that failed, for a department head to chase; sortable by column (links), paginated, exportable.

use super::layout::{layout, query_string, scroll_box};
use super::period;
use crate::domain::chase::{DossierSort, FailedStep, SortKey};
use crate::domain::{Indicator, Period, PeriodKind};
use crate::report::chase::{chase_list, step_vi, ChaseList, ChaseRow};
use crate::web::error::{AppError, Result};
use crate::web::format::integer;
use crate::web::params::{ChaseParams, Path, Query, PER_PAGE};
use crate::web::AppState;
use axum::extract::State;
use maud::{html, Markup};

/// The list a request asks for (`paged` false: every page, for an export); 404 for an unknown unit.
pub async fn list_for(state: &AppState, code: &str, p: &ChaseParams, paged: bool) -> Result<ChaseList> {
    let registry = state.store.registry().await?;
    let unit = registry.units.get(code).ok_or_else(|| AppError::NotFound(format!("unknown unit {code:?}")))?.clone();
    let now = state.clock.now_ms();
    let q = p.query(now, paged)?;
    Ok(chase_list(state.store.as_ref(), &registry, &unit, &q, now).await?)
}

pub async fn page(State(state): State<AppState>, Path(code): Path<String>, Query(p): Query<ChaseParams>) -> Result<Markup> {
    let list = list_for(&state, &code, &p, true).await?;
    let has_children = state.store.registry().await?.units.subtree(&code).len() > 1;
    let view = DossiersView { list: &list, periods: period::choices(state.clock.now_ms()), has_children };
    Ok(view.render())
}

/// What the list page shows, so that it renders without a server.
pub struct DossiersView<'a> {
    pub list: &'a ChaseList,
    /// The periods the selector offers, by kind.
    pub periods: Vec<(PeriodKind, Vec<Period>)>,
    /// Whether the unit has units under it: then each dossier's unit is shown.
    pub has_children: bool,
}

/// What each indicator's list holds, in a sentence.
fn list_meaning(i: Indicator) -> &'static str {
    match i {
        Indicator::Completion => "Hồ sơ của thủ tục toàn trình trả kết quả trong kỳ nhưng chưa trực tuyến toàn trình (nộp trực tuyến; nhận kết quả qua mạng hoặc bưu chính công ích; không nộp phí tại quầy).",
        Indicator::Intake => "Hồ sơ của thủ tục toàn trình tiếp nhận trong kỳ nhưng không nộp trực tuyến.",
        Indicator::OnTime => "Hồ sơ trả kết quả trong kỳ sau hạn giải quyết, và hồ sơ tiếp nhận trong kỳ chưa trả kết quả mà đã quá hạn (kể cả hồ sơ đã rút, bị từ chối hoặc dừng: dữ liệu chỉ cho biết chưa trả kết quả).",
        Indicator::OnlineSubmission => "Hồ sơ của dịch vụ công trực tuyến tiếp nhận trong kỳ nhưng không nộp trực tuyến, hoặc (thủ tục có kết quả là giấy tờ) chưa có kết quả điện tử.",
        Indicator::OnlinePayment => "Hồ sơ có phí, lệ phí tiếp nhận trong kỳ nhưng không thanh toán trực tuyến.",
        Indicator::ElectronicResult => "Hồ sơ của thủ tục có kết quả là giấy tờ, tiếp nhận trong kỳ, đã giải quyết nhưng chưa cấp kết quả điện tử.",
        Indicator::Digitised => "Hồ sơ tiếp nhận trong kỳ chưa số hóa thành phần hồ sơ hoặc chưa có tệp kết quả.",
        Indicator::ReusedData => "Hồ sơ tiếp nhận trong kỳ không tái sử dụng dữ liệu đã số hóa.",
        Indicator::OnTimeIndex | Indicator::OverdueOpen => "Hồ sơ kết thúc xử lý trong kỳ sau hạn (trừ thời gian công dân bổ sung; yêu cầu bổ sung quá một lần tính là trễ hạn), và hồ sơ chưa kết thúc có hạn trong kỳ mà đã quá hạn.",
    }
}

fn list_name(i: Indicator) -> &'static str {
    match i {
        Indicator::Completion => "Chưa trực tuyến toàn trình",
        Indicator::Intake => "Không nộp trực tuyến",
        Indicator::OnTime => "Trễ hạn hoặc quá hạn",
        Indicator::OnlineSubmission => "Không nộp trực tuyến (Chỉ số 766)",
        Indicator::OnlinePayment => "Không thanh toán trực tuyến",
        Indicator::ElectronicResult => "Chưa cấp kết quả điện tử",
        Indicator::Digitised => "Chưa số hóa",
        Indicator::ReusedData => "Không tái sử dụng dữ liệu",
        Indicator::OnTimeIndex | Indicator::OverdueOpen => "Trễ hạn theo Chỉ số 766",
    }
}

/// The day of an RFC 3339 time in Vietnam time, `05/11/2026`, marked up with the full time; a dash for
/// none. The page shows days to keep the table narrow; the exports keep the hour.
fn vn_day(t: &Option<String>) -> Markup {
    match t.as_deref().and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok()) {
        Some(at) => html! { time datetime=(at.to_rfc3339()) { (at.format("%d/%m/%Y")) } },
        None => html! { "—" },
    }
}

/// How a channel reads: submission or result delivery.
pub fn channel_vi(c: Option<&str>) -> &'static str {
    match c {
        Some("online") => "Trực tuyến",
        Some("postal") => "Bưu chính công ích",
        Some("in_person") => "Trực tiếp",
        _ => "—",
    }
}

pub fn payment_vi(p: Option<&str>) -> &'static str {
    match p {
        Some("online") => "Trực tuyến",
        Some("offline") => "Tại quầy",
        _ => "Không ghi nhận",
    }
}

impl DossiersView<'_> {
    pub fn render(&self) -> Markup {
        let l = self.list;
        layout(&format!("Hồ sơ cần xử lý — {} — {}", l.name, l.period.label_vi()), self.body())
    }

    /// The list's URL with these changes to its query.
    fn url(&self, sort: DossierSort, page: u64) -> String {
        let l = self.list;
        let (month, indicator, sort, page) = (l.period.to_string(), l.indicator.as_str(), sort.to_string(), page.to_string());
        // A page length other than the default is kept; the default is left out of the links.
        let per_page = (l.per_page != PER_PAGE).then(|| l.per_page.to_string());
        let pairs = [("period", Some(month.as_str())), ("indicator", Some(indicator)), ("sort", Some(&sort)), ("page", Some(&page)), ("per_page", per_page.as_deref())];
        format!("/units/{}/dossiers?{}", l.unit, query_string(&pairs))
    }

    fn export(&self, ext: &str) -> String {
        let l = self.list;
        format!("/export/units/{}/dossiers.{ext}?{}", l.unit, query_string(&[("period", Some(&l.period.to_string())), ("indicator", Some(l.indicator.as_str())), ("sort", Some(&l.sort))]))
    }

    fn sort(&self) -> DossierSort {
        self.list.sort.parse().unwrap_or_default()
    }

    pub fn body(&self) -> Markup {
        let l = self.list;
        html! {
            h1 { "Hồ sơ cần xử lý — " (l.name) ", " (l.period.label_vi()) }
            p.muted {
                "mã " (l.unit) " · " a href={ "/units/" (l.unit) "?period=" (l.period) } { "Về trang đơn vị" }
            }
            form.filters method="get" action={ "/units/" (l.unit) "/dossiers" } aria-label="Chọn kỳ và loại hồ sơ" {
                (period::select(l.period, &self.periods))
                label { "Hồ sơ"
                    select name="indicator" {
                        @for i in Indicator::ALL {
                            option value=(i.as_str()) selected[i == l.indicator] { (list_name(i)) }
                        }
                    }
                }
                input type="hidden" name="sort" value=(l.sort);
                button type="submit" { "Xem" }
            }
            p { (list_meaning(l.indicator)) " Chỉ số bị ảnh hưởng: " (l.indicator.label_vi().to_lowercase()) "." }
            (self.summary())
            nav.links aria-label="Tải xuống" {
                a href=(self.export("csv")) download { "Tải CSV (mọi trang)" }
                a href=(self.export("xlsx")) download { "Tải Excel (.xlsx, mọi trang)" }
            }
            @if l.total > 0 { (self.table()) (self.pager()) }
        }
    }

    fn summary(&self) -> Markup {
        let l = self.list;
        html! {
            @if l.total == 0 {
                p role="status" { strong { "Không có hồ sơ nào cần xử lý." } }
            } @else {
                p role="status" {
                    strong { (integer(l.total as i64)) " hồ sơ" } " cần xử lý"
                    @for s in l.by_step.iter().filter(|s| s.dossiers > 0) {
                        " · " (step_vi(s.step)) ": " (integer(s.dossiers as i64))
                    }
                }
            }
        }
    }

    /// A column heading that sorts by its column: ascending first, the other way when sorted already.
    fn heading(&self, key: SortKey, label: &str) -> Markup {
        let current = self.sort();
        let active = current.key == key;
        let next = DossierSort { key, descending: active && !current.descending };
        let aria = match (active, current.descending) {
            (false, _) => None,
            (true, false) => Some("ascending"),
            (true, true) => Some("descending"),
        };
        html! {
            th scope="col" aria-sort=[aria] {
                a href=(self.url(next, 1)) {
                    (label)
                    @if active { " " span aria-hidden="true" { @if current.descending { "▼" } @else { "▲" } } }
                    span.sr-only { @if active && !current.descending { ", xếp giảm dần" } @else { ", xếp tăng dần" } }
                }
            }
        }
    }

    fn table(&self) -> Markup {
        let l = self.list;
        html! {
            (scroll_box("cap-ho-so", html! { table.dossiers {
                caption id="cap-ho-so" {
                    (list_name(l.indicator)) ", " (l.period.label_vi()) ": trang " (l.page) " / " (l.pages.max(1)) ". Bấm tiêu đề cột để sắp xếp."
                }
                thead { tr {
                    (self.heading(SortKey::Code, "Mã hồ sơ"))
                    th scope="col" { "Bước chưa đạt" }
                    @if self.has_children { (self.heading(SortKey::Unit, "Đơn vị")) }
                    (self.heading(SortKey::Procedure, "Thủ tục"))
                    (self.heading(SortKey::Received, "Tiếp nhận"))
                    (self.heading(SortKey::Returned, "Trả kết quả"))
                    (self.heading(SortKey::Due, "Hạn giải quyết"))
                    th scope="col" { "Kênh nộp" }
                    th scope="col" { "Nhận kết quả" }
                    th scope="col" { "Phí, lệ phí" }
                } }
                tbody { @for d in &l.dossiers { (self.row(d)) } }
            } }))
        }
    }

    fn row(&self, d: &ChaseRow) -> Markup {
        html! {
            tr {
                th scope="row" { span.code { (d.code) } }
                td { ul.steps { @for s in &d.failed { li { span class={ "status " (step_class(*s)) } { (step_vi(*s)) } } } } }
                @if self.has_children { td.name { (d.unit_name) " " span.code { (d.unit) } } }
                td.name { (d.procedure_name) " " span.code { (d.procedure) } }
                td.num { (vn_day(&d.received_at)) }
                td.num { (vn_day(&d.returned_at)) }
                td.num { (vn_day(&d.due)) }
                td { (channel_vi(d.channel)) }
                td { (channel_vi(d.result_delivery)) }
                td { (payment_vi(d.payment)) }
            }
        }
    }

    fn pager(&self) -> Markup {
        let l = self.list;
        let sort = self.sort();
        html! {
            nav.links aria-label="Phân trang" {
                @if l.page > 1 { a href=(self.url(sort, (l.page - 1).min(l.pages.max(1)))) rel="prev" { "« Trang trước" } }
                span { "Trang " (l.page) " / " (l.pages.max(1)) }
                @if l.page < l.pages { a href=(self.url(sort, l.page + 1)) rel="next" { "Trang sau »" } }
            }
        }
    }
}

/// Late results weigh most; the steps of the fully-online test are warnings.
fn step_class(s: FailedStep) -> &'static str {
    match s {
        FailedStep::Late | FailedStep::OpenPastDue => "bad",
        _ => "warn",
    }
}
