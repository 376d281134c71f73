// @platformatic/kafka against an in-process broker: produce with every codec the client has on
// Node 20 (none, gzip, snappy, lz4), read back by partition with raw Fetch, list offsets,
// admin topics, and everything survives a restart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { fetchAll } from '../helpers/fetch-all.js';
import { pkAdmin, pkConsumer, pkProducer } from '../helpers/clients.js';

let tb: TestBroker;

beforeAll(async () => {
  tb = await startTestBroker({ 'num.partitions': '2' });
});
afterAll(async () => {
  await tb?.cleanup();
});

describe('@platformatic/kafka', () => {
  it('creates, describes and deletes topics', async () => {
    const admin = pkAdmin(tb.bootstrap, { clientId: 'admin' });
    try {
      await admin.createTopics({ topics: ['pk-admin'], partitions: 3, replicas: 1 });
      const md = await admin.metadata({ topics: ['pk-admin'] });
      expect(md.topics.get('pk-admin')!.partitionsCount).toBe(3);
      await expect(admin.createTopics({ topics: ['pk-admin'], partitions: 1, replicas: 1 })).rejects.toThrow();
      await admin.deleteTopics({ topics: ['pk-admin'] });
      const after = await admin.listTopics();
      expect(after).not.toContain('pk-admin');
    } finally {
      await admin.close();
    }
  });

  for (const compression of ['none', 'gzip', 'snappy', 'lz4'] as const) {
    it(`produces and fetches with ${compression}`, async () => {
      const topic = `pk-${compression}`;
      const admin = pkAdmin(tb.bootstrap, { clientId: 'admin' });
      await admin.createTopics({ topics: [topic], partitions: 2, replicas: 1 });
      await admin.close();
      const producer = pkProducer(tb.bootstrap, { clientId: 'p', compression, acks: -1 });
      const ts = 1_700_000_000_000n;
      const messages = Array.from({ length: 20 }, (_, i) => ({
        topic,
        partition: i % 2,
        key: Buffer.from(`key-${i}`),
        value: i === 7 ? null : Buffer.from(`value-${i}-${'x'.repeat(200)}`),
        headers: new Map([[Buffer.from('h'), Buffer.from(`hv-${i}`)]]),
        timestamp: ts + BigInt(i),
      }));
      try {
        await producer.send({ messages: messages as any });
      } finally {
        await producer.close();
      }
      const got = [...(await fetchAll(tb.bootstrap, topic, 0)), ...(await fetchAll(tb.bootstrap, topic, 1))];
      expect(got).toHaveLength(20);
      const codecId = { none: 0, gzip: 1, snappy: 2, lz4: 3 }[compression];
      for (const r of got) expect(r.attributes & 7).toBe(codecId);
      const byKey = new Map(got.map((r) => [r.key, r]));
      for (let i = 0; i < 20; i++) {
        const r = byKey.get(`key-${i}`)!;
        expect(r).toBeDefined();
        expect(r.value).toBe(i === 7 ? null : `value-${i}-${'x'.repeat(200)}`);
        expect(r.headers).toEqual({ h: `hv-${i}` });
        expect(r.timestamp).toBe(ts + BigInt(i));
      }
      // Offsets within a partition are dense from 0.
      const p0 = got.filter((_, idx) => idx < 10).map((r) => r.offset);
      expect(p0).toEqual(Array.from({ length: 10 }, (_, i) => BigInt(i)));
    });
  }

  it('lists earliest, latest and by-timestamp offsets', async () => {
    const topic = 'pk-offsets';
    const producer = pkProducer(tb.bootstrap, { clientId: 'p', autocreateTopics: true });
    const base = 1_700_000_000_000n; // in the past: Kafka 4 refuses CreateTime more than message.timestamp.after.max.ms (1 h) ahead
    for (let i = 0; i < 5; i++) {
      await producer.send({ messages: [{ topic, partition: 0, key: Buffer.from('k'), value: Buffer.from(`v${i}`), timestamp: base + BigInt(i * 1000) }] as any });
    }
    await producer.close();
    const consumer = pkConsumer(tb.bootstrap, { clientId: 'c' });
    try {
      const latest = await consumer.listOffsets({ topics: [topic], partitions: { [topic]: [0] } });
      expect(latest.get(topic)![0]).toBe(5n);
      const earliest = await consumer.listOffsets({ topics: [topic], partitions: { [topic]: [0] }, timestamp: -2n });
      expect(earliest.get(topic)![0]).toBe(0n);
      const byTs = await consumer.listOffsets({ topics: [topic], partitions: { [topic]: [0] }, timestamp: base + 2500n });
      expect(byTs.get(topic)![0]).toBe(3n);
      const future = await consumer.listOffsetsWithTimestamps({ topics: [topic], partitions: { [topic]: [0] }, timestamp: base + 999_999n });
      expect(future.get(topic)!.get(0)!.offset).toBe(-1n);
    } finally {
      await consumer.close();
    }
  });

  it('keeps everything across a restart', async () => {
    const topic = 'pk-restart';
    const producer = pkProducer(tb.bootstrap, { clientId: 'p', autocreateTopics: true });
    await producer.send({ messages: Array.from({ length: 30 }, (_, i) => ({ topic, partition: 0, key: Buffer.from(`k${i}`), value: Buffer.from(`v${i}`) })) as any });
    await producer.close();
    const before = await fetchAll(tb.bootstrap, topic, 0);
    expect(before).toHaveLength(30);
    tb = await tb.restart();
    const after = await fetchAll(tb.bootstrap, topic, 0);
    expect(after).toEqual(before);
  });
});
