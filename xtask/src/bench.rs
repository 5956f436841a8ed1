//! `cargo xtask bench`: the Rust benchmarks side by side with the Python SDK, on the same
//! machine in one run, against the same loopback server.
//!
//! ```text
//! cargo xtask bench [--quick] [--runs N] [--python PATH] [--setup-python] [--no-python]
//!                   [--only hotpath,e2e,serialize,rate,layer,otel] [--out FILE] [--wait-quiet]
//! ```
//!
//! Workloads (each figure the median of `--runs` runs, 5 by default):
//! 1. hot path: ns per `on_span_end` and per whole span, 1 and 2 producer threads
//!    (`crates/trace-batch/benches/hotpath.rs`, `benches/python/hotpath.py`), and the
//!    whole span under each production control (sampling at 100, 10 and 0 %, a redactor,
//!    sensitive data off) beside the plain figure, in interleaved rounds (`--runs` runs
//!    per row);
//! 2. end to end: 100,000 and 1,000,000 custom spans in one trace through the batch
//!    processor and the OpenAI exporter to the loopback server (`cargo xtask serve`), batch
//!    128 (the default) and 1000 (`benches/e2e.rs`, `benches/python/e2e.py`);
//! 3. export cost alone: JSON serialisation of a 128-span batch, and `export` of it to the
//!    server (`benches/e2e.rs --serialize / --export-only`, `benches/python/serialize.py`);
//! 4. the sustainable rate: the highest paced rate the default pipeline delivers with zero
//!    drops, found by stepping the offered rate;
//! 5. the `tracing` layer: ns per bridged span (create, enter, record, exit, close) through
//!    `trace_layer::AgentsLayer` into a batch processor, against tracing-subscriber's `fmt`
//!    layer and tracing-opentelemetry with `opentelemetry_sdk` (`benches/otel`, its own
//!    workspace, built here only; not part of `--quick`);
//! 6. against opentelemetry-rust 0.33 (`otel`; `benches/otel`, not part of `--quick`): the
//!    whole span (ns, with and without data, warm and in a fresh process), delivered spans/s
//!    and peak RSS with each library's default batch processor, the highest zero-drop rate,
//!    the OTLP exporters with a queue that holds every span, and resident bytes per queued
//!    span, in interleaved rounds (max(`--runs`, 3)), as ratios ours ÷ theirs with min and
//!    max over the rounds, and the machine's steal time over the workload (`bench/otel.rs`).
//!
//! Python is used when found (`--python PATH`, else `target/bench-venv/bin/python`, else a
//! `python3` that imports `agents`); `--setup-python` makes `target/bench-venv` first.
//! The table is printed and, unless `--quick`, written to BENCHMARKS.md (a section below
//! the marker [`report::KEEP_MARKER`] in an existing file is kept).
//!
//! `--wait-quiet` waits (up to 20 minutes) for the 1-minute load average to fall below 0.7
//! before it starts, for a shared machine.
//!
//! `--quick` (also `bench::smoke()`, run by `cargo xtask ci`) is a seconds-long run of every
//! Rust workload without Python; it checks only that each runs and that the end-to-end run
//! accounts for every span (received + dropped = produced, which is exact).

mod json;
mod machine;
mod otel;
mod procs;
mod report;

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use json::Obj;
use procs::{Binaries, Python, Received, Server};

/// What the command line asked for.
#[derive(Debug)]
struct Options {
    quick: bool,
    runs: usize,
    python: Option<PathBuf>,
    setup_python: bool,
    no_python: bool,
    only: Vec<String>,
    out: PathBuf,
    wait_quiet: bool,
}

const WORKLOADS: &[&str] = &["hotpath", "e2e", "serialize", "rate", "layer", "otel"];

const USAGE: &str = "usage: cargo xtask bench [--quick] [--runs N] [--python PATH] [--setup-python] [--no-python] \
                     [--only hotpath,e2e,serialize,rate,layer,otel] [--out FILE] [--wait-quiet]";

impl Options {
    fn parse(args: &[String]) -> Result<Self, String> {
        let mut o = Options {
            quick: false,
            runs: 5,
            python: None,
            setup_python: false,
            no_python: false,
            only: WORKLOADS.iter().map(|s| (*s).to_owned()).collect(),
            out: crate::cmd::root().join("BENCHMARKS.md"),
            wait_quiet: false,
        };
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let mut value = || it.next().cloned().ok_or_else(|| format!("{a} needs a value\n{USAGE}"));
            match a.as_str() {
                "--quick" => o.quick = true,
                "--runs" => {
                    o.runs = value()?.parse().map_err(|e| format!("--runs: {e}"))?;
                    if o.runs == 0 {
                        return Err("--runs must be at least 1".to_owned());
                    }
                }
                "--python" => o.python = Some(PathBuf::from(value()?)),
                "--setup-python" => o.setup_python = true,
                "--no-python" => o.no_python = true,
                "--only" => {
                    o.only = value()?.split(',').map(str::to_owned).collect();
                    if let Some(w) = o.only.iter().find(|w| !WORKLOADS.contains(&w.as_str())) {
                        return Err(format!("--only: unknown workload {w:?}; known: {}", WORKLOADS.join(",")));
                    }
                }
                "--out" => o.out = PathBuf::from(value()?),
                "--wait-quiet" => o.wait_quiet = true,
                _ => return Err(format!("unknown argument {a:?}\n{USAGE}")),
            }
        }
        Ok(o)
    }

    fn wants(&self, workload: &str) -> bool {
        self.only.iter().any(|w| w == workload)
    }
}

/// One end-to-end run, as the report needs it.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct E2eRun {
    /// Spans produced.
    pub(crate) n: f64,
    /// n / the producer's own time.
    pub(crate) offered_per_s: f64,
    /// Spans received / (the server's last arrival - the first span's start).
    pub(crate) delivered_per_s: f64,
    /// Spans the server counted.
    pub(crate) received: f64,
    /// Spans the producing process says it dropped (queue full, lost).
    pub(crate) dropped: f64,
    pub(crate) requests: f64,
    pub(crate) bytes_per_span: f64,
    pub(crate) peak_rss_mib: f64,
    pub(crate) cpu_s: f64,
}

impl E2eRun {
    /// Every span arrived and none was reported dropped.
    pub(crate) fn clean(&self) -> bool {
        self.dropped == 0.0 && self.received == self.n
    }

    fn from(o: &Obj, n: u64, dropped: f64, got: Received) -> Result<Self, String> {
        let start = o.num("start_unix_ns")?;
        let secs = (got.last_unix_ns - start) / 1e9;
        Ok(Self {
            n: n as f64,
            offered_per_s: n as f64 / o.num("produce_s")?,
            delivered_per_s: if got.spans > 0.0 && secs > 0.0 { got.spans / secs } else { 0.0 },
            received: got.spans,
            dropped,
            requests: got.requests,
            bytes_per_span: if got.spans > 0.0 { got.bytes / got.spans } else { 0.0 },
            peak_rss_mib: o.num("peak_rss_mib")?,
            cpu_s: o.num("cpu_s")?,
        })
    }
}

/// Medians (and extremes) of a field over runs.
pub(crate) fn median(v: &[f64]) -> f64 {
    let mut v: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 0 {
        (v[m - 1] + v[m]) / 2.0
    } else {
        v[m]
    }
}

pub(crate) fn med<T>(runs: &[T], f: impl Fn(&T) -> f64) -> f64 {
    median(&runs.iter().map(f).collect::<Vec<_>>())
}

pub(crate) fn min_max<T>(runs: &[T], f: impl Fn(&T) -> f64) -> (f64, f64) {
    runs.iter().map(f).fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| (lo.min(x), hi.max(x)))
}

/// A hot-path figure: ns per operation per producer thread, median over runs.
#[derive(Debug)]
pub(crate) struct HotRow {
    pub(crate) what: &'static str,
    pub(crate) threads: usize,
    pub(crate) rust: Option<f64>,
    pub(crate) python: Option<f64>,
}

/// One end-to-end configuration.
#[derive(Debug)]
pub(crate) struct E2eRow {
    pub(crate) n: u64,
    pub(crate) batch: usize,
    pub(crate) rust: Vec<E2eRun>,
    pub(crate) python: Vec<E2eRun>,
}

/// The export path alone.
#[derive(Debug, Default)]
pub(crate) struct Export {
    /// serde_json of a 128-span batch: ns/span, spans/s, MB/s.
    pub(crate) rust_ser: Vec<(f64, f64, f64)>,
    /// `export` of a 128-span batch to the server: ns/span.
    pub(crate) rust_export: Vec<f64>,
    /// The SDK's exporter from span objects to body bytes: ns/span, spans/s, MB/s.
    pub(crate) py_ser: Vec<(f64, f64, f64)>,
    /// json.dumps of the prebuilt payload: ns/span.
    pub(crate) py_dumps: Vec<f64>,
    /// The SDK's `export` of a 128-span batch to the server: ns/span.
    pub(crate) py_export: Vec<f64>,
}

/// The offered rates the search steps up for a Rust pipeline (ours, and opentelemetry-rust's).
const RATE_LADDER: &[f64] = &[100e3, 200e3, 400e3, 800e3, 1.2e6, 1.6e6, 2.4e6, 3.2e6, 4.8e6];

/// One step of the sustainable-rate search.
#[derive(Debug)]
pub(crate) struct Step {
    pub(crate) target: f64,
    pub(crate) runs: Vec<E2eRun>,
    pub(crate) pass: bool,
}

impl Step {
    /// The rate the producer actually reached (median).
    pub(crate) fn achieved(&self) -> f64 {
        med(&self.runs, |r| r.offered_per_s)
    }

    /// The producer fell more than 10 % short of the target: it, not the pipeline, is the limit.
    pub(crate) fn producer_bound(&self) -> bool {
        self.achieved() < 0.9 * self.target
    }
}

/// The outcome of the search.
#[derive(Debug, Default)]
pub(crate) struct Search {
    pub(crate) steps: Vec<Step>,
    /// The highest passing step's target rate.
    pub(crate) sustainable: Option<f64>,
    /// The highest step passed with the producer unable to offer more.
    pub(crate) producer_bound: bool,
}

impl Search {
    pub(crate) fn best_step(&self) -> Option<&Step> {
        let s = self.sustainable?;
        self.steps.iter().find(|st| st.pass && st.target == s)
    }
}

/// Everything measured, for the report.
#[derive(Debug, Default)]
pub(crate) struct Results {
    pub(crate) hot: Vec<HotRow>,
    pub(crate) rust_hotpath_table: String,
    pub(crate) e2e: Vec<E2eRow>,
    pub(crate) export: Export,
    pub(crate) rate_rust: Option<Search>,
    pub(crate) rate_python: Option<Search>,
    /// Runs per figure: Rust and Python in general, and Python's 1M-span runs.
    pub(crate) runs: usize,
    pub(crate) py_big_runs: usize,
    /// Spans that neither arrived nor were reported dropped (should be 0).
    pub(crate) unaccounted: Vec<String>,
    /// The `tracing` layer bench: each variant's ns per span, one per round.
    pub(crate) layer: Vec<(String, Vec<f64>)>,
    /// The comparison with opentelemetry-rust.
    pub(crate) otel: Option<otel::OtelResults>,
    pub(crate) raw: Vec<String>,
}

/// The run's context: binaries, server, Python, options.
struct Bench<'a> {
    o: &'a Options,
    bins: Binaries,
    server: Server,
    python: Option<Python>,
    r: Results,
    started: Instant,
}

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let o = Options::parse(args)?;
    if o.setup_python {
        procs::setup_python()?;
    }
    let python =
        if o.no_python || (o.quick && o.python.is_none()) { None } else { procs::find_python(o.python.as_deref())? };
    match &python {
        Some(p) => eprintln!("bench: Python {} with openai-agents {} at {}", p.version, p.agents, p.exe.display()),
        None if o.quick || o.no_python => eprintln!("bench: Rust only (no Python comparison asked for)"),
        None => eprintln!("bench: {}", report::NO_PYTHON_HINT),
    }
    if o.wait_quiet {
        wait_quiet();
    }
    let machine = machine::Machine::probe();
    let load_start = machine::load_average();
    let date = machine::utc_now();
    let started = Instant::now();
    let bins = Binaries::build(o.quick)?;
    let server = Server::start(&bins.server)?;
    eprintln!("bench: loopback server at {}", server.endpoint());
    let py_big_runs = o.runs.div_ceil(2);
    let mut b = Bench {
        o: &o,
        bins,
        server,
        python,
        r: Results { runs: if o.quick { 1 } else { o.runs }, py_big_runs, ..Results::default() },
        started,
    };
    if o.wants("hotpath") {
        b.hotpath()?;
    }
    if o.wants("e2e") {
        b.e2e()?;
    }
    if o.wants("serialize") {
        b.serialize()?;
    }
    if o.wants("rate") && !o.quick {
        b.rate()?;
    }
    if o.wants("layer") && !o.quick {
        b.layer()?;
    }
    if o.wants("otel") && !o.quick {
        b.otel()?;
    }
    let load_end = machine::load_average();
    let elapsed = b.started.elapsed().as_secs_f64();
    let ctx = report::Context {
        machine,
        date,
        commit: machine::commit(),
        command: std::iter::once("cargo xtask bench".to_owned())
            .chain(args.iter().cloned())
            .collect::<Vec<_>>()
            .join(" "),
        load_start,
        load_end,
        elapsed_s: elapsed,
        python: b.python.clone(),
        quick: o.quick,
    };
    let text = report::render(&ctx, &b.r);
    println!("{}", report::summary_for_terminal(&ctx, &b.r));
    if !b.r.unaccounted.is_empty() && o.quick {
        return Err(format!("spans unaccounted for: {}", b.r.unaccounted.join("; ")));
    }
    if !o.quick {
        let raw = crate::cmd::root().join("target").join("bench-raw.jsonl");
        let _ = std::fs::create_dir_all(raw.parent().unwrap_or(&raw));
        let _ = std::fs::write(&raw, b.r.raw.join("\n") + "\n");
        report::write(&o.out, &text)?;
        eprintln!("bench: wrote {} (raw JSON lines in {})", o.out.display(), raw.display());
    }
    if b.python.is_none() && !o.quick && !o.no_python {
        eprintln!("bench: {}", report::NO_PYTHON_HINT);
    }
    eprintln!("bench: done in {elapsed:.0} s");
    Ok(())
}

/// Waits up to 20 minutes for the 1-minute load average to fall below 0.7.
fn wait_quiet() {
    let t = Instant::now();
    while machine::load_1min() >= 0.7 && t.elapsed().as_secs() < 20 * 60 {
        eprintln!(
            "bench: load average {}; waiting for < 0.7 ({:.0} s so far)",
            machine::load_average(),
            t.elapsed().as_secs_f64()
        );
        std::thread::sleep(std::time::Duration::from_secs(30));
    }
    eprintln!("bench: load average {} after {:.0} s of waiting", machine::load_average(), t.elapsed().as_secs_f64());
}

/// A seconds-long run of every Rust workload, so CI notices one that no longer runs.
pub(crate) fn smoke() -> Result<(), String> {
    run(&["--quick".to_owned()])
}

impl Bench<'_> {
    fn note(&self, what: &str) {
        eprintln!("[{:>5.0} s] {what}", self.started.elapsed().as_secs_f64());
    }

    fn python_cmd(&self, script: &str) -> Option<Command> {
        let p = self.python.as_ref()?;
        let mut c = Command::new(&p.exe);
        c.arg(procs::scripts().join(script));
        Some(c)
    }

    /// The `tracing` layer bench (`benches/otel/src/bin/layer.rs`): its variants run
    /// interleaved in one process, one round each in turn; every round must deliver every
    /// span through both batch processors.
    fn layer(&mut self) -> Result<(), String> {
        self.note("tracing layer: AgentsLayer, fmt, tracing-opentelemetry (benches/otel)");
        let exe = procs::build_otel_bin("layer bench (benches/otel)", "layer-bench")?;
        let spans: u64 = 200_000;
        let mut c = Command::new(exe);
        c.args(["--rounds", &self.o.runs.max(3).to_string(), "--spans", &spans.to_string()]);
        let out = procs::capture("layer bench", &mut c)?;
        for line in out.lines() {
            let Some(o) = json::parse(line) else { continue };
            self.r.raw.push(line.to_owned());
            let variant = o.str("variant").ok_or("layer bench: a line without its variant")?.to_owned();
            let delivered = o.num("delivered")?;
            if delivered < spans as f64 + 1.0 {
                return Err(format!("layer bench: {variant} delivered {delivered} of {} spans", spans + 1));
            }
            let ns = o.num("ns_per_span")?;
            match self.r.layer.iter_mut().find(|(v, _)| *v == variant) {
                Some((_, runs)) => runs.push(ns),
                None => self.r.layer.push((variant, vec![ns])),
            }
        }
        Ok(())
    }

    fn hotpath(&mut self) -> Result<(), String> {
        self.note("hot path: Rust (crates/trace-batch/benches/hotpath.rs)");
        let mut c = Command::new(&self.bins.hotpath);
        c.arg("--bench").env("HOTPATH_JSON", "1").current_dir(crate::cmd::root());
        if self.o.quick {
            c.env("HOTPATH_QUICK", "1");
        } else {
            c.env("HOTPATH_RUNS", self.o.runs.to_string());
        }
        let out = procs::capture("hotpath bench", &mut c)?;
        let rows = json::objects(&out);
        self.r.raw.extend(out.lines().filter(|l| json::parse(l).is_some()).map(str::to_owned));
        self.r.rust_hotpath_table = out.lines().filter(|l| json::parse(l).is_none()).collect::<Vec<_>>().join("\n");
        // The comparable rows: a queue that holds the whole run (Python's hotpath.py uses
        // max_queue_size = N + 16), i.e. the largest queue of each measure and thread count.
        let rust = |measure: &str, threads: usize| {
            rows.iter()
                .filter(|r| r.str("measure") == Some(measure) && r.num("threads").ok() == Some(threads as f64))
                .max_by(|a, b| a.num("queue").unwrap_or(0.0).total_cmp(&b.num("queue").unwrap_or(0.0)))
                .and_then(|r| r.num("median_ns").ok())
        };
        for (what, measure, py_what) in
            [("on_span_end", "on_span_end", "on_span_end"), ("whole span", "whole span (registry)", "whole_span")]
        {
            for threads in [1, 2] {
                let python = self.hot_python(py_what, threads)?;
                self.r.hot.push(HotRow { what, threads, rust: rust(measure, threads), python });
            }
        }
        Ok(())
    }

    fn hot_python(&mut self, what: &str, threads: usize) -> Result<Option<f64>, String> {
        if self.python.is_none() {
            return Ok(None);
        }
        self.note(&format!("hot path: Python {what}, {threads} thread(s), {} runs", self.o.runs));
        let mut ns = Vec::new();
        for _ in 0..self.o.runs {
            let Some(mut c) = self.python_cmd("hotpath.py") else { return Ok(None) };
            c.args(["--what", what, "--threads", &threads.to_string(), "--n", "100000"]);
            let (o, line) = procs::run_json("python hotpath.py", &mut c)?;
            ns.push(o.num("ns_per_op_per_thread")?);
            self.r.raw.push(line);
        }
        Ok(Some(median(&ns)))
    }

    fn e2e_rust(&mut self, n: u64, batch: usize, rate: f64) -> Result<E2eRun, String> {
        self.server.reset()?;
        let mut c = Command::new(&self.bins.e2e);
        c.args(["--bench", "--endpoint", &self.server.endpoint()]);
        c.args(["--n", &n.to_string(), "--batch", &batch.to_string(), "--queue", "8192"]);
        c.args(["--rate", &rate.to_string()]);
        let (o, line) = procs::run_json("e2e bench", &mut c)?;
        let got = self.server.received()?;
        self.r.raw.push(line);
        let dropped = o.num("dropped")? + o.num("lost")?;
        self.check_accounting("Rust", n, dropped, got);
        E2eRun::from(&o, n, dropped, got)
    }

    fn e2e_python(&mut self, n: u64, batch: usize, rate: f64) -> Result<Option<E2eRun>, String> {
        let Some(mut c) = self.python_cmd("e2e.py") else { return Ok(None) };
        self.server.reset()?;
        c.args(["--endpoint", &self.server.endpoint()]);
        c.args(["--n", &n.to_string(), "--batch", &batch.to_string(), "--rate", &rate.to_string()]);
        let (o, line) = procs::run_json("python e2e.py", &mut c)?;
        let got = self.server.received()?;
        self.r.raw.push(line);
        let dropped = o.num("dropped")?;
        self.check_accounting("Python", n, dropped, got);
        E2eRun::from(&o, n, dropped, got).map(Some)
    }

    /// Received + reported drops must equal what was produced.
    fn check_accounting(&mut self, who: &str, n: u64, dropped: f64, got: Received) {
        if got.spans + dropped != n as f64 {
            let msg = format!("{who}: {n} produced, {} received, {dropped} reported dropped", got.spans);
            eprintln!("bench: WARNING: spans unaccounted for: {msg}");
            self.r.unaccounted.push(msg);
        }
    }

    fn e2e(&mut self) -> Result<(), String> {
        let configs: &[(u64, usize)] = if self.o.quick {
            &[(10_000, 128)]
        } else {
            &[(100_000, 128), (100_000, 1000), (1_000_000, 128), (1_000_000, 1000)]
        };
        for &(n, batch) in configs {
            let runs = self.r.runs;
            self.note(&format!("end to end: Rust, {n} spans, batch {batch}, {runs} runs"));
            let mut rust = Vec::new();
            for _ in 0..runs {
                rust.push(self.e2e_rust(n, batch, 0.0)?);
            }
            let mut python = Vec::new();
            if self.python.is_some() {
                let py_runs = if n >= 1_000_000 { self.r.py_big_runs } else { runs };
                self.note(&format!("end to end: Python, {n} spans, batch {batch}, {py_runs} runs"));
                for _ in 0..py_runs {
                    python.extend(self.e2e_python(n, batch, 0.0)?);
                }
            }
            self.r.e2e.push(E2eRow { n, batch, rust, python });
        }
        Ok(())
    }

    fn serialize(&mut self) -> Result<(), String> {
        let runs = self.r.runs;
        let (ser_n, export_n, py_n) =
            if self.o.quick { ("12800", "12800", "1280") } else { ("2560000", "256000", "64000") };
        self.note(&format!("export cost: Rust serialisation and export alone, {runs} runs"));
        for _ in 0..runs {
            let mut c = Command::new(&self.bins.e2e);
            c.args(["--bench", "--serialize", "--n", ser_n]);
            let (o, line) = procs::run_json("e2e bench --serialize", &mut c)?;
            self.r.export.rust_ser.push((o.num("ns_per_span")?, o.num("spans_per_s")?, o.num("mb_per_s")?));
            self.r.raw.push(line);
            let mut c = Command::new(&self.bins.e2e);
            c.args(["--bench", "--export-only", "--n", export_n, "--endpoint", &self.server.endpoint()]);
            let (o, line) = procs::run_json("e2e bench --export-only", &mut c)?;
            self.r.export.rust_export.push(o.num("ns_per_span")?);
            self.r.raw.push(line);
        }
        if self.python.is_some() {
            self.note(&format!("export cost: Python serialisation and export alone, {runs} runs"));
            for _ in 0..runs {
                let Some(mut c) = self.python_cmd("serialize.py") else { break };
                c.args(["--n", py_n, "--endpoint", &self.server.endpoint()]);
                let (o, line) = procs::run_json("python serialize.py", &mut c)?;
                let e = &mut self.r.export;
                e.py_ser.push((o.num("ns_per_span")?, o.num("spans_per_s")?, o.num("mb_per_s")?));
                e.py_dumps.push(o.num("dumps_ns_per_span")?);
                e.py_export.push(o.num("post_ns_per_span")?);
                self.r.raw.push(line);
            }
        }
        Ok(())
    }

    fn rate(&mut self) -> Result<(), String> {
        const RUST: &[f64] = RATE_LADDER;
        const PYTHON: &[f64] = &[10e3, 15e3, 20e3, 25e3, 30e3, 35e3, 40e3, 50e3, 60e3];
        self.note("sustainable rate: Rust");
        let rust = self.search(RUST, 10e3, |b, rate, n| b.e2e_rust(n, 128, rate).map(Some))?;
        self.r.rate_rust = Some(rust);
        if self.python.is_some() {
            self.note("sustainable rate: Python");
            let python = self.search(PYTHON, 1e3, |b, rate, n| b.e2e_python(n, 128, rate))?;
            self.r.rate_python = Some(python);
        }
        Ok(())
    }

    /// One step: runs at `rate` until two runs are clean (pass) or two are not (fail).
    fn step(
        &mut self,
        rate: f64,
        run: &mut impl FnMut(&mut Self, f64, u64) -> Result<Option<E2eRun>, String>,
    ) -> Result<Step, String> {
        // Long enough to fill the 8192-span queue several times over.
        let n = (2.0 * rate).max(50_000.0) as u64;
        let (mut clean, mut failed) = (0, 0);
        let mut runs = Vec::new();
        while clean < 2 && failed < 2 {
            let Some(r) = run(self, rate, n)? else { break };
            if r.clean() {
                clean += 1;
            } else {
                failed += 1;
            }
            runs.push(r);
        }
        let step = Step { target: rate, runs, pass: clean >= 2 };
        self.note(&format!(
            "  offered {:.0}/s (reached {:.0}/s): {} of {} runs without drops -> {}",
            rate,
            step.achieved(),
            clean,
            step.runs.len(),
            if step.pass { "pass" } else { "fail" }
        ));
        Ok(step)
    }

    /// Steps up `ladder` until a step fails (down from its first rung if that fails), then
    /// bisects twice between the last pass and the first failure (to multiples of `round`).
    fn search(
        &mut self,
        ladder: &[f64],
        round: f64,
        mut run: impl FnMut(&mut Self, f64, u64) -> Result<Option<E2eRun>, String>,
    ) -> Result<Search, String> {
        let mut s = Search::default();
        let (mut pass, mut fail) = (None::<f64>, None::<f64>);
        for &rate in ladder {
            let step = self.step(rate, &mut run)?;
            let (ok, bound) = (step.pass, step.producer_bound());
            s.steps.push(step);
            if ok {
                pass = Some(rate);
                if bound {
                    s.producer_bound = true;
                    break;
                }
            } else {
                fail = Some(rate);
                break;
            }
        }
        if pass.is_none() {
            let mut rate = ladder[0] / 2.0;
            for _ in 0..3 {
                let step = self.step(rate, &mut run)?;
                let ok = step.pass;
                s.steps.push(step);
                if ok {
                    pass = Some(rate);
                    break;
                }
                fail = Some(rate);
                rate /= 2.0;
            }
        }
        if let (Some(mut lo), Some(mut hi)) = (pass, fail) {
            for _ in 0..2 {
                let mid = ((lo + hi) / 2.0 / round).round() * round;
                if mid <= lo || mid >= hi {
                    break;
                }
                let step = self.step(mid, &mut run)?;
                let (ok, bound) = (step.pass, step.producer_bound());
                s.steps.push(step);
                if ok {
                    lo = mid;
                    s.producer_bound = bound;
                } else {
                    hi = mid;
                }
            }
            pass = Some(lo);
        }
        s.sustainable = pass;
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(&[]).is_nan());
    }

    #[test]
    fn options() {
        let o = Options::parse(&["--quick".into(), "--runs".into(), "3".into()]).unwrap();
        assert!(o.quick && o.runs == 3 && o.wants("rate"));
        let o = Options::parse(&["--only".into(), "e2e,rate".into()]).unwrap();
        assert!(o.wants("e2e") && !o.wants("hotpath"));
        assert!(Options::parse(&["--runs".into(), "0".into()]).is_err());
        assert!(Options::parse(&["--bogus".into()]).is_err());
    }
}
