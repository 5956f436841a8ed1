//! `cargo xtask bench`: runs the benchmarks and prints figures a reader can compare.

use crate::cmd::{cargo, step};

/// The bench targets, as (package, bench name).
const BENCHES: &[(&str, &str)] = &[("trace-batch", "hotpath")];

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let quick = args.iter().any(|a| a == "--quick");
    for (package, bench) in BENCHES {
        let mut c = cargo();
        c.args(["bench", "-p", package, "--bench", bench]);
        if quick {
            c.env("HOTPATH_QUICK", "1");
        }
        step(&format!("bench {package}/{bench}"), c)?;
    }
    Ok(())
}

/// A seconds-long run of every benchmark, so CI notices one that no longer runs.
pub(crate) fn smoke() -> Result<(), String> {
    run(&["--quick".to_owned()])
}
