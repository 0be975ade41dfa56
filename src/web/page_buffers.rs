//! Buffers of rendered pages, kept between requests. A national league page is 3.5 MB; the allocator
//! gives freed memory back to the system at once (`main.rs`), so a buffer freed after each response was
//! mapped and zeroed again, page by page, by the next render: about a tenth of the time of the page
//! rendered anew. A response's body owns its buffer and hands it back here when the last copy of the
//! body (the response's, the page cache's) is dropped.

use axum::body::Bytes;
use std::sync::{Arc, Mutex};

pub struct PageBuffers {
    free: Mutex<Vec<String>>,
    /// At most this many buffers wait here; the others are freed.
    keep: usize,
    /// A buffer larger than this is freed rather than kept.
    largest: usize,
}

impl PageBuffers {
    pub fn new(keep: usize, largest: usize) -> Arc<PageBuffers> {
        Arc::new(PageBuffers { free: Mutex::new(Vec::with_capacity(keep)), keep, largest })
    }

    /// An empty buffer: one given back earlier (with its capacity) when there is one.
    pub fn take(&self) -> String {
        self.free.lock().expect("not poisoned").pop().unwrap_or_default()
    }

    /// `page` as a response body that gives its buffer back here once dropped.
    pub fn body(self: &Arc<Self>, page: String) -> Bytes {
        Bytes::from_owner(Lent { page, home: self.clone() })
    }

    fn give_back(&self, mut page: String) {
        if page.capacity() > self.largest {
            return;
        }
        page.clear();
        let mut free = self.free.lock().expect("not poisoned");
        if free.len() < self.keep {
            free.push(page);
        }
    }
}

/// A page lent to a response body.
struct Lent {
    page: String,
    home: Arc<PageBuffers>,
}

impl AsRef<[u8]> for Lent {
    fn as_ref(&self) -> &[u8] {
        self.page.as_bytes()
    }
}

impl Drop for Lent {
    fn drop(&mut self) {
        self.home.give_back(std::mem::take(&mut self.page));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_gives_its_buffer_back_when_its_last_copy_is_dropped() {
        let buffers = PageBuffers::new(1, 1 << 20);
        let mut page = buffers.take();
        page.push_str("<p>trang</p>");
        page.reserve(4096);
        let capacity = page.capacity();
        let body = buffers.body(page);
        let copy = body.clone();
        assert_eq!(&copy[..], b"<p>trang</p>");
        drop(body);
        assert_eq!(buffers.take().capacity(), 0, "still lent while a copy lives");
        drop(copy);
        let again = buffers.take();
        assert!(again.is_empty());
        assert_eq!(again.capacity(), capacity);
    }

    #[test]
    fn keeps_no_more_and_no_larger_buffers_than_told() {
        let buffers = PageBuffers::new(1, 1024);
        let (mut a, mut b) = (String::with_capacity(100), String::with_capacity(200));
        a.push('a');
        b.push('b');
        drop((buffers.body(a), buffers.body(b)));
        assert_eq!(buffers.take().capacity(), 100);
        assert_eq!(buffers.take().capacity(), 0, "the second was freed");
        drop(buffers.body(String::with_capacity(4096)));
        assert_eq!(buffers.take().capacity(), 0, "too large to keep");
    }
}
