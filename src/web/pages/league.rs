//! `/`: the monthly league table, in Vietnamese, with month, kind, indicator and province selectors
//! and a search, all kept in the URL (a plain GET form: no JavaScript needed). Ranked units first,
//! units with too little data apart below; each row with its year as a sparkline.

use super::chart::sparkline;
use super::layout::{layout, month_select, query_string, scroll_box};
use super::status_class;
use crate::domain::{Indicator, Month, UnitKind};
use crate::report::league::{league_board, BoardRow, LeagueBoard, LeagueQuery};
use crate::web::error::Result;
use crate::web::format::{integer, percent, points};
use crate::web::params::ReadParams;
use crate::web::AppState;
use axum::body::Bytes;
use crate::web::params::Query;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};

/// The league query a page or an export asks for, and the provinces to choose from.
pub async fn board_for(state: &AppState, p: &ReadParams) -> Result<(LeagueBoard, Vec<(String, String)>)> {
    let registry = state.store.registry().await?;
    let now = state.clock.now_ms();
    let provinces: Vec<(String, String)> =
        registry.units.of_kind(UnitKind::Province, None).iter().map(|u| (u.code.clone(), u.name.clone())).collect();
    let kind = p.kind(UnitKind::Department)?;
    let parent = match (p.parent(&registry)?, provinces.as_slice()) {
        // Provinces (and ministries) are compared nationwide: the national committee's view.
        _ if matches!(kind, UnitKind::Province | UnitKind::Ministry | UnitKind::Nation) => None,
        // With a single province in the registry, its table is the natural first view.
        (None, [(only, _)]) if p.parent.is_none() => Some(only.clone()),
        (parent, _) => parent,
    };
    let q = LeagueQuery { month: p.month(now)?, kind, indicator: p.indicator()?, parent };
    let board = league_board(state.store.as_ref(), &registry, &q, p.search(), state.settings.min_volume, now).await?;
    Ok((board, provinces))
}

pub async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    Query(p): Query<ReadParams>,
) -> Result<Response> {
    // The page reads its indicator over the year up to its month (the sparklines): served again from
    // the page cache while none of that has changed, unless the request asks for a fresh copy.
    let month = p.month(state.clock.now_ms())?;
    let year = month.trailing(crate::report::league::HISTORY_MONTHS);
    let version = state.store.data_version(p.indicator()?, year[0], month);
    let key = format!("/?{}", raw.unwrap_or_default());
    if let Some(page) = state.pages.lookup(&headers, &key, version) {
        return Ok(html_response(page));
    }
    let read_at = std::time::Instant::now();
    let (board, provinces) = board_for(&state, &p).await?;
    let view = LeagueView {
        board: &board,
        provinces: &provinces,
        months: Month::of_millis(state.clock.now_ms()).trailing(24),
        min_volume: state.settings.min_volume,
    };
    let page = Bytes::from(view.render().into_string());
    if let Some(v) = version {
        state.pages.put(key, v, read_at, page.clone());
    }
    Ok(html_response(page))
}

fn html_response(page: Bytes) -> Response {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response()
}

/// Everything the page shows, so that it renders without a server (snapshot tests, benchmark).
pub struct LeagueView<'a> {
    pub board: &'a LeagueBoard,
    pub provinces: &'a [(String, String)],
    /// The months the month selector offers, oldest first.
    pub months: Vec<Month>,
    pub min_volume: i64,
}

pub fn closed_on(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.with_timezone(&crate::domain::month::vn_offset()).format("%d/%m/%Y").to_string())
        .unwrap_or_default()
}

/// What the numerator counts, per indicator.
pub fn numerator_label(i: Indicator) -> &'static str {
    match i {
        Indicator::Completion => "Hồ sơ toàn trình",
        Indicator::Intake => "Hồ sơ nộp trực tuyến",
        Indicator::OnTime => "Hồ sơ đúng hạn",
    }
}

pub fn month_vi(m: Month) -> String {
    format!("tháng {}/{}", m.month(), m.year())
}

impl LeagueView<'_> {
    pub fn scope_name(&self) -> &str {
        let b = self.board;
        b.parent.as_ref().and_then(|p| self.provinces.iter().find(|(c, _)| c == p)).map(|(_, n)| n.as_str()).unwrap_or("Toàn quốc")
    }

    /// The page's query string, for links to the exports of the same table.
    pub fn query(&self) -> String {
        let b = self.board;
        let (month, kind, indicator) = (b.month.to_string(), b.kind.to_string(), b.indicator.to_string());
        query_string(&[
            ("month", Some(&month)),
            ("kind", Some(&kind)),
            ("indicator", Some(&indicator)),
            ("parent", Some(b.parent.as_deref().unwrap_or(""))),
            ("q", b.search.as_deref()),
        ])
    }

    pub fn title(&self) -> String {
        let b = self.board;
        format!("{} — {} — {}, {}", b.indicator.label_vi(), b.kind.label_vi(), self.scope_name(), month_vi(b.month))
    }

    pub fn render(&self) -> Markup {
        layout(&format!("Bảng xếp hạng {}", month_vi(self.board.month)), self.body())
    }

    pub fn body(&self) -> Markup {
        let b = self.board;
        let query = self.query();
        html! {
            h1 { (self.title()) }
            @if let Some(closed) = &b.closed {
                p role="note" {
                    strong { "Số liệu đã chốt" } " ngày " (closed_on(closed.closed_at)) ": bảng giữ nguyên như đã công bố. "
                    "Hồ sơ cập nhật sau khi chốt được tính vào bản điều chỉnh ("
                    a href={ "/api/v1/league?" (query) } { "revision" } ")."
                }
            }
            p.print-only { "Báo cáo " (month_vi(b.month)) ". Số liệu: dvc-monitor." }
            (self.summary())
            (self.filters())
            nav.links aria-label="Xem thêm và tải xuống" {
                @if let Some(parent) = &b.parent {
                    @for k in [UnitKind::Department, UnitKind::Commune] {
                        @if k != b.kind {
                            a href={ "/?" (query_string(&[("month", Some(&b.month.to_string())), ("kind", Some(k.as_str())), ("indicator", Some(b.indicator.as_str())), ("parent", Some(parent))])) } {
                                (k.label_vi()) " của " (self.scope_name())
                            }
                        }
                    }
                }
                @if b.kind != UnitKind::Province {
                    a href={ "/?" (query_string(&[("month", Some(&b.month.to_string())), ("kind", Some("province")), ("indicator", Some(b.indicator.as_str()))])) } {
                        "Các tỉnh, thành phố (toàn quốc)"
                    }
                }
                a href={ "/export/league.csv?" (query) } download { "Tải CSV" }
                a href={ "/export/league.xlsx?" (query) } download { "Tải Excel (.xlsx)" }
            }
            @if let Some(s) = &b.search {
                p role="status" {
                    "Tìm “" (s) "”: " (b.ranked.len() + b.unranked.len()) " trong " (b.total) " đơn vị. "
                    a.no-print href={ "/?" (query_string(&[("month", Some(&b.month.to_string())), ("kind", Some(b.kind.as_str())), ("indicator", Some(b.indicator.as_str())), ("parent", b.parent.as_deref())])) } { "Bỏ tìm kiếm" }
                }
            }
            h2 id="xep-hang" { "Đơn vị được xếp hạng" }
            (self.ranked_table())
            h2 id="chua-du-du-lieu" { "Chưa đủ dữ liệu để xếp hạng" }
            p.note {
                "Đơn vị có dưới " (self.min_volume) " hồ sơ trong tháng không được xếp hạng và không bị cảnh báo. "
                "Xếp theo tên."
            }
            (self.unranked_table())
        }
    }

    fn summary(&self) -> Markup {
        let b = self.board;
        let count = |pred: &dyn Fn(&BoardRow) -> bool| b.rows().filter(|r| pred(r)).count();
        let statuses = {
            let mut seen: Vec<(crate::domain::kpi::Status, usize)> = Vec::new();
            for r in b.rows() {
                match seen.iter_mut().find(|(s, _)| *s == r.row.status) {
                    Some((_, n)) => *n += 1,
                    None => seen.push((r.row.status, 1)),
                }
            }
            seen
        };
        html! {
            p.summary {
                span { strong { (count(&|r| r.row.rank.is_some())) } " đơn vị xếp hạng" }
                span { strong { (count(&|r| r.row.rank.is_none())) } " chưa đủ dữ liệu" }
                @for (s, n) in &statuses {
                    @if s.is_ranked() {
                        span { span class={ "status " (status_class(*s)) } { (s.label_vi()) } ": " (n) }
                    }
                }
            }
        }
    }

    fn filters(&self) -> Markup {
        let b = self.board;
        html! {
            form.filters method="get" action="/" aria-label="Chọn bảng xếp hạng" {
                (month_select(&self.months, b.month))
                label { "Loại đơn vị"
                    select name="kind" {
                        @for k in [UnitKind::Department, UnitKind::Commune, UnitKind::Province, UnitKind::Ministry] {
                            option value=(k) selected[k == b.kind] { (k.label_vi()) }
                        }
                    }
                }
                label { "Chỉ số"
                    select name="indicator" {
                        @for i in Indicator::ALL {
                            option value=(i) selected[i == b.indicator] { (i.label_vi()) }
                        }
                    }
                }
                label { "Tỉnh, thành phố"
                    select name="parent" {
                        option value="" selected[b.parent.is_none()] { "Toàn quốc" }
                        @for (code, name) in self.provinces {
                            option value=(code) selected[b.parent.as_deref() == Some(code.as_str())] { (name) }
                        }
                    }
                }
                label { "Tìm đơn vị (không cần dấu)"
                    input type="search" name="q" value=[b.search.as_deref()] placeholder="vd. hong bang" autocomplete="off";
                }
                button type="submit" { "Xem" }
            }
        }
    }

    fn unit_cell(&self, r: &BoardRow) -> Markup {
        let b = self.board;
        html! {
            th.unit scope="row" {
                a href={ "/units/" (r.row.unit) "?month=" (b.month) } { (r.row.name) }
                " " span.code {
                    (r.row.unit)
                    // Nationwide, the same name (Sở Tư pháp) exists in every province.
                    @if b.parent.is_none() && b.kind != UnitKind::Province { @if let Some(p) = &r.province { " · " (p) } }
                }
            }
        }
    }

    fn ranked_table(&self) -> Markup {
        let b = self.board;
        let first = b.months.first().copied().unwrap_or(b.month);
        scroll_box("cap-xep-hang", html! {
            table {
                caption id="cap-xep-hang" {
                    "Xếp theo tỷ lệ giảm dần; đơn vị cùng tỷ lệ cùng hạng, xếp theo tên. "
                    "Chênh lệch = tỷ lệ − chỉ tiêu (điểm phần trăm, đ.%). "
                    "Biểu đồ: tỷ lệ từng tháng, " (month_vi(first)) " – " (month_vi(b.month)) "; đường đứt: chỉ tiêu."
                }
                thead { tr {
                    th.num scope="col" { "Hạng" }
                    th scope="col" { "Đơn vị" }
                    th.num scope="col" { "Số hồ sơ" }
                    th.num scope="col" { (numerator_label(b.indicator)) }
                    th.num scope="col" { "Tỷ lệ" }
                    th.num scope="col" { "Chỉ tiêu" }
                    th.num scope="col" { "Chênh lệch" }
                    th scope="col" { "Trạng thái" }
                    th.num scope="col" { "So với tháng trước" }
                    th.num scope="col" { "Thay đổi hạng" }
                    th scope="col" { "12 tháng" }
                } }
                tbody {
                    @for r in &b.ranked {
                        tr {
                            td.num { (r.row.rank.map(|x| x.to_string()).unwrap_or_default()) }
                            (self.unit_cell(r))
                            td.num { (integer(r.row.denominator)) }
                            td.num { (integer(r.row.numerator)) }
                            td.num { strong { (percent(r.row.rate)) } }
                            td.num { (percent(r.row.target.map(|t| t.as_f64()))) }
                            td.num { (points(r.row.gap)) }
                            td { span class={ "status " (status_class(r.row.status)) } { (r.row.status.label_vi()) } }
                            td.num { (points(r.row.rate_change)) }
                            td.num { (rank_change(r.row.rank_change)) }
                            td { (sparkline(&r.history, &b.months, r.row.target)) }
                        }
                    }
                    @if b.ranked.is_empty() {
                        tr { td colspan="11" {
                            @if b.search.is_some() { "Không có đơn vị được xếp hạng nào khớp với tìm kiếm." }
                            @else { "Chưa có đơn vị nào đủ dữ liệu để xếp hạng trong tháng này." }
                        } }
                    }
                }
            }
        })
    }

    fn unranked_table(&self) -> Markup {
        let b = self.board;
        if b.unranked.is_empty() {
            return html! { p { @if b.search.is_some() { "Không có đơn vị nào khớp với tìm kiếm." } @else { "Mọi đơn vị đều đủ dữ liệu." } } };
        }
        scroll_box("cap-chua-du", html! {
            table {
                caption id="cap-chua-du" { "Đơn vị chưa đủ dữ liệu, " (month_vi(b.month)) ", xếp theo tên." }
                thead { tr {
                    th scope="col" { "Đơn vị" }
                    th.num scope="col" { "Số hồ sơ" }
                    th.num scope="col" { (numerator_label(b.indicator)) }
                    th.num scope="col" { "Tỷ lệ" }
                    th.num scope="col" { "Chỉ tiêu" }
                    th scope="col" { "Trạng thái" }
                    th scope="col" { "12 tháng" }
                } }
                tbody {
                    @for r in &b.unranked {
                        tr {
                            (self.unit_cell(r))
                            td.num { (integer(r.row.denominator)) }
                            td.num { (integer(r.row.numerator)) }
                            td.num { (percent(r.row.rate)) }
                            td.num { (percent(r.row.target.map(|t| t.as_f64()))) }
                            td { span class={ "status " (status_class(r.row.status)) } { (r.row.status.label_vi()) } }
                            td { (sparkline(&r.history, &b.months, r.row.target)) }
                        }
                    }
                }
            }
        })
    }
}

/// A rank change in words for screen readers, an arrow for the eye.
pub fn rank_change(c: Option<i64>) -> Markup {
    html! {
        @match c {
            Some(c) if c > 0 => span.up { span aria-hidden="true" { "▲ " } (c) span.sr-only { " bậc, tăng" } },
            Some(c) if c < 0 => span.down { span aria-hidden="true" { "▼ " } (-c) span.sr-only { " bậc, giảm" } },
            Some(_) => span { span aria-hidden="true" { "=" } span.sr-only { "không đổi" } },
            None => span { span aria-hidden="true" { "—" } span.sr-only { "không có" } },
        }
    }
}

/// The same change as plain text, for exports.
pub fn rank_change_text(c: Option<i64>) -> String {
    match c {
        Some(c) if c > 0 => format!("▲ {c}"),
        Some(c) if c < 0 => format!("▼ {}", -c),
        Some(_) => "=".into(),
        None => "—".into(),
    }
}
