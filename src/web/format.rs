//! Vietnamese number formats for pages: 62,2 % and 12.345.

use maud::Render;

/// A rate as a percentage with one decimal and a decimal comma: 0.6224 → "62,2 %".
pub fn percent(rate: Option<f64>) -> String {
    to_string(|out| push_percent(out, rate))
}

/// A change in percentage points with its sign: 0.031 → "+3,1 đ.%".
pub fn points(change: Option<f64>) -> String {
    to_string(|out| push_points(out, change))
}

pub fn decimal(v: f64, places: usize) -> String {
    to_string(|out| push_fixed(out, v, places, ',', Some('.')))
}

/// Thousands grouped with dots: 1234567 → "1.234.567".
pub fn integer(n: i64) -> String {
    to_string(|out| push_integer(out, n))
}

fn to_string(write: impl FnOnce(&mut String)) -> String {
    let mut out = String::with_capacity(16);
    write(&mut out);
    out
}

/// `percent`, written at the end of `out`.
pub fn push_percent(out: &mut String, rate: Option<f64>) {
    match rate {
        Some(r) => {
            push_fixed(out, r * 100.0, 1, ',', Some('.'));
            out.push_str(" %");
        }
        None => out.push('—'),
    }
}

/// `points`, written at the end of `out`.
pub fn push_points(out: &mut String, change: Option<f64>) {
    match change {
        Some(c) => {
            let v = c * 100.0;
            out.push(if v > 0.0005 { '+' } else if v < -0.0005 { '−' } else { '±' });
            push_fixed(out, v.abs(), 1, ',', Some('.'));
            out.push_str(" đ.%");
        }
        None => out.push('—'),
    }
}

/// `integer`, written at the end of `out`.
pub fn push_integer(out: &mut String, n: i64) {
    if n < 0 {
        out.push('-');
    }
    push_digits(out, n.unsigned_abs(), Some('.'));
}

/// The digits of `n`, grouped by three with `separator` if one is given.
fn push_digits(out: &mut String, n: u64, separator: Option<char>) {
    let mut buf = [0u8; 20];
    let mut at = buf.len();
    let mut rest = n;
    loop {
        at -= 1;
        buf[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    let digits = &buf[at..];
    for (i, d) in digits.iter().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            if let Some(s) = separator {
                out.push(s);
            }
        }
        out.push(*d as char);
    }
}

/// `v` rounded to `places` decimals exactly as `format!("{:.places$}", v)` rounds it, with `point` as
/// the decimal mark and the integer part grouped by three with `separator` if one is given. Written
/// without allocating when `v` is not negative, not too large and not (within 1e-5) halfway between
/// two results: rounding `v · 10^places` in floating point then gives the same digits as the exact
/// decimal rounding of `format!`, whose answer is used otherwise.
pub fn push_fixed(out: &mut String, v: f64, places: usize, point: char, separator: Option<char>) {
    if !push_fixed_fast(out, v, places, point, separator) {
        push_fixed_std(out, v, places, point, separator);
    }
}

/// `push_fixed` without allocating; false (nothing written) where it cannot tell the digits.
fn push_fixed_fast(out: &mut String, v: f64, places: usize, point: char, separator: Option<char>) -> bool {
    const SCALES: [f64; 4] = [1.0, 10.0, 100.0, 1000.0];
    let Some(&scale) = SCALES.get(places) else { return false };
    let scaled = v * scale;
    if !(v.is_sign_positive() && scaled < 1e9) {
        return false;
    }
    let floor = scaled.floor();
    let frac = scaled - floor;
    if (frac - 0.5).abs() <= 1e-5 {
        return false;
    }
    let rounded = floor as u64 + u64::from(frac > 0.5);
    let unit = scale as u64;
    push_digits(out, rounded / unit, separator);
    if places > 0 {
        out.push(point);
        let mut buf = [b'0'; 3];
        let mut f = rounded % unit;
        for d in buf[..places].iter_mut().rev() {
            *d = b'0' + (f % 10) as u8;
            f /= 10;
        }
        buf[..places].iter().for_each(|d| out.push(*d as char));
    }
    true
}

/// `push_fixed` from the digits of `format!`.
fn push_fixed_std(out: &mut String, v: f64, places: usize, point: char, separator: Option<char>) {
    let s = format!("{:.*}", places, v);
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    let (sign, digits) = int.strip_prefix('-').map_or(("", int), |d| ("-", d));
    out.push_str(sign);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            if let Some(s) = separator {
                out.push(s);
            }
        }
        out.push(c);
    }
    if !frac.is_empty() {
        out.push(point);
        out.push_str(frac);
    }
}

/// `percent` as a maud splice, written straight into the page.
pub struct Percent(pub Option<f64>);

/// `points` as a maud splice.
pub struct Points(pub Option<f64>);

/// `integer` as a maud splice.
pub struct Integer(pub i64);

impl Render for Percent {
    fn render_to(&self, out: &mut String) {
        push_percent(out, self.0);
    }
}

impl Render for Points {
    fn render_to(&self, out: &mut String) {
        push_points(out, self.0);
    }
}

impl Render for Integer {
    fn render_to(&self, out: &mut String) {
        push_integer(out, self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnamese_formats() {
        assert_eq!(percent(Some(0.6224)), "62,2 %");
        assert_eq!(percent(Some(1.0)), "100,0 %");
        assert_eq!(percent(None), "—");
        assert_eq!(integer(1234567), "1.234.567");
        assert_eq!(integer(999), "999");
        assert_eq!(integer(-1000), "-1.000");
        assert_eq!(points(Some(0.031)), "+3,1 đ.%");
        assert_eq!(points(Some(-0.2)), "−20,0 đ.%");
        assert_eq!(points(Some(0.0)), "±0,0 đ.%");
        assert_eq!(decimal(12345.67, 1), "12.345,7");
    }

    /// The digits written without allocating are `format!`'s, for every n/d up to 400 dossiers as a
    /// percentage, a rate, a change and a chart coordinate, and wherever the fast path answers at all.
    #[test]
    fn fixed_matches_std_formatting() {
        let check = |v: f64, places: usize| {
            let (mut fast, mut std) = (String::new(), String::new());
            if push_fixed_fast(&mut fast, v, places, ',', Some('.')) {
                push_fixed_std(&mut std, v, places, ',', Some('.'));
                assert_eq!(fast, std, "{v} to {places} places");
            }
        };
        for d in 1..=400i64 {
            for n in 0..=d {
                let r = n as f64 / d as f64;
                for v in [r * 100.0, r, (r - 0.5) * 100.0, 2.0 + (1.0 - r) * 22.0, 2.0 + n as f64 * 92.0 / d as f64] {
                    (0..=3).for_each(|places| check(v, places));
                }
            }
        }
        for v in [0.0, -0.0, 0.05, 0.25, 2.5, 999_999.95, 1e9, 123_456_789.123, f64::NAN, f64::INFINITY, -1.5] {
            (0..=4).for_each(|places| check(v, places));
        }
        assert_eq!(decimal(-0.04, 1), "-0,0");
        assert_eq!(decimal(1234.5678, 3), "1.234,568");
        assert_eq!(integer(i64::MIN), "-9.223.372.036.854.775.808");
        let grouped = [(0, "0"), (7, "7"), (100, "100"), (1000, "1.000"), (65_432, "65.432"), (100_000, "100.000"), (999_999, "999.999"), (1_000_000, "1.000.000")];
        for (n, text) in grouped {
            assert_eq!(integer(n), text);
        }
    }
}
