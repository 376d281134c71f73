#!/usr/bin/env bash
# Builds the venv that test/compat/confluent-kafka-modern.test.ts runs confluent-kafka-python
# from PyPI in (Debian's python3-confluent-kafka 1.7 / librdkafka 2.0.2 stays under
# /usr/bin/python3 for the other tests). Idempotent: a venv already holding the pinned version is
# left alone. Location: $TRIBUTARY_CK_VENV, default ~/.cache/tributary/venv-ck.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${TRIBUTARY_CK_VENV:-$HOME/.cache/tributary/venv-ck}"
want="$(sed -n 's/^confluent-kafka==//p' "$here/requirements-modern.txt")"
if [ -x "$venv/bin/python" ] && [ "$("$venv/bin/python" -c 'import confluent_kafka; print(confluent_kafka.version())' 2>/dev/null)" = "$want" ]; then
  echo "confluent-kafka $want already in $venv"; exit 0
fi
# Any python3 >= 3.8 with venv; Debian's needs python3-venv, so prefer the first that works.
for py in python3 /usr/bin/python3; do
  if "$py" -m venv --clear "$venv" 2>/dev/null; then break; fi
done
[ -x "$venv/bin/pip" ] || { echo "could not create a venv with pip at $venv (Debian: apt-get install python3-venv)"; exit 1; }
"$venv/bin/pip" install --quiet --disable-pip-version-check --only-binary=:all: -r "$here/requirements-modern.txt"
"$venv/bin/python" -c 'import confluent_kafka as c; print("confluent-kafka", c.version(), "librdkafka", c.libversion()[0])'
