// Share groups (KIP-932) with Kafka's own KafkaShareConsumer (kafka-clients 4.4,
// test/compat/java-share/ShareSession.java) against an in-process broker: several members share
// a topic and together receive every record once; a released record is redelivered to another
// member; a member that crashed (JVM halted) loses its records to the next member; the
// delivery-count limit archives a poison record (lock expiry is covered by share-raw.test.ts);
// the share-partition start offset survives a broker restart.
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { runJava, shareClasspath, stepOf } from '../helpers/java-client.js';

let tb: TestBroker;
let cp: string;

interface Delivery {
  partition: number;
  offset: number;
  value: string;
  deliveryCount: number;
}

beforeAll(async () => {
  cp = shareClasspath();
  tb = await startTestBroker({
    'group.share.auto.offset.reset': 'earliest',
    'group.share.record.lock.duration.ms': '3000',
    'group.share.delivery.count.limit': '3',
    'group.share.heartbeat.interval.ms': '500',
    'offsets.topic.num.partitions': '1',
  });
}, 300_000);
afterAll(() => tb?.cleanup());

async function produce(topic: string, values: string[], oneBatch = false): Promise<void> {
  const producer = new Kafka({ clientId: 'share-java', brokers: [tb.bootstrap], logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  if (oneBatch) await producer.send({ topic, messages: values.map((value, i) => ({ value, partition: i % (tb.broker.topics.get(topic)!.partitions) })) });
  else for (const [i, value] of values.entries()) await producer.send({ topic, messages: [{ value, partition: i % tb.broker.topics.get(topic)!.partitions }] });
  await producer.disconnect();
}

async function member(group: string, topic: string, mode: string, stopAfter: number, timeoutMs: number): Promise<Delivery[]> {
  const steps = await runJava('ShareSession', [tb.bootstrap, group, topic, mode, String(stopAfter), String(timeoutMs)], timeoutMs + 60_000, cp);
  const failed = steps.find((s) => s.step === 'failed');
  if (failed) throw new Error(`ShareSession failed: ${JSON.stringify(failed)}`);
  return stepOf(steps, 'deliveries').records as Delivery[];
}

const values = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

describe('KafkaShareConsumer (kafka-clients 4.4)', () => {
  it('three members share a topic and together receive every record exactly once', async () => {
    await tb.broker.createTopic('sj-share', 3, 1, {});
    await produce('sj-share', values(30, 'r'));
    const all = await Promise.all([0, 1, 2].map(() => member('sj-g1', 'sj-share', 'accept', 30, 20_000)));
    const seen = all.flat();
    expect(seen.map((d) => d.value).sort()).toEqual(values(30, 'r').sort());
    expect(seen.every((d) => d.deliveryCount === 1)).toBe(true);
  }, 120_000);

  it('a released record is redelivered to another member', async () => {
    await tb.broker.createTopic('sj-release', 1, 1, {});
    await produce('sj-release', values(5, 'x'), true);
    const first = await member('sj-g2', 'sj-release', 'poison', 5, 20_000);
    expect(first.map((d) => [d.offset, d.deliveryCount])).toEqual([0, 1, 2, 3, 4].map((o) => [o, 1]));
    const second = await member('sj-g2', 'sj-release', 'accept', 5, 20_000);
    expect(second.map((d) => [d.offset, d.deliveryCount])).toEqual([0, 1, 2, 3, 4].map((o) => [o, 2]));
  }, 120_000);

  it('records of a member that crashed go to another member (released when its connection drops)', async () => {
    await tb.broker.createTopic('sj-lock', 1, 1, {});
    await produce('sj-lock', values(3, 'l'), true);
    const held = await member('sj-g3', 'sj-lock', 'hold', 1, 20_000);
    expect(held.map((d) => d.deliveryCount)).toEqual([1, 1, 1]);
    const next = await member('sj-g3', 'sj-lock', 'accept', 3, 30_000);
    expect(next.map((d) => [d.offset, d.deliveryCount])).toEqual([[0, 2], [1, 2], [2, 2]]);
  }, 120_000);

  it('the delivery-count limit archives a poison record', async () => {
    await tb.broker.createTopic('sj-poison', 1, 1, {});
    await produce('sj-poison', ['poison']);
    // Released on every delivery: delivered 3 times (the limit), then archived.
    const seen = await member('sj-g4', 'sj-poison', 'poison', 3, 30_000);
    expect(seen.map((d) => d.deliveryCount)).toEqual([1, 2, 3]);
    const topicId = tb.broker.topics.get('sj-poison')!.id;
    const sp = tb.broker.shareService!.partitions.sharePartition('sj-g4', topicId, 0)!;
    expect(sp.startOffset).toBe(1);
  }, 120_000);

  it('the share-partition start offset survives a broker restart', async () => {
    await tb.broker.createTopic('sj-restart', 1, 1, {});
    await produce('sj-restart', values(4, 'before'), true);
    const before = await member('sj-g5', 'sj-restart', 'accept', 4, 20_000);
    expect(before).toHaveLength(4);
    tb = await tb.restart();
    await produce('sj-restart', values(2, 'after'), true);
    const after = await member('sj-g5', 'sj-restart', 'accept', 2, 20_000);
    expect(after.map((d) => [d.offset, d.value, d.deliveryCount])).toEqual([[4, 'after-0', 1], [5, 'after-1', 1]]);
  }, 180_000);
});
