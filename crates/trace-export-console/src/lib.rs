//! Local viewers of agent traces, for reading a run without a key or a backend:
//! [`ConsoleSpanExporter`] prints each trace and span as it is exported, one JSON line
//! each; [`TreeConsoleProcessor`] prints each trace as an indented tree when it ends;
//! [`HtmlWaterfallExporter`] writes a self-contained HTML page with a waterfall of the
//! spans.
//!
//! **Should I use this crate?** For local development and debugging. Not for production
//! volumes: the JSON lines are a line per span, the tree is printed on the thread that
//! ends the trace, and the HTML page holds the run in memory until it is written. Through
//! the facade it is `agents_tracing::console` (default feature `console`).
//!
//! # JSON lines
//!
//! A line per trace names its id and workflow; a line per span holds the span's exported
//! JSON, as it would be sent to the OpenAI ingest endpoint (with the characters that could
//! steer a terminal escaped). As in Python, that data is shown only when
//! `OPENAI_AGENTS_DONT_LOG_MODEL_DATA` and `OPENAI_AGENTS_DONT_LOG_TOOL_DATA` are both `0`
//! (or `false`), or [`show_data(true)`](ConsoleSpanExporter::show_data) says so; otherwise
//! each item is one redacted line.
//!
//! ```
//! use trace_core::{custom_span, set_trace_processor, trace, SimpleTraceProcessor};
//! use trace_export_console::ConsoleSpanExporter;
//!
//! let exporter = ConsoleSpanExporter::with_writer(Vec::new()).show_data(true);
//! set_trace_processor(SimpleTraceProcessor::new(exporter.clone()));
//! {
//!     let _t = trace("hello").start();
//!     let _s = custom_span("step").start();
//! }
//! let out = String::from_utf8(exporter.take_output()).unwrap();
//! assert!(out.starts_with("[Exporter] Export trace_id=trace_"));
//! assert!(out.contains(r#""span_data":{"type":"custom","name":"step","data":{}}"#));
//! ```
//!
//! # A tree in the terminal
//!
//! [`TreeConsoleProcessor`] gathers each trace's spans and prints the trace when it ends:
//! kind, name, duration and the fields that matter per kind, errors marked, in colour on
//! a terminal (unless `NO_COLOR` is set). The caps on open traces and on spans per trace
//! are counted in [`TreeConsoleProcessor::stats`] and said in the output; traces that never
//! end are printed at shutdown, and a trace never seen to start here (resumed or continued
//! from another process, which never ends here either) is taken out early when the
//! open-trace cap is reached, rather than filling it for good, and printed by a thread of
//! its own (never on the thread that ends a span).
//!
//! ```
//! use trace_core::{agent_span, function_span, set_trace_processor, trace, SpanError};
//! use trace_export_console::{ColorMode, TreeConsoleProcessor};
//!
//! // Tools' inputs and outputs show as `[data hidden]` unless `show_data(true)` or both of
//! // Python's `OPENAI_AGENTS_DONT_LOG_*` flags are off, as in the console exporter.
//! let tree = TreeConsoleProcessor::builder().to_buffer().color(ColorMode::Never).show_data(true).build()?;
//! set_trace_processor(tree.clone());
//! {
//!     let _t = trace("Customer service").start();
//!     let _agent = agent_span("Triage").start();
//!     let mut tool = function_span("lookup_order").input(r#"{"id": 7}"#).start();
//!     tool.set_error(SpanError::new("order 7 not found"));
//! }
//! let out = String::from_utf8(tree.take_output()).unwrap();
//! let lines: Vec<&str> = out.lines().collect();
//! assert!(lines[0].starts_with("Customer service  trace_"));
//! assert!(lines[1].starts_with("└─ agent Triage  "));
//! assert!(lines[2].starts_with("   └─ function lookup_order  "));
//! assert!(lines[2].ends_with(r#"{"id": 7}  ERROR: order 7 not found"#));
//! # Ok::<(), trace_export_console::ConfigError>(())
//! ```
//!
//! # An HTML waterfall
//!
//! [`HtmlWaterfallExporter`] gathers what it is given (under a
//! [`SimpleTraceProcessor`](trace_core::SimpleTraceProcessor), or the batch processor to
//! keep the work off your threads) and writes one HTML file for the run, at
//! [`shutdown`](trace_core::TracingExporter::shutdown) or when
//! [`write`](HtmlWaterfallExporter::write) is called, or one file per trace as each
//! ends. The page holds its CSS, script and data inline and fetches nothing (its
//! Content-Security-Policy forbids it): the traces with their workflow name, duration
//! and error count; for the trace chosen, the spans on a time axis, as a tree that
//! folds; a click on a span shows its exported JSON. Rows are drawn as they scroll into
//! view, so a trace of 10,000 spans stays quick.
//!
//! ```no_run
//! use trace_core::{custom_span, set_trace_processor, trace, SimpleTraceProcessor};
//! use trace_export_console::HtmlWaterfallExporter;
//!
//! let html = HtmlWaterfallExporter::run_file("run.html").title("My agent").build()?;
//! set_trace_processor(SimpleTraceProcessor::new(html.clone()));
//! {
//!     let _t = trace("hello").start();
//!     let _s = custom_span("step").start();
//! }
//! let written = html.write()?;
//! println!("open {}", written[0].display());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Runtime dependencies: `trace-core`, `serde`, `serde_json`, `log` and `thiserror`, all of
//! which `trace-core` has already. The page's CSS and script are written by hand, in
//! `src/assets/`.

#![forbid(unsafe_code)]

mod color;
mod error;
mod html_data;
mod html_exporter;
mod html_page;
mod lines;
mod sink;
mod span_tree;
mod stats;
mod store;
mod summary;
mod text;
mod tree_processor;
mod tree_text;

pub use color::ColorMode;
pub use error::{ConfigError, HtmlError};
pub use html_exporter::{HtmlWaterfallExporter, HtmlWaterfallExporterBuilder};
pub use lines::ConsoleSpanExporter;
pub use stats::{HtmlStats, TreeStats};
pub use tree_processor::{TreeConsoleProcessor, TreeConsoleProcessorBuilder, TREE_PRINTER_THREAD_NAME};
