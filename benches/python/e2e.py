#!/usr/bin/env python3
"""Python SDK end to end, for `cargo xtask bench`: N small custom spans in one trace
through BatchTraceProcessor and BackendSpanExporter to a loopback server. Prints one
JSON line.

With --rate, the producer is paced the way benches/e2e.rs paces the Rust one: it makes
every span that is due by now, then sleeps until the next one is due (time.sleep releases
the GIL, so the SDK's worker thread can run meanwhile; a busy-wait would starve it).

start_unix_ns is time.time_ns() just before the first span, so that "first span to last
span received" can be computed with the server's last_unix_ns.
"""
import argparse
import json
import logging
import resource
import time

from agents import tracing as T
from agents.tracing.processors import BackendSpanExporter, BatchTraceProcessor


class CountDrops(logging.Handler):
    """Counts the SDK's "Queue is full, dropping span." warnings (one per dropped span)."""

    def __init__(self):
        super().__init__()
        self.dropped = 0

    def emit(self, record):
        if "Queue is full" in record.getMessage():
            self.dropped += 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--rate", type=float, default=0.0, help="spans/s offered; 0 = flat out")
    a = ap.parse_args()
    drops = CountDrops()
    logging.getLogger("openai.agents").addHandler(drops)
    logging.getLogger("openai.agents").propagate = False
    exporter = BackendSpanExporter(api_key="sk-bench", endpoint=a.endpoint)
    proc = BatchTraceProcessor(exporter, max_batch_size=a.batch)
    T.set_trace_processors([proc])
    cs = T.custom_span
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    start_unix_ns = time.time_ns()
    t0 = time.perf_counter()
    with T.trace("e2e"):
        if a.rate > 0:
            rate, n, i = a.rate, a.n, 0
            while i < n:
                due = min(n, int((time.perf_counter() - t0) * rate) + 1)
                while i < due:
                    with cs("x", data={"i": i}):
                        pass
                    i += 1
                if i < n:
                    wait = t0 + i / rate - time.perf_counter()
                    if wait > 0:
                        time.sleep(wait)
        else:
            for i in range(a.n):
                with cs("x", data={"i": i}):
                    pass
    produced_s = time.perf_counter() - t0
    proc.shutdown()
    total_s = time.perf_counter() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({
        "lang": "python", "n": a.n, "batch": a.batch, "queue": proc._max_queue_size, "rate": a.rate,
        "produce_s": produced_s, "total_s": total_s, "start_unix_ns": start_unix_ns,
        "dropped": drops.dropped,
        "peak_rss_mib": cpu1.ru_maxrss / 1024.0,
        "cpu_s": (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime),
    }), flush=True)


if __name__ == "__main__":
    main()
