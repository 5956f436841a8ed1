//! Integration tests of `trace-multi`, linked into one binary.

mod support;

mod fanout;
mod filter;
mod global;
mod retire;
