#!/usr/bin/env bash
# Runs the opt-in Kafka Streams broker-kill case (test/compat/streams.test.ts, STREAMS_BROKER_KILL=1)
# N times and counts passes and failures; a failed run keeps the broker's data dir, its log and the
# Streams log under OUT/run-<i> for a look afterwards. From the repo root:
#   test/compat/streams/broker-kill-loop.sh [runs=20] [out=/tmp/streams-loop]
set -u
RUNS=${1:-20}
OUT=${2:-/tmp/streams-loop}
mkdir -p "$OUT"
pass=0; fail=0
for i in $(seq 1 "$RUNS"); do
  dir="$OUT/run-$i"; mkdir -p "$dir"
  if STREAMS_BROKER_KILL=1 STREAMS_KEEP="$dir" STREAMS_LOG="$dir/streams.log" \
      npx vitest run test/compat/streams.test.ts > "$dir/vitest.out" 2>&1; then
    pass=$((pass + 1)); rm -rf "$dir"
  else
    fail=$((fail + 1))
  fi
  echo "run $i: pass=$pass fail=$fail"
done
echo "total: $RUNS runs, $pass passed, $fail failed"
[ "$fail" -eq 0 ]
