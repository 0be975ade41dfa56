//! `/`: the league table, in Vietnamese, with period (month, quarter, half, year), kind, indicator and
//! province selectors and a search, all kept in the URL (a plain GET form: no JavaScript needed).
//! Ranked units first, units with too little data apart below; each row with its recent periods as a
//! sparkline. Without a period it opens on the current month once that month tells something
//! (`league::current_month_tells`), else on the last finished one.

use super::chart::Sparklines;
use super::choose;
use super::layout::{layout_to, query_string, scroll_box_to, Inline};
use super::period::{self, capitalised, provisional_note};
use super::status_class;
use crate::domain::{Indicator, Month, Period, PeriodKind, UnitKind};
use crate::report::league::{current_month_tells, league_board, BoardRow, LeagueBoard, LeagueQuery};
use crate::web::error::Result;
use crate::web::format::{integer, percent, Integer, Percent, Points};
use crate::web::params::ReadParams;
use crate::web::AppState;
use axum::body::Bytes;
use crate::web::params::Query;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup, Render};

/// The league query a page or an export asks for, and the provinces to choose from. Without a period:
/// the current month if it tells something, else the last finished month (`LeagueView::instead_of`).
pub async fn board_for(state: &AppState, p: &ReadParams) -> Result<(LeagueBoard, Vec<(String, String)>)> {
    let (board, provinces, _) = board_shown(state, p).await?;
    Ok((board, provinces))
}

async fn board_shown(state: &AppState, p: &ReadParams) -> Result<(LeagueBoard, Vec<(String, String)>, Option<(Period, usize)>)> {
    let registry = state.store.registry().await?;
    let now = state.clock.now_ms();
    let provinces: Vec<(String, String)> =
        registry.units.of_kind(UnitKind::Province, None).iter().map(|u| (u.code.clone(), u.name.clone())).collect();
    let kind = p.kind(UnitKind::Department)?;
    let (parent, peer) = p.page_scope(&registry, kind)?;
    let given = p.period_given()?;
    let mut q = LeagueQuery { period: given.unwrap_or_else(|| Month::of_millis(now).into()), kind, indicator: p.indicator()?, parent, peer };
    let board = league_board(state.store.as_ref(), &registry, &q, p.search(), state.settings.min_volume, now).await?;
    if given.is_some() || current_month_tells(&board) {
        return Ok((board, provinces, None));
    }
    let (current, ranked_now) = (q.period, board.ranked_total);
    q.period = current.prev();
    let board = league_board(state.store.as_ref(), &registry, &q, p.search(), state.settings.min_volume, now).await?;
    Ok((board, provinces, Some((current, ranked_now))))
}

pub async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    Query(p): Query<ReadParams>,
) -> Result<Response> {
    // The page reads its indicator over the periods up to its own (the sparklines; without a period,
    // the year up to the current month): served again from the page cache while none of that has
    // changed, unless the request asks for a fresh copy. The provisional note's minutes are in the key.
    let now = state.clock.now_ms();
    let shown = p.period_given()?.unwrap_or_else(|| Month::of_millis(now).into());
    let first = shown.trailing(shown.kind().history_len() + 1)[0].first();
    let version = state.store.data_version(p.indicator()?, first, shown.last());
    let key = format!("/?{}#{}", raw.unwrap_or_default(), now / 60_000);
    if let Some(page) = state.pages.lookup(&headers, &key, version) {
        return Ok(html_response(page));
    }
    let read_at = std::time::Instant::now();
    let (board, provinces, instead_of) = board_shown(&state, &p).await?;
    let updated_at = state.store.sources().await?.into_iter().map(|(_, at)| at).max();
    let registry = state.store.registry().await?;
    let peers = crate::report::peers::choices(&registry.units, registry.units.of_kind(UnitKind::Department, None));
    let view = LeagueView {
        board: &board,
        provinces: &provinces,
        peers,
        periods: period::choices(now),
        min_volume: state.settings.min_volume,
        now_ms: now,
        updated_at,
        instead_of,
    };
    let mut page = state.page_buffers.take();
    view.render_to(&mut page);
    let page = state.page_buffers.body(page);
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
    /// The periods the selector offers, by kind.
    pub periods: Vec<(PeriodKind, Vec<Period>)>,
    pub min_volume: i64,
    pub now_ms: i64,
    /// When the last event arrived, for the note over a period still running.
    pub updated_at: Option<i64>,
    /// Set when the page opened on the last finished month because this one tells too little yet.
    /// With how many units the current month ranks so far.
    pub instead_of: Option<(Period, usize)>,
    /// Functions of departments across provinces (`report::peers::choices`), for the selector.
    pub peers: Vec<(String, String)>,
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
        Indicator::OnlineSubmission => "Hồ sơ trực tuyến",
        Indicator::OnlinePayment => "Thanh toán trực tuyến",
        Indicator::ElectronicResult => "Kết quả điện tử",
        Indicator::Digitised => "Hồ sơ số hóa",
        Indicator::ReusedData => "Tái sử dụng dữ liệu",
        Indicator::OnTimeIndex | Indicator::OverdueOpen => "Hồ sơ đúng hạn",
    }
}

pub fn month_vi(m: Month) -> String {
    Period::from(m).label_vi()
}

/// "So với tháng trước", "So với quý trước"…
pub fn change_heading(kind: PeriodKind) -> String {
    format!("So với {} trước", kind.unit_vi())
}

impl LeagueView<'_> {
    pub fn scope_name(&self) -> String {
        let b = self.board;
        if let Some((_, label)) = b.peer.as_ref().and_then(|k| self.peers.iter().find(|(c, _)| c == k)) {
            return format!("{label} các tỉnh, thành phố");
        }
        b.parent.as_ref().and_then(|p| self.provinces.iter().find(|(c, _)| c == p)).map(|(_, n)| n.clone()).unwrap_or_else(|| "Toàn quốc".into())
    }

    /// The page's query string, for links to the exports of the same table.
    pub fn query(&self) -> String {
        let b = self.board;
        let (period, kind, indicator) = (b.period.to_string(), b.kind.to_string(), b.indicator.to_string());
        query_string(&[
            ("period", Some(&period)),
            ("kind", Some(&kind)),
            ("indicator", Some(&indicator)),
            ("parent", Some(b.parent.as_deref().unwrap_or(""))),
            ("peer", b.peer.as_deref()),
            ("q", b.search.as_deref()),
        ])
    }

    pub fn title(&self) -> String {
        let b = self.board;
        format!("{} — {} — {}, {}", b.indicator.label_vi(), b.kind.label_vi(), self.scope_name(), b.period.label_vi())
    }

    pub fn render(&self) -> Markup {
        let mut out = String::new();
        self.render_to(&mut out);
        maud::PreEscaped(out)
    }

    /// The page, written into one buffer: the rows straight into it (a national page is megabytes).
    pub fn render_to(&self, out: &mut String) {
        layout_to(out, &format!("Bảng xếp hạng {}", self.board.period.label_vi()), Inline(|out: &mut String| self.body_to(out)))
    }

    /// A link to the same table for another period, kind or scope.
    fn link(&self, period: Period, kind: &str, parent: Option<&str>) -> String {
        let b = self.board;
        format!("/?{}", query_string(&[("period", Some(&period.to_string())), ("kind", Some(kind)), ("indicator", Some(b.indicator.as_str())), ("parent", parent)]))
    }

    fn body_to(&self, out: &mut String) {
        // The whole page at once (a row with its sparkline is about 1.2 KB; the nation's communes make
        // 4 MB): a buffer doubling its way there copied it and touched twice the memory.
        out.reserve(64 * 1024 + 1300 * (self.board.ranked.len() + self.board.unranked.len()));
        self.intro().render_to(out);
        scroll_box_to(out, "cap-xep-hang", Inline(|out: &mut String| self.ranked_table_to(out)));
        let b = self.board;
        html! {
            h2 id="chua-du-du-lieu" { "Chưa đủ dữ liệu để xếp hạng" }
            p.note {
                "Đơn vị có dưới " (self.min_volume) " hồ sơ trong kỳ không được xếp hạng và không bị cảnh báo. "
                "Xếp theo tên."
            }
        }
        .render_to(out);
        if b.unranked.is_empty() {
            html! { p { @if b.search.is_some() { "Không có đơn vị nào khớp với tìm kiếm." } @else { "Mọi đơn vị đều đủ dữ liệu." } } }.render_to(out);
        } else {
            scroll_box_to(out, "cap-chua-du", Inline(|out: &mut String| self.unranked_table_to(out)));
        }
    }

    /// Everything above the ranked table.
    fn intro(&self) -> Markup {
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
            @if let Some((current, ranked_now)) = self.instead_of {
                p.provisional role="note" {
                    (capitalised(&current.label_vi())) " mới bắt đầu: mới có " (ranked_now) " trong " (b.total) " đơn vị đủ dữ liệu để xếp hạng, "
                    "nên trang mở " (b.period.label_vi()) " đã kết thúc. "
                    a href=(self.link(current, b.kind.as_str(), b.parent.as_deref())) { "Xem " (current.label_vi()) " (tạm tính)" }
                }
            }
            (provisional_note(b.period, self.now_ms, self.updated_at))
            p.print-only { "Báo cáo " (b.period.label_vi()) ". Số liệu: dvc-monitor." }
            (self.summary())
            (self.filters())
            nav.links aria-label="Xem thêm và tải xuống" {
                @if let Some(parent) = &b.parent {
                    @for k in [UnitKind::Department, UnitKind::Commune] {
                        @if k != b.kind {
                            a href=(self.link(b.period, k.as_str(), Some(parent))) {
                                (k.label_vi()) " của " (self.scope_name())
                            }
                        }
                    }
                }
                @if b.kind != UnitKind::Province {
                    a href=(self.link(b.period, "province", None)) {
                        "Các tỉnh, thành phố (toàn quốc)"
                    }
                }
                a href={ "/export/league.csv?" (query) } download { "Tải CSV" }
                a href={ "/export/league.xlsx?" (query) } download { "Tải Excel (.xlsx)" }
                // For tools (Power Query, R, scripts): the API's keys and plain numbers.
                a href={ "/export/league.csv?" (query) "&format=data" } download { "CSV dữ liệu (số thuần, cho phần mềm)" }
            }
            @if let Some(s) = &b.search {
                p role="status" {
                    "Tìm “" (s) "”: " (b.ranked.len() + b.unranked.len()) " trong " (b.total) " đơn vị. "
                    a.no-print href=(self.link(b.period, b.kind.as_str(), b.parent.as_deref())) { "Bỏ tìm kiếm" }
                }
            }
            h2 id="xep-hang" { "Đơn vị được xếp hạng" }
            p.phone-only.note { "Trên điện thoại: hạng, tỷ lệ và trạng thái. Các cột khác hiện trên màn hình rộng, khi in và trong tệp Excel." }
        }
    }

    fn summary(&self) -> Markup {
        let b = self.board;
        let count = |pred: &dyn Fn(&BoardRow) -> bool| b.rows().filter(|r| pred(r)).count();
        let statuses = {
            let mut seen: Vec<(crate::domain::kpi::Status, usize)> = Vec::new();
            for r in b.rows() {
                match seen.iter_mut().find(|(s, _)| *s == r.row.judged.status) {
                    Some((_, n)) => *n += 1,
                    None => seen.push((r.row.judged.status, 1)),
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
                (period::select(b.period, &self.periods))
                (choose::kind(b.kind))
                (choose::indicator("Chỉ số", b.indicator))
                (choose::province(self.provinces, b.parent.as_deref()))
                (choose::peer(b.kind, &self.peers, b.peer.as_deref()))
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
                a href={ "/units/" (r.row.unit) "?period=" (b.period) } { (r.row.name) }
                " " span.code {
                    (r.row.unit)
                    // Nationwide, the same name (Sở Tư pháp) exists in every province.
                    @if b.parent.is_none() && b.kind != UnitKind::Province { @if let Some(p) = &r.province { " · " (p) } }
                }
            }
        }
    }

    /// The ranked table, rows written one by one at the end of `out`.
    fn ranked_table_to(&self, out: &mut String) {
        let b = self.board;
        let first = b.periods.first().copied().unwrap_or(b.period);
        let span = format!("{} {}", b.periods.len(), b.period.kind().unit_vi());
        out.push_str("<table>");
        html! {
            caption id="cap-xep-hang" {
                "Xếp theo tỷ lệ giảm dần; đơn vị cùng tỷ lệ cùng hạng, xếp theo tên. "
                "Chênh lệch = tỷ lệ − chỉ tiêu (điểm phần trăm, đ.%). "
                "Biểu đồ: tỷ lệ từng " (b.period.kind().unit_vi()) ", " (first.label_vi()) " – " (b.period.label_vi()) "; đường đứt: chỉ tiêu."
            }
            thead { tr {
                th.num scope="col" { "Hạng" }
                th scope="col" { "Đơn vị" }
                th.num.opt scope="col" { "Số hồ sơ" }
                th.num.opt scope="col" { (numerator_label(b.indicator)) }
                th.num scope="col" { "Tỷ lệ" }
                th.num.opt scope="col" { "Chỉ tiêu" }
                th.num.opt scope="col" { "Chênh lệch" }
                th.opt scope="col" { "Trạng thái" }
                th.num.opt scope="col" { (change_heading(b.period.kind())) }
                th.num.opt scope="col" { "Thay đổi hạng" }
                th.opt scope="col" { (span) }
            } }
        }
        .render_to(out);
        out.push_str("<tbody>");
        let sparklines = Sparklines::new(&b.periods);
        for r in &b.ranked {
            html! {
                tr {
                    td.num { @if let Some(rank) = r.row.rank { (rank) } }
                    (self.unit_cell(r))
                    td.num.opt { (Integer(r.row.judged.figures.denominator)) }
                    td.num.opt { (Integer(r.row.judged.figures.numerator)) }
                    td.num { strong { (Percent(r.row.judged.rate)) } (phone_status(r.row.judged.status)) }
                    td.num.opt { (Percent(r.row.judged.target.map(|t| t.as_f64()))) }
                    td.num.opt { (Points(r.row.judged.gap)) }
                    td.opt { span class={ "status " (status_class(r.row.judged.status)) } { (r.row.judged.status.label_vi()) } }
                    td.num.opt { (Points(r.row.rate_change)) }
                    td.num.opt { (rank_change(r.row.rank_change)) }
                    td.opt { (sparklines.row(&r.history, r.row.judged.target)) }
                }
            }
            .render_to(out);
        }
        if b.ranked.is_empty() {
            html! {
                tr { td colspan="11" {
                    @if b.search.is_some() { "Không có đơn vị được xếp hạng nào khớp với tìm kiếm." }
                    @else { "Chưa có đơn vị nào đủ dữ liệu để xếp hạng trong kỳ này." }
                } }
            }
            .render_to(out);
        }
        out.push_str("</tbody>");
        self.totals().render_to(out);
        out.push_str("</table>");
    }

    /// The total of every unit of the table (ranked or not, whatever the search), the nation's on the
    /// provinces view, and the mean of the ranked units' rates.
    fn totals(&self) -> Markup {
        let b = self.board;
        let label = if b.kind == UnitKind::Province && b.parent.is_none() { "Toàn quốc".to_string() } else { format!("Tổng {} đơn vị", b.total) };
        html! {
            tfoot {
                tr {
                    td {}
                    th scope="row" { (label) }
                    td.num.opt { (integer(b.sum.denominator)) }
                    td.num.opt { (integer(b.sum.numerator)) }
                    td.num { strong { (percent(b.sum.rate())) } }
                    td.opt colspan="6" { span.note { "tỷ lệ của tổng số hồ sơ" } }
                }
                tr {
                    td {}
                    th scope="row" { "Trung bình " (b.ranked_total) " đơn vị xếp hạng" }
                    td.opt {} td.opt {}
                    td.num { (percent(b.average)) }
                    td.opt colspan="6" { span.note { "trung bình cộng tỷ lệ các đơn vị" } }
                }
            }
        }
    }

    /// The table of units with too little data (at least one), rows written one by one.
    fn unranked_table_to(&self, out: &mut String) {
        let b = self.board;
        out.push_str("<table>");
        html! {
            caption id="cap-chua-du" { "Đơn vị chưa đủ dữ liệu, " (b.period.label_vi()) ", xếp theo tên." }
            thead { tr {
                th scope="col" { "Đơn vị" }
                th.num.opt scope="col" { "Số hồ sơ" }
                th.num.opt scope="col" { (numerator_label(b.indicator)) }
                th.num scope="col" { "Tỷ lệ" }
                th.num.opt scope="col" { "Chỉ tiêu" }
                th.opt scope="col" { "Trạng thái" }
                th.opt scope="col" { (b.periods.len()) " " (b.period.kind().unit_vi()) }
            } }
        }
        .render_to(out);
        out.push_str("<tbody>");
        let sparklines = Sparklines::new(&b.periods);
        for r in &b.unranked {
            html! {
                tr {
                    (self.unit_cell(r))
                    td.num.opt { (Integer(r.row.judged.figures.denominator)) }
                    td.num.opt { (Integer(r.row.judged.figures.numerator)) }
                    td.num { (Percent(r.row.judged.rate)) (phone_status(r.row.judged.status)) }
                    td.num.opt { (Percent(r.row.judged.target.map(|t| t.as_f64()))) }
                    td.opt { span class={ "status " (status_class(r.row.judged.status)) } { (r.row.judged.status.label_vi()) } }
                    td.opt { (sparklines.row(&r.history, r.row.judged.target)) }
                }
            }
            .render_to(out);
        }
        out.push_str("</tbody></table>");
    }
}

/// The status under the rate, shown on phones only, where the status column is left out so that rank,
/// unit, rate and status fit 360 px without scrolling sideways.
fn phone_status(s: crate::domain::kpi::Status) -> Markup {
    html! { span.phone-only { br; span class={ "status " (status_class(s)) } { (s.label_vi()) } } }
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
