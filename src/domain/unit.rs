//! Organisational units and the tree they form (commune → province → nation).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    Nation,
    Ministry,
    Province,
    Department,
    Commune,
}

impl UnitKind {
    pub const ALL: [UnitKind; 5] =
        [UnitKind::Nation, UnitKind::Ministry, UnitKind::Province, UnitKind::Department, UnitKind::Commune];

    pub fn as_str(self) -> &'static str {
        match self {
            UnitKind::Nation => "nation",
            UnitKind::Ministry => "ministry",
            UnitKind::Province => "province",
            UnitKind::Department => "department",
            UnitKind::Commune => "commune",
        }
    }

    /// Vietnamese label for pages and exports.
    pub fn label_vi(self) -> &'static str {
        match self {
            UnitKind::Nation => "Toàn quốc",
            UnitKind::Ministry => "Bộ, ngành",
            UnitKind::Province => "Tỉnh, thành phố",
            UnitKind::Department => "Sở, ban, ngành",
            UnitKind::Commune => "Xã, phường, đặc khu",
        }
    }
}

impl fmt::Display for UnitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for UnitKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        UnitKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown unit kind {s:?} (expected nation, ministry, province, department or commune)"))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unit {
    pub code: String,
    pub name: String,
    pub kind: UnitKind,
    pub parent: Option<String>,
}

/// The unit registry as a tree, for scope checks, roll-ups and league membership.
#[derive(Debug, Clone, Default)]
pub struct UnitTree {
    units: Vec<Unit>,
    /// foldhash: looked up for every row of every table; the codes are the registry's own.
    index: foldhash::HashMap<String, usize>,
    children: Vec<Vec<usize>>,
}

impl UnitTree {
    pub fn new(mut units: Vec<Unit>) -> UnitTree {
        units.sort_by(|a, b| a.code.cmp(&b.code));
        let index: foldhash::HashMap<String, usize> = units.iter().enumerate().map(|(i, u)| (u.code.clone(), i)).collect();
        let mut children = vec![Vec::new(); units.len()];
        for (i, u) in units.iter().enumerate() {
            if let Some(p) = u.parent.as_ref().and_then(|p| index.get(p)) {
                children[*p].push(i);
            }
        }
        UnitTree { units, index, children }
    }

    pub fn get(&self, code: &str) -> Option<&Unit> {
        self.index.get(code).map(|&i| &self.units[i])
    }

    pub fn contains(&self, code: &str) -> bool {
        self.index.contains_key(code)
    }

    pub fn all(&self) -> &[Unit] {
        &self.units
    }

    pub fn len(&self) -> usize {
        self.units.len()
    }

    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }

    /// The unit itself, then its parent, up to the root. Stops on a cycle.
    pub fn ancestors_or_self<'a>(&'a self, code: &str) -> impl Iterator<Item = &'a Unit> + 'a {
        let mut next = self.get(code);
        let mut steps = 0;
        std::iter::from_fn(move || {
            let unit = next?;
            steps += 1;
            next = if steps > self.units.len() { None } else { unit.parent.as_deref().and_then(|p| self.get(p)) };
            Some(unit)
        })
    }

    /// True when `code` is `scope` or lies under it.
    pub fn is_within(&self, code: &str, scope: &str) -> bool {
        self.ancestors_or_self(code).any(|u| u.code == scope)
    }

    /// Whether any unit lies under `code` (false for a code the registry does not know).
    pub fn has_children(&self, code: &str) -> bool {
        self.index.get(code).is_some_and(|&i| !self.children[i].is_empty())
    }

    /// The unit and every unit under it, in code order of each level.
    pub fn subtree(&self, code: &str) -> Vec<&Unit> {
        let Some(&root) = self.index.get(code) else { return Vec::new() };
        if self.children[root].is_empty() {
            // A commune or a department: most calls, on a national page thousands of them.
            return vec![&self.units[root]];
        }
        let mut out = Vec::new();
        let mut seen = vec![false; self.units.len()];
        let mut stack = vec![root];
        while let Some(i) = stack.pop() {
            if std::mem::replace(&mut seen[i], true) {
                continue;
            }
            out.push(&self.units[i]);
            stack.extend(self.children[i].iter().rev());
        }
        out
    }

    /// Units of one kind, optionally only those under `parent`.
    pub fn of_kind(&self, kind: UnitKind, parent: Option<&str>) -> Vec<&Unit> {
        match parent {
            Some(p) => self.subtree(p).into_iter().filter(|u| u.kind == kind && u.code != p).collect(),
            None => self.units.iter().filter(|u| u.kind == kind).collect(),
        }
    }

    /// The nearest ancestor (or the unit itself) of the given kind.
    pub fn ancestor_of_kind(&self, code: &str, kind: UnitKind) -> Option<&Unit> {
        self.ancestors_or_self(code).find(|u| u.kind == kind)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn unit(code: &str, kind: UnitKind, parent: Option<&str>) -> Unit {
        Unit { code: code.into(), name: format!("Đơn vị {code}"), kind, parent: parent.map(Into::into) }
    }

    pub fn sample_tree() -> UnitTree {
        UnitTree::new(vec![
            unit("VN", UnitKind::Nation, None),
            unit("31", UnitKind::Province, Some("VN")),
            unit("31-STP", UnitKind::Department, Some("31")),
            unit("31-SYT", UnitKind::Department, Some("31")),
            unit("11311", UnitKind::Commune, Some("31")),
            unit("01", UnitKind::Province, Some("VN")),
            unit("00004", UnitKind::Commune, Some("01")),
        ])
    }

    #[test]
    fn scope_covers_descendants() {
        let t = sample_tree();
        assert!(t.is_within("31-STP", "31"));
        assert!(t.is_within("31-STP", "VN"));
        assert!(t.is_within("31-STP", "31-STP"));
        assert!(!t.is_within("31-STP", "01"));
        assert!(!t.is_within("31", "31-STP"));
        assert!(!t.is_within("nope", "VN"));
    }

    #[test]
    fn kinds_under_a_parent() {
        let t = sample_tree();
        let codes = |v: Vec<&Unit>| v.into_iter().map(|u| u.code.clone()).collect::<Vec<_>>();
        assert_eq!(codes(t.of_kind(UnitKind::Department, Some("31"))), ["31-STP", "31-SYT"]);
        assert_eq!(codes(t.of_kind(UnitKind::Commune, None)), ["00004", "11311"]);
        assert_eq!(codes(t.of_kind(UnitKind::Commune, Some("01"))), ["00004"]);
        assert_eq!(t.subtree("VN").len(), 7);
        assert!(t.has_children("31") && !t.has_children("31-STP") && !t.has_children("unknown"));
        assert_eq!(t.ancestor_of_kind("11311", UnitKind::Province).unwrap().code, "31");
    }

    #[test]
    fn cycles_do_not_hang() {
        let t = UnitTree::new(vec![unit("a", UnitKind::Province, Some("b")), unit("b", UnitKind::Province, Some("a"))]);
        assert!(!t.is_within("a", "zzz"));
        assert_eq!(t.subtree("a").len(), 2);
    }
}
