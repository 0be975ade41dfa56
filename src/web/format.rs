//! Vietnamese number formats for pages: 62,2 % and 12.345.

/// A rate as a percentage with one decimal and a decimal comma: 0.6224 → "62,2 %".
pub fn percent(rate: Option<f64>) -> String {
    match rate {
        Some(r) => format!("{} %", decimal(r * 100.0, 1)),
        None => "—".into(),
    }
}

/// A change in percentage points with its sign: 0.031 → "+3,1 đ.%".
pub fn points(change: Option<f64>) -> String {
    match change {
        Some(c) => {
            let v = c * 100.0;
            let sign = if v > 0.0005 { "+" } else if v < -0.0005 { "−" } else { "±" };
            format!("{sign}{} đ.%", decimal(v.abs(), 1))
        }
        None => "—".into(),
    }
}

pub fn decimal(v: f64, places: usize) -> String {
    let s = format!("{:.*}", places, v);
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    let (sign, digits) = int.strip_prefix('-').map_or(("", int), |d| ("-", d));
    let grouped = group(digits);
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped},{frac}")
    }
}

/// Thousands grouped with dots: 1234567 → "1.234.567".
pub fn integer(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    format!("{}{}", if n < 0 { "-" } else { "" }, group(&digits))
}

fn group(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
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
}
