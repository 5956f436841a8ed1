//! Integration tests of the workspace's crates together, linked into one binary.
//!
//! The processor registry is global to the process, so tests that install a processor
//! take [`support::registry_lock`] first.

#[cfg(all(feature = "openai-http", feature = "otlp-http", feature = "console", feature = "batch"))]
mod exporter_bad_input;
#[cfg(all(feature = "openai-http", feature = "batch", feature = "multi"))]
mod faults;
mod golden;
mod production;
mod readme;
mod support;
mod viewers;
