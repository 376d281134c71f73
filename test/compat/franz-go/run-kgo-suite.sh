#!/usr/bin/env bash
# Runs franz-go's own integration tests (pkg/kgo/*_test.go from the module zip, the version pinned
# in test/compat/franz-go/go.mod) against a freshly spawned Tributary, and prints one line per
# top-level test plus a closing "N passed, N failed, N skipped" line. Not part of `npm test`: it
# takes minutes. Usage: npm run compat:franz-go-suite [-- -test.run REGEX]  (args go to the test binary)
#
# Environment (franz-go's own knobs, see pkg/kgo/helpers_test.go): KGO_SEEDS is set to the spawned
# broker; KGO_TEST_RF=1 (one broker); KGO_TEST_RECORDS defaults here to 50000 (franz-go's default
# 500000 doubles the run, to about 4 minutes, for the two ETL chains); KGO_LOG_LEVEL=none.
# RESULTS_DIR (default a temp dir) keeps the broker log and the raw `go test -json` output.
set -euo pipefail
cd "$(dirname "$0")"
HERE="$(pwd)"
REPO="$(cd ../../.. && pwd)"
GO=/usr/local/go/bin/go; [ -x "$GO" ] || GO=go
export GOTOOLCHAIN=local GOFLAGS=-mod=mod

version="$(sed -n 's/^\s*github.com\/twmb\/franz-go \(v[^ ]*\).*/\1/p' go.mod | head -1)"
[ -n "$version" ] || { echo "no github.com/twmb/franz-go version in go.mod"; exit 2; }
moddir="$("$GO" mod download -json "github.com/twmb/franz-go@$version" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')"
[ -d "$moddir/pkg/kgo" ] || { echo "franz-go $version not in the module cache"; exit 2; }

cache="${XDG_CACHE_HOME:-$HOME/.cache}/tributary"
testbin="$cache/kgo-$version.test"
if [ ! -x "$testbin" ]; then
  # The module cache is read-only: build from a writable copy.
  src="$(mktemp -d)"; trap 'rm -rf "$src"' EXIT
  cp -r "$moddir/." "$src/" && chmod -R u+w "$src"
  echo "building franz-go $version pkg/kgo tests..."
  mkdir -p "$cache"
  (cd "$src" && "$GO" test -c -o "$testbin.tmp" ./pkg/kgo/) && mv "$testbin.tmp" "$testbin"
fi

results="${RESULTS_DIR:-$(mktemp -d -t kgo-suite-XXXXXX)}"
mkdir -p "$results"
data="$(mktemp -d -t kgo-suite-data-XXXXXX)"
node "$REPO/bin/tributary.js" start --override listeners=PLAINTEXT://127.0.0.1:0 --override "log.dirs=$data" \
  --override num.partitions=1 >"$results/broker.log" 2>&1 &
broker=$!
cleanup() { kill -9 "$broker" 2>/dev/null || true; wait "$broker" 2>/dev/null || true; rm -rf "$data"; }
trap 'cleanup; rm -rf "${src:-}"' EXIT
port=""
for _ in $(seq 1 300); do
  port="$(sed -n 's/.*"port":\([0-9][0-9]*\).*"msg":"listening".*/\1/p' "$results/broker.log" | head -1)"
  [ -n "$port" ] && break
  kill -0 "$broker" 2>/dev/null || { cat "$results/broker.log"; echo "broker exited"; exit 2; }
  sleep 0.1
done
[ -n "$port" ] || { echo "broker did not start"; exit 2; }
echo "franz-go $version pkg/kgo against Tributary on 127.0.0.1:$port (records ${KGO_TEST_RECORDS:-50000}); logs in $results"

# The tests read testdata relative to the package dir.
cd "$moddir/pkg/kgo"
set +e
KGO_SEEDS="127.0.0.1:$port" KGO_TEST_RF="${KGO_TEST_RF:-1}" KGO_TEST_RECORDS="${KGO_TEST_RECORDS:-50000}" \
  KGO_LOG_LEVEL="${KGO_LOG_LEVEL:-none}" timeout "${SUITE_TIMEOUT_S:-1500}" \
  "$GO" tool test2json -t -p kgo "$testbin" -test.v=test2json -test.timeout "${GO_TEST_TIMEOUT:-24m}" -test.count 1 "$@" \
  >"$results/kgo.json" 2>"$results/kgo.stderr"
set -e
node "$HERE/summarize-kgo.mjs" "$results/kgo.json"
