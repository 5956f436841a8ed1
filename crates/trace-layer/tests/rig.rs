//! End to end with rig (rig-core + rig-agent 0.44): a real rig agent, with one tool, runs a
//! prompt against a fake OpenAI-compatible server on 127.0.0.1 (Chat Completions), the
//! model asks for one tool call, rig runs the tool, and the model answers. The `tracing`
//! spans rig emits on its own (`invoke_agent`, `chat` per model turn, `execute_tool`) reach
//! `AgentsLayer`, and this proves what the layer makes of them: one trace, an agent span
//! named after the agent, two generation spans under it with the model and the exact
//! token counts of the canned replies, and a function span under it with the tool's name,
//! arguments and result.
//!
//! rig records message content, tool arguments and tool results on its spans only when the
//! agent opts in (`record_content_telemetry(true)`); token counts, model and tool name are
//! recorded either way. The run is started outside any span on purpose: rig adopts an
//! enabled ambient span as its agent span instead of opening its own `invoke_agent` span.
//!
//! One test in this binary: it installs the global subscriber and the global processor.

use std::convert::Infallible;

use rig_agent::AgentBuilder;
use rig_core::providers::openai::OpenAIConfig;
use rig_core::tool::PortableTool;
use serde_json::{json, Value};

mod support;
use support::{fake_openai, install, AGENT, ANSWER, MODEL, PROMPT, TOOL_RESULT};

/// The arguments of `lookup_order`.
#[derive(serde::Deserialize)]
struct LookupArgs {
    order_id: String,
}

/// The agent's one tool.
struct LookupOrder;

impl PortableTool for LookupOrder {
    const NAME: &'static str = "lookup_order";
    type Args = LookupArgs;
    type Output = String;
    type Error = Infallible;

    fn description(&self) -> String {
        "Looks up the shipping status of an order.".to_owned()
    }

    fn parameters(&self) -> Value {
        json!({
            "type": "object",
            "properties": { "order_id": { "type": "string", "description": "The order's id" } },
            "required": ["order_id"],
        })
    }

    async fn call(&self, args: LookupArgs) -> Result<String, Infallible> {
        assert_eq!(args.order_id, "A-42");
        Ok(TOOL_RESULT.to_owned())
    }
}

#[test]
fn a_rig_agent_run_with_one_tool_call_becomes_one_trace() {
    // First, before any thread starts: rig's shared reqwest client reads the proxy
    // variables once (only 127.0.0.1 is reached, never through a proxy).
    let recorder = install();
    let server = fake_openai();

    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let output = runtime.block_on(async {
        let client =
            OpenAIConfig::new("sk-test-not-a-real-key").with_base_url(format!("http://{}/v1", server.addr())).client();
        // Chat Completions (`POST /v1/chat/completions`), not the Responses API the
        // official dialect defaults to: the simpler reply to fake.
        let model = client.chat(MODEL);
        let agent = AgentBuilder::new(model)
            .name(AGENT)
            .preamble("You answer questions about orders. Use the tools.")
            .tool(LookupOrder)
            .record_content_telemetry(true)
            .build();
        let response = agent.prompt(PROMPT).max_turns(3).await.expect("the agent run succeeds");
        assert_eq!(response.usage.input_tokens, Some(57 + 91));
        assert_eq!(response.usage.output_tokens, Some(17 + 12));
        response.output()
    });
    drop(runtime);
    assert_eq!(output, ANSWER);

    support::check_one_run(&server, &recorder);
}
