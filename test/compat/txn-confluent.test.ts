// Transactions with confluent-kafka-python (librdkafka 2.0.2) against an in-process broker:
// commit and abort seen through read_committed and read_uncommitted consumers, a
// consume-transform-produce loop with send_offsets_to_transaction, and zombie fencing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { explain, PYTHON, requirePythonModule, run } from './support/tools.js';

const SCRIPT = String.raw`
import json, sys, time
from confluent_kafka import Consumer, Producer, KafkaException, TopicPartition
cfg = json.loads(sys.argv[1])
bs, op = cfg['bootstrap'], cfg['op']

def consume_all(topic, isolation, expected, timeout=20, group=None):
    c = Consumer({'bootstrap.servers': bs, 'group.id': group or ('rd-%s-%f' % (topic, time.time())),
                  'isolation.level': isolation, 'auto.offset.reset': 'earliest', 'enable.auto.commit': False,
                  'fetch.wait.max.ms': 50})
    c.subscribe([topic])
    out, end = [], time.time() + timeout
    quiet_until = None
    while time.time() < end:
        m = c.poll(0.1)
        if m is not None and not m.error():
            out.append(m.value().decode())
        if len(out) >= expected:
            quiet_until = quiet_until or time.time() + 0.5
            if time.time() > quiet_until:
                break
    c.close()
    return out

def txn_producer(tid):
    p = Producer({'bootstrap.servers': bs, 'transactional.id': tid, 'transaction.timeout.ms': 30000})
    p.init_transactions(15)
    return p

out = {}
if op == 'basic':
    t = cfg['topic']
    p = txn_producer('ck-basic')
    p.begin_transaction()
    for i in range(5): p.produce(t, value=b'commit-%d' % i, partition=i % 2)
    p.commit_transaction(15)
    p.begin_transaction()
    for i in range(3): p.produce(t, value=b'abort-%d' % i, partition=i % 2)
    p.flush(10)
    p.abort_transaction(15)
    p.begin_transaction()
    for i in range(5, 7): p.produce(t, value=b'commit-%d' % i, partition=i % 2)
    p.commit_transaction(15)
    out['committed'] = sorted(consume_all(t, 'read_committed', 7))
    out['uncommitted'] = sorted(consume_all(t, 'read_uncommitted', 10))
elif op == 'ctp':
    src, dst, group, n = cfg['input'], cfg['output'], cfg['group'], cfg['n']
    plain = Producer({'bootstrap.servers': bs})
    for i in range(n): plain.produce(src, value=b'in-%d' % i)
    plain.flush(10)
    p = txn_producer('ck-ctp')
    c = Consumer({'bootstrap.servers': bs, 'group.id': group, 'isolation.level': 'read_committed',
                  'auto.offset.reset': 'earliest', 'enable.auto.commit': False, 'fetch.wait.max.ms': 50})
    c.subscribe([src])
    done, end, txns = 0, time.time() + 40, 0
    while done < n and time.time() < end:
        msgs = c.consume(5, 0.2)
        msgs = [m for m in msgs if not m.error()]
        if not msgs: continue
        p.begin_transaction()
        for m in msgs: p.produce(dst, value=b'out-' + m.value())
        p.send_offsets_to_transaction(c.position(c.assignment()), c.consumer_group_metadata(), 15)
        p.commit_transaction(15)
        done += len(msgs); txns += 1
    c.close()
    out['processed'] = done
    out['transactions'] = txns
    out['output'] = sorted(consume_all(dst, 'read_committed', n))
    chk = Consumer({'bootstrap.servers': bs, 'group.id': group, 'enable.auto.commit': False})
    out['committed'] = [tp.offset for tp in chk.committed([TopicPartition(src, 0)], timeout=10)]
    chk.close()
elif op == 'zombie':
    t = cfg['topic']
    p1 = txn_producer('ck-zombie')
    p1.begin_transaction()
    p1.produce(t, value=b'zombie')
    p1.flush(10)
    p2 = txn_producer('ck-zombie')
    p2.begin_transaction()
    p2.produce(t, value=b'fresh')
    p2.commit_transaction(15)
    try:
        p1.commit_transaction(15)
        out['zombie'] = 'committed'
    except KafkaException as e:
        err = e.args[0]
        out['zombie'] = err.name()
        out['fatal'] = err.fatal()
    out['committed'] = sorted(consume_all(t, 'read_committed', 1))
print(json.dumps(out))
`;

let tb: TestBroker;

beforeAll(async () => {
  requirePythonModule('confluent_kafka', 'python3-confluent-kafka');
  tb = await startTestBroker({
    'group.initial.rebalance.delay.ms': '0',
    'offsets.topic.num.partitions': '3',
    'transaction.state.log.num.partitions': '3',
  });
});
afterAll(async () => {
  await tb?.cleanup();
});

async function py<T>(params: Record<string, unknown>): Promise<T> {
  const r = await run(PYTHON, ['-c', SCRIPT, JSON.stringify({ bootstrap: tb.bootstrap, ...params })], { timeoutMs: 90_000 });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  if (r.code !== 0 || !last.startsWith('{')) throw new Error(explain(`txn ${String(params.op)}`, r));
  return JSON.parse(last) as T;
}

describe('confluent-kafka-python transactions', () => {
  it('read_committed sees committed transactions only; read_uncommitted sees the aborted data too', async () => {
    await tb.broker.createTopic('ck-txn-basic', 2, 1, {});
    const r = await py<{ committed: string[]; uncommitted: string[] }>({ op: 'basic', topic: 'ck-txn-basic' });
    expect(r.committed).toEqual(Array.from({ length: 7 }, (_, i) => `commit-${i}`));
    expect(r.uncommitted).toHaveLength(10);
    expect(r.uncommitted.filter((v) => v.startsWith('abort-'))).toHaveLength(3);
  });

  it('consume-transform-produce with send_offsets_to_transaction', async () => {
    await tb.broker.createTopic('ck-ctp-in', 1, 1, {});
    await tb.broker.createTopic('ck-ctp-out', 1, 1, {});
    const n = 30;
    const r = await py<{ processed: number; transactions: number; output: string[]; committed: number[] }>({
      op: 'ctp',
      input: 'ck-ctp-in',
      output: 'ck-ctp-out',
      group: 'ck-ctp-group',
      n,
    });
    expect(r.processed).toBe(n);
    expect(r.transactions).toBeGreaterThan(1);
    expect(r.output).toEqual(Array.from({ length: n }, (_, i) => `out-in-${i}`).sort());
    expect(r.committed).toEqual([n]);
  });

  it('a second producer with the same transactional.id fences the first', async () => {
    await tb.broker.createTopic('ck-zombie', 1, 1, {});
    const r = await py<{ zombie: string; fatal: boolean; committed: string[] }>({ op: 'zombie', topic: 'ck-zombie' });
    expect(r.zombie).not.toBe('committed');
    expect(r.committed).toEqual(['fresh']);
  });
});
