// Reads a partition from `from` to its high watermark with @platformatic/kafka's raw Fetch
// (no consumer group needed), decoding records with the client's own parser.
import { expect } from 'vitest';
import { pkConsumer } from './clients.js';

export interface Fetched {
  offset: bigint;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
  timestamp: bigint;
  attributes: number;
}

export async function fetchAll(bootstrap: string, topic: string, partition: number, from = 0n): Promise<Fetched[]> {
  const consumer = pkConsumer(bootstrap, { clientId: 'fetcher' });
  try {
    const md = await consumer.metadata({ topics: [topic] });
    const t = md.topics.get(topic)!;
    const out: Fetched[] = [];
    let offset = from;
    for (let i = 0; i < 50; i++) {
      const res = await consumer.fetch({
        node: md.brokers.keys().next().value as number,
        maxWaitTime: 100,
        minBytes: 1,
        maxBytes: 1 << 20,
        topics: [{ topicId: t.id, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, partitionMaxBytes: 1 << 20 }] }],
      });
      const p = res.responses[0]!.partitions[0]!;
      expect(p.errorCode).toBe(0);
      const batches = p.records ?? [];
      if (batches.length === 0) break;
      for (const b of batches) {
        for (const r of b.records) {
          const off = b.firstOffset + BigInt(r.offsetDelta);
          if (off < offset) continue;
          out.push({
            offset: off,
            key: r.key === null ? null : r.key.toString(),
            value: r.value === null ? null : r.value.toString(),
            headers: Object.fromEntries(r.headers.map(([k, v]) => [k!.toString(), v?.toString() ?? ''])),
            timestamp: b.firstTimestamp + r.timestampDelta,
            attributes: b.attributes,
          });
        }
        offset = b.firstOffset + BigInt(b.lastOffsetDelta) + 1n;
      }
      if (offset >= p.highWatermark) break;
    }
    return out;
  } finally {
    await consumer.close();
  }
}

