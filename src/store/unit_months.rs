//! How the rollups are laid out in SQL: one `unit_months` row per (month, unit) holding a numerator and a
//! denominator column for every stored indicator (`completion_n`, `completion_d`, …). A dossier counts in
//! up to ten indicators; a row per (month, indicator, unit) made a batch write ten rows in ten slices of
//! the table where it now writes one (migration 0011). Readers take one indicator's pair of columns.

use crate::domain::{Figures, Indicator, RollupDelta};
use std::sync::LazyLock;

/// Cells of a row: numerator and denominator of each of `Indicator::STORED`, in that order.
pub const CELLS: usize = 2 * Indicator::STORED.len();

/// A change to one row: month key, unit, and the change to each cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowChange<'a> {
    pub month: i64,
    pub unit: &'a str,
    pub cells: [i64; CELLS],
}

/// The numerator and denominator columns of one indicator (names from the fixed enum, never from input).
pub fn columns_of(indicator: Indicator) -> (String, String) {
    (format!("{}_n", indicator.as_str()), format!("{}_d", indicator.as_str()))
}

/// Every cell column, in `CELLS` order, comma-separated.
pub static CELL_COLUMNS: LazyLock<String> = LazyLock::new(|| {
    Indicator::STORED
        .iter()
        .map(|&i| {
            let (n, d) = columns_of(i);
            format!("{n}, {d}")
        })
        .collect::<Vec<_>>()
        .join(", ")
});

/// The `ON CONFLICT (month, unit) DO UPDATE SET` list adding each cell of the new row to the stored one.
pub static ADD_CELLS: LazyLock<String> = LazyLock::new(|| {
    Indicator::STORED
        .iter()
        .flat_map(|&i| {
            let (n, d) = columns_of(i);
            [n, d]
        })
        .map(|c| format!("{c} = unit_months.{c} + excluded.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
});

/// One change per row of a delta, in (month, unit) order: a fixed lock order for concurrent PostgreSQL
/// transactions, and the table's key order for SQLite.
pub fn row_changes(delta: &RollupDelta) -> Vec<RowChange<'_>> {
    delta
        .rows()
        .map(|(month, unit, figures)| {
            let mut cells = [0; CELLS];
            for (at, f) in figures.iter().enumerate() {
                cells[2 * at] = f.numerator;
                cells[2 * at + 1] = f.denominator;
            }
            RowChange { month: month.key() as i64, unit, cells }
        })
        .collect()
}

/// The non-zero cells of a stored row, by indicator.
pub fn figures_of(cells: &[i64; CELLS]) -> impl Iterator<Item = (Indicator, Figures)> + '_ {
    Indicator::STORED
        .iter()
        .enumerate()
        .map(|(at, &i)| (i, Figures::new(cells[2 * at], cells[2 * at + 1])))
        .filter(|(_, f)| !f.is_zero())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Month, RollupKey};

    fn key(unit: &str, month: &str, indicator: Indicator) -> RollupKey {
        RollupKey { unit: unit.into(), month: month.parse::<Month>().unwrap(), indicator }
    }

    #[test]
    fn one_change_per_month_and_unit_in_key_order() {
        let delta = RollupDelta::from_iter([
            (key("B", "2026-11", Indicator::Completion), Figures::new(1, 2)),
            (key("B", "2026-11", Indicator::OverdueOpen), Figures::new(0, -1)),
            (key("A", "2026-12", Indicator::Intake), Figures::new(3, 4)),
            (key("A", "2026-11", Indicator::OnTimeIndex), Figures::new(5, 6)),
        ]);
        let rows = row_changes(&delta);
        let keys: Vec<(i64, &str)> = rows.iter().map(|r| (r.month, r.unit)).collect();
        assert_eq!(keys, vec![(202611, "A"), (202611, "B"), (202612, "A")]);
        let b: Vec<(Indicator, Figures)> = figures_of(&rows[1].cells).collect();
        assert_eq!(b, vec![(Indicator::Completion, Figures::new(1, 2)), (Indicator::OverdueOpen, Figures::new(0, -1))]);
        assert_eq!(figures_of(&rows[0].cells).collect::<Vec<_>>(), vec![(Indicator::OnTimeIndex, Figures::new(5, 6))]);
    }

    #[test]
    fn every_column_named_once_and_added() {
        let cols: Vec<&str> = CELL_COLUMNS.split(", ").collect();
        assert_eq!(cols.len(), CELLS);
        assert_eq!(cols.iter().collect::<std::collections::BTreeSet<_>>().len(), CELLS);
        assert_eq!((cols[0], cols[CELLS - 1]), ("completion_n", "overdue_open_d"));
        assert!(ADD_CELLS.contains("on_time_index_d = unit_months.on_time_index_d + excluded.on_time_index_d"));
    }
}
