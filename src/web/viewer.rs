//! The optional viewer credential in front of pages, read API and exports.

use super::AppState;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub async fn require(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(expected) = state.settings.viewer_token.as_deref() else { return next.run(request).await };
    let presented = request.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(credential);
    if presented.is_some_and(|p| super::credential::matches(&p, expected)) {
        return next.run(request).await;
    }
    let mut r = (StatusCode::UNAUTHORIZED, "đăng nhập để xem / sign in to view").into_response();
    r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"dvc-monitor\", charset=\"UTF-8\""));
    r
}

/// The secret of `Bearer SECRET`, or the password of `Basic base64(user:SECRET)`.
fn credential(value: &str) -> Option<String> {
    if let Some(token) = value.strip_prefix("Bearer ") {
        return Some(token.trim().to_string());
    }
    let encoded = value.strip_prefix("Basic ")?.trim();
    use base64::Engine;
    let decoded = String::from_utf8(base64::engine::general_purpose::STANDARD.decode(encoded).ok()?).ok()?;
    decoded.split_once(':').map(|(_, password)| password.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials() {
        assert_eq!(credential("Bearer abc").as_deref(), Some("abc"));
        // "leader:s3cret"
        assert_eq!(credential("Basic bGVhZGVyOnMzY3JldA==").as_deref(), Some("s3cret"));
        assert_eq!(credential("Basic !!!"), None);
    }
}
