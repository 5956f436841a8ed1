//! The integration tests of trace-export-console, linked into one binary.

mod html;
mod support;
mod tree;
