//! Reports: what the API, the pages and (later) metrics and alerts read. Each fetches figures from the
//! store and leaves every judgement to the domain's kpi, league and target rules.

pub mod aggregate;
pub mod chase;
pub mod closing;
pub mod digest;
pub mod figures;
pub mod history;
pub mod index;
pub mod league;
pub mod outlook;
pub mod peers;
pub mod scorecard;
pub mod shortfall;
pub mod snapshot;
pub mod unit;
pub mod vietnamese;

