//! Units of the same function in different provinces: every province has its Sở Tư pháp, Sở Y tế…
//! A unit's function is its name without its province's: "Sở Tư pháp tỉnh Quảng Ninh" and "Sở Tư pháp"
//! under Thành phố Hải Phòng are both "sở tư pháp", so the national committee can set one department
//! beside its peers.

use super::vietnamese::fold;
use crate::domain::{Unit, UnitTree};
use std::collections::BTreeMap;

/// The folded function of a unit: its folded name with its parent's name (and a leading "tỉnh" or
/// "thành phố") taken off the end.
pub fn key(tree: &UnitTree, unit: &Unit) -> String {
    let name = fold(&unit.name);
    let Some(parent) = unit.parent.as_deref().and_then(|p| tree.get(p)) else { return name };
    let parent_name = fold(&parent.name);
    // "Thành phố Hải Phòng" is also written "Hải Phòng" after "thành phố" or "tỉnh".
    let bare = ["tinh ", "thanh pho "].iter().find_map(|p| parent_name.strip_prefix(p)).unwrap_or(&parent_name);
    for tail in [parent_name.clone(), format!("tinh {bare}"), format!("thanh pho {bare}"), bare.to_string()] {
        if let Some(head) = name.strip_suffix(&tail).map(str::trim_end).filter(|h| !h.is_empty()) {
            return head.to_string();
        }
    }
    name
}

/// The functions found among `units`, each labelled by the start of a name that folds to it ("Sở Y
/// tế" of "Sở Y tế Quảng Ninh"), in name order: what a selector offers.
pub fn choices<'a>(tree: &UnitTree, units: impl IntoIterator<Item = &'a Unit>) -> Vec<(String, String)> {
    let mut found: BTreeMap<String, String> = BTreeMap::new();
    for u in units {
        let k = key(tree, u);
        let head: String = u.name.chars().take(k.chars().count()).collect();
        let label = if fold(&head) == k { head } else { u.name.clone() };
        let kept = found.entry(k).or_insert_with(|| label.clone());
        if label.chars().count() < kept.chars().count() {
            *kept = label;
        }
    }
    let mut out: Vec<(String, String)> = found.into_iter().collect();
    out.sort_by_cached_key(|(_, label)| super::vietnamese::name_key(label));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::UnitKind;

    fn u(code: &str, name: &str, kind: UnitKind, parent: Option<&str>) -> Unit {
        Unit { code: code.into(), name: name.into(), kind, parent: parent.map(Into::into) }
    }

    #[test]
    fn the_same_department_whatever_its_province_is_called() {
        let tree = UnitTree::new(vec![
            u("31", "Thành phố Hải Phòng", UnitKind::Province, None),
            u("22", "Tỉnh Quảng Ninh", UnitKind::Province, None),
            u("31-STP", "Sở Tư pháp", UnitKind::Department, Some("31")),
            u("22-STP", "Sở Tư pháp tỉnh Quảng Ninh", UnitKind::Department, Some("22")),
            u("22-SYT", "Sở Y tế Quảng Ninh", UnitKind::Department, Some("22")),
            u("31-SYT", "Sở Y tế thành phố Hải Phòng", UnitKind::Department, Some("31")),
        ]);
        let k = |code: &str| key(&tree, tree.get(code).unwrap());
        assert_eq!(k("31-STP"), "so tu phap");
        assert_eq!(k("22-STP"), "so tu phap");
        assert_eq!(k("22-SYT"), "so y te");
        assert_eq!(k("31-SYT"), "so y te");
        let all = tree.of_kind(UnitKind::Department, None);
        assert_eq!(choices(&tree, all), [("so tu phap".to_string(), "Sở Tư pháp".to_string()), ("so y te".into(), "Sở Y tế".into())]);
    }
}
