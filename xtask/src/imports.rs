//! `cargo xtask imports`: no source file imports one that imports it back.
//!
//! Each crate's files (the root crate's, every crate's under `crates/`, and xtask's) are
//! read as text, with comments and string literals blanked and test-only items (an item
//! under the test `cfg` attribute: a `tests` module, a test-only `use`) left out: the
//! `use crate::…` trees and the paths written `crate::a::b::…` in code. A path names the
//! file of its longest prefix that is one (`a/b.rs`, `a/b/mod.rs`, `a.rs`); a path only
//! the crate root holds (a re-export in `lib.rs`) names no file. Two files that name each
//! other fail the check.
//!
//! Not followed: `super::` paths (a child module that uses its parent is the parent's own
//! part), and re-exports: `crate::limits::release_json` names `limits.rs` even when
//! `limits.rs` re-exports it from `limits/release.rs`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::cmd::root;

/// The source roots checked: the root crate's `src`, every crate's under `crates/`, and
/// xtask's.
fn source_roots() -> Result<Vec<PathBuf>, String> {
    let root = root();
    let crates = root.join("crates");
    let mut out = vec![root.join("src"), root.join("xtask/src")];
    let entries = std::fs::read_dir(&crates).map_err(|e| format!("reading {}: {e}", crates.display()))?;
    for entry in entries.flatten() {
        let src = entry.path().join("src");
        if src.is_dir() {
            out.push(src);
        }
    }
    out.retain(|p| p.is_dir());
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

/// `text` as code: comments and the insides of string and character literals blanked
/// (newlines kept), then the test-only items cut out.
fn code_of(text: &str) -> String {
    without_test_items(&blanked(text))
}

/// `text` with its comments (`//`, nested `/* */`) and the insides of its string, raw
/// string and character literals replaced by spaces.
fn blanked(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
        } else if c == 'r'
            && matches!(next, Some('"' | '#'))
            && !chars[..i].last().is_some_and(|p| p.is_alphanumeric() || *p == '_')
        {
            // A raw string: `r"…"`, `r#"…"#`, … (or an identifier `r#name`, left as it is).
            let hashes = chars[i + 1..].iter().take_while(|&&h| h == '#').count();
            if chars.get(i + 1 + hashes) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            let close: Vec<char> = std::iter::once('"').chain(std::iter::repeat('#').take(hashes)).collect();
            out.push_str(&" ".repeat(2 + hashes));
            i += 2 + hashes;
            while i < chars.len() && !chars[i..].starts_with(&close) {
                out.push(blank(chars[i]));
                i += 1;
            }
            out.push_str(&" ".repeat(close.len()));
            i += close.len();
        } else if c == '"' {
            out.push(' ');
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                let skip = if chars[i] == '\\' { 2 } else { 1 };
                for _ in 0..skip {
                    if let Some(&ch) = chars.get(i) {
                        out.push(blank(ch));
                    }
                    i += 1;
                }
            }
            out.push(' ');
            i += 1;
        } else if c == '\'' && (next == Some('\\') || chars.get(i + 2) == Some(&'\'')) {
            // A character literal (`'"'`, `'\''`); a lifetime (`'a`) is left as it is.
            out.push(' ');
            i += 1;
            while i < chars.len() && chars[i] != '\'' {
                i += if chars[i] == '\\' { 2 } else { 1 };
                out.push(' ');
            }
            out.push(' ');
            i += 1;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// `code` (already [`blanked`]) without the items under `#[cfg(test)]`: from the
/// attribute through the item's `;` or its closing brace.
fn without_test_items(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let item = &rest[at..];
        let mut depth = 0usize;
        let mut end = item.len();
        for (i, c) in item.char_indices().skip("#[cfg(test)]".len()) {
            match c {
                '{' => depth += 1,
                '}' if depth == 1 => {
                    end = i + 1;
                    break;
                }
                '}' => depth = depth.saturating_sub(1),
                ';' if depth == 0 => {
                    end = i + 1;
                    break;
                }
                _ => {}
            }
        }
        // Newlines kept, so that what follows keeps its line.
        out.extend(item[..end].chars().filter(|&c| c == '\n'));
        rest = &item[end..];
    }
    out.push_str(rest);
    out
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
        let code = code_of(
            "use crate::x; // crate::y::z()\n#[cfg(test)]\nmod tests { use crate::w; fn f() {} }\nuse crate::v;",
        );
        assert_eq!(paths(&code), ["x", "v"]);
    }

    #[test]
    fn comments_strings_and_test_only_items_are_not_code() {
        let text = r##"//! The `#[cfg(test)]` module below.
use crate::a::A;
/* crate::b::B /* nested */ crate::c::C */
#[cfg(test)]
use crate::d::D;
const S: &str = "crate::e::E \" crate::f::F";
const R: &str = r#"crate::g::G "quoted""#;
const Q: char = '"';
fn f<'a>(x: &'a str) { crate::h::i(x) }
#[cfg(test)]
#[allow(unused)]
mod tests {
    fn g() { if true { crate::j::k() } }
}
fn last() { crate::l::m() }
"##;
        let code = code_of(text);
        assert_eq!(paths(&code), ["a::A", "h", "l"]);
        assert_eq!(code.lines().count(), text.lines().count(), "lines kept");
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
