#!/bin/bash
# The OTLP comparison of BENCHMARKS.md: three interleaved rounds of 1,000,000 spans, each
# library's defaults and then equal settings with a queue that holds every span, through
# our OpenAI exporter, our OTLP exporter (protobuf, protobuf + gzip) and opentelemetry-otlp,
# to `cargo xtask serve` on 127.0.0.1. One JSON line per run.
# Usage (from the workspace root): benches/otel/compare.sh [PORT]
set -euo pipefail
P=${1:-47811}
N=1000000
cargo bench --no-run --bench e2e --features openai-http,otlp-http,batch 2>/dev/null
E=$(cargo bench --no-run --bench e2e --features openai-http,otlp-http,batch --message-format=json 2>/dev/null \
    | sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -1)
cargo build --release --manifest-path benches/otel/Cargo.toml --target-dir target/otel 2>/dev/null
O=target/otel/release/otel-e2e-bench
cargo build -q -p xtask && (target/debug/xtask serve --port "$P" >/dev/null &)
trap 'pkill -f "xtask serve --port $P" || true' EXIT
until curl -s "127.0.0.1:$P/stats" >/dev/null; do :; done
for r in 1 2 3; do
  for cfg in defaults big; do
    R=(); [ "$cfg" = big ] && R=(--queue 1048576 --batch 512)
    for v in openai protobuf gzip otel; do
      case $v in
        openai) out=$("$E" --endpoint "http://127.0.0.1:$P/v1/traces/ingest" --n $N "${R[@]}");;
        otel) out=$("$O" --endpoint "http://127.0.0.1:$P/v1/traces" --n $N "${R[@]}");;
        *) out=$("$E" --endpoint "http://127.0.0.1:$P/v1/traces" --n $N --otlp $v "${R[@]}");;
      esac
      echo "$r $cfg $v $out"
    done
  done
done
