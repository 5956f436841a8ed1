//! `cargo xtask html [--screenshot PATH]`: the HTML waterfall in a real browser.
//!
//! Builds and runs the `html_waterfall` example twice (the recorded customer-service run
//! of two traces; a synthetic trace of 10,000 spans), loads the pages in headless
//! Chromium and reads the rendered DOM back (`--dump-dom`):
//!
//! - one row per span of each trace, each row's parent and depth those of the span's
//!   `parent_id`, rows in tree order (each row's nearest shallower predecessor is its
//!   parent), error rows marked, the trace list one entry per trace;
//! - a span folded (`#collapse=`) hides exactly its descendants; a span chosen
//!   (`#span=`) shows its exported JSON in the details pane;
//! - an error message quoting markup (`<img src=x onerror=...>`) is shown as text: no
//!   element is made of it and its handler never runs;
//! - the 10,000-span page keeps a few hundred rows in the DOM, also when scrolled to its
//!   last span;
//! - nothing was fetched. Two independent proofs: the page's Content-Security-Policy
//!   (`default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-…'`)
//!   forbids every request and the page counts refusals into `data-csp-violations` on
//!   `<html>`, which must read 0; and Chromium runs with
//!   `--host-resolver-rules="MAP * ~NOTFOUND"` (nothing can leave the machine) and
//!   `--log-net-log`, whose log must hold no request made by the page. A control page
//!   that does fetch an image is loaded first, to prove the net-log check sees requests.
//!
//! With `--screenshot PATH`, also saves a 1400 x 900 screenshot of the recorded run with
//! the failed tool call selected (`chromium --headless --screenshot=PATH
//! --window-size=1400,900 file://.../run.html#span=<id>`).
//!
//! Fails when Chromium is not installed (see [`chromium::HOW_TO_INSTALL`]); `cargo xtask
//! ci` runs this check only when it is, and says so when it skips it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::Value;

use crate::chromium::{self, Chromium, Load};
use crate::cmd::{cargo, root, step};
use crate::dom::{self, Tag};

/// Rows the 10,000-span page may keep in its DOM (in view, plus 100 above and below).
const MAX_ROWS_IN_DOM: usize = 400;
/// The synthetic trace's size.
const LARGE: usize = 10_000;

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let mut screenshot = None;
    let mut args = args.iter();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--screenshot" => screenshot = Some(PathBuf::from(args.next().ok_or("--screenshot needs a path")?)),
            other => return Err(format!("unknown argument {other:?}; `cargo xtask html` takes [--screenshot PATH]")),
        }
    }
    let exe = chromium::find().ok_or_else(|| {
        format!(
            "chromium not found: {}. `cargo xtask html` checks the HTML waterfall in a real browser and cannot run \
             without one",
            chromium::HOW_TO_INSTALL
        )
    })?;
    check(exe, screenshot.as_deref())
}

/// For `cargo xtask ci`: the check when Chromium is installed; otherwise says loudly that
/// it is skipped, and why.
pub(crate) fn ci_step() -> Result<(), String> {
    match chromium::find() {
        Some(exe) => check(exe, None),
        None => {
            eprintln!(
                "\n==> html: SKIPPED, chromium not found: {}; then run `cargo xtask html` (the HTML waterfall in a \
                 real browser)",
                chromium::HOW_TO_INSTALL
            );
            Ok(())
        }
    }
}

fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from) {
        Some(dir) if dir.is_absolute() => dir,
        Some(dir) => root().join(dir),
        None => root().join("target"),
    }
}

fn url(path: &Path, fragment: &str) -> String {
    let mut u = format!("file://{}", path.display()).replace(' ', "%20");
    if !fragment.is_empty() {
        u.push('#');
        u.push_str(fragment);
    }
    u
}

fn check(exe: PathBuf, screenshot: Option<&Path>) -> Result<(), String> {
    let started = Instant::now();
    let work = target_dir().join("html-check");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
    let run_page = work.join("run.html");
    let large_page = work.join("large.html");
    example(&[run_page.to_string_lossy().as_ref()])?;
    example(&["--spans", &LARGE.to_string(), large_page.to_string_lossy().as_ref()])?;

    let mut browser = Chromium::new(exe, &work);
    println!("\nhtml: {}", browser.version());
    control(&mut browser, &work)?;

    let run = Run::read(&run_page)?;
    if run.traces.len() < 2 || run.traces.iter().all(|t| t.spans.iter().all(|s| !s.error)) {
        return Err("the recorded run should have several traces and an error".to_owned());
    }
    for t in &run.traces {
        let load = browser.dump_dom(&url(&run_page, &format!("trace={}", t.id)))?;
        clean(&load, &format!("trace {}", t.id))?;
        trace_list(&load.dom, &run)?;
        let rows = rows(&load.dom);
        check_rows(&rows, t)?;
        println!(
            "html: trace {} ({}): {} rows for {} spans, nesting right, {} error row(s), nothing fetched",
            t.id,
            t.workflow,
            rows.len(),
            t.spans.len(),
            rows.iter().filter(|r| r.get("data-error") == Some("true")).count()
        );
    }
    fold(&mut browser, &run_page, &run)?;
    let failed = select(&mut browser, &run_page, &run)?;
    markup(&mut browser, &run_page, &run)?;
    large(&mut browser, &large_page)?;

    if let Some(path) = screenshot {
        let path =
            if path.is_absolute() { path.to_owned() } else { std::env::current_dir().unwrap_or_default().join(path) };
        browser.screenshot(&url(&run_page, &format!("span={failed}")), &path)?;
        println!("html: screenshot of the recorded run, the failed tool call selected: {}", path.display());
    }
    println!("html: all checks passed in {:.0} s (pages in {})", started.elapsed().as_secs_f64(), work.display());
    Ok(())
}

/// Builds and runs the `html_waterfall` example with `args`.
fn example(args: &[&str]) -> Result<(), String> {
    let mut c = cargo();
    c.args(["run", "--quiet", "--example", "html_waterfall", "--"]).args(args);
    step(&format!("html_waterfall {}", args.join(" ")), c)
}

/// The net-log check must see a request when a page makes one: a page without a
/// Content-Security-Policy asks for an image.
fn control(browser: &mut Chromium, work: &Path) -> Result<(), String> {
    let page = work.join("control.html");
    std::fs::write(
        &page,
        r#"<!doctype html><title>control</title><img src="http://agents-tracing-check.invalid/x.png">"#,
    )
    .map_err(|e| e.to_string())?;
    let load = browser.dump_dom(&url(&page, ""))?;
    if !load.page_requests.iter().any(|u| u.contains("agents-tracing-check.invalid")) {
        return Err(format!(
            "the net-log check saw no request from a page that makes one (saw {:?}): it cannot prove anything",
            load.page_requests
        ));
    }
    println!("html: control page: its request was seen in the net log ({})", load.page_requests.join(", "));
    Ok(())
}

/// The page ran to its end, made no request and had none refused.
fn clean(load: &Load, what: &str) -> Result<(), String> {
    if !load.page_requests.is_empty() {
        return Err(format!("{what}: the page made requests: {:?}", load.page_requests));
    }
    let html = dom::tags(&load.dom, "html");
    let violations = html.first().and_then(|t| t.get("data-csp-violations"));
    if violations != Some("0") {
        let blocked = html.first().and_then(|t| t.get("data-csp-blocked")).unwrap_or("");
        return Err(format!("{what}: the Content-Security-Policy refused requests: {violations:?} ({blocked})"));
    }
    let body = dom::tags(&load.dom, "body");
    if body.first().and_then(|t| t.get("data-ready")) != Some("true") {
        return Err(format!("{what}: the page's script did not finish (no data-ready on <body>)"));
    }
    Ok(())
}

/// The page's data document: the truth the rendered DOM is checked against.
struct Run {
    traces: Vec<TraceData>,
}

struct TraceData {
    id: String,
    workflow: String,
    spans: Vec<SpanData>,
}

struct SpanData {
    id: String,
    parent: Option<String>,
    error_message: Option<String>,
    error: bool,
}

impl Run {
    fn read(page: &Path) -> Result<Self, String> {
        const OPEN: &str = r#"<script type="application/json" id="waterfall-data">"#;
        let html = std::fs::read_to_string(page).map_err(|e| format!("{}: {e}", page.display()))?;
        let start = html.find(OPEN).ok_or("no data element in the page")? + OPEN.len();
        let len = html[start..].find("</script>").ok_or("the data element does not end")?;
        let data: Value = serde_json::from_str(&html[start..start + len]).map_err(|e| format!("the data: {e}"))?;
        let traces = data["traces"]
            .as_array()
            .ok_or("no traces in the data")?
            .iter()
            .map(|t| TraceData {
                id: t["id"].as_str().unwrap_or_default().to_owned(),
                workflow: t["workflow"].as_str().unwrap_or_default().to_owned(),
                spans: t["spans"]
                    .as_array()
                    .map(|spans| {
                        spans
                            .iter()
                            .map(|s| SpanData {
                                id: s["id"].as_str().unwrap_or_default().to_owned(),
                                parent: s["parent_id"].as_str().map(str::to_owned),
                                error_message: s["error"]["message"].as_str().map(str::to_owned),
                                error: !s["error"].is_null(),
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            })
            .collect();
        Ok(Self { traces })
    }
}

impl TraceData {
    /// Each span's depth from its parent ids: 0 when the parent is not among the spans.
    fn depths(&self) -> BTreeMap<&str, usize> {
        let parent: BTreeMap<&str, Option<&str>> = self
            .spans
            .iter()
            .map(|s| (s.id.as_str(), s.parent.as_deref().filter(|p| self.spans.iter().any(|o| o.id == *p))))
            .collect();
        let mut depths = BTreeMap::new();
        for s in &self.spans {
            let (mut d, mut at) = (0, s.id.as_str());
            while let Some(Some(p)) = parent.get(at) {
                d += 1;
                at = p;
                if d > self.spans.len() {
                    break; // a cycle: cannot happen in a recorded run
                }
            }
            depths.insert(s.id.as_str(), d);
        }
        depths
    }

    /// The ids of `id`'s descendants.
    fn descendants(&self, id: &str) -> BTreeSet<&str> {
        let mut found: BTreeSet<&str> = BTreeSet::new();
        let mut frontier = vec![id];
        while let Some(p) = frontier.pop() {
            for s in self.spans.iter().filter(|s| s.parent.as_deref() == Some(p)) {
                if found.insert(&s.id) {
                    frontier.push(&s.id);
                }
            }
        }
        found
    }
}

/// The waterfall's row elements, in document (and display) order.
fn rows(dom: &str) -> Vec<Tag> {
    dom::tags(dom, "div").into_iter().filter(|t| t.has_class("row") && t.get("data-span").is_some()).collect()
}

/// One row per span, parents and depths from the spans' parent ids, tree order, errors.
fn check_rows(rows: &[Tag], t: &TraceData) -> Result<(), String> {
    let err = |m: String| Err(format!("trace {}: {m}", t.id));
    if rows.len() != t.spans.len() {
        return err(format!("{} rows for {} spans", rows.len(), t.spans.len()));
    }
    let by_id: BTreeMap<&str, &SpanData> = t.spans.iter().map(|s| (s.id.as_str(), s)).collect();
    let depths = t.depths();
    let mut seen = BTreeSet::new();
    for (i, row) in rows.iter().enumerate() {
        let id = row.get("data-span").unwrap_or_default();
        let Some(span) = by_id.get(id) else { return err(format!("row {i} shows {id}, not a span of the trace")) };
        if !seen.insert(id) {
            return err(format!("{id} has two rows"));
        }
        if row.get("data-parent") != Some(span.parent.as_deref().unwrap_or("")) {
            return err(format!("row of {id}: parent {:?}, the span says {:?}", row.get("data-parent"), span.parent));
        }
        let depth: usize = row.get("data-depth").and_then(|d| d.parse().ok()).unwrap_or(usize::MAX);
        if depth != depths[id] {
            return err(format!("row of {id}: depth {depth}, its parent ids say {}", depths[id]));
        }
        if depth > 0 {
            // Tree order: the nearest earlier row one level up is the parent.
            let up = rows[..i].iter().rev().find(|r| r.get("data-depth") == Some(&(depth - 1).to_string()));
            if up.and_then(|r| r.get("data-span")) != span.parent.as_deref() {
                return err(format!("row of {id} is not inside its parent's rows"));
            }
        }
        if (row.get("data-error") == Some("true")) != span.error {
            return err(format!(
                "row of {id}: error mark {:?}, the span's error {}",
                row.get("data-error"),
                span.error
            ));
        }
    }
    Ok(())
}

/// The trace list: one entry per trace, with its span count.
fn trace_list(dom: &str, run: &Run) -> Result<(), String> {
    let items: Vec<Tag> = dom::tags(dom, "li").into_iter().filter(|t| t.has_class("trace-item")).collect();
    let listed: Vec<(&str, &str)> =
        items.iter().map(|t| (t.get("data-trace").unwrap_or(""), t.get("data-spans").unwrap_or(""))).collect();
    let expected: Vec<(String, String)> =
        run.traces.iter().map(|t| (t.id.clone(), t.spans.len().to_string())).collect();
    let expected: Vec<(&str, &str)> = expected.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    if listed != expected {
        return Err(format!("the trace list shows {listed:?}, the run has {expected:?}"));
    }
    Ok(())
}

/// Folding the first span that has children hides exactly its descendants.
fn fold(browser: &mut Chromium, page: &Path, run: &Run) -> Result<(), String> {
    let t = &run.traces[0];
    let parent = t.spans.iter().find(|s| !t.descendants(&s.id).is_empty()).ok_or("no span with children")?;
    let hidden = t.descendants(&parent.id);
    let load = browser.dump_dom(&url(page, &format!("trace={}&collapse={}", t.id, parent.id)))?;
    clean(&load, "folded trace")?;
    let rows = rows(&load.dom);
    let shown: BTreeSet<&str> = rows.iter().filter_map(|r| r.get("data-span")).collect();
    let folded = rows.iter().find(|r| r.get("data-span") == Some(&parent.id));
    if rows.len() != t.spans.len() - hidden.len()
        || shown.iter().any(|id| hidden.contains(id))
        || folded.and_then(|r| r.get("data-collapsed")) != Some("true")
    {
        return Err(format!(
            "folding {} should hide its {} descendants: {} rows shown of {}",
            parent.id,
            hidden.len(),
            rows.len(),
            t.spans.len()
        ));
    }
    println!("html: folding {} hides its {} descendants, and only them", parent.id, hidden.len());
    Ok(())
}

/// Choosing the failed span shows its exported JSON; returns its id.
fn select(browser: &mut Chromium, page: &Path, run: &Run) -> Result<String, String> {
    let span = run.traces.iter().flat_map(|t| &t.spans).find(|s| s.error).ok_or("no failed span")?;
    let load = browser.dump_dom(&url(page, &format!("span={}", span.id)))?;
    clean(&load, "selected span")?;
    let pre =
        dom::tags(&load.dom, "pre").into_iter().find(|t| t.get("id") == Some("detail")).ok_or("no details pane")?;
    let text = dom::text_after(&load.dom, &pre);
    let message = span.error_message.as_deref().unwrap_or_default();
    if pre.get("data-span") != Some(&span.id)
        || !text.contains(&format!("\"id\": \"{}\"", span.id))
        || !text.contains(&format!("\"message\": \"{message}\""))
    {
        return Err(format!("the details pane does not show the JSON of {}: {text:.200}", span.id));
    }
    let selected = rows(&load.dom).into_iter().find(|r| r.has_class("selected"));
    if selected.as_ref().and_then(|r| r.get("data-span")) != Some(&span.id) {
        return Err(format!("the row of {} is not marked selected", span.id));
    }
    println!("html: choosing {} shows its exported JSON (error {message:?})", span.id);
    Ok(span.id.clone())
}

/// A span whose error quotes markup (`<img src=x onerror=...>`), chosen: the message is
/// shown as text, no element is made of it, and its handler never ran.
fn markup(browser: &mut Chromium, page: &Path, run: &Run) -> Result<(), String> {
    let span = run
        .traces
        .iter()
        .flat_map(|t| &t.spans)
        .find(|s| s.error_message.as_deref().is_some_and(|m| m.contains("<img")))
        .ok_or("no span whose error quotes markup in the recorded run")?;
    let message = span.error_message.as_deref().unwrap_or_default();
    let load = browser.dump_dom(&url(page, &format!("span={}", span.id)))?;
    clean(&load, "a span whose error quotes markup")?;
    if !dom::tags(&load.dom, "img").is_empty() {
        return Err("the markup in an error message became an <img> element".to_owned());
    }
    if dom::tags(&load.dom, "body").first().and_then(|b| b.get("data-pwned")).is_some() {
        return Err("the markup's event handler ran".to_owned());
    }
    let summary = dom::tags(&load.dom, "div")
        .into_iter()
        .find(|t| t.get("id") == Some("detail-summary"))
        .ok_or("no details summary")?;
    let text = dom::text_after(&load.dom, &summary);
    if !text.contains(message) {
        return Err(format!("the details summary does not show the message as text: {text:.300}"));
    }
    println!("html: an error quoting <img onerror=...> is shown as text; no element made, no handler run");
    Ok(())
}

/// 10,000 spans: a light DOM at the top and scrolled to the last span.
fn large(browser: &mut Chromium, page: &Path) -> Result<(), String> {
    let run = Run::read(page)?;
    let t = run.traces.first().ok_or("no trace in the large page")?;
    if t.spans.len() != LARGE {
        return Err(format!("the large page has {} spans, not {LARGE}", t.spans.len()));
    }
    let size = std::fs::metadata(page).map(|m| m.len()).unwrap_or(0);
    let last = &t.spans[t.spans.len() - 1].id;
    for (what, fragment) in [("top", String::new()), ("last span", format!("span={last}"))] {
        let load = browser.dump_dom(&url(page, &fragment))?;
        clean(&load, &format!("large page, {what}"))?;
        let rows = rows(&load.dom);
        let inner = dom::tags(&load.dom, "div").into_iter().find(|t| t.get("id") == Some("rows-inner"));
        let total = inner.as_ref().and_then(|t| t.get("data-total-rows"));
        if rows.is_empty() || rows.len() > MAX_ROWS_IN_DOM || total != Some(&LARGE.to_string()) {
            return Err(format!(
                "large page, {what}: {} rows in the DOM (at most {MAX_ROWS_IN_DOM} expected) for {total:?} rows",
                rows.len()
            ));
        }
        if !fragment.is_empty() && !rows.iter().any(|r| r.get("data-span") == Some(last)) {
            return Err(format!("large page: the row of the last span {last} is not drawn after scrolling to it"));
        }
        let ms = dom::tags(&load.dom, "body").first().and_then(|b| b.get("data-render-ms").map(str::to_owned));
        println!(
            "html: {LARGE} spans ({:.1} MB page), {what}: {} rows in the DOM, script ran in {} ms",
            size as f64 / 1e6,
            rows.len(),
            ms.unwrap_or_else(|| "?".to_owned())
        );
    }
    Ok(())
}
