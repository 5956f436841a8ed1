"""Expected outputs of the Python SDK's OpenAI sanitizer for edge cases, for the Rust tests.

Run with openai-agents 0.24.0 installed:  python3 gen_sanitizer_cases.py python-sanitizer-cases.json
Long strings are written as runs {"$runs": [[unit, count], ...]} and integer lists as
{"$ranges": [[start, end), ...]}; the Rust test expands both.
"""
import json
import sys
from agents.tracing.processors import BackendSpanExporter
e = BackendSpanExporter(api_key="x")
cases = []
def add(name, span_data):
    item = {"object": "trace.span", "id": "span_1", "span_data": span_data}
    out = e._sanitize_for_openai_tracing_api(item)
    cases.append({"name": name, "input": span_data, "expected": out["span_data"]})

big = "y" * 150_000
# oversized function output with unicode and escapes
add("function_unicode", {"type": "function", "name": "f", "input": "é\"\n" * 40_000 + "ü" * 10, "output": "ok", "mcp_data": None})
add("function_small", {"type": "function", "name": "f", "input": "a", "output": "b", "mcp_data": None})
# generation list of messages, several big, distinct sizes
msgs = [{"role": "user", "content": "a" * 60_000}, {"role": "assistant", "content": "b" * 50_000, "reasoning": "r"},
        {"type": "reasoning", "summary": []}, {"role": "user", "content": "c" * 30_000}, {"role": "tool", "content": [1, 2, 3]}]
add("generation_list", {"type": "generation", "input": msgs, "output": None, "model": "m", "model_config": None,
    "usage": {"input_tokens": 1.5, "output_tokens": 2, "requests": 1, "total_tokens": None, "input_tokens_details": {"cached_tokens": 0}}})
# generation with thinking parts and response object
add("generation_thinking", {"type": "generation", "input": [
        {"role": "assistant", "content": [{"type": "text", "text": "hi"}, {"type": "thinking", "thinking": "x"}, {"type": "redacted_thinking"}, "raw"], "thinking_blocks": [1], "thinking": "t", "reasoning_content": "rc"},
        {"role": "user", "content": [{"type": "thinking"}], "reasoning": "kept for user"},
        {"object": "response", "output": [{"type": "reasoning"}, {"role": "assistant", "content": "ok", "reasoning": "gone"}, {"object": "response", "output": [{"type": "reasoning"}]}]},
        "a plain string", 42],
    "output": [{"type": "reasoning", "summary": [{"text": "s"}]}], "model": None, "model_config": None, "usage": None})
add("generation_bad_usage", {"type": "generation", "input": None, "output": None, "model": None, "model_config": None, "usage": {"input_tokens": "1", "output_tokens": 2}})
add("generation_bool_usage", {"type": "generation", "input": None, "output": None, "model": None, "model_config": None, "usage": {"input_tokens": True, "output_tokens": 2}})
add("generation_missing_usage", {"type": "generation", "input": None, "output": None, "model": None, "model_config": None, "usage": {"output_tokens": 2}})
add("generation_details_not_object", {"type": "generation", "input": None, "output": None, "model": None, "model_config": None, "usage": {"input_tokens": 1, "output_tokens": 2, "details": 5, "requests": 3, "details_x": {"a": None}}})
add("generation_details_merge", {"type": "generation", "input": None, "output": None, "model": None, "model_config": None, "usage": {"details": {"requests": 9, "z": None}, "input_tokens": 1, "output_tokens": 2, "requests": 3}})
add("generation_empty_details", {"type": "generation", "input": None, "output": None, "model": None, "model_config": None, "usage": {"input_tokens": 1, "output_tokens": 2, "details": {}}})
# nested dict truncation, with a number that does not fit and nested lists
add("speech_group_big", {"type": "speech_group", "input": big})
add("transcription_big", {"type": "transcription", "input": {"data": "Q" * 120_000, "format": "pcm"}, "output": "hello", "model": None, "model_config": None})
add("speech_big", {"type": "speech", "input": "hi", "output": {"data": "Q" * 99_990, "format": "pcm"}, "model": None, "model_config": None, "first_content_at": None})
# custom-ish object values as generation output (dict, not list): no reasoning filtering
add("generation_dict_nested", {"type": "generation", "input": [{"role": "user", "content": {"deep": {"a": "x" * 70_000, "b": "y" * 40_000, "n": 12345, "l": ["z" * 20_000, "w" * 10]}}}], "output": [], "model": None, "model_config": None, "usage": {"input_tokens": 0, "output_tokens": 0}})
add("generation_many_small", {"type": "generation", "input": [{"role": "user", "content": "m" * 1000 + str(i)} for i in range(150)], "output": None, "model": None, "model_config": None, "usage": None})
add("generation_list_of_numbers", {"type": "generation", "input": list(range(30_000)), "output": None, "model": None, "model_config": None, "usage": None})
add("response_null_usage", {"type": "response", "response_id": None, "usage": None})
add("response_usage", {"type": "response", "response_id": "r", "usage": {"input_tokens": 1}})
add("custom_usage_in_data", {"type": "custom", "name": "task", "data": {"sdk_span_type": "task", "name": "t", "usage": {"input_tokens": 1}}})

def runs(s):
    out = []
    i = 0
    n = len(s)
    while i < n:
        best = None
        for p in range(1, 9):
            unit = s[i:i+p]
            if len(unit) < p:
                break
            k = 1
            while s[i+k*p:i+(k+1)*p] == unit:
                k += 1
            if best is None or k * p > best[1] * len(best[0]):
                best = (unit, k)
        out.append([best[0], best[1]])
        i += len(best[0]) * best[1]
    return out

def enc(v):
    if isinstance(v, str) and len(v) > 200:
        r = runs(v)
        assert "".join(u * k for u, k in r) == v
        return {"$runs": r}
    if isinstance(v, dict):
        return {k: enc(x) for k, x in v.items()}
    if isinstance(v, list):
        if len(v) > 20 and all(type(x) is int for x in v):
            rs = []
            for x in v:
                if rs and rs[-1][1] == x:
                    rs[-1][1] = x + 1
                else:
                    rs.append([x, x + 1])
            return {"$ranges": rs}
        return [enc(x) for x in v]
    return v

encoded = [{"name": c["name"], "input": enc(c["input"]), "expected": enc(c["expected"])} for c in cases]
s = "[\n" + ",\n".join(json.dumps(c, ensure_ascii=False, separators=(",", ":")) for c in encoded) + "\n]"
out = sys.argv[1] if len(sys.argv) > 1 else "python-sanitizer-cases.json"
open(out, "w").write(s + "\n")
