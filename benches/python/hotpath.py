#!/usr/bin/env python3
"""Python SDK hot path, for `cargo xtask bench`: prints one JSON line.

--what on_span_end : BatchTraceProcessor.on_span_end on pre-built finished spans
--what whole_span  : `with custom_span("x", data={"i": i}): pass` inside `with trace()`
N spans in total, split across --threads threads started together; queue large enough
that nothing is dropped; the exporter discards.

ns_per_span is wall time / N (aggregate); ns_per_op_per_thread is wall time / (N / threads),
the figure the Rust hot-path bench reports (the wall time runs from the start barrier until
the last thread is done, i.e. the slowest thread).
"""
import argparse
import json
import threading
import time

from agents import tracing as T
from agents.tracing.processor_interface import TracingExporter
from agents.tracing.processors import BatchTraceProcessor


class Discard(TracingExporter):
    def export(self, items):
        pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--what", choices=["on_span_end", "whole_span"], required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--n", type=int, default=100_000)
    a = ap.parse_args()
    per = a.n // a.threads
    proc = BatchTraceProcessor(Discard(), max_queue_size=a.n + 16)
    T.set_trace_processors([proc])
    start = threading.Barrier(a.threads + 1)
    done = threading.Barrier(a.threads + 1)

    if a.what == "on_span_end":
        with T.trace("bench") as tr:
            spans = []
            for i in range(per * a.threads):
                sp = T.custom_span("x", data={"i": i}, parent=tr)
                sp._started_at = sp._ended_at = "2025-01-01T00:00:00+00:00"
                spans.append(sp)

        def work(j):
            mine = spans[j * per:(j + 1) * per]
            f = proc.on_span_end
            start.wait()
            for sp in mine:
                f(sp)
            done.wait()
    else:
        def work(j):
            start.wait()
            with T.trace("bench"):
                for i in range(per):
                    with T.custom_span("x", data={"i": i}):
                        pass
            done.wait()

    threads = [threading.Thread(target=work, args=(j,)) for j in range(a.threads)]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter_ns()
    done.wait()
    wall = time.perf_counter_ns() - t0
    for t in threads:
        t.join()
    proc.shutdown()
    print(json.dumps({"lang": "python", "what": a.what, "threads": a.threads, "n": per * a.threads,
                      "ns_per_span": wall / (per * a.threads), "ns_per_op_per_thread": wall / per}))


if __name__ == "__main__":
    main()
