#!/usr/bin/env bash
# Resolves the pinned Apache Kafka jars from Maven Central with Maven and prints the folder that
# holds them. Cached per pom content under ${TRIBUTARY_CACHE_DIR:-~/.cache/tributary}, so a
# repeated run costs nothing (no mvn start) and a pom change resolves afresh.
#   test/reference/resolve.sh broker    # kafka_2.13 + log4j2: the reference broker (test/reference/pom.xml)
#   test/reference/resolve.sh clients   # kafka-clients + slf4j-simple (test/compat/java/pom.xml)
#   test/reference/resolve.sh tools     # kafka-tools: Kafka's perf-test classes (bench/vs-kafka/pom.xml)
#   test/reference/resolve.sh streams   # kafka-streams + slf4j-simple (test/compat/streams/pom.xml)
#   test/reference/resolve.sh share     # kafka-clients 4.4 for KafkaShareConsumer (test/compat/java-share/pom.xml)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
case "${1:-}" in
  broker) pom=$here/pom.xml ;;
  clients) pom=$here/../compat/java/pom.xml ;;
  tools) pom=$here/../../bench/vs-kafka/pom.xml ;;
  streams) pom=$here/../compat/streams/pom.xml ;;
  share) pom=$here/../compat/java-share/pom.xml ;;
  *) echo "usage: $0 broker|clients|tools|streams|share" >&2; exit 2 ;;
esac
version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$pom" | head -1)
hash=$(sha256sum "$pom" | cut -c1-12)
cache=${TRIBUTARY_CACHE_DIR:-$HOME/.cache/tributary}
dir=$cache/kafka-$version/$1-$hash
if [ ! -f "$dir/.complete" ]; then
  command -v mvn >/dev/null || { echo "mvn not found: apt-get install -y --no-install-recommends maven openjdk-17-jdk-headless" >&2; exit 1; }
  mkdir -p "$cache/kafka-$version"
  tmp=$(mktemp -d "$cache/kafka-$version/.resolving-XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  start=$(date +%s)
  mvn -q -B -Dstyle.color=never -f "$pom" dependency:copy-dependencies -DoutputDirectory="$tmp" -DincludeScope=runtime >&2
  touch "$tmp/.complete"
  # Another run may have finished first (tests resolve concurrently): its copy is as good.
  mv -T "$tmp" "$dir" 2>/dev/null || true
  echo "resolved Kafka $version $1 jars in $(( $(date +%s) - start )) s" >&2
fi
echo "$dir"
