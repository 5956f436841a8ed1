//! Integration tests of `trace-multi`, linked into one binary.

#[macro_use]
mod ignores;
mod support;

mod fanout;
mod filter;
mod global;
mod retire;
