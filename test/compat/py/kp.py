"""kafka-python side of the compat tests. See common.py for the protocol.

Every op accepts "apiVersion": [0, 10] etc. to pin kafka-python's protocol generation (skips its
ApiVersions probe and forces old Produce/Fetch versions with magic 0/1 message sets).

Ops: produce, consume, offsets (beginning/end/for_times), raw_fetch (one FetchRequest vN on a
raw socket, reporting the magic of every returned batch), create_topics, delete_topics,
create_partitions, describe_configs, probe_version.
"""
import io
import socket
import struct
import time

from common import install_xxhash_shim, main, tohex, unhex

install_xxhash_shim()

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition  # noqa: E402
from kafka.errors import KafkaError  # noqa: E402
from kafka.admin import ConfigResource, ConfigResourceType, NewPartitions, NewTopic  # noqa: E402
from kafka.protocol.api import RequestHeader  # noqa: E402
from kafka.protocol.fetch import FetchRequest  # noqa: E402
from kafka.record.memory_records import MemoryRecords  # noqa: E402


def api_version(op):
    v = op.get('apiVersion')
    return tuple(v) if v else None


def jsonable(x):
    if isinstance(x, (bytes, bytearray, memoryview)):
        return {'hex': bytes(x).hex()}
    if isinstance(x, dict):
        return {k: jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    return x


def produce(params, op):
    p = KafkaProducer(bootstrap_servers=params['bootstrap'], compression_type=op.get('compression'),
                      api_version=api_version(op), linger_ms=op.get('lingerMs', 50), acks=op.get('acks', 'all'),
                      request_timeout_ms=15000, max_block_ms=15000, retries=op.get('retries', 0))
    futures = []
    for m in op['messages']:
        kwargs = {'value': unhex(m.get('value')), 'key': unhex(m.get('key'))}
        if op.get('partition') is not None:
            kwargs['partition'] = op['partition']
        if m.get('headers'):
            kwargs['headers'] = [(k, unhex(v)) for k, v in m['headers']]
        if m.get('timestamp') is not None:
            kwargs['timestamp_ms'] = m['timestamp']
        futures.append(p.send(op['topic'], **kwargs))
    p.flush(timeout=15)
    reports = []
    for f in futures:
        try:
            md = f.get(timeout=15)
            reports.append({'error': None, 'partition': md.partition, 'offset': md.offset, 'timestamp': md.timestamp})
        except Exception as e:
            reports.append({'error': '%s: %s' % (type(e).__name__, e)})
    resolved = p.config['api_version']
    p.close(timeout=5)
    return {'reports': reports, 'apiVersion': list(resolved) if resolved else None}


def _consumer(params, op):
    return KafkaConsumer(bootstrap_servers=params['bootstrap'], group_id=None, enable_auto_commit=False,
                         api_version=api_version(op), auto_offset_reset='earliest', fetch_max_wait_ms=100,
                         request_timeout_ms=15000)


def consume(params, op):
    c = _consumer(params, op)
    tp = TopicPartition(op['topic'], op['partition'])
    c.assign([tp])
    if op.get('offset', 'beginning') == 'beginning':
        c.seek_to_beginning(tp)
    elif op['offset'] == 'end':
        c.seek_to_end(tp)
    else:
        c.seek(tp, op['offset'])
    out = []
    expect = op.get('expect', 1 << 30)
    deadline = time.time() + op.get('timeoutMs', 10000) / 1000.0
    while len(out) < expect and time.time() < deadline:
        for recs in c.poll(timeout_ms=200, max_records=1000).values():
            for r in recs:
                out.append({'offset': r.offset, 'partition': r.partition, 'key': tohex(r.key), 'value': tohex(r.value),
                            'timestamp': r.timestamp, 'timestampType': r.timestamp_type,
                            'headers': [[k, tohex(v)] for k, v in (r.headers or [])]})
    position = c.position(tp)
    c.close()
    return {'messages': out, 'position': position}


def offsets(params, op):
    c = _consumer(params, op)
    tp = TopicPartition(op['topic'], op['partition'])
    res = {}
    if op.get('beginning', True):
        res['beginning'] = c.beginning_offsets([tp])[tp]
    if op.get('end', True):
        res['end'] = c.end_offsets([tp])[tp]
    if 'timestamps' in op:
        res['forTimes'] = []
        for ts in op['timestamps']:
            r = c.offsets_for_times({tp: ts})[tp]
            res['forTimes'].append(None if r is None else {'offset': r.offset, 'timestamp': r.timestamp})
    c.close()
    return res


def raw_fetch(params, op):
    """One FetchRequest of an exact old version, straight on a socket, so the test sees the
    message-set bytes the broker really returned (kafka-python's consumer would silently accept
    magic 2 batches even at Fetch v0, which a real pre-0.11 client cannot)."""
    v = op['version']
    topics = [(op['topic'], [(op['partition'], op.get('offset', 0), op.get('maxBytes', 1 << 20))])]
    if v >= 4:
        req = FetchRequest[4](-1, 500, 1, op.get('maxBytes', 1 << 20), 0, topics)
    elif v == 3:
        req = FetchRequest[v](-1, 500, 1, op.get('maxBytes', 1 << 20), topics)
    else:
        req = FetchRequest[v](-1, 500, 1, topics)
    header = RequestHeader(req, correlation_id=7, client_id='compat-raw')  # kept alive: encode() holds a weakref
    payload = header.encode() + req.encode()
    host, port = params['bootstrap'].split(':')
    s = socket.create_connection((host, int(port)), timeout=15)
    s.sendall(struct.pack('>i', len(payload)) + payload)

    def read(n):
        buf = b''
        while len(buf) < n:
            chunk = s.recv(n - len(buf))
            if not chunk:
                raise EOFError('broker closed the connection after %d of %d bytes' % (len(buf), n))
            buf += chunk
        return buf

    size = struct.unpack('>i', read(4))[0]
    body = read(size)
    s.close()
    corr = struct.unpack('>i', body[:4])[0]
    resp = req.RESPONSE_TYPE.decode(io.BytesIO(body[4:]))
    part = resp.topics[0][1][0]
    error_code, hw, data = part[1], part[2], part[-1]
    magics, pos = [], 0
    while pos + 17 <= len(data):
        length = struct.unpack('>i', data[pos + 8:pos + 12])[0]
        if pos + 12 + length > len(data):
            break  # a partial trailing message is allowed by the protocol
        magics.append(data[pos + 16])
        pos += 12 + length
    records = []
    mr = MemoryRecords(bytes(data))
    while True:
        batch = mr.next_batch()
        if batch is None:
            break
        for r in batch:
            records.append({'offset': r.offset, 'key': tohex(r.key), 'value': tohex(r.value), 'timestamp': r.timestamp,
                            'headers': [[k, tohex(hv)] for k, hv in (getattr(r, 'headers', None) or [])]})
    return {'correlationId': corr, 'errorCode': error_code, 'highWatermark': hw, 'magics': magics,
            'bytes': len(data), 'records': records}


def _admin(params, op):
    return KafkaAdminClient(bootstrap_servers=params['bootstrap'], api_version=api_version(op), request_timeout_ms=15000)


def _admin_call(params, op, call):
    """kafka-python 2.0.2's admin raises the first topic error as an exception; report it as data."""
    a = _admin(params, op)
    try:
        r = call(a)
        return {'response': jsonable(r.to_object()), 'version': r.API_VERSION}
    except KafkaError as e:
        return {'exception': type(e).__name__, 'errno': getattr(e, 'errno', None), 'message': str(e)[:1000]}
    finally:
        a.close()


def create_topics(params, op):
    topics = [NewTopic(t['name'], t.get('partitions', 1), t.get('replication', 1), topic_configs=t.get('config', {}))
              for t in op['topics']]
    return _admin_call(params, op, lambda a: a.create_topics(topics, timeout_ms=10000,
                                                             validate_only=op.get('validateOnly', False)))


def delete_topics(params, op):
    return _admin_call(params, op, lambda a: a.delete_topics(op['topics'], timeout_ms=10000))


def create_partitions(params, op):
    return _admin_call(params, op, lambda a: a.create_partitions({op['topic']: NewPartitions(op['total'])}, timeout_ms=10000,
                                                                 validate_only=op.get('validateOnly', False)))


def describe_configs(params, op):
    kinds = {'topic': ConfigResourceType.TOPIC, 'broker': ConfigResourceType.BROKER}
    a = _admin(params, op)
    rs = a.describe_configs([ConfigResource(kinds[r['type']], r['name']) for r in op['resources']],
                            include_synonyms=op.get('synonyms', False))
    a.close()
    return {'responses': [jsonable(r.to_object()) for r in rs], 'versions': [r.API_VERSION for r in rs]}


def probe_version(params, op):
    c = KafkaConsumer(bootstrap_servers=params['bootstrap'], group_id=None, request_timeout_ms=15000)
    v = c.config['api_version']
    c.close()
    return {'apiVersion': list(v)}


if __name__ == '__main__':
    main({'produce': produce, 'consume': consume, 'offsets': offsets, 'raw_fetch': raw_fetch,
          'create_topics': create_topics, 'delete_topics': delete_topics, 'create_partitions': create_partitions,
          'describe_configs': describe_configs, 'probe_version': probe_version})
