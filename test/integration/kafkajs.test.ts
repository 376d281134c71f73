// kafkajs against an in-process broker: admin (topics, partitions, configs, offsets) and the
// producer with keys, headers, null values, timestamps, gzip and every acks mode. Records are read
// back with @platformatic/kafka's raw fetch (kafkajs only consumes through consumer groups).
import { CompressionTypes, Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { fetchAll } from '../helpers/fetch-all.js';
import { kafkajs } from '../helpers/clients.js';

let tb: TestBroker;
let kafka: Kafka;

beforeAll(async () => {
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  tb = await startTestBroker({ 'num.partitions': '1' });
  kafka = kafkajs(tb.bootstrap, { clientId: 'kafkajs-test', retry: { retries: 2 } });
});
afterAll(async () => {
  await tb?.cleanup();
});

describe('kafkajs admin', () => {
  it('creates topics, rejects duplicates and bad input, adds partitions, deletes', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      expect(await admin.createTopics({ topics: [{ topic: 'kj-admin', numPartitions: 2, configEntries: [{ name: 'retention.ms', value: '3600000' }] }] })).toBe(true);
      expect(await admin.createTopics({ topics: [{ topic: 'kj-admin', numPartitions: 2 }] })).toBe(false); // already exists
      const creationError = async (p: Promise<unknown>) => {
        const err = await p.then(() => null, (e: any) => e);
        return err?.errors?.[0]?.type as string | undefined;
      };
      expect(await creationError(admin.createTopics({ topics: [{ topic: 'bad name!', numPartitions: 1 }] }))).toBe('INVALID_TOPIC_EXCEPTION');
      expect(await creationError(admin.createTopics({ topics: [{ topic: 'kj-bad-config', configEntries: [{ name: 'retention.ms', value: 'soon' }] }] }))).toBe('INVALID_CONFIG');
      expect(await creationError(admin.createTopics({ topics: [{ topic: 'kj-zero', numPartitions: 0 }] }))).toBe('INVALID_PARTITIONS');
      expect(await creationError(admin.createTopics({ topics: [{ topic: 'kj-rf', numPartitions: 1, replicationFactor: 3 }] }))).toBe('INVALID_REPLICATION_FACTOR');
      expect(await admin.listTopics()).toContain('kj-admin');

      await admin.createPartitions({ topicPartitions: [{ topic: 'kj-admin', count: 4 }] });
      const md = await admin.fetchTopicMetadata({ topics: ['kj-admin'] });
      expect(md.topics[0]!.partitions).toHaveLength(4);
      await expect(admin.createPartitions({ topicPartitions: [{ topic: 'kj-admin', count: 2 }] })).rejects.toThrow();

      const cfg = await admin.describeConfigs({ resources: [{ type: 2, name: 'kj-admin' }], includeSynonyms: false });
      const entries = cfg.resources[0]!.configEntries;
      expect(entries.find((e) => e.configName === 'retention.ms')?.configValue).toBe('3600000');
      expect(entries.find((e) => e.configName === 'cleanup.policy')?.configValue).toBe('delete');

      const brokerCfg = await admin.describeConfigs({ resources: [{ type: 4, name: String(tb.broker.nodeId) }], includeSynonyms: false });
      expect(brokerCfg.resources[0]!.configEntries.find((e) => e.configName === 'num.partitions')?.configValue).toBe('1');

      await admin.deleteTopics({ topics: ['kj-admin'] });
      expect(await admin.listTopics()).not.toContain('kj-admin');
    } finally {
      await admin.disconnect();
    }
  });

  it('describes the cluster', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const c = await admin.describeCluster();
      expect(c.brokers).toEqual([{ nodeId: tb.broker.nodeId, host: '127.0.0.1', port: tb.port }]);
      expect(c.controller).toBe(tb.broker.nodeId);
      expect(c.clusterId).toBe(tb.broker.clusterId);
    } finally {
      await admin.disconnect();
    }
  });
});

describe('kafkajs producer', () => {
  for (const [name, compression] of [['none', CompressionTypes.None], ['gzip', CompressionTypes.GZIP]] as const) {
    for (const acks of [1, -1, 0]) {
      it(`sends keys, headers, null values and timestamps (${name}, acks=${acks})`, async () => {
        const topic = `kj-${name}-acks${acks}`.replace('-1', 'all');
        const producer = kafka.producer({ allowAutoTopicCreation: true });
        await producer.connect();
        const base = 1_650_000_000_000;
        try {
          const res = await producer.send({
            topic,
            acks,
            compression,
            messages: Array.from({ length: 25 }, (_, i) => ({
              key: `k${i}`,
              value: i === 3 ? null : `v${i}-${'y'.repeat(100)}`,
              headers: { trace: `t${i}`, n: String(i) },
              timestamp: String(base + i),
              partition: 0,
            })),
          });
          if (acks !== 0) expect(res[0]!.baseOffset).toBe('0');
        } finally {
          await producer.disconnect();
        }
        // acks=0 gives no acknowledgement: wait until the broker has it.
        let got = await fetchAll(tb.bootstrap, topic, 0);
        for (let i = 0; i < 50 && got.length < 25; i++) {
          await new Promise((r) => setTimeout(r, 50));
          got = await fetchAll(tb.bootstrap, topic, 0);
        }
        expect(got).toHaveLength(25);
        got.forEach((r, i) => {
          expect(r.offset).toBe(BigInt(i));
          expect(r.key).toBe(`k${i}`);
          expect(r.value).toBe(i === 3 ? null : `v${i}-${'y'.repeat(100)}`);
          expect(r.headers).toEqual({ trace: `t${i}`, n: String(i) });
          expect(r.timestamp).toBe(BigInt(base + i));
          expect(r.attributes & 7).toBe(compression);
        });
      });
    }
  }

  it('reports an unknown partition and a too large message', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'kj-limits', numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: '2000' }] }] });
    await admin.disconnect();
    const producer = kafka.producer({ retry: { retries: 0 } });
    await producer.connect();
    try {
      await expect(producer.send({ topic: 'kj-limits', messages: [{ value: 'z'.repeat(5000) }] })).rejects.toThrow(/larger than the max|too large/i);
      const ok = await producer.send({ topic: 'kj-limits', messages: [{ value: 'small' }] });
      expect(ok[0]!.errorCode).toBe(0);
    } finally {
      await producer.disconnect();
    }
  });

  it('finds offsets by timestamp', async () => {
    const producer = kafka.producer({ allowAutoTopicCreation: true });
    await producer.connect();
    const base = 1_700_000_000_000;
    for (let i = 0; i < 6; i++) {
      await producer.send({ topic: 'kj-times', messages: [{ value: `v${i}`, timestamp: String(base + i * 10_000), partition: 0 }] });
    }
    await producer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    try {
      expect(await admin.fetchTopicOffsets('kj-times')).toEqual([expect.objectContaining({ partition: 0, offset: '6', high: '6', low: '0' })]);
      expect(await admin.fetchTopicOffsetsByTimestamp('kj-times', base + 25_000)).toEqual([{ partition: 0, offset: '3' }]);
      expect(await admin.fetchTopicOffsetsByTimestamp('kj-times', base)).toEqual([{ partition: 0, offset: '0' }]);
    } finally {
      await admin.disconnect();
    }
  });
});
