//! `cargo xtask features`: the facade must build with every combination of its core
//! features (`FEATURES`) and with each of the others alone or in the sets it is used in
//! (`EXTRA`), checked with `cargo check --lib`.

use crate::cmd::{cargo, step};

const FEATURES: &[&str] = &["console", "batch", "multi", "openai"];

/// Sets checked besides the combinations of `FEATURES`.
const EXTRA: &[&str] = &["openai-http", "openai-http,batch", "otlp", "otlp-http,batch", "layer", "preserve-order"];

pub(crate) fn run() -> Result<(), String> {
    let n = FEATURES.len();
    for mask in 0..(1u32 << n) {
        let set: Vec<&str> = (0..n).filter(|i| mask & (1 << i) != 0).map(|i| FEATURES[i]).collect();
        let list = set.join(",");
        let mut c = cargo();
        c.args(["check", "--quiet", "-p", "agents-tracing", "--no-default-features", "--lib"]);
        if !list.is_empty() {
            c.args(["--features", &list]);
        }
        step(&format!("features [{list}]"), c)?;
    }
    for list in EXTRA {
        let mut c = cargo();
        c.args(["check", "--quiet", "-p", "agents-tracing", "--no-default-features", "--lib", "--features", list]);
        step(&format!("features [{list}]"), c)?;
    }
    Ok(())
}
