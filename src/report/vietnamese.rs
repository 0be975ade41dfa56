//! Vietnamese text for people: search that ignores diacritics ("hong bang" finds "Phường Hồng Bàng"),
//! and a sort key in the order of the Vietnamese alphabet (a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t
//! u ư v x y), tone marks breaking ties (none, huyền, hỏi, ngã, sắc, nặng), then letter case.
//!
//! Byte order (what `str::cmp` gives) puts "Đ" after "Z" and "Â" far from "A"; this key does not.
//! Both precomposed (NFC) and decomposed (NFD) input give the same results.

use std::sync::{Arc, LazyLock, Mutex};

/// Vowels with their five tone marks, in tone order: none, huyền, hỏi, ngã, sắc, nặng.
const TONED: [&str; 12] = [
    "aàảãáạ", "ăằẳẵắặ", "âầẩẫấậ", "eèẻẽéẹ", "êềểễếệ", "iìỉĩíị", "oòỏõóọ", "ôồổỗốộ", "ơờởỡớợ", "uùủũúụ",
    "ưừửữứự", "yỳỷỹýỵ",
];

/// The Vietnamese alphabet, with the letters it does not use (f, j, w, z) where the Latin alphabet has them.
const ALPHABET: &str = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz";

/// A letter without its tone mark, the tone (0 = none … 5 = nặng), and whether it was upper case.
fn split_tone(c: char) -> (char, u8, bool) {
    if c.is_ascii() {
        // ASCII vowels are the toneless first letters of their rows.
        let lower = c.to_ascii_lowercase();
        return (lower, 0, lower != c);
    }
    let lower = c.to_lowercase().next().unwrap_or(c);
    let upper = lower != c;
    match toned().binary_search_by_key(&lower, |&(c, _, _)| c) {
        Ok(i) => (toned()[i].1, toned()[i].2, upper),
        Err(_) => (lower, 0, upper),
    }
}

/// Every letter of `TONED` with its row's first letter and its tone, by letter (for a binary search).
fn toned() -> &'static [(char, char, u8)] {
    static TABLE: std::sync::OnceLock<Vec<(char, char, u8)>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table: Vec<(char, char, u8)> = TONED
            .iter()
            .flat_map(|row| {
                let base = row.chars().next().expect("non-empty row");
                row.chars().enumerate().map(move |(tone, c)| (c, base, tone as u8))
            })
            .collect();
        table.sort_unstable();
        table
    })
}

/// A letter's place in `ALPHABET`.
fn alphabet_position(c: char) -> Option<u32> {
    static TABLE: std::sync::OnceLock<Vec<(char, u32)>> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut table: Vec<(char, u32)> = ALPHABET.chars().zip(0..).collect();
        table.sort_unstable();
        table
    });
    table.binary_search_by_key(&c, |&(c, _)| c).ok().map(|i| table[i].1)
}

/// Combining marks of decomposed text: a tone, or a vowel modifier that makes another letter.
enum Mark {
    Tone(u8),
    Modifier(char),
}

fn mark(c: char) -> Option<Mark> {
    Some(match c {
        '\u{300}' => Mark::Tone(1),
        '\u{309}' => Mark::Tone(2),
        '\u{303}' => Mark::Tone(3),
        '\u{301}' => Mark::Tone(4),
        '\u{323}' => Mark::Tone(5),
        '\u{306}' | '\u{302}' | '\u{31B}' => Mark::Modifier(c),
        _ => return None,
    })
}

/// Applies a combining breve, circumflex or horn to a base letter (a → ă, o → ơ …).
fn modify(base: char, m: char) -> char {
    match (base, m) {
        ('a', '\u{306}') => 'ă',
        ('a', '\u{302}') => 'â',
        ('e', '\u{302}') => 'ê',
        ('o', '\u{302}') => 'ô',
        ('o', '\u{31B}') => 'ơ',
        ('u', '\u{31B}') => 'ư',
        _ => base,
    }
}

/// One letter of the text: base letter (lower case, tone removed), tone, upper case.
struct Letter {
    base: char,
    tone: u8,
    upper: bool,
}

fn letters(s: &str) -> Vec<Letter> {
    let mut out: Vec<Letter> = Vec::with_capacity(s.len());
    for c in s.chars() {
        match (mark(c), out.last_mut()) {
            (Some(Mark::Tone(t)), Some(last)) => last.tone = t,
            (Some(Mark::Modifier(m)), Some(last)) => last.base = modify(last.base, m),
            (Some(_), None) => {}
            (None, _) => {
                let (base, tone, upper) = split_tone(c);
                out.push(Letter { base, tone, upper });
            }
        }
    }
    out
}

/// Lower case, without tone marks or vowel modifiers, đ as d, runs of spaces and punctuation as one
/// space: what a search matches on. "Phường Hồng Bàng" → "phuong hong bang".
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for l in letters(s) {
        let c = match l.base {
            'ă' | 'â' => 'a',
            'ê' => 'e',
            'ô' | 'ơ' => 'o',
            'ư' => 'u',
            'đ' => 'd',
            c => c,
        };
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with(' ') {
            out.push(' ');
        }
    }
    out.truncate(out.trim_end().len());
    out
}

/// True when every word of the query begins a word of the text, in any order (both already folded):
/// "hong bang" and "bang" find "phuong hong bang", "hong an" does not.
pub fn matches(text_folded: &str, query_folded: &str) -> bool {
    query_folded.split(' ').filter(|w| !w.is_empty()).all(|q| text_folded.split(' ').any(|w| w.starts_with(q)))
}

/// Primary weights: separators first, then numbers (by value), then letters in alphabet order.
const SEPARATOR: u32 = 1;
const NUMBER: u32 = 2;
const LETTER: u32 = 100;

/// A key that sorts names in Vietnamese order: base letters first, then tone marks, then case.
/// Digit runs compare as numbers ("Phường 2" before "Phường 10").
pub fn sort_key(s: &str) -> Vec<u32> {
    let letters = letters(s);
    let mut primary = Vec::with_capacity(letters.len() + 4);
    let mut tones = Vec::with_capacity(letters.len());
    let mut cases = Vec::with_capacity(letters.len());
    let mut i = 0;
    while i < letters.len() {
        let l = &letters[i];
        if l.base.is_ascii_digit() {
            let run: Vec<u32> = letters[i..].iter().take_while(|l| l.base.is_ascii_digit()).map(|l| l.base as u32 - '0' as u32).collect();
            let digits: Vec<u32> = run.iter().copied().skip_while(|d| *d == 0).collect();
            primary.push(NUMBER);
            primary.push(digits.len() as u32);
            primary.extend(digits);
            i += run.len();
            continue;
        }
        if let Some(pos) = alphabet_position(l.base) {
            primary.push(LETTER + pos);
            tones.push(l.tone as u32);
            cases.push(l.upper as u32);
        } else if l.base.is_alphabetic() {
            // Letters of other scripts: after the alphabet, by code point.
            primary.push(LETTER + ALPHABET.chars().count() as u32 + l.base as u32);
            tones.push(l.tone as u32);
            cases.push(l.upper as u32);
        } else if primary.last() != Some(&SEPARATOR) && !primary.is_empty() {
            primary.push(SEPARATOR);
        }
        i += 1;
    }
    while primary.last() == Some(&SEPARATOR) {
        primary.pop();
    }
    // 0 ends each level, so that a shorter name sorts before a longer one it begins.
    let mut key = primary;
    key.push(0);
    key.extend(tones);
    key.push(0);
    key.extend(cases);
    key
}

/// How many names `name_key` remembers before it starts over: the registry's units and some room.
const REMEMBERED: usize = 20_000;

/// `sort_key`, remembered. The names sorted are the registry's few thousand units, sorted again for
/// every page (a national page sorts 3,321 communes): making each key anew took about a tenth of the
/// time of the page. Past `REMEMBERED` names the memory starts over, so it stays bounded.
pub fn name_key(s: &str) -> Arc<[u32]> {
    static KEYS: LazyLock<Mutex<foldhash::HashMap<String, Arc<[u32]>>>> = LazyLock::new(Default::default);
    if let Some(k) = KEYS.lock().expect("not poisoned").get(s) {
        return k.clone();
    }
    let k: Arc<[u32]> = sort_key(s).into();
    let mut keys = KEYS.lock().expect("not poisoned");
    if keys.len() >= REMEMBERED {
        keys.clear();
    }
    keys.insert(s.to_string(), k.clone());
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_remembered_key_is_the_key() {
        for name in ["Phường Hồng Bàng", "Xã Đông Hưng", "Phường 10", "Phường Hồng Bàng"] {
            assert_eq!(&*name_key(name), sort_key(name).as_slice());
        }
    }

    fn sorted(names: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        v.sort_by_cached_key(|s| sort_key(s));
        v
    }

    #[test]
    fn folds_diacritics_case_and_d() {
        assert_eq!(fold("Phường Hồng Bàng"), "phuong hong bang");
        assert_eq!(fold("Đặc khu Bạch Long Vĩ"), "dac khu bach long vi");
        assert_eq!(fold("  Sở Tư pháp, Hải Phòng "), "so tu phap hai phong");
        // Decomposed input: o + horn + dot below, a + grave.
        assert_eq!(fold("Phu\u{31B}o\u{31B}\u{300}ng"), "phuong");
        assert_eq!(fold("Ho\u{302}\u{300}ng Ba\u{300}ng"), "hong bang");
    }

    #[test]
    fn search_ignores_diacritics_and_word_order() {
        let name = fold("Phường Hồng Bàng");
        assert!(matches(&name, &fold("hong bang")));
        assert!(matches(&name, &fold("HỒNG")));
        assert!(matches(&name, &fold("bang hong")));
        assert!(!matches(&name, &fold("hong an")));
        assert!(matches(&fold("Đồ Sơn"), &fold("do son")));
        assert!(matches(&name, &fold("ph ho ba")));
        assert!(!matches(&name, &fold("ong")));
        assert!(matches(&name, ""));
    }

    #[test]
    fn vietnamese_alphabet_order() {
        // Byte order would put Đ after every other letter and Ư after Z.
        assert_eq!(
            sorted(&["Đồ Sơn", "Dương Kinh", "Ân Thi", "An Lão", "Ăn Ý", "Bạch Long Vĩ", "Ưng Hòa", "Uông Bí", "Yên Bái", "Vĩnh Bảo"]),
            ["An Lão", "Ăn Ý", "Ân Thi", "Bạch Long Vĩ", "Dương Kinh", "Đồ Sơn", "Uông Bí", "Ưng Hòa", "Vĩnh Bảo", "Yên Bái"]
        );
        assert_eq!(sorted(&["Ô Môn", "Ơ", "Ong", "Ông"]), ["Ong", "Ô Môn", "Ông", "Ơ"]);
        assert_eq!(sorted(&["Ê", "E", "G", "Đ", "D"]), ["D", "Đ", "E", "Ê", "G"]);
    }

    #[test]
    fn tones_break_ties_in_their_order() {
        // ngang, huyền, hỏi, ngã, sắc, nặng.
        assert_eq!(sorted(&["má", "mạ", "mà", "mả", "ma", "mã"]), ["ma", "mà", "mả", "mã", "má", "mạ"]);
        // Base letters come first: "bà" < "bac" although the tone of "bà" is heavier.
        assert_eq!(sorted(&["bạc", "bà"]), ["bà", "bạc"]);
        // The same name precomposed and decomposed sorts equal.
        assert_eq!(sort_key("Hồng Bàng"), sort_key("Ho\u{302}\u{300}ng Ba\u{300}ng"));
    }

    #[test]
    fn words_and_numbers() {
        assert_eq!(sorted(&["Hồng Bàng", "Hồng An", "Hồng"]), ["Hồng", "Hồng An", "Hồng Bàng"]);
        assert_eq!(sorted(&["An Phú", "Ang"]), ["An Phú", "Ang"]);
        assert_eq!(sorted(&["Phường 10", "Phường 2", "Phường 1"]), ["Phường 1", "Phường 2", "Phường 10"]);
        assert_eq!(sorted(&["sở", "Sở"]), ["sở", "Sở"]);
    }
}
