// The KafkaShareConsumer sessions of share-java.test.ts against Apache Kafka (the reference
// broker of test/helpers/kafka-reference.ts, share groups enabled with the share.version=1
// feature) and against Tributary: the same deliveries and delivery counts on both.
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { runJava, shareClasspath, stepOf } from '../helpers/java-client.js';
import { startKafkaReference, type KafkaReference } from '../helpers/kafka-reference.js';

const SHARED = { 'group.share.record.lock.duration.ms': '3000', 'group.share.delivery.count.limit': '3', 'group.share.heartbeat.interval.ms': '500', 'offsets.topic.num.partitions': '1' };

let kafka: KafkaReference;
let tb: TestBroker;
let cp: string;

beforeAll(async () => {
  cp = shareClasspath();
  kafka = await startKafkaReference({ features: { 'share.version': 1 }, properties: { ...SHARED, 'group.share.min.record.lock.duration.ms': '1000', 'group.share.min.heartbeat.interval.ms': '500' } });
  tb = await startTestBroker({ ...SHARED, 'group.share.auto.offset.reset': 'earliest' });
}, 300_000);
afterAll(async () => {
  await kafka?.stop();
  await tb?.cleanup();
});

interface Delivery {
  offset: number;
  value: string;
  deliveryCount: number;
}

async function session(bootstrap: string, group: string, topic: string, mode: string, stopAfter: number, earliest: boolean): Promise<Delivery[]> {
  const steps = await runJava('ShareSession', [bootstrap, group, topic, mode, String(stopAfter), '30000', ...(earliest ? ['set-earliest'] : [])], 120_000, cp);
  const failed = steps.find((s) => s.step === 'failed');
  if (failed) throw new Error(`ShareSession failed: ${JSON.stringify(failed)}`);
  return (stepOf(steps, 'deliveries').records as Delivery[]).map((d) => ({ offset: d.offset, value: d.value, deliveryCount: d.deliveryCount }));
}

async function prepare(bootstrap: string, topic: string, values: string[]): Promise<void> {
  const k = new Kafka({ clientId: 'share-ref', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const admin = k.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
  await admin.disconnect();
  const p = k.producer();
  await p.connect();
  await p.send({ topic, messages: values.map((value) => ({ value })) });
  await p.disconnect();
}

describe('KafkaShareConsumer against Apache Kafka and Tributary', () => {
  it('accept, release-then-redeliver and the poison record give the same deliveries', async () => {
    const results: Record<string, unknown> = {};
    for (const [name, bootstrap, earliest] of [['kafka', kafka.bootstrap, true], ['tributary', tb.bootstrap, false]] as const) {
      await prepare(bootstrap, 'ref-share', ['a', 'b', 'c']);
      await prepare(bootstrap, 'ref-poison', ['p']);
      const released = await session(bootstrap, 'ref-g1', 'ref-share', 'poison', 3, earliest);
      const accepted = await session(bootstrap, 'ref-g1', 'ref-share', 'accept', 3, false);
      const poison = await session(bootstrap, 'ref-g2', 'ref-poison', 'poison', 3, earliest);
      results[name] = { released, accepted, poison };
    }
    expect(results.tributary).toEqual(results.kafka);
    const kafkaRun = results.kafka as { released: Delivery[]; accepted: Delivery[]; poison: Delivery[] };
    expect(kafkaRun.released.map((d) => [d.offset, d.deliveryCount])).toEqual([[0, 1], [1, 1], [2, 1]]);
    expect(kafkaRun.accepted.map((d) => [d.offset, d.deliveryCount])).toEqual([[0, 2], [1, 2], [2, 2]]);
    expect(kafkaRun.poison.map((d) => d.deliveryCount)).toEqual([1, 2, 3]);
  }, 400_000);
});
