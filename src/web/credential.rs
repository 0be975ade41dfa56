//! Credentials presented over HTTP (the viewer secret, Alertmanager's token), compared in constant time.

use axum::http::{header, HeaderMap};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// True when `presented` is `expected`. Both are hashed first, so the comparison runs over 32 bytes
/// whatever their lengths, and `ct_eq` does not stop at the first difference: the time taken tells
/// nothing about the secret, not even its length.
pub fn matches(presented: &str, expected: &str) -> bool {
    let (a, b) = (Sha256::digest(presented.as_bytes()), Sha256::digest(expected.as_bytes()));
    a.as_slice().ct_eq(b.as_slice()).into()
}

/// The token of `Authorization: Bearer TOKEN`, if any.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")).map(str::trim)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_secrets_match_and_others_do_not() {
        assert!(matches("s3cret", "s3cret"));
        for other in ["s3creT", "s3cre", "s3cret ", "", "s3cret-and-more"] {
            assert!(!matches(other, "s3cret"), "{other:?}");
        }
    }

    #[test]
    fn bearer_token_is_read_from_the_header() {
        let mut h = HeaderMap::new();
        assert_eq!(bearer(&h), None);
        h.insert(header::AUTHORIZATION, "Bearer  abc ".parse().unwrap());
        assert_eq!(bearer(&h), Some("abc"));
        h.insert(header::AUTHORIZATION, "Basic abc".parse().unwrap());
        assert_eq!(bearer(&h), None);
    }
}
