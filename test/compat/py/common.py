"""Shared plumbing for the compat scripts: one JSON argument in, one JSON line out.

The argument is {"bootstrap": "host:port", "ops": [{"op": name, ...}, ...]}; the ops run in order
in one process (Python start-up is the slow part) and each result is {"op": name, ...} or
{"op": name, "error": "..."} so one failing step does not hide the others. Bytes travel as hex,
None as null. Run with /usr/bin/python3 (Debian's python3-kafka / python3-confluent-kafka).
"""
import json
import os
import sys
import traceback
import types


def unhex(h):
    return None if h is None else bytes.fromhex(h)


def tohex(b):
    if b is None:
        return None
    if isinstance(b, str):
        b = b.encode('utf-8')
    return bytes(b).hex()


def install_xxhash_shim():
    """kafka-python's magic-0/1 LZ4 path imports `xxhash` (Debian: python3-xxhash). When it is
    missing, provide a pure-Python XXH32 so the old-protocol LZ4 tests can still run."""
    try:
        import xxhash  # noqa: F401
        return
    except ImportError:
        pass

    def xxh32_int(data, seed=0):
        p1, p2, p3, p4, p5 = 2654435761, 2246822519, 3266489917, 668265263, 374761393
        m = 0xFFFFFFFF
        rotl = lambda x, r: ((x << r) | (x >> (32 - r))) & m
        data = bytes(data)
        n, i = len(data), 0
        if n >= 16:
            v = [(seed + p1 + p2) & m, (seed + p2) & m, seed & m, (seed - p1) & m]
            while i + 16 <= n:
                for j in range(4):
                    lane = int.from_bytes(data[i + 4 * j:i + 4 * j + 4], 'little')
                    v[j] = (rotl((v[j] + lane * p2) & m, 13) * p1) & m
                i += 16
            h = (rotl(v[0], 1) + rotl(v[1], 7) + rotl(v[2], 12) + rotl(v[3], 18)) & m
        else:
            h = (seed + p5) & m
        h = (h + n) & m
        while i + 4 <= n:
            h = (rotl((h + int.from_bytes(data[i:i + 4], 'little') * p3) & m, 17) * p4) & m
            i += 4
        while i < n:
            h = (rotl((h + data[i] * p5) & m, 11) * p1) & m
            i += 1
        h ^= h >> 15
        h = (h * p2) & m
        h ^= h >> 13
        h = (h * p3) & m
        h ^= h >> 16
        return h

    class _X:
        def __init__(self, data=b'', seed=0):
            self._d, self._s = bytes(data), seed

        def digest(self):
            return xxh32_int(self._d, self._s).to_bytes(4, 'big')

        def intdigest(self):
            return xxh32_int(self._d, self._s)

    mod = types.ModuleType('xxhash')
    mod.xxh32 = _X
    sys.modules['xxhash'] = mod
    import kafka.codec as codec
    codec.xxhash = mod


def main(handlers):
    params = json.loads(sys.argv[1])
    results = []
    for op in params['ops']:
        name = op['op']
        try:
            res = handlers[name](params, op)
            res['op'] = name
        except Exception as e:  # reported, not raised: the test asserts on it
            res = {'op': name, 'error': '%s: %s' % (type(e).__name__, e), 'trace': traceback.format_exc()[-3000:]}
        results.append(res)
    print(json.dumps({'results': results}))
    sys.stdout.flush()
    # Skip interpreter finalization: confluent-kafka-python 1.7 under-counts references to None
    # for null header values (fixed in 1.8) and aborts with "none_dealloc" at exit.
    os._exit(0)
