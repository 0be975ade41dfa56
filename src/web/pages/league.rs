//! `/`: the monthly league table, in Vietnamese, with month, kind, indicator and province selectors.

use super::layout::layout;
use super::status_class;
use crate::domain::{Indicator, Month, UnitKind};
use crate::registry::Registry;
use crate::report::league::{league_table, LeagueQuery, LeagueTable};
use crate::web::error::Result;
use crate::web::format::{integer, percent, points};
use crate::web::params::ReadParams;
use crate::web::AppState;
use axum::extract::{Query, State};
use maud::{html, Markup};

pub async fn page(State(state): State<AppState>, Query(p): Query<ReadParams>) -> Result<Markup> {
    let registry = Registry::load(state.store.as_ref()).await?;
    let now = state.clock.now_ms();
    let provinces: Vec<(String, String)> =
        registry.units.of_kind(UnitKind::Province, None).iter().map(|u| (u.code.clone(), u.name.clone())).collect();
    // With a single province in the registry, its table is the natural first view.
    let parent = match (p.parent(&registry)?, provinces.as_slice()) {
        (None, [(only, _)]) if p.parent.is_none() => Some(only.clone()),
        (parent, _) => parent,
    };
    let q = LeagueQuery { month: p.month(now)?, kind: p.kind(UnitKind::Department)?, indicator: p.indicator()?, parent };
    let table = league_table(state.store.as_ref(), &registry, &q, state.settings.min_volume, now).await?;
    let view = View { table: &table, provinces: &provinces, months: Month::of_millis(now).trailing(24) };
    Ok(layout("Bảng xếp hạng", view.render()))
}

struct View<'a> {
    table: &'a LeagueTable,
    provinces: &'a [(String, String)],
    months: Vec<Month>,
}

impl View<'_> {
    fn render(&self) -> Markup {
        let t = self.table;
        let scope = t
            .parent
            .as_ref()
            .and_then(|p| self.provinces.iter().find(|(c, _)| c == p))
            .map(|(_, n)| n.as_str())
            .unwrap_or("Toàn quốc");
        html! {
            h1 { (t.indicator.label_vi()) " — " (t.kind.label_vi()) " — " (scope) ", tháng " (t.month.month()) "/" (t.month.year()) }
            (self.filters())
            div.scroll {
                table {
                    caption.muted { "Xếp theo tỷ lệ giảm dần; đơn vị chưa đủ dữ liệu xếp cuối, không xếp hạng." }
                    thead { tr {
                        th scope="col" { "Hạng" }
                        th scope="col" { "Đơn vị" }
                        th.num scope="col" { "Hồ sơ" }
                        th.num scope="col" { "Đạt chỉ số" }
                        th.num scope="col" { "Tỷ lệ" }
                        th.num scope="col" { "Chỉ tiêu" }
                        th.num scope="col" { "Chênh lệch" }
                        th scope="col" { "Trạng thái" }
                        th.num scope="col" { "So với tháng trước" }
                        th.num scope="col" { "Thay đổi hạng" }
                    } }
                    tbody {
                        @for r in &t.rows {
                            tr class=[r.rank.is_none().then_some("unranked")] {
                                td.num { @if let Some(rank) = r.rank { (rank) } @else { "—" } }
                                td { a href={ "/units/" (r.unit) "?month=" (t.month) } { (r.name) } " " span.muted { (r.unit) } }
                                td.num { (integer(r.denominator)) }
                                td.num { (integer(r.numerator)) }
                                td.num { (percent(r.rate)) }
                                td.num { (percent(r.target.map(|t| t.as_f64()))) }
                                td.num { (points(r.gap)) }
                                td { span class={ "status " (status_class(r.status)) } { (r.status.label_vi()) } }
                                td.num { (points(r.rate_change)) }
                                td.num { (rank_change(r.rank_change)) }
                            }
                        }
                        @if t.rows.is_empty() {
                            tr { td colspan="10" { "Chưa có đơn vị nào thuộc loại này." } }
                        }
                    }
                }
            }
        }
    }

    fn filters(&self) -> Markup {
        let t = self.table;
        html! {
            form.filters method="get" action="/" {
                label { "Tháng"
                    select name="month" {
                        @for m in self.months.iter().rev() {
                            option value=(m) selected[*m == t.month] { "Tháng " (m.month()) "/" (m.year()) }
                        }
                    }
                }
                label { "Loại đơn vị"
                    select name="kind" {
                        @for k in [UnitKind::Department, UnitKind::Commune, UnitKind::Province, UnitKind::Ministry] {
                            option value=(k) selected[k == t.kind] { (k.label_vi()) }
                        }
                    }
                }
                label { "Chỉ số"
                    select name="indicator" {
                        @for i in Indicator::ALL {
                            option value=(i) selected[i == t.indicator] { (i.label_vi()) }
                        }
                    }
                }
                label { "Tỉnh, thành phố"
                    select name="parent" {
                        option value="" selected[t.parent.is_none()] { "Toàn quốc" }
                        @for (code, name) in self.provinces {
                            option value=(code) selected[t.parent.as_deref() == Some(code.as_str())] { (name) }
                        }
                    }
                }
                button type="submit" { "Xem" }
            }
        }
    }
}

fn rank_change(c: Option<i64>) -> String {
    match c {
        Some(c) if c > 0 => format!("▲ {c}"),
        Some(c) if c < 0 => format!("▼ {}", -c),
        Some(_) => "=".into(),
        None => "—".into(),
    }
}
