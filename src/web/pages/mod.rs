//! Server-rendered pages (maud): handlers fetch, views only render.

pub mod alerts;
pub mod chart;
pub mod choose;
pub mod dossiers;
pub mod index;
pub mod layout;
pub mod league;
pub mod period;
pub mod report;
pub mod runbook;
pub mod scorecard;
pub mod senders;
pub mod unit;

use crate::domain::kpi::Status;

/// CSS class of a status; the text label always stands beside the colour.
pub fn status_class(s: Status) -> &'static str {
    match s {
        Status::Met | Status::OnTrack => "ok",
        Status::AtRisk => "warn",
        Status::Behind | Status::Unreachable => "bad",
        Status::InsufficientData | Status::NoTarget => "none",
    }
}
