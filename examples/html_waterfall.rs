//! Records a customer-service run of several agents (a triage agent handing off to a
//! refunds agent and, in a follow-up, to a billing agent; tool calls, guardrails, one
//! failed tool call) and writes it as one self-contained HTML page: a waterfall of the
//! spans on a time axis, the tree folding, a click on a span showing its exported JSON.
//! Prints the page's path. No network, no key; model and tool latencies are simulated
//! (the run takes about a second).
//!
//! ```text
//! cargo run --example html_waterfall                 # writes <temp dir>/agents-tracing-waterfall.html
//! cargo run --example html_waterfall -- run.html     # writes run.html
//! cargo run --example html_waterfall -- --spans 10000 big.html   # one synthetic trace of 10,000 spans, no delays
//! ```

use std::path::PathBuf;
use std::thread::sleep;
use std::time::Duration;

use agents_tracing::{
    agent_span, custom_span, function_span, generation_span, guardrail_span, handoff_span, mcp_tools_span,
    response_span, set_trace_processor, trace, turn_span, HtmlWaterfallExporter, SimpleTraceProcessor, SpanError,
};
use serde_json::json;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut spans: Option<usize> = None;
    let mut path: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--spans" => {
                let n = args.next().ok_or("--spans needs a number")?;
                spans = Some(n.parse().map_err(|_| format!("--spans takes a whole number, not {n:?}"))?);
            }
            other if other.starts_with("--") => return Err(format!("unknown option {other}").into()),
            other => path = Some(PathBuf::from(other)),
        }
    }
    let path = path.unwrap_or_else(|| std::env::temp_dir().join("agents-tracing-waterfall.html"));

    let title = if spans.is_some() { "Synthetic large run" } else { "Customer service (example run)" };
    let html = HtmlWaterfallExporter::run_file(&path).title(title).build()?;
    // Receiving a span is a short in-memory push: the simple processor is fine here. A
    // service would put the exporter under `BatchTraceProcessor` (feature `batch`).
    set_trace_processor(SimpleTraceProcessor::new(html.clone()));

    match spans {
        Some(n) => large_run(n),
        None => {
            first_conversation();
            follow_up();
        }
    }

    html.write()?;
    let stats = html.stats();
    println!("{} traces, {} spans ({} dropped)", stats.traces_held, stats.spans_held, stats.spans_dropped());
    println!("{}", path.display());
    Ok(())
}

/// A model call of `ms` simulated milliseconds.
fn generation(prompt: &str, answer: &str, input_tokens: u64, output_tokens: u64, ms: u64) {
    let mut g = generation_span()
        .model("gpt-4o-mini")
        .model_config(json!({"temperature": 0.2}))
        .input([json!({"role": "user", "content": prompt})])
        .start();
    sleep(Duration::from_millis(ms));
    g.set_output([json!({"role": "assistant", "content": answer})])
        .set_usage(json!({"input_tokens": input_tokens, "output_tokens": output_tokens}));
}

/// A tool call of `ms` simulated milliseconds.
fn tool(name: &str, input: serde_json::Value, result: Result<&str, &str>, ms: u64) {
    let mut call = function_span(name.to_owned()).input(input.to_string()).start();
    sleep(Duration::from_millis(ms));
    match result {
        Ok(output) => call.set_output(output),
        Err(message) => call.set_error(SpanError::new(message).with_data(json!({"retryable": true}))),
    };
}

fn handoff(from: &str, to: &str) {
    let _h = handoff_span().from_agent(from).to_agent(to).start();
    sleep(Duration::from_millis(1));
}

/// The first trace: triage hands off to refunds, whose first refund attempt fails.
fn first_conversation() {
    let _run = trace("Customer service").group_id("chat_123").metadata(json!({"customer": "c-42"})).start();
    {
        let _triage =
            agent_span("Triage").tools(["lookup_order"]).handoffs(["Refunds", "Billing"]).output_type("str").start();
        {
            let _turn = turn_span(1, "Triage").start();
            guardrail_span("no_personal_data").start().end();
            generation("My order 42 arrived broken, I want my money back.", "Let me look up the order.", 212, 18, 120);
            tool("lookup_order", json!({"order_id": 42}), Ok(r#"{"status": "delivered", "total": 59.9}"#), 35);
            generation("(order details)", "Handing off to refunds.", 260, 9, 80);
            handoff("Triage", "Refunds");
        }
    }
    {
        let _refunds = agent_span("Refunds").tools(["check_policy", "refund_order"]).start();
        {
            let _turn = turn_span(1, "Refunds").start();
            generation("Refund order 42, reason: damaged.", "Checking the policy.", 305, 22, 90);
            tool("check_policy", json!({"reason": "damaged"}), Ok("refundable within 30 days"), 20);
            tool("refund_order", json!({"order_id": 42, "amount": 59.9}), Err("payment gateway timeout"), 150);
        }
        {
            let _turn = turn_span(2, "Refunds").start();
            generation("(tool error: payment gateway timeout)", "Retrying the refund.", 340, 12, 70);
            tool("refund_order", json!({"order_id": 42, "amount": 59.9}), Ok("refund r-981 issued"), 60);
            generation("(refund issued)", "Your refund of 59.90 is on its way.", 372, 25, 95);
            custom_span("notify_customer").data(json!({"channel": "email", "template": "refund_issued"})).start().end();
        }
    }
}

/// The second trace of the conversation: a triggered guardrail, a handoff to billing, MCP
/// tools and a Responses API call.
fn follow_up() {
    let _run = trace("Customer service").group_id("chat_123").start();
    {
        let _triage = agent_span("Triage").tools(["lookup_order"]).handoffs(["Refunds", "Billing"]).start();
        let mut guard = guardrail_span("no_personal_data").start();
        sleep(Duration::from_millis(4));
        guard.set_triggered(true);
        guard.end();
        generation("Here is my card 4111 ... can I get the invoice?", "Please don't share card numbers.", 180, 30, 85);
        handoff("Triage", "Billing");
    }
    let _billing = agent_span("Billing").tools(["get_invoice"]).start();
    mcp_tools_span().server("billing-mcp").result(["get_invoice", "list_invoices"]).start().end();
    {
        let mut r = response_span().response_id("resp_67ab2c").start();
        sleep(Duration::from_millis(110));
        r.set_usage(json!({"input_tokens": 410, "output_tokens": 44}));
    }
    let mut call =
        function_span("get_invoice").input(r#"{"order_id": 42}"#).mcp_data(json!({"server": "billing-mcp"})).start();
    sleep(Duration::from_millis(25));
    call.set_output("invoice INV-2025-0042.pdf (59.90 EUR)");
    call.end();
    // An error quoting markup from the customer's input: the page shows it as text, never
    // as HTML (`cargo xtask html` checks this in a real browser).
    tool(
        "render_receipt",
        json!({"note": "<img src=x onerror=\"document.body.dataset.pwned=1\">"}),
        Err("template error near <img src=x onerror=\"document.body.dataset.pwned=1\">"),
        3,
    );
}

/// One trace of `n` spans: agents with turns, generations and tool calls nested under
/// them, every 97th tool call failing. No delays.
fn large_run(n: usize) {
    let _run = trace("Large run").group_id("synthetic").start();
    let mut made = 0;
    let mut agent = 0;
    while made < n {
        agent += 1;
        let _agent = agent_span(format!("Agent {agent}")).tools(["search", "fetch"]).start();
        made += 1;
        let mut turn = 0;
        while made < n && turn < 10 {
            turn += 1;
            let _turn = turn_span(turn, format!("Agent {agent}")).start();
            made += 1;
            if made < n {
                let mut g = generation_span().model("gpt-4o-mini").start();
                g.set_usage(json!({"input_tokens": 100 + made, "output_tokens": 10}));
                made += 1;
            }
            let mut k = 0;
            while made < n && k < 6 {
                k += 1;
                let mut call = function_span("search").input(format!(r#"{{"q": "item {made}"}}"#)).start();
                if made % 97 == 0 {
                    call.set_error(SpanError::new(format!("search failed on item {made}")));
                } else {
                    call.set_output(format!("result {made}"));
                }
                made += 1;
            }
        }
    }
}
