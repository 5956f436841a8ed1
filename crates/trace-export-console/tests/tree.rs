//! The tree printed by `TreeConsoleProcessor`: its text for every span kind (plain), its
//! colours, its bounds and its accounting.

use std::io::{self, Write};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};

use serde_json::json;
use trace_core::*;
use trace_export_console::{ColorMode, ConfigError, TreeConsoleProcessor, TreeStats};

use crate::support::{at, failed, map, span, trace};

fn plain() -> TreeConsoleProcessor {
    TreeConsoleProcessor::builder().to_buffer().color(ColorMode::Never).show_data(true).build().unwrap()
}

fn output(p: &TreeConsoleProcessor) -> String {
    String::from_utf8(p.take_output()).unwrap()
}

/// Feeds a whole trace to `p`: start, every span's end (in the order given), end.
fn run(p: &TreeConsoleProcessor, t: &Arc<Trace>, spans: &[Arc<Span>]) {
    p.on_trace_start(t);
    for s in spans {
        p.on_span_start(s);
        p.on_span_end(s);
    }
    p.on_trace_end(t);
}

/// One trace holding a span of every kind, ended innermost first as guards end them.
fn every_kind() -> (Arc<Trace>, Vec<Arc<Span>>) {
    let t = Arc::new(
        Trace::new(TraceId::from_u128(0xabc), "Every kind").with_group_id("chat_1").with_times(at(0), at(1500)),
    );
    let spans = vec![
        span(
            &t,
            4,
            Some(3),
            (20, 420),
            GenerationSpanData {
                model: Some("gpt-4o-mini".into()),
                usage: Some(Box::new(map(json!({"input_tokens": 12, "output_tokens": 5})))),
                ..Default::default()
            },
        ),
        span(
            &t,
            5,
            Some(3),
            (430, 560),
            ResponseSpanData {
                response_id: Some("resp_1".into()),
                usage: Some(Box::new(map(json!({"prompt_tokens": 3, "completion_tokens": 4})))),
                ..Default::default()
            },
        ),
        span(
            &t,
            6,
            Some(3),
            (570, 573),
            FunctionSpanData {
                name: "lookup_order".into(),
                input: Some(r#"{"order_id": 42}"#.into()),
                output: Some("shipped".into()),
                mcp_data: None,
            },
        ),
        span(
            &t,
            7,
            Some(3),
            (580, 580),
            HandoffSpanData { from_agent: Some("Triage".into()), to_agent: Some("Billing".into()) },
        ),
        span(
            &t,
            3,
            Some(2),
            (15, 590),
            TurnSpanData {
                turn: 1,
                agent_name: "Triage".into(),
                usage: Some(Box::new(map(json!({"total_tokens": 24})))),
                metadata: None,
            },
        ),
        span(&t, 8, Some(2), (600, 610), GuardrailSpanData { name: "no_pii".into(), triggered: true }),
        span(&t, 9, Some(2), (620, 621), CustomSpanData { name: "note".into(), data: map(json!({"k": "v"})).into() }),
        span(
            &t,
            10,
            Some(2),
            (630, 650),
            McpListToolsSpanData { server: Some("files".into()), result: Some(vec!["read".into(), "write".into()]) },
        ),
        failed(
            span(
                &t,
                14,
                Some(2),
                (660, 700),
                FunctionSpanData {
                    name: "read".into(),
                    input: Some(r#"{"path": "/etc"}"#.into()),
                    output: None,
                    mcp_data: Some(Box::new(map(json!({"server": "files"})))),
                },
            ),
            "permission denied",
        ),
        span(
            &t,
            2,
            Some(1),
            (10, 710),
            AgentSpanData {
                name: "Triage".into(),
                tools: Some(vec!["lookup_order".into(), "read".into()]),
                handoffs: Some(vec!["Billing".into()]),
                output_type: Some("str".into()),
                metadata: None,
            },
        ),
        span(
            &t,
            12,
            Some(11),
            (730, 900),
            SpeechSpanData {
                model: Some("tts-1".into()),
                input: Some("Your order has shipped.".into()),
                ..Default::default()
            },
        ),
        span(
            &t,
            13,
            Some(11),
            (905, 1200),
            TranscriptionSpanData {
                model: Some("whisper-1".into()),
                output: Some("thank you".into()),
                ..Default::default()
            },
        ),
        span(&t, 11, Some(1), (720, 1210), SpeechGroupSpanData { input: Some("Your order has shipped.".into()) }),
        span(
            &t,
            1,
            None,
            (0, 1490),
            TaskSpanData {
                name: "Support".into(),
                usage: Some(Box::new(map(json!({"input_tokens": 15, "output_tokens": 9})))),
                metadata: None,
            },
        ),
    ];
    (t, spans)
}

const EVERY_KIND: &str = "\
Every kind  trace_00000000000000000000000000000abc  group chat_1  1.50 s  14 spans  1 error
└─ task Support  1.49 s  tokens: 15 in, 9 out
   ├─ agent Triage  700.0 ms  tools: lookup_order, read  handoffs: Billing
   │  ├─ turn turn 1  575.0 ms  agent: Triage  tokens: 24
   │  │  ├─ generation gpt-4o-mini  400.0 ms  tokens: 12 in, 5 out
   │  │  ├─ response resp_1  130.0 ms  tokens: 3 in, 4 out
   │  │  ├─ function lookup_order  3.0 ms  {\"order_id\": 42} -> shipped
   │  │  └─ handoff Triage -> Billing  0 ns
   │  ├─ guardrail no_pii  10.0 ms  triggered
   │  ├─ custom note  1.0 ms  {\"k\":\"v\"}
   │  ├─ mcp_tools files  20.0 ms  2 tools: read, write
   │  └─ function read  40.0 ms  {\"path\": \"/etc\"}  mcp: files  ERROR: permission denied
   └─ speech_group  490.0 ms  text: Your order has shipped.
      ├─ speech tts-1  170.0 ms  text: Your order has shipped.
      └─ transcription whisper-1  295.0 ms  text: thank you
";

#[test]
fn every_span_kind_in_plain_text() {
    let p = plain();
    let (t, spans) = every_kind();
    run(&p, &t, &spans);
    let out = output(&p);
    assert_eq!(out, EVERY_KIND, "\n{out}");
    let stats = p.stats();
    assert_eq!((stats.traces_printed, stats.spans_printed, stats.spans_dropped()), (1, 14, 0));
    assert_eq!((stats.traces_held, stats.spans_held), (0, 0));
}

#[test]
fn without_data_inputs_outputs_custom_data_and_texts_are_hidden() {
    let p = TreeConsoleProcessor::builder().to_buffer().color(ColorMode::Never).show_data(false).build().unwrap();
    let (t, spans) = every_kind();
    run(&p, &t, &spans);
    let out = output(&p);
    let expected = EVERY_KIND
        .replace(r#"{"order_id": 42} -> shipped"#, "[data hidden]")
        .replace(r#"{"k":"v"}"#, "[data hidden]")
        .replace(r#"{"path": "/etc"}"#, "[data hidden]")
        .replace("text: Your order has shipped.", "text: [data hidden]")
        .replace("text: thank you", "text: [data hidden]");
    assert_eq!(out, expected, "\n{out}");
    for data in ["order_id", "shipped", "\"k\"", "/etc", "thank you"] {
        assert!(!out.contains(data), "{data}: {out}");
    }
}

#[test]
fn colours_add_escape_codes_around_the_same_text() {
    let p = TreeConsoleProcessor::builder().to_buffer().color(ColorMode::Always).show_data(true).build().unwrap();
    let (t, spans) = every_kind();
    run(&p, &t, &spans);
    let out = output(&p);
    assert!(out.contains("\x1b[1;36magent\x1b[0m"), "{out}");
    assert!(out.contains("\x1b[1;31mERROR: permission denied\x1b[0m"), "{out}");
    assert!(out.contains("\x1b[1;31mtriggered\x1b[0m"), "{out}");
    assert_eq!(strip_ansi(&out), EVERY_KIND);
}

#[test]
fn auto_gives_no_colour_to_a_buffer_or_a_writer() {
    // Whatever NO_COLOR says: neither is a terminal.
    let buffered = TreeConsoleProcessor::builder().to_buffer().show_data(true).build().unwrap();
    let shared = SharedBuf::default();
    let written = TreeConsoleProcessor::builder().to_writer(shared.clone()).show_data(true).build().unwrap();
    let (t, spans) = every_kind();
    run(&buffered, &t, &spans);
    run(&written, &t, &spans);
    assert_eq!(output(&buffered), EVERY_KIND);
    assert_eq!(shared.text(), EVERY_KIND);
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn control_characters_in_user_strings_cannot_reach_the_terminal() {
    let p = plain();
    let t = trace(1, "evil\x1b[2J\nworkflow", 10);
    let s = span(
        &t,
        1,
        None,
        (0, 5),
        FunctionSpanData {
            name: "tool\x1b]0;title\x07".into(),
            input: Some("line1\nline2".into()),
            output: Some("\u{202e}reversed".into()),
            mcp_data: None,
        },
    );
    run(&p, &t, &[failed(s, "bad\r\nthing")]);
    let out = output(&p);
    assert!(!out.contains('\x1b') && !out.contains('\x07') && !out.contains('\r') && !out.contains('\u{202e}'));
    assert_eq!(out.lines().count(), 2, "{out}");
    assert!(out.starts_with("evil\\u{1b}[2J\\nworkflow  trace_"), "{out}");
    assert!(
        out.contains(
            "└─ function tool\\u{1b}]0;title\\u{7}  5.0 ms  line1\\nline2 -> \\u{202e}reversed  ERROR: bad\\r\\nthing"
        ),
        "{out}"
    );
}

#[test]
fn orphans_missing_times_and_a_missing_trace_end_time_are_said() {
    let p = plain();
    let t = Arc::new(Trace::new(TraceId::from_u128(2), "partial"));
    let orphan = span(&t, 5, Some(0x99), (10, 30), CustomSpanData { name: "late".into(), data: Default::default() });
    let untimed = Arc::new(Span::new(SpanId::from_u128(6), Arc::clone(&t), None, HandoffSpanData::default()));
    run(&p, &t, &[orphan, untimed]);
    assert_eq!(
        output(&p),
        "partial  trace_00000000000000000000000000000002  20.0 ms  2 spans\n\
         ├─ custom late  20.0 ms  (parent span_000000000000000000000099 not recorded)\n\
         └─ handoff ? -> ?  ?\n"
    );
}

#[test]
fn the_per_trace_cap_is_counted_and_said() {
    let p = TreeConsoleProcessor::builder().to_buffer().color(ColorMode::Never).max_spans_per_trace(3).build().unwrap();
    let t = trace(3, "capped", 100);
    let spans: Vec<_> =
        (1..=5).map(|i| span(&t, i, None, (i as u64 * 10, i as u64 * 10 + 5), CustomSpanData::default())).collect();
    run(&p, &t, &spans);
    let out = output(&p);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 5, "{out}");
    assert!(lines[0].ends_with("  3 spans"), "{out}");
    assert_eq!(lines[4], "… 2 more spans not shown (the cap of 3 spans per trace was reached; see stats())");
    let stats = p.stats();
    assert_eq!((stats.spans_printed, stats.spans_dropped_trace_cap, stats.spans_dropped()), (3, 2, 2));
}

#[test]
fn the_open_trace_cap_is_counted_and_frees_up_when_a_trace_ends() {
    let p = TreeConsoleProcessor::builder().to_buffer().color(ColorMode::Never).max_open_traces(1).build().unwrap();
    let (a, b) = (trace(10, "a", 10), trace(11, "b", 10));
    p.on_trace_start(&a);
    p.on_trace_start(&b); // refused: one trace is open
    p.on_span_end(&span(&b, 2, None, (0, 1), CustomSpanData::default())); // no room for b
    p.on_span_end(&span(&a, 1, None, (0, 1), CustomSpanData::default()));
    p.on_trace_end(&b); // not held: nothing printed
    p.on_trace_end(&a);
    let stats = p.stats();
    assert_eq!(
        (stats.traces_printed, stats.traces_dropped, stats.spans_dropped_no_room, stats.spans_printed),
        (1, 1, 1, 1)
    );
    assert_eq!(output(&p).lines().count(), 2);
    // Room again: a new trace is gathered.
    run(&p, &trace(12, "c", 10), &[]);
    assert_eq!(p.stats().traces_printed, 2);
}

#[test]
fn traces_never_seen_to_start_are_printed_early_to_make_room() {
    // Spans of traces resumed or continued from another process arrive with no start
    // and no end here: they must not fill the store for good.
    let p = TreeConsoleProcessor::builder().to_buffer().color(ColorMode::Never).max_open_traces(2).build().unwrap();
    let (r1, r2, local) = (trace(20, "resumed-1", 10), trace(21, "resumed-2", 10), trace(22, "local", 10));
    p.on_span_end(&span(&r1, 1, None, (0, 1), CustomSpanData::default()));
    p.on_span_end(&span(&r2, 2, None, (0, 1), CustomSpanData::default()));
    run(&p, &local, &[span(&local, 3, None, (0, 1), CustomSpanData::default())]);
    let text = output(&p);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("resumed-1") && lines[0].contains("printed early"), "{text}");
    assert!(lines.iter().any(|l| l.starts_with("local")), "the local trace was kept and printed: {text}");
    let stats = p.stats();
    assert_eq!((stats.traces_dropped, stats.unfinished_traces_printed, stats.traces_printed), (0, 1, 1));
    // A store full of traces whose start was seen still refuses, as before.
    let q = TreeConsoleProcessor::builder().to_buffer().color(ColorMode::Never).max_open_traces(1).build().unwrap();
    q.on_trace_start(&trace(30, "open", 10));
    q.on_trace_start(&trace(31, "refused", 10));
    assert_eq!((q.stats().traces_dropped, q.stats().unfinished_traces_printed), (1, 0));
}

/// A writer that blocks until its gate opens, and reports each write.
struct Gated {
    open: Arc<(Mutex<bool>, Condvar)>,
    written: mpsc::Sender<String>,
}

impl Write for Gated {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let (open, opened) = &*self.open;
        let mut is_open = open.lock().unwrap();
        while !*is_open {
            is_open = opened.wait(is_open).unwrap();
        }
        let _ = self.written.send(String::from_utf8_lossy(buf).into_owned());
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_span_end_that_makes_room_never_waits_for_the_output() {
    // Ending a span does no I/O: the tree taken out is printed by the printer thread, here
    // into an output that blocks until the test opens it; at most `max_open_traces` wait.
    let open = Arc::new((Mutex::new(false), Condvar::new()));
    let (written, writes) = mpsc::channel();
    let p = TreeConsoleProcessor::builder()
        .to_writer(Gated { open: Arc::clone(&open), written })
        .color(ColorMode::Never)
        .max_open_traces(1)
        .build()
        .unwrap();
    let (r1, r2, r3) = (trace(40, "resumed-1", 10), trace(41, "resumed-2", 10), trace(42, "resumed-3", 10));
    p.on_span_end(&span(&r1, 1, None, (0, 1), CustomSpanData::default()));
    // r2 takes r1 out. The printer holds r1 at the closed output; span ends go on, and
    // refuse r3 only if r1 still waits in the store (it may already be with the printer).
    p.on_span_end(&span(&r2, 2, None, (0, 1), CustomSpanData::default()));
    p.on_span_end(&span(&r3, 3, None, (0, 1), CustomSpanData::default()));
    p.on_span_end(&span(&r2, 4, None, (0, 1), CustomSpanData::default()));
    {
        let (flag, opened) = &*open;
        *flag.lock().unwrap() = true;
        opened.notify_all();
    }
    let first = writes.recv().unwrap();
    assert!(first.starts_with("resumed-1") && first.contains("printed early"), "{first}");
    p.shutdown(None).unwrap();
    assert_eq!(p.stats().traces_held, 0, "the shutdown took what was left");
}

#[test]
fn shutdown_prints_traces_that_never_ended_and_refuses_what_comes_later() {
    let p = plain();
    let open = trace(20, "never ends", 50);
    p.on_trace_start(&open);
    p.on_span_end(&span(&open, 1, None, (0, 5), CustomSpanData { name: "step".into(), data: Default::default() }));
    // A span whose trace start this processor never saw (installed mid-trace).
    let unseen = trace(21, "joined late", 50);
    p.on_span_end(&span(&unseen, 2, None, (0, 5), CustomSpanData::default()));
    assert_eq!(output(&p), "");
    assert_eq!((p.stats().traces_held, p.stats().spans_held), (2, 2));

    p.shutdown(None).unwrap();
    let out = output(&p);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    assert!(lines[0].starts_with("never ends  trace_") && lines[0].ends_with("  [not ended: printed at shutdown]"));
    assert!(lines[2].ends_with("[not ended: printed at shutdown]  [start not seen: earlier spans may be missing]"));

    assert_eq!(p.shutdown(None), Err(ProcessorError::AlreadyShutdown));
    p.on_span_end(&span(&open, 3, None, (0, 5), CustomSpanData::default()));
    let stats: TreeStats = p.stats();
    assert_eq!((stats.unfinished_traces_printed, stats.traces_printed, stats.spans_printed), (2, 0, 2));
    assert_eq!((stats.spans_dropped_after_shutdown, stats.spans_dropped(), stats.traces_held), (1, 1, 0));
}

#[test]
fn zero_caps_are_refused_with_the_default_named() {
    let err = TreeConsoleProcessor::builder().max_spans_per_trace(0).build().unwrap_err();
    assert_eq!(err, ConfigError::ZeroLimit { setting: "max_spans_per_trace", default: 1_000 });
    assert!(err.to_string().contains("give at least 1 (the default is 1000)"), "{err}");
    let err = TreeConsoleProcessor::builder().max_open_traces(0).build().unwrap_err();
    assert_eq!(err, ConfigError::ZeroLimit { setting: "max_open_traces", default: 100 });
}

#[test]
fn a_failing_writer_is_counted_not_panicked() {
    struct Broken;
    impl Write for Broken {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::other("disk full"))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let p = TreeConsoleProcessor::builder().to_writer(Broken).build().unwrap();
    let t = trace(30, "w", 10);
    run(&p, &t, &[span(&t, 1, None, (0, 1), CustomSpanData::default())]);
    let stats = p.stats();
    assert_eq!((stats.write_errors, stats.spans_in_failed_writes, stats.traces_printed), (1, 1, 0));
}

/// A writer that, on its first write, prints a trace of its own through the same
/// processor (whose output lock its thread holds): that nested print fails and is
/// counted, rather than waiting for its own thread for ever.
#[test]
fn a_writer_that_prints_through_its_own_processor_is_counted_not_deadlocked() {
    struct Nesting(Arc<std::sync::OnceLock<Arc<TreeConsoleProcessor>>>, bool);
    impl Write for Nesting {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if !std::mem::replace(&mut self.1, true) {
                let p = self.0.get().expect("set before the first trace ends");
                let inner = trace(32, "inner", 10);
                run(p, &inner, &[span(&inner, 1, None, (0, 1), CustomSpanData::default())]);
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let slot = Arc::new(std::sync::OnceLock::new());
    let p = Arc::new(TreeConsoleProcessor::builder().to_writer(Nesting(Arc::clone(&slot), false)).build().unwrap());
    assert!(slot.set(Arc::clone(&p)).is_ok());
    let t = trace(31, "outer", 10);
    run(&p, &t, &[span(&t, 1, None, (0, 1), CustomSpanData::default())]);
    let stats = p.stats();
    assert_eq!((stats.traces_printed, stats.write_errors, stats.spans_in_failed_writes), (1, 1, 1), "{stats:?}");
}

/// The same, for a tree taken out early to make room (`max_open_traces(1)`), which is
/// printed under the processor's printing lock (by the printer thread or the flush): the
/// writer's nested trace end must not wait for that lock either.
#[test]
fn a_writer_that_prints_through_its_own_processor_during_an_early_print_is_not_deadlocked() {
    struct Nesting(Arc<std::sync::OnceLock<Arc<TreeConsoleProcessor>>>, bool);
    impl Write for Nesting {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if !std::mem::replace(&mut self.1, true) {
                let p = self.0.get().expect("set before any print");
                p.on_trace_end(&trace(43, "nested end", 10));
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let slot = Arc::new(std::sync::OnceLock::new());
    let p = Arc::new(
        TreeConsoleProcessor::builder()
            .max_open_traces(1)
            .to_writer(Nesting(Arc::clone(&slot), false))
            .build()
            .unwrap(),
    );
    assert!(slot.set(Arc::clone(&p)).is_ok());
    // A span of a trace resumed from elsewhere (its start never seen here) ...
    let first = trace(41, "first", 10);
    p.on_span_end(&span(&first, 1, None, (0, 1), CustomSpanData::default()));
    // ... is taken out early when a second trace needs the room.
    let second = trace(42, "second", 10);
    p.on_trace_start(&second);
    p.force_flush(None).unwrap();
    let stats = p.stats();
    assert_eq!(stats.unfinished_traces_printed, 1, "the first trace, printed early: {stats:?}");
    assert_eq!(stats.write_errors, 0, "the nested end printed nothing (its trace was never seen): {stats:?}");
}

/// A writer that writes through another console processor (another output) is not
/// refused: only a write back to the output being written is.
#[test]
fn a_writer_that_prints_through_another_processor_is_served() {
    let other = Arc::new(TreeConsoleProcessor::builder().to_writer(SharedBuf::default()).build().unwrap());
    struct Relay(Arc<TreeConsoleProcessor>, bool);
    impl Write for Relay {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if !std::mem::replace(&mut self.1, true) {
                let relayed = trace(45, "relayed", 10);
                run(&self.0, &relayed, &[span(&relayed, 1, None, (0, 1), CustomSpanData::default())]);
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let p = TreeConsoleProcessor::builder().to_writer(Relay(Arc::clone(&other), false)).build().unwrap();
    let t = trace(44, "outer", 10);
    run(&p, &t, &[span(&t, 1, None, (0, 1), CustomSpanData::default())]);
    assert_eq!((p.stats().traces_printed, p.stats().write_errors), (1, 0));
    assert_eq!((other.stats().traces_printed, other.stats().write_errors), (1, 0));
}

/// A writer other tests read back, shared through clones.
#[derive(Clone, Default)]
struct SharedBuf(Arc<Mutex<Vec<u8>>>);

impl SharedBuf {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

impl Write for SharedBuf {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn the_tree_is_written_with_the_gathering_lock_released() {
    // A writer that, while the tree is being written, ends a span and starts a trace on the
    // same processor, as another thread could: were the gathering lock still held, this
    // would deadlock (or panic) instead of being counted.
    struct Reentrant {
        processor: Arc<Mutex<Option<TreeConsoleProcessor>>>,
        out: SharedBuf,
    }
    impl Write for Reentrant {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if let Some(p) = self.processor.lock().unwrap().as_ref() {
                let other = trace(41, "other", 10);
                p.on_trace_start(&other);
                p.on_span_end(&span(&other, 9, None, (0, 1), CustomSpanData::default()));
            }
            self.out.write(buf)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let slot = Arc::new(Mutex::new(None));
    let out = SharedBuf::default();
    let p = TreeConsoleProcessor::builder()
        .to_writer(Reentrant { processor: Arc::clone(&slot), out: out.clone() })
        .build()
        .unwrap();
    *slot.lock().unwrap() = Some(p.clone());
    let t = trace(40, "first", 10);
    run(&p, &t, &[span(&t, 1, None, (0, 1), CustomSpanData::default())]);
    *slot.lock().unwrap() = None; // break the cycle
    assert_eq!(out.text().lines().count(), 2);
    let stats = p.stats();
    assert_eq!((stats.traces_printed, stats.traces_held, stats.spans_held), (1, 1, 1));
}

#[test]
fn traces_from_many_threads_print_whole_and_every_span_is_accounted_for() {
    const THREADS: u128 = 8;
    const TRACES: u128 = 25;
    const SPANS: u128 = 12;
    let p =
        TreeConsoleProcessor::builder().to_buffer().color(ColorMode::Never).max_spans_per_trace(10).build().unwrap();
    std::thread::scope(|scope| {
        for th in 0..THREADS {
            let p = p.clone();
            scope.spawn(move || {
                for k in 0..TRACES {
                    let t = trace(th * 1000 + k, &format!("w{th}-{k}"), 100);
                    p.on_trace_start(&t);
                    for i in 0..SPANS {
                        p.on_span_end(&span(&t, i + 1, None, (i as u64, i as u64 + 1), CustomSpanData::default()));
                    }
                    p.on_trace_end(&t);
                }
            });
        }
    });
    let out = output(&p);
    // Each tree is one write: a header, then its 10 spans and the line on the 2 left out.
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len() as u128, THREADS * TRACES * 12);
    for tree in lines.chunks(12) {
        assert!(tree[0].starts_with('w') && tree[0].ends_with("  10 spans"), "{tree:?}");
        assert!(tree[1..11].iter().all(|l| l.contains("custom")), "{tree:?}");
        assert!(tree[11].starts_with("… 2 more spans not shown"), "{tree:?}");
    }
    let stats = p.stats();
    let offered = (THREADS * TRACES * SPANS) as u64;
    assert_eq!(stats.spans_printed + stats.spans_in_failed_writes + stats.spans_held + stats.spans_dropped(), offered);
    assert_eq!(stats.spans_dropped_trace_cap, (THREADS * TRACES * 2) as u64);
}

#[test]
fn a_chain_nested_10000_deep_prints_with_bounded_indentation() {
    let p = TreeConsoleProcessor::builder()
        .to_buffer()
        .color(ColorMode::Never)
        .max_spans_per_trace(10_000)
        .build()
        .unwrap();
    let t = trace(50, "deep", 10);
    let spans: Vec<_> =
        (1..=10_000u128).map(|i| span(&t, i, (i > 1).then(|| i - 1), (0, 1), CustomSpanData::default())).collect();
    run(&p, &t, &spans);
    let out = output(&p);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 10_001);
    let last = lines.last().unwrap();
    assert!(last.contains("[depth 9999] custom"), "{last}");
    // 32 levels of indentation at most, 3 characters each, then the connector.
    assert!(last.chars().count() < 33 * 3 + 40, "{last}");
}

#[test]
fn through_the_registry_with_real_guards() {
    // The crate docs show this path too; here with a handoff and a guardrail.
    let p = plain();
    let _scoped = registry::set_default(p.clone());
    {
        let _t = trace_core::trace("Live").start();
        let _a = agent_span("Triage").start();
        handoff_span().from_agent("Triage").to_agent("Billing").start().end();
        guardrail_span("pii").triggered(true).start().end();
    }
    let out = output(&p);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    assert!(lines[0].starts_with("Live  trace_") && lines[0].ends_with("3 spans"), "{out}");
    assert!(lines[1].starts_with("└─ agent Triage  "), "{out}");
    assert!(lines[2].starts_with("   ├─ handoff Triage -> Billing  "), "{out}");
    assert!(lines[3].starts_with("   └─ guardrail pii  ") && lines[3].ends_with("  triggered"), "{out}");
}
