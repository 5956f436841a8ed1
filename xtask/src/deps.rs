//! `cargo xtask deps`: each crate's normal (non-dev, non-build) dependency tree must stay
//! within the list kept in `xtask/allowed-deps.txt`, so users who pick few crates get few
//! dependencies.

use std::collections::{BTreeMap, BTreeSet};

use crate::cmd::{cargo, output, root};

/// One checked tree: the `cargo tree` arguments and the crate names allowed in it.
struct Check {
    args: Vec<String>,
    allowed: BTreeSet<String>,
}

/// Reads `allowed-deps.txt`: `[target]` headers followed by crate names, one per line.
fn allowed() -> Result<BTreeMap<String, Check>, String> {
    let path = root().join("xtask/allowed-deps.txt");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    let mut out: BTreeMap<String, Check> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        if let Some(header) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            // `[name: cargo tree arguments]`
            let (name, args) = header.split_once(':').unwrap_or((header, ""));
            let args = args.split_whitespace().map(str::to_owned).collect();
            out.insert(name.trim().to_owned(), Check { args, allowed: BTreeSet::new() });
            current = Some(name.trim().to_owned());
        } else if let Some(c) = &current {
            if let Some(entry) = out.get_mut(c) {
                entry.allowed.insert(line.to_owned());
            }
        }
    }
    Ok(out)
}

/// The crate names in the normal dependency tree of `cargo tree <args>`.
fn tree(args: &[String]) -> Result<BTreeSet<String>, String> {
    let mut c = cargo();
    c.args(["tree", "-e", "normal", "--prefix", "none", "--format", "{p}"]).args(args);
    let text = output("cargo tree", c)?;
    Ok(text.lines().filter_map(|l| l.split_whitespace().next()).filter(|n| !n.is_empty()).map(str::to_owned).collect())
}

pub(crate) fn run() -> Result<(), String> {
    let mut failures = Vec::new();
    for (name, Check { args, allowed }) in allowed()? {
        let found = tree(&args)?;
        let extra: Vec<&String> = found.difference(&allowed).collect();
        eprintln!("deps {name:<28} {:>3} crates {}", found.len(), if extra.is_empty() { "ok" } else { "NOT ALLOWED" });
        if !extra.is_empty() {
            failures.push(format!("{name}: {extra:?} not in xtask/allowed-deps.txt"));
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!("dependency check failed:\n  {}", failures.join("\n  ")))
    }
}
