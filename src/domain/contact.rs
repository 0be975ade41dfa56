//! Who heads a unit: the person alerts about the unit go to.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Contact {
    pub unit: String,
    pub name: String,
    pub email: Option<String>,
    /// A generic JSON webhook (a chat bridge, for instance).
    pub webhook: Option<String>,
}

/// A plain check that catches typos, not a full RFC 5322 parser: one `@`, no spaces, a dot in the domain.
pub fn check_email(email: &str) -> Result<(), String> {
    let ok = match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.') && !domain.contains('@')
        }
        None => false,
    };
    if ok && !email.chars().any(char::is_whitespace) {
        Ok(())
    } else {
        Err(format!("{email:?} is not an email address"))
    }
}

pub fn check_webhook(url: &str) -> Result<(), String> {
    if (url.starts_with("http://") || url.starts_with("https://")) && !url.chars().any(char::is_whitespace) && url.len() > 8 {
        Ok(())
    } else {
        Err(format!("{url:?} is not an http(s) URL"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert!(check_email("giamdoc.stp@haiphong.gov.vn").is_ok());
        for bad in ["", "x", "a@b", "a @b.vn", "@b.vn", "a@.vn", "a@b.vn."] {
            assert!(check_email(bad).is_err(), "{bad}");
        }
        assert!(check_webhook("https://chat.example.vn/hook/1").is_ok());
        assert!(check_webhook("ftp://x").is_err());
    }
}
