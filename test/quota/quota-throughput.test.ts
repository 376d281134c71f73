// Client quotas enforced on real clients (KIP-13 / KIP-219): a kafkajs producer whose client id
// has producer_byte_rate Q is measured at Q ± 25% over 4 s, while a second producer without a
// quota in the same run is not slowed; an @platformatic/kafka fetch loop with consumer_byte_rate Q
// reads at Q ± 25% while an unthrottled one reads the same data at once. Quotas are set through
// AlterClientQuotas (@platformatic/kafka admin). quota.window.num=2 (1 s windows) so the
// first-window burst Kafka allows is one second's worth, not ten.
import { Admin, Consumer } from '@platformatic/kafka';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';

const QUOTA = 100 * 1024; // bytes per second
const TOLERANCE = 0.25;
const MEASURE_FROM_MS = 1500;
const MEASURE_FOR_MS = 4000;

let tb: TestBroker;
let kafka: (clientId: string) => Kafka;

async function setQuota(entity: { entityType: string; entityName: string | null }[], key: string, value: number) {
  const admin = new Admin({ clientId: 'quota-admin', bootstrapBrokers: [tb.bootstrap] });
  try {
    const res = await admin.alterClientQuotas({ entries: [{ entities: entity as never, ops: [{ key: key as never, value, remove: false }] }] });
    expect(res.map((r) => r.errorCode)).toEqual([0]);
  } finally {
    await admin.close();
  }
}

/** Bytes completed in [from, from + span) given (time, bytes) points, in bytes per second. */
function rateBetween(points: [number, number][], from: number, span: number): number {
  let bytes = 0;
  for (const [t, b] of points) if (t >= from && t < from + span) bytes += b;
  return bytes / (span / 1000);
}

beforeAll(async () => {
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  tb = await startTestBroker({ 'num.partitions': '1', 'quota.window.num': '2', 'quota.window.size.seconds': '1' });
  kafka = (clientId) => new Kafka({ clientId, brokers: [tb.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 2 } });
});
afterAll(async () => {
  await tb?.cleanup();
});

describe('client quotas on real clients', () => {
  it('holds a producer at producer_byte_rate while an unthrottled producer is not slowed', async () => {
    await setQuota([{ entityType: 'client-id', entityName: 'slow-producer' }], 'producer_byte_rate', QUOTA);
    const slow = kafka('slow-producer').producer();
    const fast = kafka('fast-producer').producer();
    await Promise.all([slow.connect(), fast.connect()]);
    try {
      const value = Buffer.alloc(10 * 1024, 7);
      const until = Date.now() + MEASURE_FROM_MS + MEASURE_FOR_MS;
      const start = Date.now();
      const run = async (p: typeof slow, topic: string) => {
        const points: [number, number][] = [];
        while (Date.now() < until) {
          await p.send({ topic, acks: 1, messages: [{ value }] });
          points.push([Date.now() - start, value.length]);
        }
        return points;
      };
      const [slowPoints, fastPoints] = await Promise.all([run(slow, 'quota-slow'), run(fast, 'quota-fast')]);
      const slowRate = rateBetween(slowPoints, MEASURE_FROM_MS, MEASURE_FOR_MS);
      const fastRate = rateBetween(fastPoints, MEASURE_FROM_MS, MEASURE_FOR_MS);
      const msg = `throttled ${Math.round(slowRate)} B/s, unthrottled ${Math.round(fastRate)} B/s, quota ${QUOTA}`;
      expect(slowRate, msg).toBeGreaterThan(QUOTA * (1 - TOLERANCE));
      expect(slowRate, msg).toBeLessThan(QUOTA * (1 + TOLERANCE));
      // The unthrottled producer, same broker, same time: far above the quota.
      expect(fastRate, msg).toBeGreaterThan(QUOTA * 5);
    } finally {
      await Promise.all([slow.disconnect(), fast.disconnect()]);
    }
  }, 30_000);

  it('holds a consumer at consumer_byte_rate while an unthrottled consumer reads at once', async () => {
    const topic = 'quota-fetch';
    const producer = kafka('loader').producer();
    await producer.connect();
    const value = Buffer.alloc(4 * 1024, 3);
    // One 4 KB record per batch, so fetches (16 KB per partition) come in small steps.
    for (let i = 0; i < 400; i++) await producer.send({ topic, acks: 1, messages: [{ value }] });
    await producer.disconnect();
    const total = 400 * value.length; // 1.6 MB
    await setQuota([{ entityType: 'client-id', entityName: 'slow-consumer' }], 'consumer_byte_rate', QUOTA);

    // A fetch loop with @platformatic/kafka (one fetch at a time, 16 KB per fetch): the client
    // itself ignores throttle_time_ms, so what holds it to its quota is the broker's muting.
    const consume = async (clientId: string, stopAfterMs: number) => {
      const consumer = new Consumer({ groupId: 'unused', clientId, bootstrapBrokers: [tb.bootstrap] });
      try {
        const md = await consumer.metadata({ topics: [topic] });
        const node = md.brokers.keys().next().value as number;
        const topicId = md.topics.get(topic)!.id;
        const points: [number, number][] = [];
        let received = 0;
        let offset = 0n;
        let first = 0;
        const deadline = Date.now() + stopAfterMs;
        while (received < total && Date.now() < deadline) {
          const res = await consumer.fetch({
            node,
            maxWaitTime: 100,
            minBytes: 1,
            maxBytes: 16 * 1024,
            topics: [{ topicId, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, partitionMaxBytes: 16 * 1024 }] }],
          });
          const now = Date.now();
          for (const b of res.responses[0]?.partitions[0]?.records ?? []) {
            if (first === 0) first = now;
            for (const r of b.records) {
              if (b.firstOffset + BigInt(r.offsetDelta) < offset) continue;
              received += r.value?.length ?? 0;
              points.push([now - first, r.value?.length ?? 0]);
            }
            offset = b.firstOffset + BigInt(b.lastOffsetDelta) + 1n;
          }
        }
        return { points, received, elapsedMs: points.length ? points[points.length - 1]![0] : Infinity };
      } finally {
        await consumer.close();
      }
    };
    const [slowRun, fastRun] = await Promise.all([consume('slow-consumer', MEASURE_FROM_MS + MEASURE_FOR_MS + 2000), consume('fast-consumer', 20_000)]);
    // The unthrottled consumer read everything, quickly.
    expect(fastRun.received).toBe(total);
    expect(fastRun.elapsedMs).toBeLessThan(3000);
    expect(slowRun.received).toBeLessThan(total); // still reading when the unthrottled one was long done
    // The throttled one: at its quota, from the first record on.
    const slowRate = rateBetween(slowRun.points, MEASURE_FROM_MS, MEASURE_FOR_MS);
    const msg = `throttled ${Math.round(slowRate)} B/s, unthrottled read ${total} B in ${fastRun.elapsedMs} ms, quota ${QUOTA}`;
    expect(slowRate, msg).toBeGreaterThan(QUOTA * (1 - TOLERANCE));
    expect(slowRate, msg).toBeLessThan(QUOTA * (1 + TOLERANCE));
  }, 40_000);
});
