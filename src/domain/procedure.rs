//! Administrative procedures (thủ tục hành chính) and their online service level.

use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// How far a procedure is offered online; only `full` procedures count as eligible in the rates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Dịch vụ công trực tuyến toàn trình.
    Full,
    /// Dịch vụ công trực tuyến một phần.
    Partial,
    /// Information only.
    Info,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Full => "full",
            Level::Partial => "partial",
            Level::Info => "info",
        }
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            Level::Full => "Toàn trình",
            Level::Partial => "Một phần",
            Level::Info => "Cung cấp thông tin",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Level {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "full" => Ok(Level::Full),
            "partial" => Ok(Level::Partial),
            "info" => Ok(Level::Info),
            _ => Err(format!("unknown level {s:?} (expected full, partial or info)")),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Procedure {
    pub code: String,
    pub name: String,
    pub level: Level,
    /// The procedure's result is a paper (a licence, a certificate…): the national index then expects
    /// it issued electronically too (the `electronic_result` indicator, and `online_submission`).
    pub paper_result: bool,
}

impl Procedure {
    pub fn terms(&self) -> Terms {
        Terms { level: self.level, paper_result: self.paper_result }
    }
}

/// What the rollups read of a procedure: its level and whether its result is a paper.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Terms {
    pub level: Level,
    pub paper_result: bool,
}

/// Procedure code → terms, the only part of the catalogue the rollups depend on.
pub type ProcedureTerms = std::collections::HashMap<String, Terms>;
