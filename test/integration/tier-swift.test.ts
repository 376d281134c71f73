// Tiered storage end to end on Debian's OpenStack Swift through its S3 API (the production-like
// store). CI installs Swift (.ci/run); without it this file fails loudly in CI and is skipped with
// the same message elsewhere.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAll } from '../../storage/tier/object-store.js';
import { startSwift, swiftMissing, type S3Server } from '../helpers/s3-servers.js';
import { endToEnd, storeFor } from '../storage/tier/broker-scenario.js';

const missing = swiftMissing();
if (missing) {
  console.error(`\n*** tier-swift: ${missing} ***\n`);
  if (process.env.CI) throw new Error(missing);
}

describe.skipIf(missing !== null && !process.env.CI)('tiered storage on OpenStack Swift (s3api)', () => {
  let server: S3Server;
  beforeAll(async () => {
    server = await startSwift();
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('passes the store checks Swift is strict about (ranges, paging, DeleteObjects with Content-MD5)', async () => {
    const store = storeFor(server, server.endpoint, 'swift-contract');
    try {
      const body = randomBytes(50_000);
      await store.put('a/b/seg.log', body);
      expect((await store.get('a/b/seg.log', { start: 100, end: 40_100 })).equals(body.subarray(100, 40_100))).toBe(true);
      for (let i = 0; i < 5; i++) await store.put(`a/b/k${i}`, Buffer.from(String(i)));
      expect((await store.list('a/b/k', { maxKeys: 2 })).objects.map((o) => o.key)).toEqual(['a/b/k0', 'a/b/k1']);
      expect((await listAll(store, 'a/b/', 2)).length).toBe(6);
      await store.deleteMany((await listAll(store, 'a/')).map((o) => o.key).concat(['a/b/missing']));
      expect(await listAll(store, 'a/')).toEqual([]);
      expect(await store.head('a/b/seg.log')).toBeNull();
    } finally {
      await store.close();
    }
  });

  it('tiers out, serves every offset from Swift, survives a restart, deletes with the topic', async () => {
    await endToEnd(server, 'swift-e2e');
  }, 60_000);
});
