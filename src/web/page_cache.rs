//! Rendered league pages and tables (HTML and JSON), kept while the data under them is unchanged: the national page of 3,321
//! communes takes about ten milliseconds to build and render anew, and the same table is opened again and
//! again. An entry is served only while the store's `data_version` for the page's indicator and
//! months is the one it was rendered at, and for at most `ttl` (which bounds what a change made by
//! another process, or the passing of time in the current month, can leave unseen).

use axum::body::Bytes;
use axum::http::{header, HeaderMap};
use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

struct Entry {
    key: String,
    version: u64,
    at: Instant,
    page: Bytes,
}

pub struct PageCache {
    entries: Mutex<VecDeque<Entry>>,
    capacity: usize,
    ttl: Duration,
}

impl PageCache {
    /// At most `capacity` pages (a national page is about 3.5 MB).
    pub fn new(capacity: usize, ttl: Duration) -> PageCache {
        PageCache { entries: Mutex::new(VecDeque::new()), capacity, ttl }
    }

    /// The body kept for `key` at `version`, unless the store tracks no version or the request asks
    /// for a fresh copy (`Cache-Control: no-cache`).
    pub fn lookup(&self, headers: &HeaderMap, key: &str, version: Option<u64>) -> Option<Bytes> {
        let fresh = headers.get(header::CACHE_CONTROL).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("no-cache"));
        version.filter(|_| !fresh).and_then(|v| self.get(key, v))
    }

    pub fn get(&self, key: &str, version: u64) -> Option<Bytes> {
        let entries = self.entries.lock().expect("not poisoned");
        entries.iter().find(|e| e.key == key && e.version == version && e.at.elapsed() < self.ttl).map(|e| e.page.clone())
    }

    /// Keeps a page rendered at `version`, `at` the moment its data was read; the oldest goes first.
    pub fn put(&self, key: String, version: u64, at: Instant, page: Bytes) {
        let mut entries = self.entries.lock().expect("not poisoned");
        entries.retain(|e| e.key != key);
        if entries.len() >= self.capacity {
            entries.pop_front();
        }
        entries.push_back(Entry { key, version, at, page });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn served_only_at_the_same_version_and_within_ttl() {
        let cache = PageCache::new(2, Duration::from_secs(60));
        cache.put("a".into(), 1, Instant::now(), Bytes::from_static(b"A1"));
        assert_eq!(cache.get("a", 1).as_deref(), Some(&b"A1"[..]));
        assert_eq!(cache.get("a", 2), None);
        assert_eq!(cache.get("b", 1), None);
        cache.put("b".into(), 1, Instant::now(), Bytes::from_static(b"B"));
        cache.put("c".into(), 1, Instant::now(), Bytes::from_static(b"C"));
        assert_eq!(cache.get("a", 1), None, "the oldest entry made room");
        let stale = PageCache::new(2, Duration::ZERO);
        stale.put("a".into(), 1, Instant::now(), Bytes::from_static(b"A1"));
        assert_eq!(stale.get("a", 1), None);
    }
}
