//! Request body buffers kept from one export to the next, so a steady stream of batches
//! does not allocate a body each time, whether exports run one at a time or overlap.

use std::sync::{Mutex, PoisonError};

/// How large a buffer [`BodyBuffer::default`] keeps: one that grew past it (a huge batch)
/// is freed rather than held for the next export.
pub const KEEP_BUFFER_BYTES: usize = 4 * 1024 * 1024;

/// How many buffers a [`BodyBuffer`] keeps: one per export running at once, up to this
/// many (a batch processor runs [`CONCURRENT_EXPORTS`](crate::CONCURRENT_EXPORTS) by
/// default); more overlapping exports allocate their own and the extra buffers are freed.
pub const KEEP_BUFFERS: usize = 4;

/// Reusable body buffers: [`take`](Self::take) one for an export, and
/// [`give_back`](Self::give_back) it after.
#[derive(Debug)]
pub struct BodyBuffer {
    bufs: Mutex<Vec<Vec<u8>>>,
    keep: usize,
}

impl Default for BodyBuffer {
    /// Buffers that keep up to [`KEEP_BUFFER_BYTES`] each.
    fn default() -> Self {
        Self::new(KEEP_BUFFER_BYTES)
    }
}

impl BodyBuffer {
    /// No buffer yet; each one kept between exports holds up to `keep` bytes of capacity.
    pub fn new(keep: usize) -> Self {
        Self { bufs: Mutex::new(Vec::new()), keep }
    }

    /// A kept buffer (empty), or a new one if every kept buffer is in use.
    pub fn take(&self) -> Vec<u8> {
        self.bufs.lock().unwrap_or_else(PoisonError::into_inner).pop().unwrap_or_default()
    }

    /// Keeps `buf`, emptied, for a later export, unless its capacity is larger than the
    /// limit or [`KEEP_BUFFERS`] are kept already.
    pub fn give_back(&self, mut buf: Vec<u8>) {
        if buf.capacity() <= self.keep {
            buf.clear();
            let mut bufs = self.bufs.lock().unwrap_or_else(PoisonError::into_inner);
            if bufs.len() < KEEP_BUFFERS {
                bufs.push(buf);
            }
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

    #[test]
    fn overlapping_exports_each_get_a_kept_buffer_back() {
        let buffers = BodyBuffer::new(1024);
        let held: Vec<Vec<u8>> = (0..KEEP_BUFFERS + 2).map(|i| Vec::with_capacity(100 + i)).collect();
        for buf in held {
            buffers.give_back(buf);
        }
        // The first KEEP_BUFFERS given back are kept; the rest were freed.
        let mut capacities: Vec<usize> = (0..KEEP_BUFFERS).map(|_| buffers.take().capacity()).collect();
        capacities.sort_unstable();
        assert_eq!(capacities, (0..KEEP_BUFFERS).map(|i| 100 + i).collect::<Vec<_>>());
        assert_eq!(buffers.take().capacity(), 0, "nothing more kept");
    }
}
