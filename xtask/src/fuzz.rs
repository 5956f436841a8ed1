//! `cargo xtask fuzz [--seconds N]`: the property test over random span data
//! (`crates/trace-export-openai/tests/fuzz.rs`) for N seconds (default 60), in the test
//! (debug) build, whose larger stack frames make a stack overflow show sooner. A failure prints the seed of the failing case; `FUZZ_SEED=<seed> cargo test -p
//! trace-export-openai --test fuzz` replays it.

use crate::cmd::{cargo, step};

/// Seconds of the run `cargo xtask ci` makes.
const SMOKE_SECONDS: u64 = 10;

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let mut seconds = 60;
    let mut args = args.iter();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--seconds" => {
                let value = args.next().ok_or("--seconds needs a number")?;
                seconds = value.parse().map_err(|_| format!("--seconds takes a whole number, not {value:?}"))?;
            }
            other => return Err(format!("unknown argument {other:?}; `cargo xtask fuzz` takes [--seconds N]")),
        }
    }
    if seconds == 0 {
        return Err("--seconds must be at least 1".to_owned());
    }
    fuzz(seconds)
}

/// The short run of `cargo xtask ci`.
pub(crate) fn smoke() -> Result<(), String> {
    fuzz(SMOKE_SECONDS)
}

fn fuzz(seconds: u64) -> Result<(), String> {
    let mut c = cargo();
    c.args(["test", "-p", "trace-export-openai", "--test", "fuzz", "--", "--nocapture"])
        .env("FUZZ_SECONDS", seconds.to_string());
    step(&format!("fuzz ({seconds} s)"), c)
}
