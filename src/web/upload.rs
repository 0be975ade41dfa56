//! Reading a request body, only once its sender is known: at most `limit` bytes, within `timeout`.
//!
//! Handlers that accept bodies take the raw [`Body`] (never `Bytes` or `Json` extractors, which read
//! before the handler runs), check the caller's credential, and only then call [`read`]. A refused
//! caller's body is never read: the connection is closed after the answer.
//!
//! A sender may post its body in gzip or zstd (`Content-Encoding`): a batch of 5,000 events travels in a
//! tenth of its bytes. The limit holds on both sides: what arrives, and what it decodes to, so that a
//! small body cannot unfold into more than `limit` bytes of memory.

use super::error::AppError;
use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap};
use futures_util::StreamExt;
use std::time::Duration;

/// The whole body, decoded, or `413` when it is (or says it will be) larger than `limit`, or decodes to
/// more, `408` when it has not arrived within `timeout`, `400` when the client broke off or the body is
/// not in the encoding it names, `415` for an encoding other than gzip and zstd.
pub async fn read(headers: &HeaderMap, body: Body, limit: usize, timeout: Duration) -> Result<Bytes, AppError> {
    let coding = Coding::of(headers)?;
    let raw = read_raw(headers, body, limit, timeout).await?;
    let Some(coding) = coding.filter(|_| !raw.is_empty()) else { return Ok(raw) };
    // Decoding is CPU work the async workers must not do (up to `limit` bytes).
    tokio::task::spawn_blocking(move || coding.decode(&raw, limit))
        .await
        .map_err(|e| AppError::Internal(format!("decoding task failed: {e}")))?
}

/// The encodings a sender may post its body in, besides the body as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Coding {
    Gzip,
    Zstd,
}

impl Coding {
    /// From `Content-Encoding`; None (the body as it is) when absent, empty or `identity`.
    fn of(headers: &HeaderMap) -> Result<Option<Coding>, AppError> {
        let Some(value) = headers.get(header::CONTENT_ENCODING) else { return Ok(None) };
        let value = value.to_str().unwrap_or("(not text)").trim().to_ascii_lowercase();
        match value.as_str() {
            "" | "identity" => Ok(None),
            "gzip" | "x-gzip" => Ok(Some(Coding::Gzip)),
            "zstd" => Ok(Some(Coding::Zstd)),
            _ => Err(AppError::UnsupportedEncoding(format!(
                "Content-Encoding {:?} is not accepted: send the body as it is, in gzip or in zstd",
                value.chars().take(40).collect::<String>()
            ))),
        }
    }

    /// `raw` decoded, at most `limit` bytes of it.
    fn decode(self, raw: &[u8], limit: usize) -> Result<Bytes, AppError> {
        use std::io::Read;
        let (name, reader): (&str, Box<dyn Read>) = match self {
            // Several gzip members one after the other are one body (RFC 1952).
            Coding::Gzip => ("gzip", Box::new(flate2::read::MultiGzDecoder::new(raw))),
            Coding::Zstd => {
                let mut decoder = zstd::stream::read::Decoder::with_buffer(raw).map_err(|e| AppError::Internal(format!("zstd decoder: {e}")))?;
                // A frame may ask for a window of up to 2 GB; 8 MB (what zstd's levels up to 19 use)
                // keeps a small body from reserving a large one.
                decoder.window_log_max(23).map_err(|e| AppError::Internal(format!("zstd decoder: {e}")))?;
                ("zstd", Box::new(decoder))
            }
        };
        let mut out = Vec::with_capacity((raw.len() * 4).min(limit));
        reader
            .take(limit as u64 + 1)
            .read_to_end(&mut out)
            .map_err(|e| AppError::BadRequest(format!("the body is not valid {name} (Content-Encoding: {name}): {e}")))?;
        if out.len() > limit {
            return Err(AppError::TooLarge(format!("the body decodes to more than {limit} bytes (--max-body-bytes)")));
        }
        Ok(Bytes::from(out))
    }
}

/// The body as it arrives, at most `limit` bytes, within `timeout`.
async fn read_raw(headers: &HeaderMap, body: Body, limit: usize, timeout: Duration) -> Result<Bytes, AppError> {
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
