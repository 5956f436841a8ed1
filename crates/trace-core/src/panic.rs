//! Running a processor's or an exporter's code so that its panics cannot escape.
//!
//! `std::panic::catch_unwind` hands back the panic's payload, and dropping that payload
//! runs its destructor, which may panic too (a payload type whose `Drop` panics). Dropped
//! outside the `catch_unwind`, it would unwind into the caller: the user's thread on the
//! span path, or the batch worker, which would die with items still queued. [`isolate`]
//! reads the message and drops the payload inside a second `catch_unwind`; a payload whose
//! destructor panics again is leaked on purpose (a few bytes, once per such panic), since
//! there is no safe place left to drop it.
//!
//! Every crate of the workspace that calls code it does not own (processors, exporters)
//! goes through [`isolate`], so there is one implementation of this rule.

use std::any::Any;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// A panic caught by [`isolate`]: its message, the payload already disposed of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Panicked {
    message: String,
}

impl Panicked {
    /// The panic's message (`"non-string panic payload"` when it carried no text).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The message, owned.
    pub fn into_message(self) -> String {
        self.message
    }
}

impl fmt::Display for Panicked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Runs `f`, catching a panic: `Err` carries its message. The payload is dropped inside
/// the isolation too, so a payload whose destructor panics cannot unwind past this call
/// (it is leaked instead; see the [module docs](self)).
///
/// ```
/// use trace_core::panic::isolate;
///
/// assert_eq!(isolate(|| 2 + 2), Ok(4));
/// let caught = isolate(|| -> u32 { panic!("exporter bug") }).unwrap_err();
/// assert_eq!(caught.message(), "exporter bug");
/// ```
#[inline]
pub fn isolate<R>(f: impl FnOnce() -> R) -> Result<R, Panicked> {
    catch_unwind(AssertUnwindSafe(f)).map_err(dispose)
}

/// Reads the payload's message, then drops the payload where its own panic is caught.
#[cold]
#[inline(never)]
fn dispose(payload: Box<dyn Any + Send>) -> Panicked {
    let message = panic_message(&*payload);
    if let Err(again) = catch_unwind(AssertUnwindSafe(move || drop(payload))) {
        // The payload's destructor panicked; the new payload may do the same. Leak it.
        std::mem::forget(again);
    }
    Panicked { message }
}

/// The text of a caught panic's payload.
pub fn panic_message(panic: &(dyn Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    static DROPS: AtomicUsize = AtomicUsize::new(0);

    /// A payload whose destructor panics, with a payload of the same kind.
    struct Bomb;

    impl Drop for Bomb {
        fn drop(&mut self) {
            DROPS.fetch_add(1, Ordering::SeqCst);
            std::panic::panic_any(Bomb);
        }
    }

    #[test]
    fn a_payload_whose_drop_panics_does_not_escape() {
        let before = DROPS.load(Ordering::SeqCst);
        let caught = isolate(|| std::panic::panic_any(Bomb)).unwrap_err();
        assert_eq!(caught.message(), "non-string panic payload");
        // The first payload was dropped (its destructor ran and panicked); the second
        // one was leaked rather than dropped outside the isolation.
        assert_eq!(DROPS.load(Ordering::SeqCst), before + 1);
    }

    #[test]
    fn string_payloads_give_their_text() {
        assert_eq!(isolate(|| panic!("{}", String::from("owned"))).unwrap_err().message(), "owned");
        assert_eq!(isolate(|| 7).unwrap(), 7);
    }
}
