"""Independent oracle for the record tests: kafka-python's own record classes.

Reads a JSON list of commands on stdin, writes a JSON list of results. Bytes travel as base64,
None as null. Run with /usr/bin/python3 (Debian's python3-kafka).
"""
import base64
import json
import sys
import types


def _xxh32(data, seed=0):
    # Pure-Python XXH32, only so kafka-python's magic-0 LZ4 path (which needs `xxhash`) can run.
    p1, p2, p3, p4, p5 = 2654435761, 2246822519, 3266489917, 668265263, 374761393
    m = 0xFFFFFFFF
    rotl = lambda x, r: ((x << r) | (x >> (32 - r))) & m
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


class _XXH32:
    def __init__(self, data=b'', seed=0):
        self._h = _xxh32(bytes(data), seed)

    def digest(self):
        return self._h.to_bytes(4, 'big')

    def intdigest(self):
        return self._h


try:
    import xxhash  # noqa: F401
except ImportError:
    sys.modules['xxhash'] = types.SimpleNamespace(xxh32=_XXH32)

from kafka import codec  # noqa: E402
from kafka.record.default_records import DefaultRecordBatch, DefaultRecordBatchBuilder  # noqa: E402
from kafka.record.legacy_records import LegacyRecordBatchBuilder  # noqa: E402
from kafka.record.memory_records import MemoryRecords  # noqa: E402


def b64(b):
    return None if b is None else base64.b64encode(bytes(b)).decode()


def unb64(s):
    return None if s is None else base64.b64decode(s)


def rec_json(r):
    return {
        'offset': r.offset,
        'timestamp': r.timestamp,
        'timestamp_type': r.timestamp_type,
        'key': b64(r.key),
        'value': b64(r.value),
        'headers': [[k, b64(v)] for k, v in (r.headers or [])],
    }


def build_v2(c):
    b = DefaultRecordBatchBuilder(
        magic=2, compression_type=c.get('codec', 0), is_transactional=c.get('transactional', False),
        producer_id=c.get('producer_id', -1), producer_epoch=c.get('producer_epoch', -1),
        base_sequence=c.get('base_sequence', -1), batch_size=1 << 30)
    for i, r in enumerate(c['records']):
        headers = [(k, unb64(v)) for k, v in r.get('headers', [])]
        b.append(i, timestamp=r.get('timestamp'), key=unb64(r.get('key')), value=unb64(r.get('value')),
                 headers=headers)
    return {'data': b64(b.build())}


def build_legacy(c):
    b = LegacyRecordBatchBuilder(magic=c['magic'], compression_type=c.get('codec', 0), batch_size=1 << 30)
    for i, r in enumerate(c['records']):
        b.append(r.get('offset', i), timestamp=r.get('timestamp'), key=unb64(r.get('key')),
                 value=unb64(r.get('value')))
    return {'data': b64(b.build())}


def parse(c):
    mr = MemoryRecords(unb64(c['data']))
    batches = []
    while True:
        batch = mr.next_batch()
        if batch is None:
            break
        info = {'crc_ok': batch.validate_crc(), 'compression': batch.compression_type}
        if isinstance(batch, DefaultRecordBatch):
            info.update(magic=2, base_offset=batch.base_offset, last_offset_delta=batch.last_offset_delta,
                        first_timestamp=batch.first_timestamp, max_timestamp=batch.max_timestamp,
                        timestamp_type=batch.timestamp_type, is_transactional=batch.is_transactional,
                        is_control=batch.is_control_batch)
        else:
            info.update(magic=batch._magic, timestamp_type=batch.timestamp_type)
        info['records'] = [rec_json(r) for r in batch]
        batches.append(info)
    return {'batches': batches, 'valid_bytes': mr.valid_bytes()}


ENCODERS = {
    'gzip': codec.gzip_encode,
    'snappy_xerial': lambda d: codec.snappy_encode(d, xerial_compatible=True),
    'snappy_raw': lambda d: codec.snappy_encode(d, xerial_compatible=False),
    'lz4': codec.lz4_encode,
    'lz4_old': codec.lz4_encode_old_kafka,
    'zstd': codec.zstd_encode,
    # A zstd frame without a content size, like zstd-jni's streaming output (Java clients).
    'zstd_nosize': lambda d: __import__('zstandard').ZstdCompressor(write_content_size=False).compress(d),
}
DECODERS = {
    'gzip': codec.gzip_decode,
    'snappy': codec.snappy_decode,
    'lz4': codec.lz4_decode,
    'lz4_old': codec.lz4_decode_old_kafka,
    'zstd': codec.zstd_decode,
}


def run(c):
    op = c['op']
    if op == 'build_v2':
        return build_v2(c)
    if op == 'build_legacy':
        return build_legacy(c)
    if op == 'parse':
        return parse(c)
    if op == 'encode':
        return {'data': b64(ENCODERS[c['codec']](unb64(c['data'])))}
    if op == 'decode':
        return {'data': b64(DECODERS[c['codec']](unb64(c['data'])))}
    raise ValueError('unknown op ' + op)


def main():
    out = []
    for c in json.load(sys.stdin):
        try:
            out.append(run(c))
        except Exception as e:  # reported to the test, which decides whether it expected a failure
            out.append({'error': '%s: %s' % (type(e).__name__, e)})
    json.dump(out, sys.stdout)


main()
