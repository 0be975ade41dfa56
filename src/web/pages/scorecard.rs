//! `/scorecard`: units × indicators of one period, or units × the periods before it for one indicator.
//! Each cell is coloured by its status and says the status in words, with an arrow for the trend
//! against the period before; a total row (the rate of the summed figures) and an average row (the
//! mean of the ranked units' rates) close the table. Choices in a GET form, as on the league page.

use super::choose;
use super::layout::{layout, query_string, scroll_box};
use super::period::{self, capitalised};
use super::status_class;
use crate::domain::{Month, Period, PeriodKind, UnitKind};
use crate::report::peers;
use crate::report::scorecard::{scorecard, status_counts, Layout, ScoreCell, Scorecard, ScorecardQuery, Trend};
use crate::web::error::{AppError, Result};
use crate::web::format::{integer, percent};
use crate::web::params::{Query, ReadParams};
use crate::web::AppState;
use axum::extract::State;
use maud::{html, Markup};

pub async fn page(State(state): State<AppState>, Query(p): Query<ReadParams>) -> Result<Markup> {
    let registry = state.store.registry().await?;
    let now = state.clock.now_ms();
    let kind = p.kind(UnitKind::Department)?;
    let layout_ = match p.view.as_deref().map(str::trim) {
        None | Some("") | Some("indicators") => Layout::Indicators,
        Some("periods") => Layout::Periods,
        Some("index") => Layout::Index,
        Some(v) => return Err(AppError::BadRequest(format!("unknown view {v:?} (expected indicators, index or periods)"))),
    };
    let provinces: Vec<(String, String)> = registry.units.of_kind(UnitKind::Province, None).iter().map(|u| (u.code.clone(), u.name.clone())).collect();
    let (parent, peer) = p.page_scope(&registry, kind)?;
    let peer_choices = peers::choices(&registry.units, registry.units.of_kind(kind, None));
    // A scorecard reviews: it opens on the last finished month.
    let period = p.period_given()?.unwrap_or_else(|| Period::from(Month::of_millis(now)).prev());
    let q = ScorecardQuery { period, kind, parent, peer, layout: layout_, indicator: p.indicator()? };
    let card = scorecard(state.store.as_ref(), &registry, &q, state.settings.min_volume, now).await?;
    let view = ScorecardView { card: &card, provinces: &provinces, peers: &peer_choices, periods: period::choices(now) };
    Ok(view.render())
}

pub struct ScorecardView<'a> {
    pub card: &'a Scorecard,
    pub provinces: &'a [(String, String)],
    /// Functions of units of the kind (`peers::choices`).
    pub peers: &'a [(String, String)],
    pub periods: Vec<(PeriodKind, Vec<Period>)>,
}

fn trend_mark(t: Option<Trend>) -> Markup {
    html! {
        @match t {
            Some(Trend::Up) => span.up { span aria-hidden="true" { " ▲" } span.sr-only { ", tăng so với kỳ trước" } },
            Some(Trend::Down) => span.down { span aria-hidden="true" { " ▼" } span.sr-only { ", giảm so với kỳ trước" } },
            Some(Trend::Same) => span { span aria-hidden="true" { " =" } span.sr-only { ", không đổi" } },
            None => {},
        }
    }
}

fn cell(c: &ScoreCell) -> Markup {
    html! {
        td class={ "sc " (status_class(c.judged.status)) "-cell" } {
            span.rate { (percent(c.judged.rate)) } (trend_mark(c.trend))
            br; span.word { (c.judged.status.label_vi()) }
        }
    }
}

impl ScorecardView<'_> {
    fn scope(&self) -> String {
        let q = &self.card.query;
        let place = q.parent.as_ref().and_then(|p| self.provinces.iter().find(|(c, _)| c == p)).map_or("toàn quốc".to_string(), |(_, n)| n.clone());
        let who = match q.peer.as_ref().and_then(|k| self.peers.iter().find(|(c, _)| c == k)) {
            Some((_, label)) => format!("{label} các tỉnh, thành phố"),
            None => format!("{} — {place}", q.kind.label_vi()),
        };
        who
    }

    fn title(&self) -> String {
        let q = &self.card.query;
        match q.layout {
            Layout::Indicators => format!("Bảng điểm {} — {}", q.period.label_vi(), self.scope()),
            Layout::Index => format!("Bảng điểm các chỉ số hồ sơ của Chỉ số 766, {} — {}", q.period.label_vi(), self.scope()),
            Layout::Periods => format!("Bảng điểm {} theo {}, đến {} — {}", q.indicator.label_vi().to_lowercase(), q.period.kind().unit_vi(), q.period.label_vi(), self.scope()),
        }
    }

    pub fn render(&self) -> Markup {
        layout(&self.title(), self.body())
    }

    fn heading(&self, c: usize) -> Markup {
        let col = self.card.columns[c];
        html! {
            @match self.card.query.layout {
                Layout::Indicators | Layout::Index => (col.indicator.label_vi()),
                Layout::Periods => (capitalised(&col.period.label_vi())),
            }
        }
    }

    pub fn body(&self) -> Markup {
        let card = self.card;
        let q = &card.query;
        let n = card.columns.len();
        html! {
            h1 { (self.title()) }
            (self.filters())
            p.note {
                "Mỗi ô: tỷ lệ, mũi tên so với kỳ trước, và trạng thái bằng chữ (màu chỉ để nhìn nhanh). "
                "Dòng «Tổng» là tỷ lệ của tổng số hồ sơ; dòng «Trung bình» là trung bình cộng tỷ lệ của các đơn vị được xếp hạng."
            }
            (scroll_box("cap-bang-diem", html! {
                table.scorecard {
                    caption id="cap-bang-diem" { (self.title()) ". Xếp theo tên đơn vị." }
                    thead { tr {
                        th scope="col" { "Đơn vị" }
                        @for c in 0..n { th scope="col" { (self.heading(c)) } }
                    } }
                    tbody {
                        @for r in &card.rows {
                            tr {
                                th.unit scope="row" {
                                    a href={ "/units/" (r.unit) "?period=" (q.period) } { (r.name) }
                                    " " span.code { (r.unit) @if q.parent.is_none() && q.kind != UnitKind::Province { @if let Some(p) = &r.province { " · " (p) } } }
                                }
                                @for c in &r.cells { (cell(c)) }
                            }
                        }
                        @if card.rows.is_empty() { tr { td colspan=(n + 1) { "Không có đơn vị nào." } } }
                    }
                    tfoot {
                        tr {
                            th scope="row" { @if q.kind == UnitKind::Province && q.parent.is_none() { "Toàn quốc" } @else { "Tổng" } }
                            @for f in &card.total { td.num { strong { (percent(f.rate())) } br; span.note { (integer(f.numerator)) " / " (integer(f.denominator)) " hồ sơ" } } }
                        }
                        tr {
                            th scope="row" { "Trung bình các đơn vị" }
                            @for (avg, count) in &card.average { td.num { (percent(*avg)) br; span.note { (count) " đơn vị" } } }
                        }
                    }
                }
            }))
            h2 { "Số đơn vị theo trạng thái" }
            ul {
                @for c in 0..n {
                    li { strong { (self.heading(c)) } ": "
                        @for (s, k) in status_counts(card, c) { span class={ "status " (status_class(s)) } { (s.label_vi()) } " " (k) "; " }
                    }
                }
            }
        }
    }

    fn filters(&self) -> Markup {
        let q = &self.card.query;
        html! {
            form.filters method="get" action="/scorecard" aria-label="Chọn bảng điểm" {
                label { "Dạng bảng"
                    select name="view" {
                        option value="indicators" selected[q.layout == Layout::Indicators] { "Các chỉ số của một kỳ" }
                        option value="index" selected[q.layout == Layout::Index] { "Các chỉ số hồ sơ của Chỉ số 766" }
                        option value="periods" selected[q.layout == Layout::Periods] { "Một chỉ số qua các kỳ" }
                    }
                }
                (period::select(q.period, &self.periods))
                (choose::indicator("Chỉ số (theo kỳ)", q.indicator))
                (choose::kind(q.kind))
                (choose::province(self.provinces, q.parent.as_deref()))
                (choose::peer(q.kind, self.peers, q.peer.as_deref()))
                button type="submit" { "Xem" }
            }
            nav.links aria-label="Xem thêm" {
                a href={ "/?" (query_string(&[("period", Some(&q.period.to_string())), ("kind", Some(q.kind.as_str())), ("parent", q.parent.as_deref())])) } { "Bảng xếp hạng cùng kỳ" }
            }
        }
    }
}
