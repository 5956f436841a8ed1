#!/usr/bin/env python3
"""Python SDK export cost without the network, for `cargo xtask bench`: one batch of 128
finished custom spans (`custom_span("x", data={"i": i})` in one trace), turned into the
request body again and again. Prints one JSON line with two figures:

exporter : BackendSpanExporter.export(batch) with the HTTP client's `post` replaced by
           httpx2's own JSON encoding of the payload (what `post(json=payload)` does before
           it writes to the socket). This is the SDK's whole path from span objects to body
           bytes: item.export() dicts, the per-item json.dumps check, the payload dumps.
dumps    : json.dumps of the prebuilt payload alone, encoded as httpx2 encodes it (compact,
           ensure_ascii=False, UTF-8): the serialiser's own limit.
post     : with --endpoint, BackendSpanExporter.export(batch) for real, to that loopback
           server (serialisation and the HTTP round trip, no processor, no producer).
"""
import argparse
import json
import time

from agents import tracing as T
from agents.tracing.processors import BackendSpanExporter
from httpx2._content import encode_json


class Ok:
    status_code = 200


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=256_000, help="spans serialised in all (128 per batch)")
    ap.add_argument("--endpoint", default="", help="also post the batch for real, --post-n spans in all")
    ap.add_argument("--post-n", type=int, default=25_600)
    a = ap.parse_args()
    T.set_trace_processors([])
    with T.trace("serialize") as tr:
        batch = []
        for i in range(128):
            sp = T.custom_span("x", data={"i": i}, parent=tr)
            sp.start()
            sp.finish()
            batch.append(sp)
    rounds = max(1, a.n // 128)
    spans = rounds * 128

    body_bytes = [0]

    def post(url, headers, json, **kwargs):  # noqa: A002 - httpx2's keyword
        _, stream = encode_json(json)
        body_bytes[0] += len(stream._stream)
        return Ok

    exporter = BackendSpanExporter(api_key="sk-bench", endpoint="http://127.0.0.1:9/v1/traces/ingest")
    exporter._client.post = post
    exporter.export(batch)  # warm-up
    body_bytes[0] = 0
    t0 = time.perf_counter()
    for _ in range(rounds):
        exporter.export(batch)
    exp_s = time.perf_counter() - t0
    exp_bytes = body_bytes[0]

    payload = {"data": [sp.export() for sp in batch]}
    nbytes = 0
    t0 = time.perf_counter()
    for _ in range(rounds):
        nbytes += len(json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8"))
    dumps_s = time.perf_counter() - t0

    post = {}
    if a.endpoint:
        real = BackendSpanExporter(api_key="sk-bench", endpoint=a.endpoint)
        real.export(batch)  # warm-up: opens the connection
        post_rounds = max(1, a.post_n // 128)
        t0 = time.perf_counter()
        for _ in range(post_rounds):
            real.export(batch)
        post_s = time.perf_counter() - t0
        post = {"post_spans": post_rounds * 128, "post_ns_per_span": post_s * 1e9 / (post_rounds * 128),
                "post_spans_per_s": post_rounds * 128 / post_s}
        real.close()

    print(json.dumps({
        "lang": "python", "what": "serialize", "spans": spans,
        "spans_per_s": spans / exp_s, "mb_per_s": exp_bytes / exp_s / 1e6, "ns_per_span": exp_s * 1e9 / spans,
        "bytes_per_span": exp_bytes / spans,
        "dumps_spans_per_s": spans / dumps_s, "dumps_mb_per_s": nbytes / dumps_s / 1e6,
        "dumps_ns_per_span": dumps_s * 1e9 / spans, **post,
    }), flush=True)


if __name__ == "__main__":
    main()
