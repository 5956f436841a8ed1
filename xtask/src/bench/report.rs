//! The report: the side-by-side table, the targets, the rate search, the method; printed
//! and written to BENCHMARKS.md.

use std::fmt::Write as _;
use std::path::Path;

use super::machine::Machine;
use super::otel::{Figure, Goal, OtelResults, Spread, Unit};
use super::procs::{Python, AGENTS_VERSION};
use super::{med, median, min_max, E2eRow, E2eRun, Results, Search};

/// A line in BENCHMARKS.md below which text written by hand (the profile) is kept when
/// the file is generated again.
pub(crate) const KEEP_MARKER: &str =
    "<!-- Everything below this line is written by hand; `cargo xtask bench` keeps it when it rewrites this file. -->";

pub(crate) const NO_PYTHON_HINT: &str = "no Python with openai-agents found, so only the Rust side is measured. \
     For the comparison run `cargo xtask bench --setup-python` (creates target/bench-venv with \
     `pip install openai-agents==0.24.0`), or pass `--python PATH` to an interpreter that has it.";

/// Everything about the run that is not a measurement.
#[derive(Debug)]
pub(crate) struct Context {
    pub(crate) machine: Machine,
    pub(crate) date: String,
    pub(crate) commit: String,
    pub(crate) command: String,
    pub(crate) load_start: String,
    pub(crate) load_end: String,
    pub(crate) elapsed_s: f64,
    pub(crate) python: Option<Python>,
    pub(crate) quick: bool,
}

/// `1234567.8` as `1,234,568`.
fn thousands(v: f64) -> String {
    if !v.is_finite() {
        return "-".to_owned();
    }
    let s = format!("{:.0}", v.abs());
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if v < -0.5 {
        format!("-{out}")
    } else {
        out
    }
}

fn dec(v: f64, places: usize) -> String {
    if v.is_finite() {
        format!("{v:.places$}")
    } else {
        "-".to_owned()
    }
}

fn ratio(r: f64) -> String {
    if !r.is_finite() || r <= 0.0 {
        "-".to_owned()
    } else if r >= 10.0 {
        format!("{r:.0}×")
    } else {
        format!("{r:.1}×")
    }
}

/// How the ratio column reads a figure.
#[derive(Clone, Copy)]
enum Better {
    Higher,
    Lower,
    /// No ratio (counts).
    Neither,
}

/// A row of the main table.
struct Row {
    label: String,
    rust: String,
    python: String,
    ratio: String,
}

impl Row {
    fn section(label: &str) -> Self {
        Self { label: format!("**{label}**"), rust: String::new(), python: String::new(), ratio: String::new() }
    }

    fn figure(
        label: &str,
        rust: Option<f64>,
        python: Option<f64>,
        better: Better,
        fmt: impl Fn(f64) -> String,
    ) -> Self {
        let ratio = match (rust, python, better) {
            (Some(r), Some(p), Better::Higher) => ratio(r / p),
            (Some(r), Some(p), Better::Lower) => ratio(p / r),
            _ => "-".to_owned(),
        };
        Self {
            label: label.to_owned(),
            rust: rust.map_or_else(|| "-".to_owned(), &fmt),
            python: python.map_or_else(|| "-".to_owned(), &fmt),
            ratio,
        }
    }

    fn text(label: &str, rust: String, python: String) -> Self {
        Self { label: label.to_owned(), rust, python, ratio: "-".to_owned() }
    }
}

fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut s = format!("| {} |\n|{}\n", header.join(" | "), "---|".repeat(header.len()));
    for r in rows {
        let _ = writeln!(s, "| {} |", r.join(" | "));
    }
    s
}

fn some_if<T>(v: &[T], f: impl Fn(&[T]) -> f64) -> Option<f64> {
    (!v.is_empty()).then(|| f(v))
}

/// The e2e figure `f` of a row's runs, for Rust and Python.
fn e2e_pair(row: &E2eRow, f: impl Fn(&E2eRun) -> f64 + Copy) -> (Option<f64>, Option<f64>) {
    (some_if(&row.rust, |v| med(v, f)), some_if(&row.python, |v| med(v, f)))
}

fn rate_with_range(runs: &[E2eRun]) -> String {
    if runs.is_empty() {
        return "-".to_owned();
    }
    let m = med(runs, |r| r.delivered_per_s);
    let (lo, hi) = min_max(runs, |r| r.delivered_per_s);
    if runs.len() > 1 {
        format!("{} ({}–{})", thousands(m), thousands(lo), thousands(hi))
    } else {
        thousands(m)
    }
}

fn main_rows(r: &Results) -> Vec<Row> {
    let mut rows = Vec::new();
    if !r.hot.is_empty() {
        rows.push(Row::section("1. Hot path: ns per operation per producer thread (median)"));
        for h in &r.hot {
            let what = if h.what == "whole span" { "whole span (create, start, finish, enqueue)" } else { h.what };
            let label = format!("{what}, {} thread{}", h.threads, if h.threads > 1 { "s" } else { "" });
            rows.push(Row::figure(&label, h.rust, h.python, Better::Lower, |v| dec(v, 1)));
        }
    }
    for e in &r.e2e {
        let batch = if e.batch == 128 { "batch 128 (default)".to_owned() } else { format!("batch {}", e.batch) };
        rows.push(Row::section(&format!(
            "2. End to end, flat out: {} spans, {batch}, queue 8192 ({} / {} runs)",
            thousands(e.n as f64),
            e.rust.len(),
            e.python.len()
        )));
        let has_py = !e.python.is_empty();
        rows.push(Row {
            ratio: {
                let (r, p) = e2e_pair(e, |x| x.delivered_per_s);
                match (r, p) {
                    (Some(r), Some(p)) => ratio(r / p),
                    _ => "-".to_owned(),
                }
            },
            ..Row::text(
                "delivered spans/s, first span → last received (min–max)",
                rate_with_range(&e.rust),
                if has_py { rate_with_range(&e.python) } else { "-".to_owned() },
            )
        });
        let (r, p) = e2e_pair(e, |x| x.offered_per_s);
        rows.push(Row::figure("offered spans/s (n ÷ producer time)", r, p, Better::Higher, thousands));
        let (r, p) = e2e_pair(e, |x| x.received);
        let recv = |v: Option<f64>| {
            v.map_or_else(|| "-".to_owned(), |v| format!("{} / {}", thousands(v), thousands(e.n as f64)))
        };
        rows.push(Row::text("spans received / produced", recv(r), recv(p)));
        let (r, p) = e2e_pair(e, |x| x.dropped);
        rows.push(Row::figure("spans dropped (counted by the producer)", r, p, Better::Neither, thousands));
        let (r, p) = e2e_pair(e, |x| x.requests);
        rows.push(Row::figure("requests", r, p, Better::Neither, thousands));
        let (r, p) = e2e_pair(e, |x| x.bytes_per_span);
        rows.push(Row::figure("bytes per span (request bodies)", r, p, Better::Lower, |v| dec(v, 1)));
        let (r, p) = e2e_pair(e, |x| x.peak_rss_mib);
        rows.push(Row::figure("peak RSS of the producing process, MiB", r, p, Better::Lower, |v| dec(v, 1)));
        let (r, p) = e2e_pair(e, |x| x.cpu_s);
        rows.push(Row::figure("CPU s of the producing process (user + sys)", r, p, Better::Lower, |v| dec(v, 2)));
    }
    let x = &r.export;
    if !x.rust_ser.is_empty() {
        rows.push(Row::section("3. Export cost alone: one 128-span batch, over and over (median)"));
        let rs = |f: fn(&(f64, f64, f64)) -> f64| some_if(&x.rust_ser, |v| med(v, f));
        let ps = |f: fn(&(f64, f64, f64)) -> f64| some_if(&x.py_ser, |v| med(v, f));
        rows.push(Row::figure(
            "serialise, ns per span (span objects → body bytes)",
            rs(|t| t.0),
            ps(|t| t.0),
            Better::Lower,
            |v| dec(v, 1),
        ));
        rows.push(Row::figure("serialise, spans/s", rs(|t| t.1), ps(|t| t.1), Better::Higher, thousands));
        rows.push(Row::figure("serialise, MB/s of JSON", rs(|t| t.2), ps(|t| t.2), Better::Higher, |v| dec(v, 1)));
        rows.push(Row::figure(
            "serialiser alone, ns per span (Python: json.dumps of prebuilt dicts)",
            rs(|t| t.0),
            some_if(&x.py_dumps, |v| med(v, |y| *y)),
            Better::Lower,
            |v| dec(v, 1),
        ));
        rows.push(Row::figure(
            "exporter `export` to the loopback server, ns per span (serialise + POST)",
            some_if(&x.rust_export, |v| med(v, |y| *y)),
            some_if(&x.py_export, |v| med(v, |y| *y)),
            Better::Lower,
            |v| dec(v, 1),
        ));
    }
    if r.rate_rust.is_some() {
        rows.push(Row::section("4. Sustainable rate: default pipeline, paced producer, zero drops"));
        let best = |s: &Option<Search>| s.as_ref().and_then(|s| s.sustainable);
        rows.push(Row::figure(
            "highest offered spans/s delivered with zero drops",
            best(&r.rate_rust),
            best(&r.rate_python),
            Better::Higher,
            thousands,
        ));
    }
    rows
}

fn main_table(r: &Results) -> String {
    let rows: Vec<Vec<String>> =
        main_rows(r).into_iter().map(|row| vec![row.label, row.rust, row.python, row.ratio]).collect();
    table(&["figure", "Rust", "Python SDK", "Rust's advantage"], &rows)
}

/// The targets of the issue, met or not.
fn targets(r: &Results) -> String {
    let mut rows = Vec::new();
    let yes_no = |ok: Option<bool>| match ok {
        Some(true) => "**met**".to_owned(),
        Some(false) => "**not met**".to_owned(),
        None => "no Python figure".to_owned(),
    };
    let best = |s: &Option<Search>| s.as_ref().and_then(|s| s.sustainable);
    if let Some(rs) = best(&r.rate_rust) {
        let ps = best(&r.rate_python);
        let bound = r.rate_rust.as_ref().is_some_and(|s| s.producer_bound);
        let reached = r.rate_rust.as_ref().and_then(Search::best_step).map_or(rs, |st| st.achieved());
        rows.push(vec![
            "sustainable rate ≥ 20 × Python's".to_owned(),
            format!(
                "{}{}",
                thousands(rs),
                if bound { format!(" (producer-bound: it reached {})", thousands(reached)) } else { String::new() }
            ),
            ps.map_or_else(|| "-".to_owned(), thousands),
            ps.map_or_else(|| "-".to_owned(), |p| ratio(rs / p)),
            yes_no(ps.map(|p| rs >= 20.0 * p)),
        ]);
    }
    for e in r.e2e.iter().filter(|e| e.batch == 128) {
        let (rd, pd) = e2e_pair(e, |x| x.delivered_per_s);
        if let Some(rd) = rd {
            rows.push(vec![
                format!("flat out, {} spans, default: delivered spans/s ≥ 20 × Python's", thousands(e.n as f64)),
                thousands(rd),
                pd.map_or_else(|| "-".to_owned(), thousands),
                pd.map_or_else(|| "-".to_owned(), |p| ratio(rd / p)),
                yes_no(pd.map(|p| rd >= 20.0 * p)),
            ]);
        }
    }
    if let Some(e) = r.e2e.iter().find(|e| e.n >= 1_000_000 && e.batch == 128) {
        let (rr, pr) = e2e_pair(e, |x| x.peak_rss_mib);
        if let Some(rr) = rr {
            rows.push(vec![
                "peak RSS with 1,000,000 spans below Python's".to_owned(),
                format!("{} MiB", dec(rr, 1)),
                pr.map_or_else(|| "-".to_owned(), |p| format!("{} MiB", dec(p, 1))),
                pr.map_or_else(|| "-".to_owned(), |p| ratio(p / rr)),
                yes_no(pr.map(|p| rr < p)),
            ]);
        }
    }
    let accounted = if r.unaccounted.is_empty() {
        "every run: received + dropped = produced".to_owned()
    } else {
        format!("**{} run(s) did not add up**: {}", r.unaccounted.len(), r.unaccounted.join("; "))
    };
    rows.push(vec!["drops counted exactly".to_owned(), accounted, "-".to_owned(), "-".to_owned(), "-".to_owned()]);
    if let Some(limit) = export_limit(r) {
        rows.push(vec![
            "export path close to its limit (flat out, batch 128, vs `export` alone)".to_owned(),
            format!(
                "{} of {} spans/s ({:.0} %)",
                thousands(limit.delivered),
                thousands(limit.limit),
                100.0 * limit.delivered / limit.limit
            ),
            "-".to_owned(),
            "-".to_owned(),
            "see the profile below".to_owned(),
        ]);
    }
    table(&["target", "Rust", "Python SDK", "ratio", "verdict"], &rows)
}

/// The delivered rate flat out (largest default run) against what `export` alone sustains.
struct Limit {
    delivered: f64,
    limit: f64,
    export_ns: f64,
    ser_ns: f64,
}

fn export_limit(r: &Results) -> Option<Limit> {
    let export_ns = some_if(&r.export.rust_export, |v| med(v, |y| *y))?;
    let ser_ns = some_if(&r.export.rust_ser, |v| med(v, |t| t.0))?;
    let e = r.e2e.iter().filter(|e| e.batch == 128 && !e.rust.is_empty()).max_by_key(|e| e.n)?;
    Some(Limit { delivered: med(&e.rust, |x| x.delivered_per_s), limit: 1e9 / export_ns, export_ns, ser_ns })
}

fn search_table(s: &Search) -> String {
    let rows: Vec<Vec<String>> = s
        .steps
        .iter()
        .map(|st| {
            let clean = st.runs.iter().filter(|r| r.clean()).count();
            vec![
                thousands(st.target),
                thousands(st.achieved()),
                format!("{clean} / {}", st.runs.len()),
                thousands(med(&st.runs, |r| r.delivered_per_s)),
                thousands(med(&st.runs, |r| r.dropped)),
                thousands(med(&st.runs, |r| r.n)),
                if st.pass {
                    if st.producer_bound() {
                        "pass (producer-bound)".to_owned()
                    } else {
                        "pass".to_owned()
                    }
                } else {
                    "fail".to_owned()
                },
            ]
        })
        .collect();
    table(
        &[
            "offered spans/s",
            "reached (median)",
            "runs without drops",
            "delivered spans/s (median)",
            "dropped (median)",
            "spans per run",
            "step",
        ],
        &rows,
    )
}

fn header(ctx: &Context, r: &Results) -> String {
    let m = &ctx.machine;
    let mut s = String::new();
    let _ = writeln!(s, "- Date: {}; commit {}; command `{}`.", ctx.date, ctx.commit, ctx.command);
    let _ = writeln!(s, "- Machine: {} cores (`nproc`), {}, {} RAM, Linux {}.", m.cores, m.model, m.memory, m.kernel);
    let _ = writeln!(
        s,
        "- Load average (1 / 5 / 15 min): {} at the start, {} at the end. The whole run took {:.0} s.",
        ctx.load_start, ctx.load_end, ctx.elapsed_s
    );
    match &ctx.python {
        Some(p) => {
            let _ = writeln!(
                s,
                "- Python: CPython {} with openai-agents {}{} (`{}`).",
                p.version,
                p.agents,
                if p.agents == AGENTS_VERSION { "" } else { " (the reference figures used 0.24.0)" },
                p.exe.display()
            );
        }
        None => {
            let _ = writeln!(s, "- Python: not measured ({NO_PYTHON_HINT})");
        }
    }
    let _ = writeln!(
        s,
        "- Runs per figure: {} (median shown); Python's 1,000,000-span runs: {} each (about 40 s per run). \
         The Rust hot-path figures are medians of the hot-path bench's own 7 runs.",
        r.runs, r.py_big_runs
    );
    s
}

const METHOD: &str = "\
- **Same machine, same run, same server.** Both sides post to one loopback server, `cargo xtask serve` \
  (release build, its own process, 127.0.0.1). It answers every POST with 200 in one write with \
  TCP_NODELAY, and counts requests, body bytes, spans (the `\"trace.span\"` strings) and the arrival time \
  of the last request. It is reset before every run. The producer, its worker thread and the server share \
  the machine's cores.
- **Every run is a fresh process**: the Rust bench executables are built once (bench profile: optimised, \
  thin LTO) and run directly; Python runs a fresh interpreter (`benches/python/*.py`).
- **Hot path** (`crates/trace-batch/benches/hotpath.rs`, `benches/python/hotpath.py`): the exporter discards; \
  the queue holds the whole run (Rust: the next power of two above it; Python: `max_queue_size = N + 16`), \
  so nothing is dropped. `on_span_end` is the processor's call on prebuilt finished spans; the whole span \
  is `custom_span(\"x\").field(\"i\", i)` (data `{\"i\": i}`) created, started and finished inside a trace, through the \
  registered processor. The figure is the wall time of the slowest thread ÷ operations per thread. \
  Python: 100,000 spans per run in total (50,000 per thread with 2 threads).
- **End to end** (`benches/e2e.rs`, `benches/python/e2e.py`): one trace holding N custom spans \
  `(\"x\", {\"i\": i})`, produced as fast as possible, through the batch processor and the OpenAI \
  exporter, then `shutdown()`, which returns after the final drain's last answer. \
  *Delivered spans/s* = spans the server received ÷ (the server's last arrival − the instant before the \
  first span), both read from the machine's real-time clock. *Dropped*: Rust counts them in the \
  processor's stats (queue full + lost); Python logs one `Queue is full, dropping span.` warning per span, \
  counted by a handler on the `openai.agents` logger. For every run the xtask checks received + dropped = \
  produced. *Peak RSS*: VmHWM (Rust), `ru_maxrss` (Python; it includes the ~97 MB that importing the SDK \
  costs). *CPU*: user + sys of the producing process over the run, worker thread included (Python: after \
  the import). The larger batch size is 1000, the `b1000` configuration of the Python reference figures.
- **Export cost alone**: Rust serialises the 128-span batch with `trace_core::wire::write_json(ExportBatch)`; \
  for Python, `BackendSpanExporter.export` runs with the HTTP client's `post` replaced by httpx2's own JSON \
  encoding of the payload, i.e. the SDK's whole path from span objects to body bytes (`item.export()`, its \
  per-item `json.dumps` check, the payload's `json.dumps`). `json.dumps` alone, of prebuilt dicts, is shown \
  too. `export` to the server is the exporter's whole export of that batch (serialisation, POST, answer), \
  on one thread and one keep-alive connection, with no processor.
- **Sustainable rate**: the default pipeline (queue 8192, batch 128, default delay and trigger) with a paced \
  producer. The producer makes every span that is due, then sleeps until the next one is due (the same \
  scheme in both languages; a busy-wait would take a core from the worker and the server, and in Python \
  hold the GIL). Each step produces max(2 s × rate, 50,000) spans, several times the queue. A step passes \
  when 2 runs are clean (nothing dropped, and the server received every span) before 2 are not. The rates \
  step up (Rust 100k, 200k, 400k, 800k, 1.2M, 1.6M, 2.4M, …; Python 10k, 15k, 20k, 25k, 30k, …) until a \
  step fails, then two bisection steps narrow it down. A step whose producer reached less than 90 % of the \
  offered rate is marked producer-bound: there, the producer, not the pipeline, is the limit.
- **Noise**: this is a shared machine; other work may run during the benchmark (see the load average \
  above), and run-to-run spread is often ±30 %. The ratios, measured side by side in one run, are the \
  figures that count. The raw JSON lines of the run are in `target/bench-raw.jsonl`.";

/// The `tracing` layer bench: ns per span of each variant, min / median / max over the
/// rounds, and its ratio to tracing-opentelemetry at the median.
fn layer_table(r: &Results) -> String {
    let otel = r.layer.iter().find(|(v, _)| v == "otel").map(|(_, runs)| median(runs));
    fn name(v: &str) -> &str {
        match v {
            "agents" => "`AgentsLayer` → `BatchTraceProcessor` (discarding exporter)",
            "fmt" => "tracing-subscriber `fmt` layer → `io::sink()`",
            "otel" => "tracing-opentelemetry → `opentelemetry_sdk` `BatchSpanProcessor` (discarding exporter)",
            other => other,
        }
    }
    let rows: Vec<Vec<String>> = r
        .layer
        .iter()
        .map(|(v, runs)| {
            let (lo, hi) = min_max(runs, |x| *x);
            let m = median(runs);
            let vs = otel.map_or_else(|| "—".to_owned(), |o| format!("{:.2}x", o / m));
            vec![name(v).to_owned(), format!("{lo:.0} / {m:.0} / {hi:.0}"), vs]
        })
        .collect();
    format!(
        "\n### The `tracing` layer\n\nns per bridged span (a GenAI `chat` span: create, enter, record two token \
         counts, exit, close) inside one entered agent span, {} interleaved rounds of 200,000 spans \
         (`benches/otel/src/bin/layer.rs`); both batch processors hold a whole round and deliver every span \
         (checked). Speed relative to tracing-opentelemetry: its median ÷ the variant's (above 1 is faster).\n\n{}",
        r.layer.first().map_or(0, |(_, runs)| runs.len()),
        table(&["layer", "ns per span (min / median / max)", "speed vs tracing-opentelemetry"], &rows)
    )
}

/// A figure's value in its unit.
fn value(unit: Unit, v: f64) -> String {
    match unit {
        Unit::NsPerSpan | Unit::Mib => dec(v, 1),
        Unit::SpansPerS => thousands(v),
        Unit::Bytes => dec(v, 0),
    }
}

/// `median [min, max]`, or the value alone when there is one.
fn spread(unit: Unit, v: &[f64]) -> String {
    match Spread::of(v) {
        None => "-".to_owned(),
        Some(s) if v.len() == 1 => value(unit, s.median),
        Some(s) => format!("{} [{}, {}]", value(unit, s.median), value(unit, s.min), value(unit, s.max)),
    }
}

fn otel_row(f: &Figure) -> Vec<String> {
    let ratio = f.ratio().map_or_else(
        || "-".to_owned(),
        |r| {
            if f.ours.len() > 1 {
                format!("{:.2} ({:.2}–{:.2})", r.median, r.min, r.max)
            } else {
                format!("{:.2}", r.median)
            }
        },
    );
    let goal = match f.goal {
        Goal::None => "—".to_owned(),
        Goal::AtMost(g) => format!("≤ {g:.1}"),
        Goal::AtLeast(g) => format!("≥ {g:.1}"),
        Goal::AtLeastAnd { ratio, ours } => format!("≥ {ratio:.1} and ours ≥ {}", thousands(ours)),
    };
    let verdict = match f.pass() {
        Some(true) => "**pass**",
        Some(false) => "**fail**",
        None => "—",
    };
    vec![f.label.clone(), ratio, spread(f.unit, &f.ours), spread(f.unit, &f.otel), goal, verdict.to_owned()]
}

/// The comparison with opentelemetry-rust: the table, the steal time, the rate searches.
fn otel_section(o: &OtelResults) -> String {
    let mut s = String::from("\n## Against opentelemetry-rust\n\n");
    let _ = writeln!(
        s,
        "The `otel` workload of `cargo xtask bench` (alone: `--only otel`): this project against `opentelemetry_sdk` 0.33 (`BatchSpanProcessor`) and \
         `opentelemetry-otlp` 0.33 (HTTP/protobuf) in `benches/otel`, {} interleaved rounds (each round runs every \
         variant once, each a fresh process, in turn). The ratio is ours ÷ opentelemetry-rust per round: median \
         (min–max over the rounds); the absolute figures are median [min, max]. Steal time over the workload \
         (/proc/stat): {}.{}\n",
        o.rounds,
        o.steal_pct.map_or_else(|| "unknown".to_owned(), |p| format!("{p:.1} % of all CPU time")),
        if o.smoke { " **Smoke run (`BENCH_OTEL_SMOKE`): a tenth of the spans; not figures to compare.**" } else { "" }
    );
    let rows: Vec<Vec<String>> = o.figures.iter().map(otel_row).collect();
    s.push_str(&table(&["figure", "ours ÷ otel", "ours", "opentelemetry-rust", "goal (ratio)", "verdict"], &rows));
    s.push_str(
        "\nSpans: `custom_span(\"x\").field(\"i\", i)` (data `{\"i\": i}`) inside one trace (ours), a child span `x` of one \
         root span with the integer attribute `i` (theirs). Whole span: create, start, set `i`, end, enqueue, timed \
         on the producer thread (`benches/e2e.rs --hot`, `otel-e2e-bench --hot`): 100,000 spans of warm-up then \
         200,000 with a queue of 65,536, or (fresh process) 1,000 then 200,000 with a queue of 1,048,576; each \
         side's default batch size, an exporter that discards. Ours is made the current span while it runs and the \
         context restored at its end (Python's `with`; a push and a pop of the thread's context stack); theirs is \
         started under an explicit parent context and never attached. Delivered spans/s: 1,000,000 spans as fast as one \
         thread makes them, spans the loopback server received ÷ (its last arrival − the first span's start); \
         with the defaults (ours: queue 8,192, batch 128; theirs: queue 2,048, batch 512) most spans are dropped \
         (counted on both sides). Peak RSS: VmHWM of those default runs. Rate: the `rate` workload's search, \
         once per round for each side, defaults, paced producer. Memory per queued span: (RSS after − RSS before) ÷ 200,000 spans held in \
         a queue of 262,144 while the exporter waits at a gate; the queue allocated up front (ours: 24 bytes \
         per slot, a stamp and the item; theirs: a `SpanData` per slot of `std::sync::mpsc::sync_channel`) is in the \"pipeline \
         installed\" row, not in that figure.\n",
    );
    if !o.notes.is_empty() {
        s.push('\n');
    }
    for note in &o.notes {
        let _ = writeln!(s, "- Note: {note}");
    }
    for (round, (ours, otel)) in o.rate_ours.iter().zip(&o.rate_otel).enumerate() {
        for (name, search) in [("ours", ours), ("opentelemetry-rust", otel)] {
            let _ = write!(s, "\n### Sustainable rate search, round {}: {name}\n\n{}", round + 1, search_table(search));
        }
    }
    s
}

/// The whole BENCHMARKS.md text (without the kept hand-written section).
pub(crate) fn render(ctx: &Context, r: &Results) -> String {
    let mut s = String::new();
    s.push_str("# Benchmarks: agents-tracing (Rust) against the OpenAI Agents SDK (Python)\n\n");
    s.push_str("Generated by `cargo xtask bench`; both sides measured on the same machine in one run.\n\n");
    s.push_str(&header(ctx, r));
    s.push_str("\n## Targets\n\n");
    s.push_str(&targets(r));
    if let Some(l) = export_limit(r) {
        let _ = write!(
            s,
            "\nThe export limit: the exporter alone (`export` of a 128-span batch to the loopback server, one \
             thread) costs {:.0} ns per span, of which serialisation is {:.0} ns; that caps one worker at {} \
             spans/s. The issue's estimate, ~220 ns serialisation + ~575 ns posting, gives {} spans/s.\n",
            l.export_ns,
            l.ser_ns,
            thousands(l.limit),
            thousands(1e9 / 795.0)
        );
    }
    s.push_str("\n## Results\n\n");
    s.push_str("\"Rust's advantage\" is Python ÷ Rust for costs and Rust ÷ Python for rates.\n\n");
    s.push_str(&main_table(r));
    for (name, search) in [("Rust", &r.rate_rust), ("Python SDK", &r.rate_python)] {
        if let Some(search) = search {
            let _ = write!(s, "\n### Sustainable rate search: {name}\n\n{}", search_table(search));
        }
    }
    if !r.layer.is_empty() {
        s.push_str(&layer_table(r));
    }
    if let Some(o) = &r.otel {
        s.push_str(&otel_section(o));
    }
    s.push_str("\n## Method\n\n");
    s.push_str(METHOD);
    s.push('\n');
    if !r.rust_hotpath_table.is_empty() {
        s.push_str("\n## The Rust hot-path bench's full table\n\n```text\n");
        s.push_str(r.rust_hotpath_table.trim());
        s.push_str("\n```\n");
    }
    if ctx.quick {
        s.push_str("\n(quick smoke run: tiny workloads, one run each; not figures to compare)\n");
    }
    s
}

/// What is printed at the end of a run.
pub(crate) fn summary_for_terminal(ctx: &Context, r: &Results) -> String {
    render(ctx, r).split("\n## Method").next().unwrap_or_default().to_owned()
}

/// Writes `text` to `path`, keeping what follows [`KEEP_MARKER`] in the existing file.
pub(crate) fn write(path: &Path, text: &str) -> Result<(), String> {
    let kept = std::fs::read_to_string(path)
        .ok()
        .and_then(|old| old.find(KEEP_MARKER).map(|i| old[i..].to_owned()))
        .unwrap_or_else(|| format!("{KEEP_MARKER}\n"));
    std::fs::write(path, format!("{text}\n{kept}")).map_err(|e| format!("writing {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(thousands(1_234_567.4), "1,234,567");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(thousands(0.0), "0");
        assert_eq!(ratio(23.4), "23×");
        assert_eq!(ratio(2.345), "2.3×");
    }
}
