//! The `otel` workload: this project against opentelemetry-rust 0.33 (`opentelemetry_sdk`'s
//! `BatchSpanProcessor`, `opentelemetry-otlp` HTTP/protobuf; `benches/otel`, its own
//! workspace, built here only), in interleaved rounds: each round runs every variant once,
//! each a fresh process, in turn, so a noisy moment hits both sides. Figures, ours ÷ theirs
//! per round (median, min and max over the rounds):
//!
//! 1. whole span with data `i`, 1 thread, ns/span: 100,000 spans of warm-up, then 200,000
//!    timed on the producer thread; queue 65,536, each side's default batch, a discarding
//!    exporter (`benches/e2e.rs --hot`, `otel-e2e-bench --hot`);
//! 2. the same without data (informational);
//! 3. a fresh process: 1,000 spans of warm-up, 200,000 timed, queue 1,048,576;
//! 4. delivered spans/s, 1,000,000 spans, each library's default batch processor: ours with
//!    the OpenAI exporter (and, informational, our OTLP exporter), theirs with
//!    opentelemetry-otlp, to the loopback server;
//! 5. the highest zero-drop paced rate with the defaults: the `rate` workload's search (a
//!    ladder, then bisection), once per round for each side, ours then theirs;
//! 6. OTLP exporters against each other, 1,000,000 spans, queue 1,048,576, batch 512;
//! 7. peak RSS of the runs of 4;
//! 8. resident bytes per queued span: 200,000 spans held in a 262,144 queue while the
//!    exporter waits at a gate (`--queued-memory`).
//!
//! Rounds: `--runs`, at least 3. The machine's steal time over the workload is read from
//! /proc/stat. `BENCH_OTEL_SMOKE=1` (not for figures) divides the span counts by ten and
//! stops the rate search at its second rung, to check in a minute or two that it all runs.

use std::process::Command;

use super::machine::CpuTimes;
use super::{procs, Bench, E2eRun, Search, RATE_LADDER};

/// Which way a figure is better; the goal is on the ratio ours ÷ theirs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Goal {
    /// Informational: no goal.
    None,
    /// A cost: the ratio at most this.
    AtMost(f64),
    /// A rate: the ratio at least this.
    AtLeast(f64),
    /// A rate: the ratio at least `ratio`, and ours at least `ours` in absolute terms.
    AtLeastAnd { ratio: f64, ours: f64 },
}

/// How a figure's values are written.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Unit {
    NsPerSpan,
    SpansPerS,
    Mib,
    Bytes,
}

/// One row: ours and theirs, one value per round (index i of both is round i).
#[derive(Debug)]
pub(crate) struct Figure {
    pub(crate) label: String,
    pub(crate) unit: Unit,
    pub(crate) ours: Vec<f64>,
    pub(crate) otel: Vec<f64>,
    pub(crate) goal: Goal,
}

/// Median, min and max of some values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Spread {
    pub(crate) median: f64,
    pub(crate) min: f64,
    pub(crate) max: f64,
}

impl Spread {
    /// `None` for no finite value.
    pub(crate) fn of(v: &[f64]) -> Option<Self> {
        let v: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
        if v.is_empty() {
            return None;
        }
        let (min, max) = super::min_max(&v, |x| *x);
        Some(Self { median: super::median(&v), min, max })
    }
}

/// `ours[i] / otel[i]` for each round both have, skipping a zero divisor.
pub(crate) fn ratios(ours: &[f64], otel: &[f64]) -> Vec<f64> {
    ours.iter().zip(otel).filter(|(_, t)| **t != 0.0).map(|(o, t)| o / t).collect()
}

impl Figure {
    fn new(label: &str, unit: Unit, goal: Goal) -> Self {
        Self { label: label.to_owned(), unit, ours: Vec::new(), otel: Vec::new(), goal }
    }

    /// The per-round ratios ours ÷ theirs: median, min, max.
    pub(crate) fn ratio(&self) -> Option<Spread> {
        Spread::of(&ratios(&self.ours, &self.otel))
    }

    /// Whether the goal is met at the median ratio; `None` without a goal or figures.
    pub(crate) fn pass(&self) -> Option<bool> {
        let r = self.ratio()?.median;
        match self.goal {
            Goal::None => None,
            Goal::AtMost(g) => Some(r <= g),
            Goal::AtLeast(g) => Some(r >= g),
            Goal::AtLeastAnd { ratio, ours } => Some(r >= ratio && Spread::of(&self.ours)?.median >= ours),
        }
    }
}

/// What the workload measured.
#[derive(Debug, Default)]
pub(crate) struct OtelResults {
    pub(crate) figures: Vec<Figure>,
    pub(crate) rounds: usize,
    /// Steal time over the workload, % of all CPU time.
    pub(crate) steal_pct: Option<f64>,
    /// The rate searches, one per round: ours and theirs.
    pub(crate) rate_ours: Vec<Search>,
    pub(crate) rate_otel: Vec<Search>,
    /// Anything odd seen (drops where none should be).
    pub(crate) notes: Vec<String>,
    pub(crate) smoke: bool,
}

/// The span counts (the issue's, or a tenth of them for a smoke run).
struct Sizes {
    hot_warmup: u64,
    hot_n: u64,
    fresh_warmup: u64,
    big_n: u64,
    mem_n: u64,
}

impl Sizes {
    fn new(smoke: bool) -> Self {
        let d = if smoke { 10 } else { 1 };
        Self {
            hot_warmup: 100_000 / d,
            hot_n: 200_000 / d,
            fresh_warmup: 1_000,
            big_n: 1_000_000 / d,
            mem_n: 200_000 / d,
        }
    }
}

/// Indices of the figures in [`OtelResults::figures`].
const HOT: usize = 0;
const HOT_NO_DATA: usize = 1;
const FRESH: usize = 2;
const DEFAULTS: usize = 3;
const DEFAULTS_OTLP: usize = 4;
const RATE: usize = 5;
const BIG: usize = 6;
const RSS: usize = 7;
const MEMORY: usize = 8;
const PIPELINE: usize = 9;

fn figures() -> Vec<Figure> {
    vec![
        Figure::new("whole span with data, 1 thread, ns/span", Unit::NsPerSpan, Goal::AtMost(0.5)),
        Figure::new("whole span, no data, 1 thread, ns/span", Unit::NsPerSpan, Goal::None),
        Figure::new("fresh process (1,000 spans of warm-up), ns/span", Unit::NsPerSpan, Goal::AtMost(1.0)),
        Figure::new(
            "delivered spans/s, 1M spans, defaults (ours: OpenAI exporter)",
            Unit::SpansPerS,
            Goal::AtLeast(1.5),
        ),
        Figure::new("  ours with our OTLP protobuf exporter, defaults", Unit::SpansPerS, Goal::None),
        Figure::new(
            "highest zero-drop rate, defaults, spans/s",
            Unit::SpansPerS,
            Goal::AtLeastAnd { ratio: 4.0, ours: 800_000.0 },
        ),
        Figure::new(
            "OTLP exporter delivered spans/s, 1M, queue 1,048,576, batch 512",
            Unit::SpansPerS,
            Goal::AtLeast(1.5),
        ),
        Figure::new("peak RSS, 1M spans, defaults, MiB", Unit::Mib, Goal::AtMost(1.0)),
        Figure::new("memory per queued span, bytes", Unit::Bytes, Goal::AtMost(1.0)),
        Figure::new("  pipeline installed, queue 262,144, nothing queued, MiB", Unit::Mib, Goal::None),
    ]
}

impl Bench<'_> {
    /// The `otel` workload (see the module documentation).
    pub(super) fn otel(&mut self) -> Result<(), String> {
        self.note("against opentelemetry-rust: building benches/otel");
        let theirs = procs::build_otel_bin("opentelemetry-rust bench (benches/otel)", "otel-e2e-bench")?;
        let smoke = std::env::var_os("BENCH_OTEL_SMOKE").is_some_and(|v| v != "0");
        let sz = Sizes::new(smoke);
        let rounds = self.o.runs.max(3);
        let mut res = OtelResults { figures: figures(), rounds, smoke, ..OtelResults::default() };
        let cpu_start = CpuTimes::read();
        let ours = self.bins.e2e.clone();
        let endpoint = self.server.endpoint();
        let otlp_endpoint = endpoint.replace("/v1/traces/ingest", "/v1/traces");
        let (hot_n, big_n) = (sz.hot_n.to_string(), sz.big_n.to_string());
        for round in 1..=rounds {
            self.note(&format!("against opentelemetry-rust: round {round} of {rounds}"));
            for (fig, warmup, queue, data) in [
                (HOT, sz.hot_warmup, "65536", true),
                (HOT_NO_DATA, sz.hot_warmup, "65536", false),
                (FRESH, sz.fresh_warmup, "1048576", true),
            ] {
                let warmup = warmup.to_string();
                let mut args = vec!["--hot", "--warmup", &warmup, "--n", &hot_n, "--queue", queue];
                if !data {
                    args.push("--no-data");
                }
                let what = format!("ours, {}", res.figures[fig].label);
                let o = self.hot_line(&what, Command::new(&ours).arg("--bench").args(&args), &mut res.notes)?;
                res.figures[fig].ours.push(o);
                let what = format!("opentelemetry-rust, {}", res.figures[fig].label);
                let t = self.hot_line(&what, Command::new(&theirs).args(&args), &mut res.notes)?;
                res.figures[fig].otel.push(t);
            }
            let n = sz.big_n;
            let mut c = Command::new(&ours);
            c.args(["--bench", "--endpoint", &endpoint, "--n", &big_n]);
            let openai = self.otel_e2e("ours, OpenAI, defaults", &mut c, n)?;
            let mut c = Command::new(&ours);
            c.args(["--bench", "--endpoint", &otlp_endpoint, "--n", &big_n, "--otlp", "protobuf"]);
            let otlp = self.otel_e2e("ours, OTLP, defaults", &mut c, n + 1)?;
            let mut c = Command::new(&theirs);
            c.args(["--endpoint", &otlp_endpoint, "--n", &big_n]);
            let otel = self.otel_e2e("opentelemetry-rust, defaults", &mut c, n + 1)?;
            res.figures[DEFAULTS].ours.push(openai.delivered_per_s);
            res.figures[DEFAULTS].otel.push(otel.delivered_per_s);
            res.figures[DEFAULTS_OTLP].ours.push(otlp.delivered_per_s);
            res.figures[DEFAULTS_OTLP].otel.push(otel.delivered_per_s);
            res.figures[RSS].ours.push(openai.peak_rss_mib);
            res.figures[RSS].otel.push(otel.peak_rss_mib);
            let big = ["--queue", "1048576", "--batch", "512"];
            let mut c = Command::new(&ours);
            c.args(["--bench", "--endpoint", &otlp_endpoint, "--n", &big_n, "--otlp", "protobuf"]).args(big);
            let o = self.otel_e2e("ours, OTLP, queue 1,048,576", &mut c, n + 1)?;
            let mut c = Command::new(&theirs);
            c.args(["--endpoint", &otlp_endpoint, "--n", &big_n]).args(big);
            let t = self.otel_e2e("opentelemetry-rust, queue 1,048,576", &mut c, n + 1)?;
            for (who, r) in [("ours", &o), ("opentelemetry-rust", &t)] {
                if !r.clean() {
                    res.notes.push(format!(
                        "round {round}: {who} with queue 1,048,576 did not deliver every span exactly once: the \
                         server counted {} of {} ({} reported dropped)",
                        r.received, r.n, r.dropped
                    ));
                }
            }
            res.figures[BIG].ours.push(o.delivered_per_s);
            res.figures[BIG].otel.push(t.delivered_per_s);
            let mem_n = sz.mem_n.to_string();
            let args = ["--queued-memory", "--n", &mem_n, "--queue", "262144"];
            let mut c = Command::new(&ours);
            c.arg("--bench").args(args);
            let (o, line) = procs::run_json("e2e --queued-memory", &mut c)?;
            self.r.raw.push(line);
            let mut c = Command::new(&theirs);
            c.args(args);
            let (t, line) = procs::run_json("otel-e2e-bench --queued-memory", &mut c)?;
            self.r.raw.push(line);
            for (who, obj) in [("ours", &o), ("opentelemetry-rust", &t)] {
                if obj.num("dropped")? > 0.0 {
                    res.notes.push(format!("round {round}: {who} dropped spans in the queued-memory run"));
                }
            }
            for (fig, key) in [(MEMORY, "bytes_per_queued_span"), (PIPELINE, "pipeline_mib")] {
                res.figures[fig].ours.push(o.num(key)?);
                res.figures[fig].otel.push(t.num(key)?);
            }
        }
        self.otel_rates(&mut res, &theirs, &otlp_endpoint)?;
        res.steal_pct = cpu_start.zip(CpuTimes::read()).and_then(|(a, b)| a.steal_pct_until(&b));
        self.r.otel = Some(res);
        Ok(())
    }

    /// The highest zero-drop paced rate with the defaults: a search per round for each side,
    /// ours then theirs, on the same ladder; a round where a side passed no step counts as
    /// 0 spans/s for it (no ratio that round).
    fn otel_rates(&mut self, res: &mut OtelResults, theirs: &std::path::Path, endpoint: &str) -> Result<(), String> {
        let ladder = if res.smoke { &RATE_LADDER[..2] } else { RATE_LADDER };
        for round in 1..=res.rounds {
            self.note(&format!(
                "against opentelemetry-rust: sustainable rate, round {round} of {}: ours (OpenAI exporter, defaults)",
                res.rounds
            ));
            let ours = self.search(ladder, 10e3, |b, rate, n| b.e2e_rust(n, 128, rate).map(Some))?;
            self.note(&format!(
                "against opentelemetry-rust: sustainable rate, round {round} of {}: opentelemetry-rust (OTLP, defaults)",
                res.rounds
            ));
            let otel = self.search(ladder, 10e3, |b, rate, n| {
                let mut c = Command::new(theirs);
                c.args(["--endpoint", endpoint, "--n", &n.to_string(), "--rate", &rate.to_string()]);
                b.otel_e2e("opentelemetry-rust, paced", &mut c, n + 1).map(Some)
            })?;
            let f = &mut res.figures[RATE];
            f.ours.push(ours.sustainable.unwrap_or(0.0));
            f.otel.push(otel.sustainable.unwrap_or(0.0));
            res.rate_ours.push(ours);
            res.rate_otel.push(otel);
        }
        Ok(())
    }

    /// Runs a `--hot` process; its ns per span. Drops (a queue too small) are noted.
    fn hot_line(&mut self, what: &str, c: &mut Command, notes: &mut Vec<String>) -> Result<f64, String> {
        let (o, line) = procs::run_json(what, c)?;
        self.r.raw.push(line);
        let dropped = o.num("dropped")?;
        if dropped > 0.0 {
            notes.push(format!("{what}: {dropped} spans dropped (queue full)"));
        }
        o.num("ns_per_span")
    }

    /// One end-to-end process against the loopback server; `items` is what the server
    /// should count if nothing is dropped (n, plus the root span on the OTLP side).
    fn otel_e2e(&mut self, who: &str, c: &mut Command, items: u64) -> Result<E2eRun, String> {
        self.server.reset()?;
        let (o, line) = procs::run_json(who, c)?;
        let got = self.server.received()?;
        self.r.raw.push(line);
        let dropped = o.num("dropped")? + o.num("lost").unwrap_or(0.0);
        self.check_accounting(who, items, dropped, got);
        E2eRun::from(&o, items, dropped, got)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_and_spread() {
        let mut f = Figure::new("x", Unit::NsPerSpan, Goal::AtMost(0.5));
        f.ours = vec![100.0, 300.0, 200.0];
        f.otel = vec![400.0, 500.0, 250.0];
        assert_eq!(ratios(&f.ours, &f.otel), vec![0.25, 0.6, 0.8]);
        assert_eq!(f.ratio(), Some(Spread { median: 0.6, min: 0.25, max: 0.8 }));
        assert_eq!(f.pass(), Some(false));
        f.goal = Goal::AtMost(0.6);
        assert_eq!(f.pass(), Some(true));
        f.goal = Goal::AtLeastAnd { ratio: 0.5, ours: 250.0 };
        assert_eq!(f.pass(), Some(false), "ours' median 200 is below 250");
        f.goal = Goal::None;
        assert_eq!(f.pass(), None);
        assert_eq!(ratios(&[1.0, 2.0], &[0.0, 4.0]), vec![0.5], "a zero divisor is skipped");
        assert_eq!(Spread::of(&[f64::NAN]), None);
    }
}
