//! Whose figures a sender may change: a collector token's scope, and the ownership rule for dossiers.
//!
//! A token is scoped to units and everything under them. An event changes the figures of the unit its
//! dossier is attributed to (kpi.md: the unit of its earliest `received` event), so checking the
//! event's own `unit` is not enough: a sender could otherwise send an earlier `received`, a payment or
//! a return for a dossier another system reported and move it, or its counts, out of that unit.
//!
//! **The rule.** An event is stored only when its token's scope covers the event's `unit` and, when
//! the dossier is already known, the unit the dossier is attributed to at that moment. Several
//! systems may report one dossier (the one-stop-shop system the intake, a department's system the
//! return) as long as each one's scope covers the dossier's unit. An event that would reach a dossier
//! held by a unit outside its scope is rejected with a reason naming the dossier, its unit and the
//! scope, and nothing of it is stored. Events of one transaction are judged in the order they were
//! sent, each against the dossier as the events before it left it, so grouping batches into one
//! transaction gives the same answers as storing them one by one.

use super::unit::UnitTree;
use std::collections::HashSet;
use std::sync::Arc;

/// The units one token may write to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// The scope as the token names it, for messages ("31", "31-STP, 31-SXD").
    label: String,
    /// Every unit covered; `None` covers every unit (administrative loads and tests).
    covered: Option<HashSet<String>>,
}

impl Scope {
    /// The units named and everything under them in `units`.
    pub fn of(codes: &[String], units: &UnitTree) -> Scope {
        let covered = codes.iter().flat_map(|c| units.subtree(c)).map(|u| u.code.clone()).collect();
        Scope { label: codes.join(", "), covered: Some(covered) }
    }

    /// Covers every unit: for loads made by the operator, not by a collector token.
    pub fn everything() -> Scope {
        Scope { label: "all units".into(), covered: None }
    }

    /// The scope of each of `n` events sent under it (as `Store::ingest` takes them), one shared value.
    pub fn repeated(self: &Arc<Scope>, n: usize) -> Vec<Arc<Scope>> {
        std::iter::repeat_n(self.clone(), n).collect()
    }

    pub fn covers(&self, unit: &str) -> bool {
        self.covered.as_ref().is_none_or(|c| c.contains(unit))
    }

    pub fn label(&self) -> &str {
        &self.label
    }
}

/// Why an event for a dossier another scope holds is refused.
pub fn foreign_dossier(dossier: &str, holder: &str, scope: &Scope) -> String {
    format!(
        "dossier {dossier:?} belongs to unit {holder:?}, outside this token's scope ({}): an event may only change the \
         figures of units its token covers; nothing of this event was stored",
        scope.label()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Unit, UnitKind};

    fn tree() -> UnitTree {
        let u = |code: &str, kind, parent: Option<&str>| Unit { code: code.into(), name: code.into(), kind, parent: parent.map(String::from) };
        UnitTree::new(vec![
            u("VN", UnitKind::Nation, None),
            u("01", UnitKind::Province, Some("VN")),
            u("01-STP", UnitKind::Department, Some("01")),
            u("31", UnitKind::Province, Some("VN")),
            u("31-STP", UnitKind::Department, Some("31")),
            u("31-SXD", UnitKind::Department, Some("31")),
        ])
    }

    #[test]
    fn a_scope_covers_its_units_and_what_lies_under_them() {
        let t = tree();
        let province = Scope::of(&["31".into()], &t);
        assert!(province.covers("31") && province.covers("31-STP") && province.covers("31-SXD"));
        assert!(!province.covers("01-STP") && !province.covers("VN"));
        let department = Scope::of(&["31-STP".into()], &t);
        assert!(department.covers("31-STP") && !department.covers("31-SXD") && !department.covers("31"));
        assert!(Scope::of(&["VN".into()], &t).covers("01-STP"));
        assert!(Scope::everything().covers("anything"));
        assert!(!Scope::of(&["unknown".into()], &t).covers("unknown"), "a scope names registered units only");
    }

    #[test]
    fn the_reason_names_the_dossier_its_unit_and_the_scope() {
        let why = foreign_dossier("H31.05-1", "31-STP", &Scope::of(&["01".into()], &tree()));
        assert!(why.contains("\"H31.05-1\"") && why.contains("\"31-STP\"") && why.contains("scope (01)"), "{why}");
    }
}
