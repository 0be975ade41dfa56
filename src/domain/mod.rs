//! The domain: pure types and rules, no I/O and no clock reads.

pub mod chase;
pub mod contact;
pub mod dossier;
pub mod event;
pub mod index_facts;
pub mod index_scheme;
pub mod indicator;
pub mod kpi;
pub mod league;
pub mod month;
pub mod period;
pub mod procedure;
pub mod scope;
pub mod sender;
pub mod target;
pub mod unit;

pub use chase::{DossierSort, FailedStep, MonthRange, Selection};
pub use contact::Contact;
pub use dossier::{DossierFacts, DossierRecord, RollupDelta, RollupKey, Shortfall};
pub use event::{Catalog, Channel, Event, EventKey, Payment};
pub use indicator::{Figures, Indicator};
pub use month::{Month, Progress};
pub use period::{Period, PeriodKind};
pub use procedure::{Level, Procedure, ProcedureTerms, Terms};
pub use scope::Scope;
pub use sender::{HeldStep, HeldSteps, SenderCode, SenderCodes, UnmappedCode};
pub use target::{Ratio, Target, TargetScope, Targets};
pub use unit::{Unit, UnitKind, UnitTree};
