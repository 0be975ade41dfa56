//! The registry: units, procedures and targets, loaded together for validation and reports.

pub mod import;

use crate::domain::{Catalog, Targets, UnitTree};
use crate::store::{Levels, Store};

pub struct Registry {
    pub units: UnitTree,
    pub levels: Levels,
    pub procedure_names: std::collections::HashMap<String, String>,
    pub targets: Targets,
}

impl Registry {
    /// The registry as the store has it now; a caching store keeps the built registry between calls.
    pub async fn load(store: &dyn Store) -> crate::store::Result<std::sync::Arc<Registry>> {
        store.registry().await
    }

    /// Builds the registry from the store's units, procedures and targets.
    pub async fn build(store: &dyn Store) -> crate::store::Result<Registry> {
        let units = UnitTree::new(store.units().await?);
        let procedures = store.procedures().await?;
        let targets = Targets::new(store.targets().await?);
        Ok(Registry {
            units,
            levels: procedures.iter().map(|p| (p.code.clone(), p.level)).collect(),
            procedure_names: procedures.into_iter().map(|p| (p.code, p.name)).collect(),
            targets,
        })
    }
}

impl Catalog for Registry {
    fn has_unit(&self, code: &str) -> bool {
        self.units.contains(code)
    }
    fn has_procedure(&self, code: &str) -> bool {
        self.levels.contains_key(code)
    }
}
