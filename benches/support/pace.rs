//! The paced producer of the sustainable-rate search, one loop for both sides of the
//! comparison. Shared by `benches/e2e.rs` and `benches/otel` (included with `#[path]`).

use std::time::{Duration, Instant};

/// Calls `make(i)` for `i` in `0..n` at `rate` calls per second on average, counted from
/// `t0`: every call due by now, then a sleep until the next one is due. So the producer
/// offers `rate` spans per second without burning a core the worker and the server need;
/// at high rates it produces in short bursts of the spans due during one sleep (~60 µs at
/// least on Linux).
pub(crate) fn paced(n: u64, rate: f64, t0: Instant, mut make: impl FnMut(u64)) {
    let mut i = 0u64;
    while i < n {
        let due = ((t0.elapsed().as_secs_f64() * rate) as u64 + 1).min(n);
        while i < due {
            make(i);
            i += 1;
        }
        if i < n {
            let next = t0 + Duration::from_secs_f64(i as f64 / rate);
            let now = Instant::now();
            if next > now {
                std::thread::sleep(next - now);
            }
        }
    }
}
