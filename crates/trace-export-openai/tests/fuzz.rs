//! A property test over random span data into the exporter's body writer and the OpenAI
//! sanitizer: random JSON (any depth up to thousands of levels, long and odd strings, odd
//! keys, NaN), random span types, ids, metadata and errors.
//!
//! Properties, for every generated batch, with and without the sanitizer:
//! - nothing panics, and nothing overflows the stack of a thread with the default 2 MiB;
//! - the body is JSON that serde_json parses with its default depth limit (128);
//! - every item is there, in order, with its id;
//! - without the sanitizer, the body is `ExportBatch`'s serialization (as JSON);
//! - with it, every `span_data.input` / `output` takes at most 100,000 bytes of compact JSON.
//!
//! `cargo test` runs a fixed number of cases with fixed seeds (fast, and the same cases
//! on every run). `cargo xtask fuzz --seconds N` runs random cases for N seconds (`FUZZ_SECONDS`); a failure prints the case's seed, and
//! `FUZZ_SEED=<seed>` replays that one case. Generation uses `fastrand` with explicit
//! seeds, no other crate.

use std::sync::Arc;
use std::time::{Duration, Instant};
use trace_export_openai::WithHttpOptions;

use serde_json::{Map, Value};
use trace_core::span_data::*;
use trace_core::{ExportItem, Span, SpanError, SpanId, Timestamp, Trace, TraceId};
use trace_export_openai::{BackendSpanExporter, ExportBatch, Sanitize};

/// Cases run by a plain `cargo test`.
const DEFAULT_CASES: u64 = 40;

struct Gen(fastrand::Rng);

impl Gen {
    fn string(&mut self) -> String {
        const POOL: &[&str] = &[
            "a", "Z", "0", " ", "\"", "\\", "\n", "\u{0}", "\u{1f}", "é", "😀", "\u{2028}", "ש", "\u{feff}", "/", "sk-",
        ];
        let len = match self.0.u8(..) {
            0..=200 => self.0.usize(..16),
            201..=250 => self.0.usize(..2_000),
            // Past the sanitizer's 100,000-byte limit now and then.
            _ => self.0.usize(90_000..130_000),
        };
        if len > 1_000 && self.0.bool() {
            return "x".repeat(len);
        }
        (0..len).map(|_| POOL[self.0.usize(..POOL.len())]).collect()
    }

    fn number(&mut self) -> Value {
        match self.0.u8(..6) {
            0 => Value::from(self.0.i64(..)),
            1 => Value::from(self.0.u64(..)),
            2 => Value::from(self.0.f64() * 1e300),
            3 => Value::from([f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0][self.0.usize(..4)]),
            4 => Value::from(self.0.i32(..)),
            _ => Value::from(self.0.f64()),
        }
    }

    /// A value nesting at most `depth` containers.
    fn value(&mut self, depth: usize) -> Value {
        let leaf = depth == 0 || self.0.u8(..4) == 0;
        if leaf {
            return match self.0.u8(..5) {
                0 => Value::Null,
                1 => Value::Bool(self.0.bool()),
                2 => self.number(),
                _ => Value::String(self.string()),
            };
        }
        let n = self.0.usize(..4);
        if self.0.bool() {
            Value::Array((0..n).map(|_| self.value(depth - 1)).collect())
        } else {
            Value::Object(self.map(n, depth - 1))
        }
    }

    fn map(&mut self, n: usize, depth: usize) -> Map<String, Value> {
        (0..n).map(|_| (self.string(), self.value(depth))).collect()
    }

    /// A chain nested `levels` deep (built without recursion), sometimes very deep.
    fn chain(&mut self, levels: usize) -> Value {
        let mut v = self.value(1);
        for _ in 0..levels {
            v = if self.0.bool() {
                Value::Array(vec![v])
            } else {
                let mut m = Map::new();
                m.insert(self.string(), v);
                Value::Object(m)
            };
        }
        v
    }

    fn json(&mut self) -> Value {
        match self.0.u8(..10) {
            0 => {
                let levels = if self.0.bool() { self.0.usize(90..130) } else { self.0.usize(..5_000) };
                self.chain(levels)
            }
            _ => self.value(4),
        }
    }

    fn json_map(&mut self) -> Map<String, Value> {
        let n = self.0.usize(..4);
        (0..n).map(|_| (self.string(), self.json())).collect()
    }

    fn opt_map(&mut self) -> Option<Map<String, Value>> {
        self.0.bool().then(|| self.json_map())
    }

    fn opt_string(&mut self) -> Option<String> {
        self.0.bool().then(|| self.string())
    }

    fn usage(&mut self) -> Option<Map<String, Value>> {
        if !self.0.bool() {
            return None;
        }
        let mut m = self.json_map();
        if self.0.bool() {
            m.insert("input_tokens".into(), self.number());
            m.insert("output_tokens".into(), self.number());
        }
        Some(m)
    }

    fn data(&mut self) -> SpanData {
        match self.0.u8(..8) {
            0 => CustomSpanData { name: self.string().into(), data: self.json_map().into() }.into(),
            1 => GenerationSpanData {
                input: self.0.bool().then(|| (0..self.0.usize(..3)).map(|_| self.message()).collect()),
                output: self.0.bool().then(|| (0..self.0.usize(..3)).map(|_| self.message()).collect()),
                model: self.opt_string(),
                model_config: self.opt_map().map(Box::new),
                usage: self.usage().map(Box::new),
            }
            .into(),
            2 => FunctionSpanData {
                name: self.string().into(),
                input: self.opt_string(),
                output: self.opt_string(),
                mcp_data: self.opt_map().map(Box::new),
            }
            .into(),
            3 => ResponseSpanData {
                response_id: self.opt_string(),
                usage: self.usage().map(Box::new),
                response: self.0.bool().then(|| self.json()).map(Box::new),
                input: self.0.bool().then(|| self.json()).map(Box::new),
            }
            .into(),
            4 => AgentSpanData {
                name: self.string().into(),
                handoffs: self.0.bool().then(|| vec![self.string()]),
                tools: None,
                output_type: self.opt_string(),
                metadata: self.opt_map().map(Box::new),
            }
            .into(),
            5 => TurnSpanData {
                turn: self.0.i64(..),
                agent_name: self.string().into(),
                usage: self.usage().map(Box::new),
                metadata: self.opt_map().map(Box::new),
            }
            .into(),
            6 => SpeechSpanData { input: self.opt_string(), output: self.opt_string(), ..Default::default() }.into(),
            _ => TranscriptionSpanData { input: self.opt_string(), output: self.opt_string(), ..Default::default() }
                .into(),
        }
    }

    /// A chat message, sometimes with reasoning the sanitizer removes.
    fn message(&mut self) -> Value {
        match self.0.u8(..4) {
            0 => serde_json::json!({"type": "reasoning", "summary": self.string()}),
            1 => serde_json::json!({"role": "assistant", "content": self.string(), "reasoning": self.string()}),
            _ => self.json(),
        }
    }

    fn id(&mut self) -> Option<String> {
        (self.0.u8(..4) == 0).then(|| self.string()).filter(|s| s != "no-op")
    }

    fn batch(&mut self) -> Vec<ExportItem> {
        let mut trace = Trace::new(self.id().map_or_else(TraceId::generate, TraceId::from_string), self.string());
        if let Some(m) = self.opt_map() {
            trace = trace.with_metadata(m);
        }
        let trace = Arc::new(trace);
        let mut items = vec![ExportItem::Trace(Arc::clone(&trace))];
        let t = Timestamp::now();
        for _ in 0..self.0.usize(1..6) {
            let id = self.id().map_or_else(SpanId::generate, SpanId::from_string);
            let mut span = Span::new(id, Arc::clone(&trace), None, self.data()).with_times(t, t);
            if self.0.u8(..4) == 0 {
                // As Python's `set_error` takes it: data of any JSON type, more keys.
                let mut error = SpanError::new(self.string());
                if self.0.bool() {
                    error = error.with_data(self.json());
                }
                for _ in 0..self.0.usize(..3) {
                    error = error.with_extra(self.string(), self.json());
                }
                span = span.with_error(error);
            }
            items.push(ExportItem::Span(Arc::new(span)));
        }
        items
    }
}

fn exporter(sanitize: Sanitize) -> BackendSpanExporter {
    BackendSpanExporter::builder()
        .endpoint("http://127.0.0.1:9/v1/traces/ingest") // never contacted
        .api_key("sk-fuzz")
        .read_env(false)
        .proxy_from_env(false)
        .sanitize(sanitize)
        .build()
        .expect("builds")
}

fn check(seed: u64) {
    let mut gen = Gen(fastrand::Rng::with_seed(seed));
    let items = gen.batch();
    for sanitize in [Sanitize::Never, Sanitize::Always] {
        let requests = exporter(sanitize).prepare_requests(&items);
        assert_eq!(requests.len(), 1);
        let body: Value = serde_json::from_slice(&requests[0].body).expect("the body is JSON serde_json can parse");
        let data = body["data"].as_array().expect("a data array");
        assert_eq!(data.len(), items.len(), "every item is there");
        for (item, json) in items.iter().zip(data) {
            let id = match item {
                ExportItem::Trace(t) | ExportItem::TraceEnd(t) => t.trace_id().to_string(),
                ExportItem::Span(s) => s.span_id().to_string(),
            };
            assert_eq!(json["id"].as_str(), Some(id.as_str()), "in order, ids as given");
        }
        match sanitize {
            Sanitize::Never => {
                assert_eq!(
                    requests[0].body,
                    trace_core::wire::to_json_vec(&ExportBatch(&items)).unwrap(),
                    "ExportBatch's bytes"
                );
            }
            _ => {
                for span in data.iter().filter(|i| i["object"] == "trace.span") {
                    for field in ["input", "output"] {
                        if let Some(v) = span["span_data"].get(field) {
                            let size = trace_core::wire::to_json_vec(v).unwrap().len();
                            assert!(size <= 100_000, "{field} takes {size} bytes");
                        }
                    }
                }
            }
        }
    }
    // The items are dropped here, with their deep values.
}

fn run_cases(seeds: impl Iterator<Item = u64>, until: Option<Instant>) -> u64 {
    let mut n = 0;
    for seed in seeds {
        if until.is_some_and(|t| Instant::now() >= t) {
            break;
        }
        if std::panic::catch_unwind(|| check(seed)).is_err() {
            panic!("fuzz case failed; replay it with FUZZ_SEED={seed}");
        }
        n += 1;
    }
    n
}

#[test]
fn random_span_data_exports_as_valid_bounded_json() {
    let seconds: u64 = std::env::var("FUZZ_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(0);
    let replay: Option<u64> = std::env::var("FUZZ_SEED").ok().and_then(|s| s.parse().ok());
    // A plain `cargo test` checks the same cases every time: seeds from 0. A timed run
    // starts at a random seed, so that each run explores new cases.
    let start_seed = if seconds > 0 { fastrand::u64(..) } else { 0 };
    // The default 2 MiB of a spawned thread, where the batch worker runs exporters.
    let worker = std::thread::Builder::new().stack_size(2 * 1024 * 1024).spawn(move || match replay {
        Some(seed) => run_cases(std::iter::once(seed), None),
        None if seconds > 0 => {
            let until = Instant::now() + Duration::from_secs(seconds);
            run_cases((0..).map(|i: u64| start_seed.wrapping_add(i)), Some(until))
        }
        None => run_cases((0..DEFAULT_CASES).map(|i| start_seed.wrapping_add(i)), None),
    });
    let cases = worker.unwrap().join().expect("no failure");
    println!("fuzz: {cases} cases passed (seeds from {start_seed})");
    assert!(cases > 0);
}
