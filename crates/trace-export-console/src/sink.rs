//! Where console output goes: stdout, stderr, an in-memory buffer or any writer. Shared
//! by [`ConsoleSpanExporter`](crate::ConsoleSpanExporter) and
//! [`TreeConsoleProcessor`](crate::TreeConsoleProcessor).

use std::cell::RefCell;
use std::io::{self, IsTerminal, Write};
use std::sync::{Mutex, PoisonError};

thread_local! {
    /// The sinks (by address) whose writer this thread is inside, outermost first.
    static WRITING: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

fn address(sink: &Mutex<Sink>) -> usize {
    std::ptr::from_ref(sink) as usize
}

/// Whether this thread is inside the writer of `sink` (a writer that made trace output of
/// its own, which comes back to the same sink).
pub(crate) fn writing(sink: &Mutex<Sink>) -> bool {
    let at = address(sink);
    WRITING.try_with(|w| w.try_borrow().is_ok_and(|w| w.contains(&at))).unwrap_or(false)
}

/// Locks `sink` and writes `bytes` to it, unless this thread is already inside that
/// sink's writer: a writer that itself ends a trace or exports a span printed through the
/// same sink would otherwise wait for a lock its own thread holds. That nested write fails
/// instead, and the caller counts it as a failed write. A writer that writes to another
/// console sink is not refused (two such writers on two threads that write to each other's
/// sinks can still wait for each other: do not build that).
pub(crate) fn write_locked(sink: &Mutex<Sink>, bytes: &[u8]) -> io::Result<()> {
    if writing(sink) {
        return Err(io::Error::other(
            "the console output's writer made trace output of its own for the same output while writing; that \
             output was skipped",
        ));
    }
    let mut guard = sink.lock().unwrap_or_else(PoisonError::into_inner);
    if !matches!(*guard, Sink::Writer(_)) {
        // Standard output, error and the buffer run no code of the user's.
        return guard.write_all(bytes);
    }
    // Popped however the write ends, a writer's panic included.
    struct Inside;
    impl Drop for Inside {
        fn drop(&mut self) {
            let _ = WRITING.try_with(|w| w.try_borrow_mut().map(|mut w| w.pop()));
        }
    }
    let at = address(sink);
    let pushed = WRITING.try_with(|w| w.try_borrow_mut().map(|mut w| w.push(at)).is_ok()).unwrap_or(false);
    let _inside = pushed.then_some(Inside);
    guard.write_all(bytes)
}

/// An output destination. Each write is one call with the whole text, so that lines of
/// different traces or batches never interleave.
pub(crate) enum Sink {
    Stdout,
    Stderr,
    Buffer(Vec<u8>),
    Writer(Box<dyn Write + Send>),
}

impl Sink {
    /// Writes `bytes` and flushes. Standard output and error are locked for the one write.
    pub(crate) fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            Sink::Stdout => {
                let mut out = io::stdout().lock();
                out.write_all(bytes).and_then(|()| out.flush())
            }
            Sink::Stderr => {
                let mut out = io::stderr().lock();
                out.write_all(bytes).and_then(|()| out.flush())
            }
            Sink::Buffer(b) => {
                b.extend_from_slice(bytes);
                Ok(())
            }
            Sink::Writer(w) => w.write_all(bytes).and_then(|()| w.flush()),
        }
    }

    /// Takes what the in-memory buffer holds (empty for other sinks).
    pub(crate) fn take_buffer(&mut self) -> Vec<u8> {
        match self {
            Sink::Buffer(b) => std::mem::take(b),
            _ => Vec::new(),
        }
    }

    /// Whether the sink is a terminal: stdout or stderr attached to one. A buffer or a
    /// writer never is (this crate cannot tell what a writer is connected to).
    pub(crate) fn is_terminal(&self) -> bool {
        match self {
            Sink::Stdout => io::stdout().is_terminal(),
            Sink::Stderr => io::stderr().is_terminal(),
            Sink::Buffer(_) | Sink::Writer(_) => false,
        }
    }
}
