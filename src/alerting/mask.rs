//! Heads' addresses as pages and the read API show them: enough to tell which channel was used, never
//! the whole address. An e-mail keeps its first letter and its domain (`n***@example.gov.vn`); a URL
//! (a webhook, which often carries its secret in the path or query) keeps only its scheme and host
//! (`https://chat.example.vn`). The registry and the store keep the full addresses for delivery.

/// `nguyen.van.a@example.gov.vn` → `n***@example.gov.vn`.
pub fn email(address: &str) -> String {
    text(address)
}

/// `https://user:pw@hooks.example.vn:8443/x/SECRET?k=v` → `https://hooks.example.vn:8443`.
pub fn url(address: &str) -> String {
    text(address)
}

/// Every URL and e-mail address inside `s` (a recipient such as `Name <address>`, or a delivery error
/// that quotes one) masked; the rest unchanged.
pub fn text(s: &str) -> String {
    mask_emails(&mask_urls(s))
}

fn is_scheme_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')
}

/// Where a URL ends in running text: at white space, quotes, angle brackets or closing brackets.
fn ends_url(c: char) -> bool {
    c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"' | '\'' | '`' | ')' | ']' | '}' | ',' | ';')
}

fn mask_urls(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(sep) = rest.find("://") {
        // The scheme: the letters right before `://`.
        let scheme_start = rest[..sep].char_indices().rev().take_while(|&(_, c)| is_scheme_char(c)).last().map_or(sep, |(i, _)| i);
        let after = &rest[sep + 3..];
        let end = after.find(ends_url).unwrap_or(after.len());
        let authority_end = after[..end].find(['/', '?', '#']).unwrap_or(end);
        let authority = &after[..authority_end];
        // user:password@host → host
        let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        out.push_str(&rest[..scheme_start]);
        if scheme_start < sep {
            out.push_str(&rest[scheme_start..sep]);
            out.push_str("://");
            out.push_str(host);
        } else {
            // `://` without a scheme: not a URL, but still no path or secret after it.
            out.push_str("://");
            out.push_str(host);
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

fn is_local_char(c: char) -> bool {
    c.is_alphanumeric() || "._%+-!#$&*/=?^{|}~".contains(c)
}

fn is_domain_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '-')
}

fn mask_emails(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut copied = 0;
    let mut search = 0;
    while let Some(at) = s[search..].find('@').map(|i| search + i) {
        let local_start = s[copied..at].char_indices().rev().take_while(|&(_, c)| is_local_char(c)).last().map_or(at, |(i, _)| copied + i);
        let domain_end = s[at + 1..].find(|c: char| !is_domain_char(c)).map_or(s.len(), |i| at + 1 + i);
        if local_start < at {
            let first = s[local_start..].chars().next().expect("non-empty local part");
            out.push_str(&s[copied..local_start]);
            out.push(first);
            out.push_str("***");
            copied = at;
        }
        search = domain_end.max(at + 1);
    }
    out.push_str(&s[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_keep_their_first_letter_and_domain() {
        assert_eq!(email("nguyen.van.a@example.gov.vn"), "n***@example.gov.vn");
        assert_eq!(email("a@b.vn"), "a***@b.vn");
        assert_eq!(text("Giám đốc Sở Y tế <giamdoc.syt@haiphong.gov.vn>"), "Giám đốc Sở Y tế <g***@haiphong.gov.vn>");
        assert_eq!(text("đặng@ví-dụ.vn, x.y+z@a.vn"), "đ***@ví-dụ.vn, x***@a.vn");
        assert_eq!(text("no address @ all"), "no address @ all");
    }

    #[test]
    fn urls_keep_only_scheme_and_host() {
        assert_eq!(url("https://hooks.example.vn/services/T0/B0/SECRET?token=abc#x"), "https://hooks.example.vn");
        assert_eq!(url("http://user:pw@127.0.0.1:8443/hook"), "http://127.0.0.1:8443");
        assert_eq!(url("https://chat.example.vn"), "https://chat.example.vn");
        assert_eq!(
            text("Chủ tịch <https://h.vn/a?k=SECRET>"),
            "Chủ tịch <https://h.vn>"
        );
        assert_eq!(
            text("error sending request for url (https://h.vn/hook/SECRET): connection refused"),
            "error sending request for url (https://h.vn): connection refused"
        );
        assert_eq!(text("https://h.vn/x answered 500 Internal Server Error"), "https://h.vn answered 500 Internal Server Error");
    }

    #[test]
    fn nothing_secret_survives_in_mixed_text() {
        let masked = text("smtp://mailer:pa55@relay.vn:25/ refused giamdoc@tinh.gov.vn; retry https://x.vn/k/SECRET");
        for secret in ["pa55", "mailer", "giamdoc@", "SECRET", "/k/"] {
            assert!(!masked.contains(secret), "{secret} in {masked}");
        }
        assert!(masked.contains("relay.vn:25") && masked.contains("g***@tinh.gov.vn") && masked.contains("https://x.vn"));
    }
}
