//! The selectors the league page and the scorecard share: unit kind, indicator, province and the
//! function of a department across provinces. Plain `<select>`s in a GET form.

use crate::domain::{Indicator, UnitKind};
use maud::{html, Markup};

pub fn kind(shown: UnitKind) -> Markup {
    html! {
        label { "Loại đơn vị"
            select name="kind" {
                @for k in [UnitKind::Department, UnitKind::Commune, UnitKind::Province, UnitKind::Ministry] {
                    option value=(k) selected[k == shown] { (k.label_vi()) }
                }
            }
        }
    }
}

pub fn indicator(label: &str, shown: Indicator) -> Markup {
    html! {
        label { (label)
            select name="indicator" {
                @for i in Indicator::ALL { option value=(i) selected[i == shown] { (i.label_vi()) } }
            }
        }
    }
}

pub fn province(provinces: &[(String, String)], parent: Option<&str>) -> Markup {
    html! {
        label { "Tỉnh, thành phố"
            select name="parent" {
                option value="" selected[parent.is_none()] { "Toàn quốc" }
                @for (code, name) in provinces { option value=(code) selected[parent == Some(code.as_str())] { (name) } }
            }
        }
    }
}

/// Departments of one function across provinces (`report::peers`); only for departments.
pub fn peer(kind: UnitKind, peers: &[(String, String)], shown: Option<&str>) -> Markup {
    html! {
        @if kind == UnitKind::Department && !peers.is_empty() {
            label { "Cùng một sở, các tỉnh"
                select name="peer" {
                    option value="" selected[shown.is_none()] { "Mọi sở, ban, ngành" }
                    @for (key, label) in peers { option value=(key) selected[shown == Some(key.as_str())] { (label) } }
                }
            }
        }
    }
}
