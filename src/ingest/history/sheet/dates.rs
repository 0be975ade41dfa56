//! Which cells are dates, and their time: an .xlsx keeps a date as a number (days since 1900, or 1904)
//! that only its cell style's number format marks as a date.

use chrono::{Duration, NaiveDate};

/// Built-in number formats that show a date or a time (ECMA-376 part 1, 18.8.30, and the ids Excel's
/// East Asian locales add for dates).
fn built_in_date(id: u32) -> bool {
    matches!(id, 14..=22 | 27..=36 | 45..=47 | 50..=58)
}

/// A custom format code shows a date or time when it has a day, month, year, hour or second outside
/// quoted text, `[...]` sections (colours, locales, elapsed time) and escaped characters.
pub fn code_is_date(code: &str) -> bool {
    let mut chars = code.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                for q in chars.by_ref() {
                    if q == '"' {
                        break;
                    }
                }
            }
            '[' => {
                for q in chars.by_ref() {
                    if q == ']' {
                        break;
                    }
                }
            }
            // The next character is shown as it is (`\-`), or is a width (`_)`) or a fill (`*-`).
            '\\' | '_' | '*' => {
                chars.next();
            }
            'd' | 'D' | 'm' | 'M' | 'y' | 'Y' | 'h' | 'H' | 's' | 'S' => return true,
            _ => {}
        }
    }
    false
}

/// Whether a number format, by id, is a date: a built-in one, or a custom one (`customs`: id and code).
pub fn format_is_date(id: u32, customs: &[(u32, String)]) -> bool {
    match customs.iter().find(|(i, _)| *i == id) {
        Some((_, code)) => code_is_date(code),
        None => built_in_date(id),
    }
}

/// An Excel serial date as `YYYY-MM-DDTHH:MM:SS` (the sheet's local time, no offset), to the nearest
/// second; None outside years 1900 to 9999.
pub fn serial_to_text(serial: f64, date1904: bool) -> Option<String> {
    if !serial.is_finite() || !(0.0..2_958_466.0).contains(&serial) {
        return None;
    }
    // The 1900 system counts a 29 February 1900 that never was (Lotus' leap-year bug): from serial 61
    // on, day 0 is 30 December 1899; before it, 31 December.
    let epoch = match (date1904, serial < 61.0) {
        (true, _) => NaiveDate::from_ymd_opt(1904, 1, 1)?,
        (false, false) => NaiveDate::from_ymd_opt(1899, 12, 30)?,
        (false, true) => NaiveDate::from_ymd_opt(1899, 12, 31)?,
    };
    let seconds = (serial * 86_400.0).round() as i64;
    let at = epoch.and_hms_opt(0, 0, 0)?.checked_add_signed(Duration::seconds(seconds))?;
    Some(at.format("%Y-%m-%dT%H:%M:%S").to_string())
}

/// How a workbook shows its numbers: which cell styles are dates, and its date system.
#[derive(Debug, Default)]
pub struct Formats {
    /// For each cell style (a cell's `s`, an index into `cellXfs`), whether it shows a date.
    pub date_styles: Vec<bool>,
    /// Serial dates count from 1904 (`workbookPr date1904`), not 1900.
    pub date1904: bool,
}

impl Formats {
    /// A number cell's text: `YYYY-MM-DDTHH:MM:SS` when its style shows a date, else the number (whole
    /// numbers without a decimal point).
    pub fn number(&self, written: &str, style: usize) -> Result<String, String> {
        let n: f64 = written.trim().parse().map_err(|_| "a number cell does not hold a number".to_string())?;
        if self.date_styles.get(style).copied().unwrap_or(false) {
            if let Some(text) = serial_to_text(n, self.date1904) {
                return Ok(text);
            }
        }
        Ok(if n.fract() == 0.0 && n.abs() < 1e15 { format!("{}", n as i64) } else { n.to_string() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_formats_by_id_and_by_code() {
        assert!(format_is_date(14, &[]) && format_is_date(22, &[]) && format_is_date(47, &[]));
        assert!(!format_is_date(0, &[]) && !format_is_date(2, &[]) && !format_is_date(49, &[]));
        for code in ["dd/mm/yyyy hh:mm", "yyyy-mm-dd", "[$-409]d-mmm-yy", "h:mm:ss", "[h]:mm:ss", "DD/MM/YYYY"] {
            assert!(code_is_date(code), "{code}");
        }
        for code in ["General", "0.00", "#,##0", "\"ngày\" 0", "[Red]0.0", "0\\d", "@", "0.00E+00", "_-* #,##0_-"] {
            assert!(!code_is_date(code), "{code}");
        }
        let customs = [(164, "dd/mm/yyyy".to_string()), (165, "0.000".to_string())];
        assert!(format_is_date(164, &customs));
        assert!(!format_is_date(165, &customs));
    }

    #[test]
    fn serials_in_both_date_systems() {
        assert_eq!(serial_to_text(45719.0 + 8.0 / 24.0, false).as_deref(), Some("2025-03-03T08:00:00"));
        assert_eq!(serial_to_text(45719.0 + 86_399.0 / 86_400.0, false).as_deref(), Some("2025-03-03T23:59:59"));
        assert_eq!(serial_to_text(1.0, false).as_deref(), Some("1900-01-01T00:00:00"));
        assert_eq!(serial_to_text(61.0, false).as_deref(), Some("1900-03-01T00:00:00"));
        assert_eq!(serial_to_text(44257.5, true).as_deref(), Some("2025-03-03T12:00:00"));
        assert_eq!(serial_to_text(-1.0, false), None);
        assert_eq!(serial_to_text(f64::NAN, false), None);
    }

    #[test]
    fn numbers_by_their_style() {
        let formats = Formats { date_styles: vec![false, true], date1904: false };
        assert_eq!(formats.number("45719.25", 1).unwrap(), "2025-03-03T06:00:00");
        assert_eq!(formats.number("45719.25", 0).unwrap(), "45719.25");
        assert_eq!(formats.number("912345678", 0).unwrap(), "912345678");
        assert_eq!(formats.number("1E3", 7).unwrap(), "1000");
        assert!(formats.number("twelve", 0).is_err());
    }
}
