//! Reading a request body, only once its sender is known: at most `limit` bytes, within `timeout`.
//!
//! Handlers that accept bodies take the raw [`Body`] (never `Bytes` or `Json` extractors, which read
//! before the handler runs), check the caller's credential, and only then call [`read`]. A refused
//! caller's body is never read: the connection is closed after the answer.

use super::error::AppError;
use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap};
use futures_util::StreamExt;
use std::time::Duration;

/// The whole body, or `413` when it is (or says it will be) larger than `limit`, `408` when it has not
/// arrived within `timeout`, `400` when the client broke off.
pub async fn read(headers: &HeaderMap, body: Body, limit: usize, timeout: Duration) -> Result<Bytes, AppError> {
    let too_large = || AppError::TooLarge(format!("the body is larger than {limit} bytes (--max-body-bytes)"));
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let read = async {
        // Grows with what arrives, never ahead of it: a declared length is only an upper bound.
        let mut out = Vec::with_capacity(declared.map_or(0, |n| n as usize).min(64 * 1024));
        let mut stream = body.into_data_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| AppError::BadRequest(format!("cannot read the body: {e}")))?;
            if out.len() + chunk.len() > limit {
                return Err(too_large());
            }
            out.extend_from_slice(&chunk);
        }
        Ok(Bytes::from(out))
    };
    match tokio::time::timeout(timeout, read).await {
        Ok(result) => result,
        Err(_) => Err(AppError::Timeout(format!("the body did not arrive within {} s (--body-timeout-seconds)", timeout.as_secs_f64()))),
    }
}
