// Tiered storage behind a fault-injecting proxy (s3rver behind it): 5xx, stalled requests, slow
// answers, connection resets and bodies cut short on a share of requests, then a full outage.
// Nothing may be lost or served corrupt, local segments stay while copies cannot be made, copies
// catch up when the store recovers, and a fetch waiting on the store does not hold up hot fetches.
import { Consumer } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { startFaultProxy, startS3rver, tierStoreOverrides, type FaultProxy, type S3Server } from '../helpers/s3-servers.js';
import {
  FAST_TIER,
  TOPIC_CONFIGS,
  kcatConsume,
  localSegmentFiles,
  messageValue,
  produceRange,
  tierStatus,
  waitFor,
  waitTiered,
  withAdmin,
} from '../storage/tier/broker-scenario.js';
import { pkConsumer } from '../helpers/clients.js';

const KAFKA_STORAGE_ERROR = 56;

let server: S3Server;
let proxy: FaultProxy;
let tb: TestBroker;
const topic = 'tier-faults';

beforeAll(async () => {
  server = await startS3rver();
  proxy = await startFaultProxy(server.endpoint, { stallMs: 5_000, slowMs: 150 });
  tb = await startTestBroker({
    ...tierStoreOverrides(server, proxy.endpoint, 'faults'),
    ...FAST_TIER,
    'tributary.tier.s3.request.timeout.ms': '700',
    'tributary.tier.request.attempts': '6',
  });
  await withAdmin(tb.bootstrap, (a) =>
    a.createTopics({ topics: [{ topic, configEntries: Object.entries({ ...TOPIC_CONFIGS, 'remote.storage.enable': 'true' }).map(([name, value]) => ({ name, value })) }] }),
  );
});
afterAll(async () => {
  await tb?.cleanup();
  await proxy?.stop();
  await server?.stop();
});

/** One raw Fetch of partition 0 at `offset` on `consumer`'s connection. */
async function fetchOnce(consumer: Consumer, offset: bigint) {
  const md = await consumer.metadata({ topics: [topic] });
  const res = await consumer.fetch({
    node: md.brokers.keys().next().value as number,
    maxWaitTime: 100,
    minBytes: 1,
    maxBytes: 1 << 20,
    topics: [{ topicId: md.topics.get(topic)!.id, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, partitionMaxBytes: 1 << 20 }] }],
  });
  return res.responses[0]!.partitions[0]!;
}

/** Reads every record from 0, retrying fetches the broker answers with a retriable storage error. */
async function consumeAll(count: number): Promise<void> {
  const consumer = pkConsumer(tb.bootstrap, { clientId: 'faults', timeout: 30_000 });
  try {
    let offset = 0n;
    let storageErrors = 0;
    const seen: string[] = [];
    while (offset < BigInt(count)) {
      const p = await fetchOnce(consumer, offset);
      if (p.errorCode === KAFKA_STORAGE_ERROR && storageErrors++ < 50) continue;
      expect(p.errorCode).toBe(0);
      for (const b of p.records ?? []) {
        for (const r of b.records) {
          const off = b.firstOffset + BigInt(r.offsetDelta);
          if (off < offset) continue;
          expect(off).toBe(BigInt(seen.length));
          seen.push(r.value!.toString());
        }
        offset = b.firstOffset + BigInt(b.lastOffsetDelta) + 1n;
      }
    }
    expect(seen.length).toBe(count);
    seen.forEach((v, i) => expect(v).toBe(messageValue(i)));
  } finally {
    await consumer.close();
  }
}

describe('tiered storage under store faults', () => {
  it('copies through faults; a fetch stuck on the store does not hold up hot fetches', async () => {
    proxy.setFaults(0.25);
    await produceRange(tb.bootstrap, topic, 0, 1200);
    const st = await waitTiered(tb, topic, 5);
    expect(proxy.stats.faulted).toBeGreaterThan(0);

    // Every store request stalls now: a cold fetch waits (and retries) while hot data flows.
    proxy.setFaults(1, ['stall']);
    const order: string[] = [];
    const coldClient = pkConsumer(tb.bootstrap, { clientId: 'cold', timeout: 60_000 });
    const hotClient = pkConsumer(tb.bootstrap, { clientId: 'hot' });
    try {
      await coldClient.metadata({ topics: [topic] });
      await hotClient.metadata({ topics: [topic] });
      const stalledBefore = proxy.stats.byFault.stall ?? 0;
      const cold = fetchOnce(coldClient, 0n).then((p) => {
        order.push('cold');
        return p;
      });
      // The cold read is in flight, stalled at the object store, before the hot fetch goes out.
      await waitFor('the cold fetch to stall at the object store', () => (proxy.stats.byFault.stall ?? 0) > stalledBefore);
      const hot = await fetchOnce(hotClient, BigInt(st.localLogStartOffset));
      order.push('hot');
      expect(hot.errorCode).toBe(0);
      expect(hot.records?.length).toBeGreaterThan(0);
      expect(order).toEqual(['hot']);
      proxy.setFaults(0);
      const c = await cold;
      expect([0, KAFKA_STORAGE_ERROR]).toContain(c.errorCode);
    } finally {
      proxy.setFaults(0);
      await coldClient.close();
      await hotClient.close();
    }

    // Reads through 25 % faults: retried, never corrupt.
    proxy.setFaults(0.25);
    await consumeAll(1200);
    const viaKcat = await kcatConsume(tb.bootstrap, topic);
    expect(viaKcat.map((m) => m.value)).toEqual(Array.from({ length: 1200 }, (_, i) => messageValue(i)));
    proxy.setFaults(0);
  }, 60_000);

  it('keeps local segments during an outage and catches up when the store recovers', async () => {
    const before = tierStatus(tb, topic)!;
    proxy.setDown(true);
    await produceRange(tb.bootstrap, topic, 1200, 2000);
    const during = await waitFor('copy failures noticed', () => {
      const s = tierStatus(tb, topic)!;
      return s.lagSegments >= 3 && s.lastError ? s : null;
    });
    // Nothing uncopied was deleted locally.
    expect(during.localLogStartOffset).toBe(before.localLogStartOffset);
    expect(during.copiedEndOffset).toBe(before.copiedEndOffset);
    expect((await localSegmentFiles(tb, topic)).length).toBeGreaterThanOrEqual(4);
    // Hot data is still served while the store is down; cold data answers a retriable error.
    const client = pkConsumer(tb.bootstrap, { clientId: 'outage' });
    try {
      const hot = await fetchOnce(client, BigInt(during.localLogStartOffset));
      expect(hot.errorCode).toBe(0);
      expect(hot.records?.[0]?.firstOffset).toBe(BigInt(during.localLogStartOffset));
      const cold = await fetchOnce(client, 0n);
      expect([0, KAFKA_STORAGE_ERROR]).toContain(cold.errorCode); // 0 only if still cached
    } finally {
      await client.close();
    }

    proxy.setDown(false);
    proxy.setFaults(0.2, ['error-503', 'reset', 'slow', 'cut-body']);
    const after = await waitTiered(tb, topic, 8);
    expect(after.copiedEndOffset).toBeGreaterThan(before.copiedEndOffset);
    expect(after.localLogStartOffset).toBe(after.copiedEndOffset);
    await consumeAll(2000);
    proxy.setFaults(0);
    const viaKcat = await kcatConsume(tb.bootstrap, topic);
    expect(viaKcat.length).toBe(2000);
    expect(viaKcat.every((m, i) => m.offset === i && m.value === messageValue(i))).toBe(true);
  }, 60_000);
});
