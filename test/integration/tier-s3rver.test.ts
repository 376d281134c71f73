// Tiered storage end to end on s3rver (loopback): produce until segments tier out and local copies
// are deleted, consume everything from offset 0 (raw fetch + kcat, byte-identical), restart,
// retention on remote data, topic deletion.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAll } from '../../storage/tier/object-store.js';
import { startTestBroker } from '../helpers/broker.js';
import { startS3rver, tierStoreOverrides, type S3Server } from '../helpers/s3-servers.js';
import { FAST_TIER, TOPIC_CONFIGS, endToEnd, listOffset, produceRange, storeFor, waitFor, waitTiered, withAdmin } from '../storage/tier/broker-scenario.js';

let server: S3Server;
beforeAll(async () => {
  server = await startS3rver();
});
afterAll(async () => {
  await server?.stop();
});

describe('tiered storage on s3rver', () => {
  it('tiers out, serves every offset from the store, survives a restart, deletes with the topic', async () => {
    await endToEnd(server, 's3rver-e2e');
  }, 60_000);

  it('remote segments past retention.ms and retention.bytes disappear from the store', async () => {
    const prefix = 's3rver-retention';
    const topic = 'tier-retention';
    const store = storeFor(server, server.endpoint, prefix);
    const tb = await startTestBroker({ ...tierStoreOverrides(server, server.endpoint, prefix), ...FAST_TIER });
    try {
      const configs = { ...TOPIC_CONFIGS, 'remote.storage.enable': 'true' };
      await withAdmin(tb.bootstrap, (a) => a.createTopics({ topics: [{ topic, configEntries: Object.entries(configs).map(([name, value]) => ({ name, value })) }] }));
      await produceRange(tb.bootstrap, topic, 0, 1500);
      const st = await waitTiered(tb, topic, 5);
      const logs = async () => (await listAll(store, `${topic}-`)).filter((o) => o.key.endsWith('.log'));
      expect((await logs()).length).toBe(st.remoteSegments);

      // retention.bytes: keep about two segments' worth of remote data plus the local tail.
      const alter = (extra: Record<string, string>) =>
        withAdmin(tb.bootstrap, (a) =>
          a.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: topic, configEntries: Object.entries({ ...configs, ...extra }).map(([name, value]) => ({ name, value })) }] }),
        );
      const log = tb.broker.partition(topic, 0)!.log;
      const limit = log.size() + 2 * 16384;
      await alter({ 'retention.bytes': String(limit) });
      await waitFor('retention.bytes applied', async () => (await logs()).length <= 3 && (await logs()).length > 0);
      // Whole log = local + remote-only bytes: within the limit plus less than one more segment.
      const after = tb.broker.tier.status().partitions[0]!;
      expect(after.remoteBytes + log.size()).toBeLessThan(limit + 16384);
      expect(after.remoteSegments).toBeLessThan(st.remoteSegments);
      const start = await listOffset(tb.bootstrap, topic, -2n);
      expect(start).toBeGreaterThan(0n);

      // retention.ms: every record is older than 1 ms soon; all remote segments go.
      await alter({ 'retention.ms': '1' });
      await waitFor('retention.ms applied', async () => (await logs()).length === 0);
      expect(await listOffset(tb.bootstrap, topic, -2n)).toBeGreaterThan(start);
    } finally {
      await tb.cleanup();
      await store.close();
    }
  }, 60_000);
});
