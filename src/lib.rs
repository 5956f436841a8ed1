//! Placeholder facade; see README.
#![forbid(unsafe_code)]
pub use trace_core as core;
