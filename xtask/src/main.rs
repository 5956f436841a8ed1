//! The project's own automation, in Rust instead of shell scripts (the cargo-xtask pattern).
//!
//! ```text
//! cargo xtask ci         fmt check, imports, clippy -D warnings, tests, docs, cargo-deny, deps, features, bench smoke, html (with chromium)
//! cargo xtask deps       each crate's normal dependency tree against xtask/allowed-deps.txt
//! cargo xtask features   builds the facade for every combination of its features
//! cargo xtask imports    no source file imports one that imports it back
//! cargo xtask bench      the benchmarks, side by side with the Python SDK; writes BENCHMARKS.md (--quick: smoke run)
//! cargo xtask serve      a loopback HTTP server that answers 200 and counts spans (for benchmarks)
//! cargo xtask fuzz       the property test over random span data, for a bounded time (--seconds N)
//! cargo xtask phoenix    the OTLP exporter against Arize Phoenix (installed from PyPI), read back
//! cargo xtask html       the HTML waterfall in headless Chromium: rows, nesting, no fetch (--screenshot PATH)
//! ```

#![forbid(unsafe_code)]

mod bench;
mod chromium;
mod ci;
mod cmd;
mod deps;
mod dom;
mod features;
mod fuzz;
mod html;
mod imports;
mod phoenix;
mod serve;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("ci") => ci::run(&args[1..]),
        Some("deps") => deps::run(),
        Some("features") => features::run(),
        Some("imports") => imports::run(),
        Some("bench") => bench::run(&args[1..]),
        Some("serve") => serve::run(&args[1..]),
        Some("fuzz") => fuzz::run(&args[1..]),
        Some("phoenix") => phoenix::run(&args[1..]),
        Some("html") => html::run(&args[1..]),
        _ => {
            eprintln!("usage: cargo xtask <ci | deps | features | imports | bench | serve | fuzz [--seconds N] | phoenix | html [--screenshot PATH]>");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}
