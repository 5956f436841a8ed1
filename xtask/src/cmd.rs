//! Running cargo and other programs from the workspace root.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The workspace root (the parent of this crate's directory).
pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."))
}

/// The cargo that runs us.
pub(crate) fn cargo() -> Command {
    let mut c = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    c.current_dir(root());
    c
}

/// Runs a command, echoing it, and fails on a non-zero exit.
pub(crate) fn step(step: &str, mut c: Command) -> Result<(), String> {
    eprintln!("\n==> {step}: {c:?}");
    let t = Instant::now();
    let status = c.status().map_err(|e| format!("{step}: cannot start: {e}"))?;
    eprintln!("<== {step}: {status} in {:.1}s", t.elapsed().as_secs_f64());
    if status.success() {
        Ok(())
    } else {
        Err(format!("{step} failed ({status})"))
    }
}

/// Runs a command and returns its standard output.
pub(crate) fn output(step: &str, mut c: Command) -> Result<String, String> {
    let out = c.output().map_err(|e| format!("{step}: cannot start: {e}"))?;
    if !out.status.success() {
        return Err(format!("{step} failed ({}): {}", out.status, String::from_utf8_lossy(&out.stderr)));
    }
    String::from_utf8(out.stdout).map_err(|e| format!("{step}: output is not UTF-8: {e}"))
}

/// Runs `cargo <args>` as a step.
pub(crate) fn cargo_step(name: &str, args: &[&str]) -> Result<(), String> {
    let mut c = cargo();
    c.args(args);
    step(name, c)
}
