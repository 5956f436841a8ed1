//! `cargo xtask imports`: no source file imports one that imports it back.
//!
//! Each crate's files (and xtask's) are read as text: the `use crate::…` trees and the
//! paths written `crate::a::b::…` in code, outside comments and outside the test module at
//! the end of a file (`#[cfg(test)]` onwards). A path names the file of its longest prefix
//! that is one (`a/b.rs`, `a/b/mod.rs`, `a.rs`); a path only the crate root holds (a
//! re-export in `lib.rs`) names no file. Two files that name each other fail the check.
//! `super::` paths are not followed: a child module that uses its parent is the parent's
//! own part.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::cmd::root;

/// The source roots checked: every crate's `src` and xtask's.
fn source_roots() -> Result<Vec<PathBuf>, String> {
    let root = root();
    let crates = root.join("crates");
    let mut out = vec![root.join("xtask/src")];
    let entries = std::fs::read_dir(&crates).map_err(|e| format!("reading {}: {e}", crates.display()))?;
    for entry in entries.flatten() {
        let src = entry.path().join("src");
        if src.is_dir() {
            out.push(src);
        }
    }
    out.sort();
    Ok(out)
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("reading {}: {e}", dir.display()))?;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    Ok(())
}

/// `text` without its test module and without `//` comments (a `//` inside a string
/// literal cuts the line too; the rest of such a line holds no import).
fn code_of(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or("");
    text.lines().map(|l| l.split_once("//").map_or(l, |(code, _)| code)).collect::<Vec<_>>().join("\n")
}

/// The paths a use tree names, each as its segments: `a::{b, c::{d, e}}` gives `a::b`,
/// `a::c::d` and `a::c::e` (`self` names its parent; renames and globs keep the path).
fn expand_tree(prefix: &[String], tree: &str, out: &mut Vec<Vec<String>>) {
    let tree = tree.trim();
    if let Some(open) = tree.find('{') {
        let mut path = prefix.to_vec();
        path.extend(segments(&tree[..open]));
        let inner = tree[open + 1..].strip_suffix('}').unwrap_or(&tree[open + 1..]);
        for item in split_top_level(inner) {
            expand_tree(&path, item, out);
        }
    } else {
        let mut path = prefix.to_vec();
        path.extend(segments(tree.split(" as ").next().unwrap_or(tree)));
        out.push(path);
    }
}

/// The identifier segments of `a::b::` (no `self`, no `*`).
fn segments(path: &str) -> impl Iterator<Item = String> + '_ {
    path.split("::").map(str::trim).filter(|s| !s.is_empty() && *s != "self" && *s != "*").map(str::to_owned)
}

/// `items` split at the commas outside braces.
fn split_top_level(items: &str) -> Vec<&str> {
    let (mut out, mut depth, mut start) = (Vec::new(), 0usize, 0);
    for (i, c) in items.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                out.push(&items[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&items[start..]);
    out
}

/// The `crate::` paths `code` names: its use trees, and the paths in code.
fn crate_paths(code: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("use crate::") {
        let tail = &rest[at + "use crate::".len()..];
        let end = tail.find(';').unwrap_or(tail.len());
        expand_tree(&[], &tail[..end], &mut out);
        rest = &tail[end..];
    }
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().next_back();
        let tail = &rest[at + "crate::".len()..];
        let path_len = tail.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':')).unwrap_or(tail.len());
        // `$crate::` and a `use` tree were read above.
        if before != Some('$') && !rest[..at].trim_end().ends_with("use") {
            let path = &tail[..path_len];
            // Only the module segments: the last one names an item.
            if let Some((modules, _)) = path.rsplit_once("::") {
                out.push(segments(modules).collect());
            }
        }
        rest = &tail[path_len..];
    }
    out
}

/// The file a path names under `src`: its longest prefix that is a file.
fn file_of(src: &Path, path: &[String]) -> Option<PathBuf> {
    (1..=path.len()).rev().find_map(|k| {
        let base = path[..k].iter().fold(src.to_path_buf(), |p, s| p.join(s));
        let file = base.with_extension("rs");
        let module = base.join("mod.rs");
        if file.is_file() {
            Some(file)
        } else if module.is_file() {
            Some(module)
        } else {
            None
        }
    })
}

/// The pairs of files under `src` that import each other.
fn cycles_in(src: &Path) -> Result<Vec<(PathBuf, PathBuf)>, String> {
    let mut files = Vec::new();
    rust_files(src, &mut files)?;
    let mut edges: BTreeMap<PathBuf, BTreeSet<PathBuf>> = BTreeMap::new();
    for file in &files {
        let text = std::fs::read_to_string(file).map_err(|e| format!("reading {}: {e}", file.display()))?;
        let paths = crate_paths(&code_of(&text));
        let targets = paths.iter().filter_map(|p| file_of(src, p)).filter(|t| t != file);
        edges.entry(file.clone()).or_default().extend(targets);
    }
    let mut out = Vec::new();
    for (a, targets) in &edges {
        for b in targets.iter().filter(|b| a < *b) {
            if edges.get(b).is_some_and(|back| back.contains(a)) {
                out.push((a.clone(), b.clone()));
            }
        }
    }
    Ok(out)
}

pub(crate) fn run() -> Result<(), String> {
    let root = root();
    let mut found = Vec::new();
    let roots = source_roots()?;
    for src in &roots {
        found.extend(cycles_in(src)?);
    }
    let shown = |p: &Path| p.strip_prefix(&root).unwrap_or(p).display().to_string();
    for (a, b) in &found {
        eprintln!("imports: {} and {} import each other", shown(a), shown(b));
    }
    if found.is_empty() {
        eprintln!("imports: no file imports one that imports it back ({} source roots)", roots.len());
        Ok(())
    } else {
        Err(format!(
            "{} pair(s) of files import each other: move what both need into a file of its own, or \
             let one of them take it as a parameter",
            found.len()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(code: &str) -> Vec<String> {
        crate_paths(code).iter().map(|p| p.join("::")).collect()
    }

    #[test]
    fn use_trees_and_inline_paths_are_read() {
        let code =
            "use crate::a::{self, b::{C, d::E as F}, g};\nuse crate::h;\nfn f() { crate::i::j::k(); $crate::l::m(); }";
        assert_eq!(paths(code), ["a", "a::b::C", "a::b::d::E", "a::g", "h", "i::j"]);
        let code = code_of("use crate::x; // crate::y::z()\n#[cfg(test)]\nmod tests { use crate::w; }");
        assert_eq!(paths(&code), ["x"]);
    }

    #[test]
    fn a_pair_of_files_that_import_each_other_is_found() {
        let dir = std::env::temp_dir().join(format!("xtask-imports-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("m")).unwrap();
        std::fs::write(dir.join("lib.rs"), "mod a; mod b; mod m; pub use a::A;").unwrap();
        std::fs::write(dir.join("a.rs"), "use crate::b::B;\npub struct A;").unwrap();
        std::fs::write(dir.join("b.rs"), "pub struct B;\nfn f() { crate::m::c::g(); let _ = crate::A; }").unwrap();
        std::fs::write(dir.join("m.rs"), "mod c;").unwrap();
        std::fs::write(dir.join("m/c.rs"), "pub fn g() {}\n#[cfg(test)]\nmod t { use crate::b::B; }").unwrap();
        assert!(cycles_in(&dir).unwrap().is_empty(), "b uses the root's re-export of A, not a.rs");
        std::fs::write(dir.join("m/c.rs"), "use crate::{a, b::{B}};\npub fn g() {}").unwrap();
        let found = cycles_in(&dir).unwrap();
        assert_eq!(found, [(dir.join("b.rs"), dir.join("m/c.rs"))]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
