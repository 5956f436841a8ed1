//! A request body buffer kept from one export to the next, so a steady stream of batches
//! does not allocate a body each time.

use std::sync::{Mutex, PoisonError};

/// How large a buffer [`BodyBuffer::default`] keeps: one that grew past it (a huge batch)
/// is freed rather than held for the next export.
pub const KEEP_BUFFER_BYTES: usize = 4 * 1024 * 1024;

/// One reusable body buffer: [`take`](Self::take) it for an export, and
/// [`give_back`](Self::give_back) it after.
#[derive(Debug)]
pub struct BodyBuffer {
    buf: Mutex<Vec<u8>>,
    keep: usize,
}

impl Default for BodyBuffer {
    /// A buffer that keeps up to [`KEEP_BUFFER_BYTES`].
    fn default() -> Self {
        Self::new(KEEP_BUFFER_BYTES)
    }
}

impl BodyBuffer {
    /// An empty buffer that keeps up to `keep` bytes of capacity between exports.
    pub fn new(keep: usize) -> Self {
        Self { buf: Mutex::new(Vec::new()), keep }
    }

    /// The kept buffer (empty), or a new one if another export holds it.
    pub fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.buf.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Keeps `buf`, emptied, for the next export, unless its capacity is larger than the
    /// limit.
    pub fn give_back(&self, mut buf: Vec<u8>) {
        if buf.capacity() <= self.keep {
            buf.clear();
            *self.buf.lock().unwrap_or_else(PoisonError::into_inner) = buf;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_buffer_is_reused_unless_it_grew_too_large() {
        let buffers = BodyBuffer::new(1024);
        let mut buf = buffers.take();
        buf.extend_from_slice(b"body");
        let capacity = buf.capacity();
        buffers.give_back(buf);
        let again = buffers.take();
        assert!(again.is_empty());
        assert_eq!(again.capacity(), capacity);
        // Taken while another export holds it: a fresh one.
        assert_eq!(buffers.take().capacity(), 0);
        buffers.give_back(Vec::with_capacity(4096));
        assert_eq!(buffers.take().capacity(), 0);
    }
}
