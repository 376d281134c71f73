// Consumer groups with the Debian Python clients: confluent-kafka (librdkafka 2.0.2) with the
// range, roundrobin and cooperative-sticky assignors, and kafka-python 2.0.2 (old JoinGroup,
// OffsetCommit and OffsetFetch versions). Two members split a 4-partition topic, the second
// leaves, the first takes everything over; committed offsets are read back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explain, PYTHON, requirePythonModule, run } from '../compat/support/tools.js';
import { startGroupsBroker, type GroupsBroker } from './groups-broker.js';

// One process, one thread per member (a member must keep polling to take part in a rebalance).
// Phases: m1 alone gets every partition; m2 joins and both end up with two; m2 closes (LeaveGroup)
// and m1 gets all four back. Records are produced before the members start and committed by m1
// before m2 joins, so no record may be read twice.
const SCRIPT = String.raw`
import json, sys, threading, time
cfg = json.loads(sys.argv[1])
lib, bootstrap, topic, group, strategy = cfg['lib'], cfg['bootstrap'], cfg['topic'], cfg['group'], cfg['strategy']
N = 4

if lib == 'ck':
    from confluent_kafka import Consumer, Producer, TopicPartition
    p = Producer({'bootstrap.servers': bootstrap})
    for i in range(N):
        p.produce(topic, value=b'v%d' % i, partition=i)
    p.flush(10)
    def make():
        c = Consumer({'bootstrap.servers': bootstrap, 'group.id': group, 'partition.assignment.strategy': strategy,
                      'auto.offset.reset': 'earliest', 'enable.auto.commit': False, 'session.timeout.ms': 6000,
                      'heartbeat.interval.ms': 300, 'fetch.wait.max.ms': 100})
        c.subscribe([topic])
        return c
    def poll(c):
        m = c.poll(0.05)
        return [] if m is None or m.error() else [(m.partition(), m.offset())]
    def assigned(c):
        return sorted(tp.partition for tp in c.assignment())
    def commit(c):
        c.commit(asynchronous=False)
    def committed(c):
        return sorted([tp.partition, tp.offset] for tp in c.committed([TopicPartition(topic, i) for i in range(N)], timeout=10))
else:
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition
    from kafka.coordinator.assignors.range import RangePartitionAssignor
    from kafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor
    assignor = {'range': RangePartitionAssignor, 'roundrobin': RoundRobinPartitionAssignor}[strategy]
    p = KafkaProducer(bootstrap_servers=bootstrap)
    for i in range(N):
        p.send(topic, value=b'v%d' % i, partition=i)
    p.flush(10)
    p.close()
    def make():
        return KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group, auto_offset_reset='earliest',
                             enable_auto_commit=False, session_timeout_ms=6000, heartbeat_interval_ms=300,
                             fetch_max_wait_ms=100, partition_assignment_strategy=[assignor])
    def poll(c):
        out = []
        for tp, msgs in c.poll(timeout_ms=50).items():
            out += [(m.partition, m.offset) for m in msgs]
        return out
    def assigned(c):
        return sorted(tp.partition for tp in c.assignment())
    def commit(c):
        c.commit()
    def committed(c):
        return sorted([i, c.committed(TopicPartition(topic, i))] for i in range(N))

class Member(threading.Thread):
    def __init__(self):
        super().__init__(daemon=True)
        self.stop, self.done, self.assigned, self.seen, self.error, self.committed = False, False, [], [], None, None
        self.commit_now = False
    def run(self):
        try:
            c = make()
            while not self.stop:
                self.seen += poll(c)
                self.assigned = assigned(c)
                if self.commit_now:
                    commit(c)
                    self.commit_now = False
            self.committed = committed(c)
            c.close()
        except Exception as e:
            self.error = repr(e)
        self.done = True

def wait(cond, what, timeout=40):
    end = time.time() + timeout
    while not cond():
        if time.time() > end:
            raise Exception('timed out waiting for ' + what)
        time.sleep(0.05)

out = {}
m1 = Member(); m1.start()
wait(lambda: m1.assigned == [0, 1, 2, 3], 'm1 to own everything')
wait(lambda: len(m1.seen) == N, 'm1 to read every record')
# Commit before the split, so that whoever owns a partition later resumes after these records.
m1.commit_now = True
wait(lambda: not m1.commit_now, 'm1 to commit')
m2 = Member(); m2.start()
wait(lambda: len(m1.assigned) == 2 and len(m2.assigned) == 2 and sorted(m1.assigned + m2.assigned) == [0, 1, 2, 3], 'a 2/2 split')
out['split'] = [m1.assigned, m2.assigned]
m2.stop = True
wait(lambda: m2.done, 'm2 to close')
wait(lambda: m1.assigned == [0, 1, 2, 3], 'm1 to take over')
m1.stop = True
wait(lambda: m1.done, 'm1 to close')
out['errors'] = [m1.error, m2.error]
out['seen'] = sorted(m1.seen + m2.seen)
out['committed'] = m1.committed
print(json.dumps(out))
`;

interface Result {
  split: [number[], number[]];
  errors: (string | null)[];
  seen: [number, number][];
  committed: [number, number][];
}

let gb: GroupsBroker;
let topicSeq = 0;

beforeAll(async () => {
  requirePythonModule('confluent_kafka', 'python3-confluent-kafka');
  requirePythonModule('kafka', 'python3-kafka');
  gb = await startGroupsBroker({ 'num.partitions': '4' });
});
afterAll(async () => {
  await gb?.cleanup();
});

/** Runs the script while sampling the group's selected protocol on the broker side. */
async function runGroup(lib: 'ck' | 'kp', strategy: string): Promise<{ result: Result; protocols: Set<string> }> {
  const topic = `py-${lib}-${strategy}-${topicSeq++}`;
  const group = `g-${topic}`;
  await gb.tb.broker.createTopic(topic, 4, 1, {});
  const protocols = new Set<string>();
  const sampler = setInterval(() => {
    const name = gb.coordinator.group(group)?.protocolName;
    if (name) protocols.add(name);
  }, 20);
  try {
    const r = await run(PYTHON, ['-c', SCRIPT, JSON.stringify({ lib, bootstrap: gb.bootstrap, topic, group, strategy })], { timeoutMs: 90_000 });
    const last = r.stdout.trim().split('\n').pop() ?? '';
    if (r.code !== 0 || !last.startsWith('{')) throw new Error(explain(`${lib} ${strategy}`, r));
    return { result: JSON.parse(last) as Result, protocols };
  } finally {
    clearInterval(sampler);
  }
}

function expectCommon(result: Result): void {
  expect(result.errors).toEqual([null, null]);
  // m1 read every record before m2 joined; nothing was read twice.
  expect(result.seen).toEqual([
    [0, 0],
    [1, 0],
    [2, 0],
    [3, 0],
  ]);
  expect(result.committed).toEqual([
    [0, 1],
    [1, 1],
    [2, 1],
    [3, 1],
  ]);
}

describe('confluent-kafka (librdkafka) consumer groups', () => {
  it('range: contiguous halves', async () => {
    const { result, protocols } = await runGroup('ck', 'range');
    expectCommon(result);
    expect(result.split.map((a) => a.join(',')).sort()).toEqual(['0,1', '2,3']);
    expect(protocols).toEqual(new Set(['range']));
  });

  it('roundrobin: alternating partitions', async () => {
    const { result, protocols } = await runGroup('ck', 'roundrobin');
    expectCommon(result);
    expect(result.split.map((a) => a.join(',')).sort()).toEqual(['0,2', '1,3']);
    expect(protocols).toEqual(new Set(['roundrobin']));
  });

  it('cooperative-sticky: incremental rebalances', async () => {
    const { result, protocols } = await runGroup('ck', 'cooperative-sticky');
    expectCommon(result);
    expect(result.split[0]).toHaveLength(2);
    expect(protocols).toEqual(new Set(['cooperative-sticky']));
  });
});

describe('kafka-python consumer groups', () => {
  it('roundrobin with old protocol versions', async () => {
    const { result, protocols } = await runGroup('kp', 'roundrobin');
    expectCommon(result);
    expect(result.split.map((a) => a.join(',')).sort()).toEqual(['0,2', '1,3']);
    expect(protocols).toEqual(new Set(['roundrobin']));
  });

  it('range', async () => {
    const { result } = await runGroup('kp', 'range');
    expectCommon(result);
    expect(result.split.map((a) => a.join(',')).sort()).toEqual(['0,1', '2,3']);
  });
});
