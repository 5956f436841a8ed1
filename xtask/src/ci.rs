//! `cargo xtask ci`: everything CI checks, in the order that fails fastest.

use crate::cmd::{cargo, cargo_step, output, step};

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    if let Some(a) = args.first() {
        return Err(format!("unknown argument {a:?}; `cargo xtask ci` takes none"));
    }
    let t = std::time::Instant::now();
    cargo_step("fmt", &["fmt", "--all", "--", "--check"])?;
    crate::imports::run()?;
    cargo_step("clippy", &["clippy", "--workspace", "--all-targets", "--all-features", "--", "-D", "warnings"])?;
    cargo_step("test", &["test", "--workspace", "--all-features"])?;
    // trace-core's own tests without `preserve-order` too: keys then come out sorted, and
    // every form of user JSON (a `JsonMap`, a custom span's `DataMap`) must agree.
    cargo_step("test without preserve-order", &["test", "-p", "trace-core", "--no-default-features", "--lib"])?;
    step("doc", {
        let mut c = cargo();
        c.args(["doc", "--workspace", "--no-deps", "--all-features"]).env("RUSTDOCFLAGS", "-D warnings");
        c
    })?;
    deny()?;
    crate::deps::run()?;
    crate::features::run()?;
    crate::bench::smoke()?;
    crate::fuzz::smoke()?;
    // The HTML waterfall in headless Chromium when it is installed (.ci/run installs it
    // where apt-get can); otherwise a loud SKIPPED line saying how to run it.
    crate::html::ci_step()?;
    eprintln!("\nci: all checks passed in {:.0}s", t.elapsed().as_secs_f64());
    Ok(())
}

/// `cargo deny check bans licenses sources`, installing cargo-deny when it is missing.
/// Advisories need a database this machine cannot download, so they are left out.
fn deny() -> Result<(), String> {
    let have = {
        let mut c = cargo();
        c.args(["deny", "--version"]);
        output("cargo deny --version", c).is_ok()
    };
    if !have {
        cargo_step("install cargo-deny", &["install", "cargo-deny", "--locked"])?;
    }
    cargo_step("deny", &["deny", "--all-features", "check", "bans", "licenses", "sources"])
}
