"""Captures python-numbers-and-errors.{plain,sanitized}.raw.json: the request bodies the
Python SDK's BackendSpanExporter builds (its own code path, the HTTP client's transport
replaced by an in-process mock, nothing sent) for a trace whose JSON holds floats Python
spells differently from serde_json, large integers, escapes, key order, and errors given
to set_error with any JSON as data and extra keys.

    python3 gen_numbers_and_errors.py   # with openai-agents 0.24.0 installed
"""

import sys

import httpx2
from agents.tracing import (
    custom_span,
    function_span,
    generation_span,
    response_span,
    set_trace_processors,
    trace,
)
from agents.tracing.processor_interface import TracingProcessor
from agents.tracing.processors import BackendSpanExporter

ITEMS = []


class Queue(TracingProcessor):
    """Queues as the batch processor does: the trace at its start, spans at their end."""

    def on_trace_start(self, t):
        ITEMS.append(t)

    def on_trace_end(self, t):
        pass

    def on_span_start(self, s):
        pass

    def on_span_end(self, s):
        ITEMS.append(s)

    def shutdown(self):
        pass

    def force_flush(self):
        pass


FLOATS = [1.5e-7, 1e16, 1e15, 0.1 + 0.2, -0.0, 5e-324, 1.7976931348623157e308, 1e22, 2.5, 100.0, 1e-5, 0.0001]
INTS = [0, -3, 2**53 + 1, 2**64 - 1, -(2**63)]


def build():
    with trace("numbers", metadata={"z_first": 1.5e-7, "a_second": 1e16}):
        with custom_span(
            "numbers",
            data={
                "floats": FLOATS,
                "ints": INTS,
                "text": 'é😀\u0000\u001f\u007f"\\/\u2028',
                "order": {"z": 1, "a": {"y": 2.0, "b": 3}},
            },
        ):
            pass
        with function_span("f", input="{}") as s:
            s.set_error({"message": "Tool failed", "data": ["a", 1.5e-7], "code": 504})
        with function_span("g", input="{}") as s:
            s.set_error({"message": "Bad", "data": "just text"})
        with function_span("h", input="{}") as s:
            s.set_error({"message": "Nested", "data": {"k": {"n": 1e16}}, "retry": {"after": 0.25}, "tags": ["x"]})
        with generation_span(
            input=[{"role": "user", "content": "hi"}],
            output=[{"role": "assistant", "content": "yo"}],
            model="m",
            model_config={"temperature": 1e-05, "top_p": 1.0},
            usage={"output_tokens": 2, "input_tokens": 1, "cost": 1.5e-05, "cached": 3},
        ):
            pass
        # Only the token counts, out of order: equal to the rebuilt usage as a dict, so
        # the sanitizer leaves it as given.
        with generation_span(model="m2", usage={"output_tokens": 5, "input_tokens": 4}):
            pass
        with response_span() as s:
            s.span_data.usage = {"input_tokens": 1.0, "output_tokens": 2}


def body(sanitize):
    captured = []
    exporter = BackendSpanExporter(api_key="sk-test", endpoint="http://127.0.0.1:9/v1/traces/ingest")
    exporter._client = httpx2.Client(
        transport=httpx2.MockTransport(lambda request: (captured.append(request.content), httpx2.Response(200))[1])
    )
    exporter._should_sanitize_for_openai_tracing_api = lambda: sanitize
    exporter.export(list(ITEMS))
    assert len(captured) == 1
    return captured[0]


if __name__ == "__main__":
    set_trace_processors([Queue()])
    build()
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    for name, sanitize in [("plain", False), ("sanitized", True)]:
        with open(f"{out}/python-numbers-and-errors.{name}.raw.json", "wb") as f:
            f.write(body(sanitize))
