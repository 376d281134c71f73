"""confluent-kafka-python (librdkafka) side of the compat tests. See common.py for the protocol.

Ops: produce, consume, watermarks, offsets_for_times, list_topics, create_topics, delete_topics,
create_partitions, describe_configs.
"""
import time

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, ConfigSource, NewPartitions, NewTopic

from common import main, tohex, unhex

TIMEOUT = 15.0


def kerr(e):
    if e is None:
        return None
    if isinstance(e, KafkaException) and e.args and isinstance(e.args[0], KafkaError):
        e = e.args[0]
    if isinstance(e, KafkaError):
        return {'code': e.code(), 'name': e.name(), 'str': e.str()}
    return {'code': None, 'name': type(e).__name__, 'str': str(e)}


def produce(params, op):
    conf = {'bootstrap.servers': params['bootstrap'], 'compression.type': op.get('compression', 'none'),
            'linger.ms': 50, 'acks': 'all', 'message.timeout.ms': 20000}
    conf.update(op.get('config', {}))
    p = Producer(conf)
    reports = []

    def on_delivery(err, msg):
        reports.append({'error': kerr(err), 'partition': msg.partition(), 'offset': msg.offset(),
                        'timestamp': msg.timestamp()[1], 'key': tohex(msg.key())})

    for m in op['messages']:
        kwargs = {'value': unhex(m.get('value')), 'key': unhex(m.get('key')), 'on_delivery': on_delivery}
        if op.get('partition') is not None:
            kwargs['partition'] = op['partition']
        if m.get('headers'):
            kwargs['headers'] = [(k, unhex(v)) for k, v in m['headers']]
        if m.get('timestamp') is not None:
            kwargs['timestamp'] = m['timestamp']
        p.produce(op['topic'], **kwargs)
    left = p.flush(TIMEOUT)
    return {'reports': reports, 'unflushed': left}


def consume(params, op):
    """Reads one partition ("partition") or several ("partitions") until EOF on all of them."""
    conf = {'bootstrap.servers': params['bootstrap'], 'group.id': op.get('group', 'compat-assign'),
            'enable.auto.commit': False, 'enable.partition.eof': True, 'auto.offset.reset': 'earliest',
            'fetch.wait.max.ms': 100}  # EOF is only reported after an empty long poll: keep it short
    conf.update(op.get('config', {}))
    c = Consumer(conf)
    start = op.get('offset', 'beginning')
    start = {'beginning': -2, 'end': -1}.get(start, start)
    partitions = op.get('partitions') or [op['partition']]
    c.assign([TopicPartition(op['topic'], p, start) for p in partitions])
    out, errors, eof = [], [], set()
    limit = op.get('max', 1 << 30)
    deadline = time.time() + op.get('timeoutMs', 15000) / 1000.0
    while len(eof) < len(partitions) and len(out) < limit and time.time() < deadline:
        for m in c.consume(num_messages=500, timeout=0.5):
            if m.error():
                if m.error().code() == KafkaError._PARTITION_EOF:
                    eof.add(m.partition())
                else:
                    errors.append(kerr(m.error()))
                continue
            ts_type, ts = m.timestamp()
            out.append({'offset': m.offset(), 'partition': m.partition(), 'key': tohex(m.key()),
                        'value': tohex(m.value()), 'timestamp': ts, 'timestampType': ts_type,
                        'headers': [[k, tohex(v)] for k, v in (m.headers() or [])]})
    c.close()
    out.sort(key=lambda m: (m['partition'], m['offset']))
    return {'messages': out, 'eof': len(eof) == len(partitions), 'errors': errors[:20]}


def _consumer(params):
    return Consumer({'bootstrap.servers': params['bootstrap'], 'group.id': 'compat-offsets',
                     'enable.auto.commit': False})


def watermarks(params, op):
    c = _consumer(params)
    low, high = c.get_watermark_offsets(TopicPartition(op['topic'], op['partition']), timeout=TIMEOUT, cached=False)
    c.close()
    return {'low': low, 'high': high}


def offsets_for_times(params, op):
    c = _consumer(params)
    res = c.offsets_for_times([TopicPartition(op['topic'], op['partition'], ts) for ts in [op['timestamp']]], timeout=TIMEOUT)
    c.close()
    return {'offset': res[0].offset, 'partitionError': kerr(res[0].error)}


def _admin(params):
    return AdminClient({'bootstrap.servers': params['bootstrap']})


def list_topics(params, op):
    md = _admin(params).list_topics(topic=op.get('topic'), timeout=TIMEOUT)
    return {
        'clusterId': md.cluster_id, 'controllerId': md.controller_id,
        'brokers': [{'id': b.id, 'host': b.host, 'port': b.port} for b in md.brokers.values()],
        'topics': {name: {'error': kerr(t.error), 'partitions': {
            str(pid): {'leader': pm.leader, 'replicas': pm.replicas, 'isrs': pm.isrs, 'error': kerr(pm.error)}
            for pid, pm in t.partitions.items()}} for name, t in md.topics.items()},
    }


def _wait(futures):
    out = {}
    for key, f in futures.items():
        try:
            f.result(TIMEOUT)
            out[key] = None
        except Exception as e:
            out[key] = kerr(e)
    return out


# The AdminClient must stay referenced until its futures resolve: a collected client fails them
# with _DESTROY.
def create_topics(params, op):
    topics = [NewTopic(t['name'], num_partitions=t.get('partitions', 1), replication_factor=t.get('replication', 1),
                       config=t.get('config', {})) for t in op['topics']]
    admin = _admin(params)
    fs = admin.create_topics(topics, operation_timeout=10, request_timeout=TIMEOUT,
                             validate_only=op.get('validateOnly', False))
    return {'results': _wait(fs)}


def delete_topics(params, op):
    admin = _admin(params)
    fs = admin.delete_topics(op['topics'], operation_timeout=10, request_timeout=TIMEOUT)
    return {'results': _wait(fs)}


def create_partitions(params, op):
    admin = _admin(params)
    fs = admin.create_partitions([NewPartitions(op['topic'], op['total'])], operation_timeout=10,
                                 request_timeout=TIMEOUT, validate_only=op.get('validateOnly', False))
    return {'results': _wait(fs)}


def describe_configs(params, op):
    resources = [ConfigResource(r['type'], r['name']) for r in op['resources']]
    admin = _admin(params)
    fs = admin.describe_configs(resources, request_timeout=TIMEOUT)
    out = {}
    for res, f in fs.items():
        key = '%s:%s' % (str(res.restype).split('.')[-1].lower(), res.name)
        try:
            entries = f.result(TIMEOUT)
            out[key] = {'configs': {name: {'value': e.value, 'source': ConfigSource(e.source).name,
                                           'isDefault': e.is_default, 'isReadOnly': e.is_read_only,
                                           'isSensitive': e.is_sensitive} for name, e in entries.items()}}
        except Exception as e:
            out[key] = {'error': kerr(e)}
    return {'resources': out}


if __name__ == '__main__':
    main({'produce': produce, 'consume': consume, 'watermarks': watermarks, 'offsets_for_times': offsets_for_times,
          'list_topics': list_topics, 'create_topics': create_topics, 'delete_topics': delete_topics,
          'create_partitions': create_partitions, 'describe_configs': describe_configs})
