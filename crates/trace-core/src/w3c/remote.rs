//! The remote parent of a trace continued from another process: its `traceparent` and
//! `tracestate`, and the counts of headers ignored on the way in.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::traceparent::{TraceParent, TraceParentError};

/// The longest `tracestate` kept, in bytes. The specification asks to pass on at least 512
/// characters; a longer value is dropped whole (and counted), so that a header of any
/// size cannot be copied onto every OTLP span of a trace.
pub const MAX_TRACESTATE_LEN: usize = 8192;

static INVALID_TRACEPARENTS: AtomicU64 = AtomicU64::new(0);
static DROPPED_TRACESTATES: AtomicU64 = AtomicU64::new(0);

/// How many `traceparent` headers given to
/// [`TraceBuilder::traceparent`](crate::TraceBuilder::traceparent) were invalid since the
/// process started: each was ignored and its trace started fresh, as the W3C
/// specification says, and a debug line was logged with the reason.
pub fn invalid_traceparents() -> u64 {
    INVALID_TRACEPARENTS.load(Ordering::Relaxed)
}

/// How many `tracestate` values were dropped since the process started: longer than
/// [`MAX_TRACESTATE_LEN`], or holding a character outside printable ASCII (which the
/// specification does not allow and an HTTP header cannot carry). The trace still
/// continues its `traceparent`; it only sends no `tracestate` on.
pub fn dropped_tracestates() -> u64 {
    DROPPED_TRACESTATES.load(Ordering::Relaxed)
}

/// Counts and logs an invalid `traceparent`, ignored.
pub(crate) fn note_invalid_traceparent(error: &TraceParentError) {
    INVALID_TRACEPARENTS.fetch_add(1, Ordering::Relaxed);
    log::debug!("{error}: the trace starts fresh");
}

/// The `tracestate` entry a trace from this library carries on (`agents-tracing=1`): the
/// trace was announced (`on_trace_start`) by the process that started it, so a process of
/// this library that continues it does not announce it again.
pub const ANNOUNCED_ENTRY: &str = "agents-tracing=1";

/// The key of [`ANNOUNCED_ENTRY`].
const ANNOUNCED_KEY: &str = "agents-tracing";

/// The most list members a `tracestate` may hold (W3C Trace Context).
const MAX_TRACESTATE_MEMBERS: usize = 32;

/// The span of another process that a trace continues: the `traceparent` it sent and its
/// `tracestate`, kept as is.
///
/// A trace started with [`TraceBuilder::traceparent`](crate::TraceBuilder::traceparent)
/// holds one ([`Trace::remote_parent`](crate::Trace::remote_parent)): the OTLP exporter
/// makes it the parent of the trace's root span, and the `traceparent` this process sends
/// on keeps its flags and its `tracestate` ([`inject`](super::inject)).
///
/// ```
/// use trace_core::w3c::{RemoteParent, TraceParent};
///
/// let tp = TraceParent::parse("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")?;
/// let remote = RemoteParent::new(tp).with_tracestate("congo=t61rcWkgMzE");
/// assert_eq!(remote.tracestate(), Some("congo=t61rcWkgMzE"));
/// assert!(remote.sampled());
/// # Ok::<(), trace_core::w3c::TraceParentError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RemoteParent {
    traceparent: TraceParent,
    tracestate: Option<Arc<str>>,
}

impl RemoteParent {
    /// The remote parent named by `traceparent`, without `tracestate`.
    pub fn new(traceparent: TraceParent) -> Self {
        Self { traceparent, tracestate: None }
    }

    /// Adds the `tracestate` that came with the `traceparent`, kept as is (builder style).
    /// Spaces and tabs around it are ignored, and an empty value is none (the
    /// specification asks not to send one). A value that is not a valid list is dropped
    /// whole and counted ([`dropped_tracestates`]), as the W3C test suite expects: longer
    /// than [`MAX_TRACESTATE_LEN`] bytes, more than 32 members, a key or a value outside
    /// the specification's grammar (`key=value`, keys of lowercase letters, digits, `_`,
    /// `-`, `*`, `/`, optionally `tenant@system`), or a key given twice. Several
    /// `tracestate` headers are one list: join them with `,` first.
    pub fn with_tracestate(mut self, tracestate: &str) -> Self {
        let value = tracestate.trim_matches([' ', '\t']);
        self.tracestate = if value.is_empty() {
            None
        } else if let Err(why) = check_tracestate(value) {
            DROPPED_TRACESTATES.fetch_add(1, Ordering::Relaxed);
            log::debug!("tracestate dropped ({} bytes): {why}", value.len());
            None
        } else {
            Some(value.into())
        };
        self
    }

    /// The `traceparent` received.
    pub fn traceparent(&self) -> &TraceParent {
        &self.traceparent
    }

    /// The `tracestate` received, if any (and kept: see
    /// [`with_tracestate`](Self::with_tracestate)).
    pub fn tracestate(&self) -> Option<&str> {
        self.tracestate.as_deref()
    }

    /// Whether the remote caller set the `sampled` flag: it may have recorded its part of
    /// the trace.
    pub fn sampled(&self) -> bool {
        self.traceparent.sampled()
    }

    /// Whether the caller is a process of this library that announced the trace already:
    /// its `tracestate` holds [`ANNOUNCED_ENTRY`]'s key. A trace continued from such a
    /// caller is not announced again (no `on_trace_start` or `on_trace_end` here; see
    /// [`TraceGuard::is_resumed`](crate::TraceGuard::is_resumed)), so the trace object
    /// reaches a backend once, from the process that started it.
    pub fn announced(&self) -> bool {
        self.tracestate.as_deref().is_some_and(|ts| members(ts).any(|m| key_of(m) == ANNOUNCED_KEY))
    }
}

/// Why `tracestate` is not a list this library passes on (see
/// [`RemoteParent::with_tracestate`]).
fn check_tracestate(tracestate: &str) -> Result<(), &'static str> {
    if tracestate.len() > MAX_TRACESTATE_LEN {
        return Err("longer than MAX_TRACESTATE_LEN");
    }
    let mut keys: Vec<&str> = Vec::new();
    for member in members(tracestate) {
        let (key, value) = member.split_once('=').ok_or("a member is not key=value")?;
        if !valid_key(key) {
            return Err("a key is outside the specification's grammar");
        }
        if !valid_value(value) {
            return Err("a value is outside the specification's grammar");
        }
        if keys.contains(&key) {
            return Err("a key is given twice");
        }
        if keys.len() == MAX_TRACESTATE_MEMBERS {
            return Err("more than 32 members");
        }
        keys.push(key);
    }
    Ok(())
}

/// A `tracestate` key (W3C Trace Context, level 1): `simple-key` (a lowercase letter, then
/// at most 255 of lowercase letters, digits, `_`, `-`, `*`, `/`) or `multi-tenant-key`
/// (`tenant-id@system-id`: a lowercase letter or digit then at most 240 of those, `@`, a
/// lowercase letter then at most 13).
fn valid_key(key: &str) -> bool {
    fn tail(s: &[u8], max: usize) -> bool {
        s.len() <= max && s.iter().all(|&b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' | b'*' | b'/'))
    }
    match key.as_bytes().split(|&b| b == b'@').collect::<Vec<_>>()[..] {
        [[first, rest @ ..]] => first.is_ascii_lowercase() && tail(rest, 255),
        [[tenant_first, tenant @ ..], [system_first, system @ ..]] => {
            (tenant_first.is_ascii_lowercase() || tenant_first.is_ascii_digit())
                && tail(tenant, 240)
                && system_first.is_ascii_lowercase()
                && tail(system, 13)
        }
        _ => false,
    }
}

/// A `tracestate` value: 1 to 256 printable ASCII characters but `,` and `=`, spaces
/// allowed except at the end.
fn valid_value(value: &str) -> bool {
    let bytes = value.as_bytes();
    (1..=256).contains(&bytes.len())
        && bytes.iter().all(|&b| (0x20..=0x7e).contains(&b) && b != b',' && b != b'=')
        && bytes.last() != Some(&b' ')
}

/// The list members of a `tracestate`, trimmed, empty ones skipped.
fn members(tracestate: &str) -> impl Iterator<Item = &str> {
    tracestate.split(',').map(|m| m.trim_matches([' ', '\t'])).filter(|m| !m.is_empty())
}

fn key_of(member: &str) -> &str {
    member.split_once('=').map_or(member, |(k, _)| k)
}

/// The `tracestate` a trace sends on: [`ANNOUNCED_ENTRY`] first when `announce` (an
/// updated entry goes to the left, as the specification asks), then the members
/// `received`, without an older entry of this library, up to the specification's 32
/// members; `None` when that leaves nothing.
pub(crate) fn outgoing_tracestate(received: Option<&str>, announce: bool) -> Option<String> {
    let ours = announce.then_some(ANNOUNCED_ENTRY);
    let theirs = received.into_iter().flat_map(members).filter(|m| key_of(m) != ANNOUNCED_KEY);
    let list: Vec<&str> = ours.into_iter().chain(theirs).take(MAX_TRACESTATE_MEMBERS).collect();
    (!list.is_empty()).then(|| list.join(","))
}

impl fmt::Debug for RemoteParent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteParent")
            .field("traceparent", &self.traceparent)
            .field("tracestate", &self.tracestate)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tp() -> TraceParent {
        TraceParent::new(7, 9, 1).unwrap()
    }

    #[test]
    fn the_announced_entry_goes_first_once_and_the_list_stays_within_32_members() {
        fn out(received: Option<&str>, announce: bool) -> String {
            outgoing_tracestate(received, announce).unwrap_or_default()
        }
        assert_eq!(out(None, true), "agents-tracing=1");
        assert_eq!(out(Some("rojo=00f0, congo=t61"), true), "agents-tracing=1,rojo=00f0,congo=t61");
        assert_eq!(out(Some("congo=t61,agents-tracing=1"), true), "agents-tracing=1,congo=t61");
        let long: Vec<String> = (0..40).map(|i| format!("k{i}=v")).collect();
        let list = out(Some(&long.join(",")), true);
        assert_eq!(list.split(',').count(), 32);
        assert!(list.ends_with(",k30=v"), "{list}");
        // Not announced: the received members only, or nothing.
        assert_eq!(out(Some("congo=t61,agents-tracing=1"), false), "congo=t61");
        assert_eq!(outgoing_tracestate(None, false), None);
        assert!(RemoteParent::new(tp()).with_tracestate("congo=t61, agents-tracing=1").announced());
        assert!(!RemoteParent::new(tp()).with_tracestate("congo=t61").announced());
        assert!(!RemoteParent::new(tp()).announced());
    }

    #[test]
    fn tracestate_is_kept_as_is_trimmed() {
        let r = RemoteParent::new(tp()).with_tracestate(" rojo=00f067aa0ba902b7, congo=t61rcWkgMzE\t");
        assert_eq!(r.tracestate(), Some("rojo=00f067aa0ba902b7, congo=t61rcWkgMzE"));
        assert_eq!(RemoteParent::new(tp()).with_tracestate(" \t ").tracestate(), None);
        // Empty members are allowed (several headers joined), and so are the grammar's edges.
        let edge = format!("a{}=x, ,t0@sys-1=b c,k*/_-=!,{}@b=1", "z".repeat(255), "9".repeat(241));
        assert_eq!(RemoteParent::new(tp()).with_tracestate(&edge).tracestate(), Some(edge.as_str()));
    }

    #[test]
    fn a_tracestate_that_cannot_be_sent_on_is_dropped_and_counted() {
        let before = dropped_tracestates();
        let mut bad: Vec<String> =
            ["a=b\r\nx-injected: 1", "a=é", "whatever it is", "foo=1,foo=2", "FOO=1", "foo.bar=1"]
                .into_iter()
                .map(str::to_owned)
                .collect();
        bad.extend(
            ["foo =1", "foo@=1", "@foo=1", "foo=bar=baz", "foo=,bar=3", "1foo=1", "a@1sys=1"].map(str::to_owned),
        );
        bad.push(format!("{}=1", "z".repeat(257)));
        bad.push(format!("a@{}=1", "s".repeat(15)));
        bad.push(format!("a={}", "v".repeat(257)));
        bad.push((0..33).map(|i| format!("k{i}=v")).collect::<Vec<_>>().join(","));
        bad.push("a=".repeat(MAX_TRACESTATE_LEN));
        for value in &bad {
            assert_eq!(RemoteParent::new(tp()).with_tracestate(value).tracestate(), None, "{value:?}");
        }
        assert!(dropped_tracestates() >= before + bad.len() as u64);
        let thirty_two = (0..32).map(|i| format!("k{i}=v")).collect::<Vec<_>>().join(",");
        assert_eq!(RemoteParent::new(tp()).with_tracestate(&thirty_two).tracestate(), Some(thirty_two.as_str()));
    }
}
