// Zero duplicates: idempotent producers (kafkajs, and librdkafka through confluent-kafka-python)
// write through a proxy that keeps cutting connections after the broker processed a request and
// before its answer arrives. Every record must be in the log exactly once, in order.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeRecordBatches } from '../../protocol/records/record-codec.js';
import type { PartitionLog } from '../../storage/log/partition-log.js';
import { explain, PYTHON, requirePythonModule, run } from '../compat/support/tools.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { kafkajs } from '../helpers/clients.js';
import { ChaosProxy } from './txn-chaos-proxy.js';

let tb: TestBroker;
let proxy: ChaosProxy;

beforeAll(async () => {
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  proxy = await ChaosProxy.start();
  tb = await startTestBroker({ 'advertised.listeners': `PLAINTEXT://127.0.0.1:${proxy.port}` });
  proxy.setTarget(tb.port);
});
afterAll(async () => {
  await proxy?.close();
  await tb?.cleanup();
});

/** Counts the retries the partition's producer state recognised as duplicates. */
function countDuplicates(log: PartitionLog): { count: number } {
  const counter = { count: 0 };
  const check = log.producers.checkDataBatch.bind(log.producers);
  log.producers.checkDataBatch = (b, origin) => {
    const r = check(b, origin);
    if (r.kind === 'duplicate') counter.count++;
    return r;
  };
  return counter;
}

/** Every data record value of the partition, in offset order (control batches skipped). */
async function logValues(log: PartitionLog): Promise<string[]> {
  const out: string[] = [];
  let offset = log.logStartOffset;
  while (offset < log.highWatermark) {
    const r = await log.read(offset, 1 << 20, log.highWatermark, true);
    if (r.records.length === 0) break;
    for (const b of decodeRecordBatches(r.records)) {
      if (!b.control) for (const rec of b.records) out.push(rec.value!.toString());
      offset = b.baseOffset + b.lastOffsetDelta + 1;
    }
  }
  return out;
}

describe('idempotent producers over a connection-cutting proxy', () => {
  it('kafkajs: every record exactly once, in order', async () => {
    const topic = 'chaos-kj';
    proxy.enabled = false;
    await tb.broker.createTopic(topic, 1, 1, {});
    const dups = countDuplicates(tb.broker.partition(topic, 0)!.log);
    const kafka = kafkajs(`127.0.0.1:${proxy.port}`, { clientId: 'chaos', retry: { retries: 30, initialRetryTime: 20, maxRetryTime: 200 } });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    proxy.enabled = true;
    const cutsBefore = proxy.cuts;
    const n = 60;
    for (let i = 0; i < n; i++) {
      await producer.send({ topic, acks: -1, messages: Array.from({ length: 5 }, (_, j) => ({ value: `kj-${i * 5 + j}` })) });
    }
    proxy.enabled = false;
    await producer.disconnect();
    expect(proxy.cuts - cutsBefore).toBeGreaterThan(5);
    expect(dups.count).toBeGreaterThan(0);
    const values = await logValues(tb.broker.partition(topic, 0)!.log);
    expect(values).toEqual(Array.from({ length: n * 5 }, (_, i) => `kj-${i}`));
  });

  it('librdkafka (enable.idempotence, 5 in flight): every record exactly once, in order', async () => {
    requirePythonModule('confluent_kafka', 'python3-confluent-kafka');
    const topic = 'chaos-ck';
    proxy.enabled = false;
    await tb.broker.createTopic(topic, 1, 1, {});
    const dups = countDuplicates(tb.broker.partition(topic, 0)!.log);
    const n = 3000;
    const script = String.raw`
import json, sys
from confluent_kafka import Producer
bs, topic, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
p = Producer({'bootstrap.servers': bs, 'enable.idempotence': True, 'linger.ms': 2, 'batch.num.messages': 50,
              'max.in.flight.requests.per.connection': 5, 'message.timeout.ms': 60000, 'retry.backoff.ms': 20,
              'reconnect.backoff.ms': 10, 'reconnect.backoff.max.ms': 100, 'socket.connection.setup.timeout.ms': 5000})
errors = []
ok = [0]
def cb(err, msg):
    if err is not None: errors.append(str(err))
    else: ok[0] += 1
for i in range(n):
    while True:
        try:
            p.produce(topic, value=b'ck-%d' % i, partition=0, on_delivery=cb)
            break
        except BufferError:
            p.poll(0.05)
    p.poll(0)
left = p.flush(90)
print(json.dumps({'ok': ok[0], 'errors': errors[:5], 'left': left}))
`;
    const cutsBefore = proxy.cuts;
    proxy.enabled = true;
    const r = await run(PYTHON, ['-c', script, `127.0.0.1:${proxy.port}`, topic, String(n)], { timeoutMs: 120_000 });
    proxy.enabled = false;
    const last = r.stdout.trim().split('\n').pop() ?? '';
    if (r.code !== 0 || !last.startsWith('{')) throw new Error(explain('librdkafka chaos producer', r));
    const res = JSON.parse(last) as { ok: number; errors: string[]; left: number };
    expect(res.errors).toEqual([]);
    expect(res.ok).toBe(n);
    expect(proxy.cuts - cutsBefore).toBeGreaterThan(5);
    expect(dups.count).toBeGreaterThan(0);
    const values = await logValues(tb.broker.partition(topic, 0)!.log);
    expect(values).toEqual(Array.from({ length: n }, (_, i) => `ck-${i}`));
  });
});
