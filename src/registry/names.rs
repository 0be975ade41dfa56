//! How the demo's generated registry names things: a department after its province ("Sở Tư pháp tỉnh
//! Nghệ An", "Sở Tư pháp thành phố Hải Phòng"), and tone marks placed as the official list of 2025 units
//! places them.

/// The word the official names put before a province: a centrally-run city (thành phố trực thuộc trung
/// ương) is a "thành phố", the others a "tỉnh". The shipped list names those cities "Thành phố …".
pub fn province_word(province_name: &str) -> &'static str {
    if province_name.starts_with("Thành phố ") {
        "thành phố"
    } else {
        "tỉnh"
    }
}

/// `Sở Tư pháp` of `Thành phố Hải Phòng` → `Sở Tư pháp thành phố Hải Phòng`.
pub fn department(name: &str, province_name: &str) -> String {
    let place = province_name.trim_start_matches("Thành phố ");
    format!("{name} {} {place}", province_word(province_name))
}

/// Rows of a lower-case vowel with its tones: none, huyền, hỏi, ngã, sắc, nặng.
const ROWS: [&str; 5] = ["aàảãáạ", "eèẻẽéẹ", "oòỏõóọ", "uùủũúụ", "yỳỷỹýỵ"];

/// The tone (0 = none) of a vowel in `ROWS`, and its row.
fn tone_of(c: char) -> Option<(usize, usize)> {
    ROWS.iter().enumerate().find_map(|(r, row)| row.chars().position(|x| x == c).map(|t| (r, t)))
}

fn with_tone(c: char, tone: usize) -> char {
    let lower = c.to_lowercase().next().unwrap_or(c);
    let toned = tone_of(lower).and_then(|(r, _)| ROWS[r].chars().nth(tone)).unwrap_or(c);
    if lower == c {
        toned
    } else {
        toned.to_uppercase().next().unwrap_or(toned)
    }
}

/// Tone marks as the official list mostly places them (171 names against 22, counted in
/// vn-admin-units-2025.csv): on the first vowel of a word-final "oa", "oe" or "uy" ("Hòa", "Thủy",
/// "Văn hóa"), not the second ("Hoà", "Thuỷ"). "quý" keeps its mark: its "u" belongs to "qu".
pub fn official_tone_marks(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = chars.clone();
    for i in 1..chars.len() {
        let word_ends = chars.get(i + 1).is_none_or(|c| !c.is_alphabetic());
        if !word_ends {
            continue;
        }
        let first = chars[i - 1].to_lowercase().next().unwrap_or(chars[i - 1]);
        let last = chars[i].to_lowercase().next().unwrap_or(chars[i]);
        let Some((row, tone)) = tone_of(last).filter(|(_, t)| *t > 0) else { continue };
        let pair = match (first, ROWS[row].chars().next()) {
            ('o', Some('a' | 'e')) => true,
            ('u', Some('y')) => i < 2 || !matches!(chars[i - 2], 'q' | 'Q'),
            _ => false,
        };
        // Only a bare first vowel: "oà" of "hoàng" never ends a word, and "ưa" is not this pair.
        if pair && (i < 2 || !chars[i - 2].is_alphabetic() || tone_of(chars[i - 2].to_lowercase().next().unwrap_or(' ')).is_none()) {
            out[i - 1] = with_tone(chars[i - 1], tone);
            out[i] = with_tone(chars[i], 0);
        }
    }
    out.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn departments_of_cities_and_provinces() {
        assert_eq!(department("Sở Tư pháp", "Thành phố Hải Phòng"), "Sở Tư pháp thành phố Hải Phòng");
        assert_eq!(department("Công an", "Thành phố Hồ Chí Minh"), "Công an thành phố Hồ Chí Minh");
        assert_eq!(department("Thanh tra", "Nghệ An"), "Thanh tra tỉnh Nghệ An");
    }

    #[test]
    fn tone_marks_on_the_first_vowel_of_a_final_pair() {
        for (given, official) in [
            ("Xã Hoà An", "Xã Hòa An"),
            ("Xã Sơn Thuỷ", "Xã Sơn Thủy"),
            ("Sở Văn hoá, Thể thao", "Sở Văn hóa, Thể thao"),
            ("Xã Chiêm Hoá", "Xã Chiêm Hóa"),
            ("HOÀ", "HÒA"),
            ("Phường Khoẻ", "Phường Khỏe"),
        ] {
            assert_eq!(official_tone_marks(given), official, "{given}");
        }
        for unchanged in ["Xã Hòa An", "Phường Hoàng Mai", "Xã Vinh Quý", "Xã Quỳ Hợp", "Ủy ban", "Xã Đoài Dương", "Xã Khuya", "Thanh Hóa"] {
            assert_eq!(official_tone_marks(unchanged), unchanged);
        }
    }
}
