//! Where console output goes: stdout, stderr, an in-memory buffer or any writer. Shared
//! by [`ConsoleSpanExporter`](crate::ConsoleSpanExporter) and
//! [`TreeConsoleProcessor`](crate::TreeConsoleProcessor).

use std::cell::Cell;
use std::io::{self, IsTerminal, Write};
use std::sync::{Mutex, PoisonError};

thread_local! {
    /// Whether this thread is inside a writer's `write_all` under a sink's lock.
    static IN_WRITER: Cell<bool> = const { Cell::new(false) };
}

/// Locks `sink` and writes `bytes` to it, unless this thread is already inside a writer of
/// a sink: a writer that itself ends a trace or exports a span (which prints through the
/// same sink) would otherwise wait for a lock its own thread holds. That nested write
/// fails instead, and the caller counts it as a failed write.
pub(crate) fn write_locked(sink: &Mutex<Sink>, bytes: &[u8]) -> io::Result<()> {
    if IN_WRITER.with(Cell::get) {
        return Err(io::Error::other(
            "the console output's writer made trace output of its own while writing; that output was skipped",
        ));
    }
    let mut sink = sink.lock().unwrap_or_else(PoisonError::into_inner);
    if !matches!(*sink, Sink::Writer(_)) {
        return sink.write_all(bytes);
    }
    // Unset however the write ends, a writer's panic included.
    struct Inside;
    impl Drop for Inside {
        fn drop(&mut self) {
            IN_WRITER.with(|w| w.set(false));
        }
    }
    IN_WRITER.with(|w| w.set(true));
    let _inside = Inside;
    sink.write_all(bytes)
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
