// The ObjectStore contract, run against the local-directory store and against S3ObjectStore on a
// real s3rver (the Swift run is in test/integration/tier-swift.test.ts).
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalObjectStore } from '../../../storage/tier/local-store.js';
import { ObjectStoreError, isRetriableError, listAll, type ObjectStore } from '../../../storage/tier/object-store.js';
import { DEFAULT_RETRY, withRetry } from '../../../storage/tier/retry.js';
import { S3ObjectStore } from '../../../storage/tier/s3-store.js';
import { startS3rver, type S3Server } from '../../helpers/s3-servers.js';

export function storeContract(name: string, make: () => Promise<{ store: ObjectStore; cleanup: () => Promise<void> }>, opts: { multipart?: boolean } = {}) {
  describe(`ObjectStore contract: ${name}`, () => {
    let store: ObjectStore;
    let cleanup: () => Promise<void>;
    let tmp: string;
    beforeAll(async () => {
      ({ store, cleanup } = await make());
      tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'tributary-store-'));
    });
    afterAll(async () => {
      await store.close();
      await cleanup();
      await fs.rm(tmp, { recursive: true, force: true });
    });

    it('puts, gets whole and ranged, heads', async () => {
      const body = randomBytes(10_000);
      await store.put('t-1/0/a.log', body);
      expect((await store.get('t-1/0/a.log')).equals(body)).toBe(true);
      expect((await store.get('t-1/0/a.log', { start: 1000, end: 2000 })).equals(body.subarray(1000, 2000))).toBe(true);
      expect((await store.get('t-1/0/a.log', { start: 9990, end: 20_000 })).equals(body.subarray(9990))).toBe(true);
      expect(await store.head('t-1/0/a.log')).toEqual({ key: 't-1/0/a.log', size: 10_000 });
      expect(await store.head('t-1/0/missing')).toBeNull();
      const err = await store.get('t-1/0/missing').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ObjectStoreError);
      expect((err as ObjectStoreError).kind).toBe('not-found');
    });

    it('overwrites atomically and uploads files', async () => {
      await store.put('t-1/0/m.json', Buffer.from('one'));
      await store.put('t-1/0/m.json', Buffer.from('two'));
      expect((await store.get('t-1/0/m.json')).toString()).toBe('two');
      const file = path.join(tmp, 'seg.log');
      const data = randomBytes(opts.multipart ? 11 * 1024 * 1024 + 123 : 300_000);
      await fs.writeFile(file, data);
      await store.put('t-1/0/f.log', { path: file, size: data.length });
      expect((await store.head('t-1/0/f.log'))?.size).toBe(data.length);
      const mid = Math.floor(data.length / 2);
      expect((await store.get('t-1/0/f.log', { start: mid - 10, end: mid + 10 })).equals(data.subarray(mid - 10, mid + 10))).toBe(true);
      expect((await store.get('t-1/0/f.log')).equals(data)).toBe(true);
    });

    it('lists by prefix with paging and deletes many', async () => {
      const keys = ['p/x/1', 'p/x/2', 'p/x/3', 'p/x/4', 'p/x/5', 'p/y/1'];
      for (const k of keys) await store.put(k, Buffer.from(k));
      const page1 = await store.list('p/x/', { maxKeys: 2 });
      expect(page1.objects.map((o) => o.key)).toEqual(['p/x/1', 'p/x/2']);
      expect(page1.next).toBeDefined();
      const all = await listAll(store, 'p/x/', 2);
      expect(all.map((o) => o.key)).toEqual(['p/x/1', 'p/x/2', 'p/x/3', 'p/x/4', 'p/x/5']);
      expect(all[0]!.size).toBe(5);
      // s3rver answers 500 when parallel deletes empty a directory under each other: retried, as in production.
      await withRetry(() => store.deleteMany(['p/x/1', 'p/x/3', 'p/x/never']), DEFAULT_RETRY);
      expect((await listAll(store, 'p/')).map((o) => o.key)).toEqual(['p/x/2', 'p/x/4', 'p/x/5', 'p/y/1']);
      const rest = (await listAll(store, 'p/')).map((o) => o.key);
      await withRetry(() => store.deleteMany(rest), DEFAULT_RETRY);
      expect(await listAll(store, 'p/')).toEqual([]);
    });
  });
}

storeContract('local directory', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tributary-local-store-'));
  return { store: new LocalObjectStore(dir), cleanup: () => fs.rm(dir, { recursive: true, force: true }) };
});

let s3rver: S3Server;
storeContract(
  's3rver',
  async () => {
    s3rver = await startS3rver();
    const store = new S3ObjectStore({
      endpoint: s3rver.endpoint,
      bucket: s3rver.bucket,
      prefix: 'contract',
      forcePathStyle: true,
      accessKeyId: s3rver.accessKeyId,
      secretAccessKey: s3rver.secretAccessKey,
      multipartThresholdBytes: 6 * 1024 * 1024,
      partSizeBytes: 5 * 1024 * 1024,
    });
    return { store, cleanup: () => s3rver.stop() };
  },
  { multipart: true },
);

describe('error classification', () => {
  it('maps status codes and network errors', () => {
    expect(isRetriableError({ name: 'SlowDown', $metadata: { httpStatusCode: 503 } })).toBe(true);
    expect(isRetriableError({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } })).toBe(false);
    expect(isRetriableError(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isRetriableError(new ObjectStoreError('fatal', 'x', 'get'))).toBe(false);
  });

  it('a missing bucket is fatal, not retried forever', async () => {
    const s = await startS3rver('other');
    try {
      const store = new S3ObjectStore({ endpoint: s.endpoint, bucket: 'no-such-bucket', forcePathStyle: true, accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey });
      const err = (await store.put('k', Buffer.from('x')).catch((e: unknown) => e)) as ObjectStoreError;
      expect(err).toBeInstanceOf(ObjectStoreError);
      expect(err.kind).toBe('fatal');
      await store.close();
    } finally {
      await s.stop();
    }
  });
});
