"""confluent-kafka-python from PyPI (a current librdkafka, pinned in requirements-modern.txt) on
top of ck.py's ops. Runs under the venv python that .ci/run builds, never /usr/bin/python3.

Extra ops: versions, group_consume (classic or KIP-848 group.protocol=consumer), txn_commit_abort,
txn_consume_produce, describe_topics, list_offsets, describe_consumer_groups, list_consumer_groups,
list_group_offsets.
"""
import time

import confluent_kafka
from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition, TopicCollection
from confluent_kafka.admin import AdminClient, OffsetSpec

import ck
from common import main, tohex

TIMEOUT = ck.TIMEOUT


def versions(params, op):
    return {'client': confluent_kafka.version(), 'librdkafka': confluent_kafka.libversion()[0]}


def _group_conf(params, op, group):
    conf = {'bootstrap.servers': params['bootstrap'], 'group.id': group, 'auto.offset.reset': 'earliest',
            'enable.auto.commit': False, 'fetch.wait.max.ms': 100}
    if op.get('protocol') == 'consumer':
        conf['group.protocol'] = 'consumer'  # KIP-848: ConsumerGroupHeartbeat, broker-side assignment
    else:
        conf['session.timeout.ms'] = 10000
        conf['heartbeat.interval.ms'] = 500
    conf.update(op.get('config', {}))
    return conf


def group_consume(params, op):
    """`members` consumers subscribe to one topic in one group and poll (round-robin, in this
    thread) until `expected` distinct values arrived; each commits synchronously what it read.
    Then reports assignments, the committed offsets, and errors seen."""
    n = op.get('members', 2)
    consumers = [Consumer(_group_conf(params, op, op['group'])) for _ in range(n)]
    for c in consumers:
        c.subscribe([op['topic']])
    seen, per_member, errors = {}, [0] * n, []
    deadline = time.time() + op.get('timeoutMs', 30000) / 1000.0
    assignments = [[] for _ in range(n)]
    settled = None
    while time.time() < deadline:
        for i, c in enumerate(consumers):
            for m in c.consume(num_messages=100, timeout=0.1):
                if m.error():
                    errors.append(ck.kerr(m.error()))
                    continue
                seen[m.value().decode()] = seen.get(m.value().decode(), 0) + 1
                per_member[i] += 1
            if per_member[i]:
                try:
                    c.commit(asynchronous=False)
                except Exception as e:  # nothing new to commit is fine
                    if not (hasattr(e, 'args') and e.args and getattr(e.args[0], 'code', lambda: None)() == KafkaError._NO_OFFSET):
                        errors.append(ck.kerr(e))
            assignments[i] = sorted(tp.partition for tp in c.assignment())
        # Done once everything arrived and the partitions are split: each member holds some, and
        # together they hold every partition exactly once (the first member to join briefly has
        # them all, and may read everything before the second one gets its share).
        covered = sorted(p for a in assignments for p in a)
        split = all(assignments) and covered == list(range(op['partitions']))
        if len(seen) >= op['expected'] and split:
            settled = settled or time.time()
            if time.time() - settled > 0.5:
                break
    # Described while both members are still in: their assignments as the broker sees them.
    live = describe_consumer_groups(params, {'groups': [op['group']]})['groups'][op['group']]
    for c in consumers:
        c.close()
    admin = AdminClient({'bootstrap.servers': params['bootstrap']})
    committed = list_group_offsets(params, {'group': op['group']}, admin)['offsets']
    return {'distinct': len(seen), 'duplicates': sorted(v for v, k in seen.items() if k > 1), 'perMember': per_member,
            'assignments': assignments, 'committed': committed, 'live': live, 'errors': errors[:20]}


def list_group_offsets(params, op, admin=None):
    from confluent_kafka import ConsumerGroupTopicPartitions
    admin = admin or AdminClient({'bootstrap.servers': params['bootstrap']})
    fs = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(op['group'])], request_timeout=TIMEOUT)
    res = fs[op['group']].result(TIMEOUT)
    return {'offsets': {'%s:%d' % (tp.topic, tp.partition): tp.offset for tp in res.topic_partitions}}


def _read(params, topic, isolation, partitions=(0,)):
    got = ck.consume(params, {'topic': topic, 'partitions': list(partitions), 'offset': 'beginning',
                              'config': {'isolation.level': isolation}})
    return [bytes.fromhex(m['value']).decode() for m in got['messages']], got['eof'], got['errors']


def txn_commit_abort(params, op):
    """commit 5, abort 5, commit 3 on partition 0; read back under both isolation levels."""
    topic = op['topic']
    p = Producer({'bootstrap.servers': params['bootstrap'], 'transactional.id': topic + '-txn', 'linger.ms': 5})
    p.init_transactions(TIMEOUT)
    for tag, n, commit in (('c1', 5, True), ('a1', 5, False), ('c2', 3, True)):
        p.begin_transaction()
        for i in range(n):
            p.produce(topic, value=('%s-%d' % (tag, i)).encode(), partition=0)
        if commit:
            p.commit_transaction(TIMEOUT)
        else:
            p.flush(TIMEOUT)  # the aborted records really reach the log before the abort marker
            p.abort_transaction(TIMEOUT)
    committed, ceof, cerr = _read(params, topic, 'read_committed')
    uncommitted, ueof, uerr = _read(params, topic, 'read_uncommitted')
    return {'committed': committed, 'uncommitted': uncommitted, 'eof': [ceof, ueof], 'errors': cerr + uerr}


def txn_consume_produce(params, op):
    """A consumer in group `group` (protocol per op) reads `topic`, a transactional producer writes
    each value to `out` and commits the consumer's positions with send_offsets_to_transaction."""
    c = Consumer(_group_conf(params, op, op['group']) | {'isolation.level': 'read_committed'})
    c.subscribe([op['topic']])
    p = Producer({'bootstrap.servers': params['bootstrap'], 'transactional.id': op['group'] + '-etl', 'linger.ms': 5})
    p.init_transactions(TIMEOUT)
    moved, errors = 0, []
    deadline = time.time() + 30
    while moved < op['expected'] and time.time() < deadline:
        msgs = [m for m in c.consume(num_messages=100, timeout=0.2) if not m.error() or errors.append(ck.kerr(m.error()))]
        if not msgs:
            continue
        p.begin_transaction()
        for m in msgs:
            p.produce(op['out'], key=m.key(), value=b'out-' + m.value())
        p.send_offsets_to_transaction(c.position(c.assignment()), c.consumer_group_metadata(), TIMEOUT)
        p.commit_transaction(TIMEOUT)
        moved += len(msgs)
    c.close()
    out, eof, rerr = _read(params, op['out'], 'read_committed', range(op.get('outPartitions', 1)))
    committed = list_group_offsets(params, {'group': op['group']})['offsets']
    return {'moved': moved, 'output': sorted(out), 'committed': committed, 'errors': errors[:20] + rerr}


def describe_topics(params, op):
    admin = AdminClient({'bootstrap.servers': params['bootstrap']})
    fs = admin.describe_topics(TopicCollection(op['topics']), request_timeout=TIMEOUT)
    out = {}
    for name, f in fs.items():
        try:
            d = f.result(TIMEOUT)
            out[name] = {'partitions': [{'id': p.id, 'leader': p.leader.id, 'replicas': [r.id for r in p.replicas],
                                         'isr': [r.id for r in p.isr]} for p in d.partitions],
                         'internal': d.is_internal, 'hasTopicId': d.topic_id is not None and str(d.topic_id) != 'AAAAAAAAAAAAAAAAAAAAAA'}
        except Exception as e:
            out[name] = {'error': ck.kerr(e)}
    return {'topics': out}


def list_offsets(params, op):
    specs = {'earliest': OffsetSpec.earliest(), 'latest': OffsetSpec.latest(), 'max_timestamp': OffsetSpec.max_timestamp()}
    admin = AdminClient({'bootstrap.servers': params['bootstrap']})
    out = {}
    for name, spec in list(specs.items()) + [('ts', OffsetSpec.for_timestamp(op['timestamp']))]:
        req = {TopicPartition(op['topic'], op['partition']): spec}
        fs = admin.list_offsets(req, request_timeout=TIMEOUT)
        for tp, f in fs.items():
            try:
                r = f.result(TIMEOUT)
                out[name] = {'offset': r.offset, 'timestamp': r.timestamp}
            except Exception as e:
                out[name] = {'error': ck.kerr(e)}
    return {'offsets': out}


def describe_consumer_groups(params, op):
    admin = AdminClient({'bootstrap.servers': params['bootstrap']})
    fs = admin.describe_consumer_groups(op['groups'], request_timeout=TIMEOUT)
    out = {}
    for g, f in fs.items():
        try:
            d = f.result(TIMEOUT)
            out[g] = {'state': d.state.name, 'type': getattr(d, 'type', None) and d.type.name,
                      'simple': d.is_simple_consumer_group, 'assignor': d.partition_assignor,
                      'members': sorted(sorted(tp.partition for tp in m.assignment.topic_partitions) for m in d.members)}
        except Exception as e:
            out[g] = {'error': ck.kerr(e)}
    return {'groups': out}


def list_consumer_groups(params, op):
    admin = AdminClient({'bootstrap.servers': params['bootstrap']})
    res = admin.list_consumer_groups(request_timeout=TIMEOUT).result(TIMEOUT)
    return {'groups': {g.group_id: {'state': g.state.name, 'type': getattr(g, 'type', None) and g.type.name}
                       for g in res.valid}, 'errors': [ck.kerr(e) for e in res.errors]}


if __name__ == '__main__':
    handlers = {name: getattr(ck, name) for name in ('produce', 'consume', 'watermarks', 'offsets_for_times', 'list_topics',
                                                      'create_topics', 'delete_topics', 'create_partitions', 'describe_configs')}
    handlers.update({'versions': versions, 'group_consume': group_consume, 'txn_commit_abort': txn_commit_abort,
                     'txn_consume_produce': txn_consume_produce, 'describe_topics': describe_topics,
                     'list_offsets': list_offsets, 'describe_consumer_groups': describe_consumer_groups,
                     'list_consumer_groups': list_consumer_groups, 'list_group_offsets': list_group_offsets})
    main(handlers)
