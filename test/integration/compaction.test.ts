// Log compaction end to end: kafkajs produces many updates per key to a cleanup.policy=compact
// topic with small segments, the broker's background cleaner compacts it, and @platformatic/kafka's
// raw fetch reads back the latest value per key at the offsets the producer was given.
import { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { fetchAll } from '../helpers/fetch-all.js';
import { waitFor } from '../helpers/wait.js';
import { kafkajs } from '../helpers/clients.js';

let tb: TestBroker;
let kafka: Kafka;

beforeAll(async () => {
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  tb = await startTestBroker({ 'num.partitions': '1', 'log.cleaner.backoff.ms': '100' });
  kafka = kafkajs(tb.bootstrap, { clientId: 'compaction-test', retry: { retries: 2 } });
});
afterAll(async () => {
  await tb?.cleanup();
});

describe('log compaction through real clients', () => {
  it('keeps the latest value per key at its original offset', async () => {
    const topic = 'compacted-kv';
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        {
          topic,
          numPartitions: 1,
          configEntries: [
            { name: 'cleanup.policy', value: 'compact' },
            { name: 'segment.bytes', value: '1024' },
            { name: 'min.cleanable.dirty.ratio', value: '0.01' },
          ],
        },
      ],
    });
    await admin.disconnect();

    const producer = kafka.producer();
    await producer.connect();
    const produced = new Map<number, { key: string; value: string | null }>();
    try {
      for (let round = 0; round < 15; round++) {
        const messages = Array.from({ length: 12 }, (_, k) => ({
          key: `key-${k}`,
          // key-0 is deleted in round 13 (a tombstone), then the log moves on
          value: round === 13 && k === 0 ? null : `round-${round}-key-${k}-${'v'.repeat(16)}`,
        }));
        const [res] = await producer.send({ topic, acks: -1, messages });
        const base = Number(res!.baseOffset);
        messages.forEach((m, i) => produced.set(base + i, { key: m.key, value: m.value }));
      }
    } finally {
      await producer.disconnect();
    }

    const log = tb.broker.logManager.getLog(topic, 0)!;
    const activeBase = () => log.segmentList().at(-1)!.baseOffset;
    expect(log.segmentList().length).toBeGreaterThan(5);
    await waitFor(() => tb.broker.logManager.cleaner!.checkpointOf(log) === activeBase(), 'the cleaner to reach the active segment');

    const records = await fetchAll(tb.bootstrap, topic, 0);
    expect(records.length).toBeLessThan(produced.size);
    for (let i = 1; i < records.length; i++) expect(records[i]!.offset).toBeGreaterThan(records[i - 1]!.offset);
    for (const r of records) expect({ key: r.key, value: r.value }).toEqual(produced.get(Number(r.offset)));

    // Latest per key as produced (key-0's latest is its round-14 value, after the tombstone).
    const latest = new Map<string, string | null>();
    for (const p of produced.values()) latest.set(p.key, p.value);
    const got = new Map<string, string | null>();
    for (const r of records) got.set(r.key!, r.value);
    expect(got).toEqual(latest);

    // Below the active segment each key appears once, at the offset of its last record there.
    const cleanedPart = records.filter((r) => Number(r.offset) < activeBase());
    expect(new Set(cleanedPart.map((r) => r.key)).size).toBe(cleanedPart.length);
    const lastBelow = new Map<string, number>();
    for (const [off, p] of produced) if (off < activeBase()) lastBelow.set(p.key, off);
    for (const r of cleanedPart) expect(Number(r.offset)).toBe(lastBelow.get(r.key!));
    expect(log.logStartOffset).toBe(0);
  });
});
