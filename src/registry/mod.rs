//! The registry: units, procedures and targets, loaded together for validation and reports.

pub mod import;
pub mod names;

use crate::domain::procedure::ProcedureTerms;
use crate::domain::{Catalog, Procedure, SenderCode, SenderCodes, Target, Targets, Unit, UnitTree};

pub struct Registry {
    pub units: UnitTree,
    pub terms: ProcedureTerms,
    pub procedure_names: std::collections::HashMap<String, String>,
    pub targets: Targets,
    /// Agency systems' unit codes and the registry units they stand for (`domain::sender`).
    pub sender_codes: SenderCodes,
}

impl Registry {
    /// Built for lookups from the units, procedures and targets (as `Store::registry` reads them; the
    /// registry knows nothing of the store).
    pub fn new(units: Vec<Unit>, procedures: Vec<Procedure>, targets: Vec<Target>) -> Registry {
        Registry {
            units: UnitTree::new(units),
            terms: procedures.iter().map(|p| (p.code.clone(), p.terms())).collect(),
            procedure_names: procedures.into_iter().map(|p| (p.code, p.name)).collect(),
            targets: Targets::new(targets),
            sender_codes: SenderCodes::default(),
        }
    }

    /// The same registry knowing the agency systems' unit codes.
    pub fn with_sender_codes(mut self, rows: Vec<SenderCode>) -> Registry {
        self.sender_codes = SenderCodes::new(rows);
        self
    }
}

impl Catalog for Registry {
    fn has_unit(&self, code: &str) -> bool {
        self.units.contains(code)
    }
    fn has_procedure(&self, code: &str) -> bool {
        self.terms.contains_key(code)
    }
}
