// Cold reads without per-GET garbage (issue 14): a ranged GET's body is read straight into one
// pooled buffer (framePool), the chunk cache keeps views of it and gives it back to the pool when
// it evicts them, and a read inside one chunk is handed to the Fetch response by reference (lent,
// as segment reads and the tail cache do). Against a real s3rver; the body-length checks against
// a bare HTTP server that misbehaves on purpose.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { framePool, leaseOf, takeLentView, type BufferLease } from '../../../protocol/wire/buffer-pool.js';
import { scanBatches } from '../../../protocol/records/batch-header.js';
import type { PartitionLog } from '../../../storage/log/partition-log.js';
import { ChunkCache } from '../../../storage/tier/chunk-cache.js';
import { ObjectStoreError } from '../../../storage/tier/object-store.js';
import { RemoteReader } from '../../../storage/tier/remote-reader.js';
import { Semaphore } from '../../../storage/tier/retry.js';
import { S3ObjectStore } from '../../../storage/tier/s3-store.js';
import { startS3rver, type S3Server } from '../../helpers/s3-servers.js';
import { appendOne, openLog, tempDir } from '../../storage/helpers/temp-log.js';
import { FAST_RETRY, PassThroughStore, TIERED, makeRemote, readAll } from './tier-fixtures.js';

const NOW = 10_000_000;
const CHUNK = 64 * 1024; // the pool's smallest size class

/** Passes everything to s3rver; records the buffers the store was asked to read bodies into. */
class IntoStore extends PassThroughStore {
  readonly description = 'into-watching s3rver';
  /** Per GET: whether a target buffer was offered, and the lease of the one handed out. */
  readonly gets: { into: boolean; lease?: BufferLease; sameBuffer?: boolean }[] = [];
  inflight = 0;


  async get(key: string, range?: { start: number; end: number }, signal?: AbortSignal, into?: (size: number) => Buffer): Promise<Buffer> {
    const rec: (typeof this.gets)[number] = { into: into !== undefined };
    this.gets.push(rec);
    let target: Buffer | undefined;
    this.inflight++;
    const b = await this.inner
      .get(
      key,
      range,
      signal,
      into &&
        ((size) => {
          target = into(size);
          rec.lease = leaseOf(target);
          return target;
        }),
      )
      .finally(() => this.inflight--);
    rec.sameBuffer = target !== undefined && b.buffer === target.buffer && b.byteOffset === target.byteOffset;
    return b;
  }
}

let server: S3Server;
let prefixN = 0;
const cleanups: (() => Promise<void>)[] = [];
beforeAll(async () => {
  server = await startS3rver();
});
afterAll(async () => {
  await server?.stop();
});
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

function s3(endpoint: string, bucket: string, prefix: string): S3ObjectStore {
  return new S3ObjectStore({ endpoint, bucket, prefix, forcePathStyle: true, accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey });
}

/** ~4 KiB batches in 256 KiB segments, all rolled segments copied to s3rver and deleted locally. */
async function tiered(cacheBytes: number) {
  const d = await tempDir('tributary-pooled-');
  const cfg = { ...TIERED, segmentBytes: 256 * 1024, indexIntervalBytes: 16 * 1024 };
  const log = await openLog(d.path, cfg, { topicId: 'AAAAAAAAAAAAAAAAAAAAAA' });
  for (let i = 0; i < 260; i++) await appendOne(log, { count: 4, valueSize: 1000, timestamp: 1000 * (i + 1), fill: i & 0xff });
  await log.flush();
  const original = await readAll(log, 0, 1 << 20);
  const store = new IntoStore(s3(server.endpoint, server.bucket, `pooled-${++prefixN}`));
  const cache = new ChunkCache(cacheBytes);
  const reader = new RemoteReader(store, cache, { chunkBytes: CHUNK, readAheadChunks: 1, retry: FAST_RETRY, limiter: new Semaphore(8), readAhead: { getChunks: 2 } });
  const rp = makeRemote(log, store, { reader });
  await rp.copyEligible();
  await log.enforceRetention(NOW);
  const remote = rp.manifestSnapshot().segments;
  expect(remote.length).toBeGreaterThanOrEqual(3);
  cleanups.push(async () => {
    reader.close();
    await rp.close();
    await log.close();
    await store.close();
    await d.cleanup();
  });
  return { log, original, store, cache, reader, remote };
}

/** Reads the remote part sequentially as a consumer would, releasing each lent answer as the connection does once it is written. */
async function consume(log: PartitionLog, maxBytes: number, onRecords: (records: Buffer) => void = () => {}): Promise<Buffer> {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset < log.localLogStartOffset) {
    const r = await log.read(offset, maxBytes, log.highWatermark, true);
    expect(r.error).toBeUndefined();
    expect(r.records.length).toBeGreaterThan(0);
    onRecords(r.records);
    parts.push(Buffer.from(r.records));
    takeLentView(r.records)?.release();
    const scan = scanBatches(r.records, 0, r.records.length, true);
    const last = scan.batches[scan.batches.length - 1]!;
    offset = last.baseOffset + last.lastOffsetDelta + 1;
  }
  return Buffer.concat(parts);
}

describe('pooled cold reads', () => {
  it('reads each ranged GET body into one pooled buffer and answers in-chunk reads with a lent view of it', async () => {
    const { log, original, store, cache } = await tiered(8 << 20);
    let lent = 0;
    let answers = 0;
    const got = await consume(log, 16 * 1024, (records) => {
      answers++;
      // A view of a pooled chunk, lent to the response (not a fresh copy).
      const lease = leaseOf(records);
      if (lease !== undefined && takeLentView(records) === lease) {
        lent++;
        lendBack(records, lease);
      }
    });
    expect(got.equals(original.subarray(0, got.length))).toBe(true);
    const chunkGets = store.gets.filter((g) => g.into);
    expect(chunkGets.length).toBeGreaterThan(4);
    // Every chunk GET went into the buffer it was offered: one pooled buffer, no concatenation.
    for (const g of chunkGets) {
      expect(g.lease).toBeDefined();
      expect(g.sameBuffer).toBe(true);
    }
    expect(lent).toBeGreaterThan(answers / 2);
    // Cached chunks are views of those buffers, charged at the pooled buffers' full size.
    const leases = new Set(chunkGets.map((g) => g.lease));
    expect(leaseOf(cache.peek(`${(await remoteSegs(log))[0]}:0`)!)).toBeDefined();
    const st = cache.stats();
    expect(st.bytes).toBeGreaterThanOrEqual([...leases].filter((l) => l!.references > 0).length * CHUNK);
  });

  it('answers a read across chunks of one read-ahead GET with a view of that GET buffer, without a copy', async () => {
    const { log, original, store, cache } = await tiered(8 << 20);
    const segs = await remoteSegs(log);
    let acrossOneGet = 0;
    let acrossCopied = 0;
    const got = await consume(log, 100 * 1024, (records) => {
      if (records.length <= CHUNK) return;
      const lease = leaseOf(records);
      expect(lease).toBeDefined();
      expect(takeLentView(records)).toBe(lease); // lent either way
      lease!.release();
      // Views of a cached chunk's buffer (the GET's), or a copy into a buffer of its own.
      const cached = segs.flatMap((id) => [0, 1, 2, 3, 4].map((i) => cache.peek(`${id}:${i}`))).filter((b) => b !== undefined);
      if (cached.some((b) => b!.buffer === records.buffer)) acrossOneGet++;
      else acrossCopied++;
    });
    expect(got.equals(original.subarray(0, got.length))).toBe(true);
    expect(store.gets.some((g) => g.lease && g.lease.buffer.length >= 2 * CHUNK)).toBe(true); // multi-chunk GETs happened
    expect(acrossOneGet).toBeGreaterThan(0);
    expect(acrossOneGet + acrossCopied).toBeGreaterThan(3);
  });

  it('gives chunk buffers back to the pool when the cache evicts or drops them', async () => {
    const { log, original, store, cache, reader } = await tiered(256 * 1024);
    const got = await consume(log, 48 * 1024);
    expect(got.equals(original.subarray(0, got.length))).toBe(true);
    expect(cache.stats().evictions).toBeGreaterThan(0);
    expect(cache.stats().bytes).toBeLessThanOrEqual(256 * 1024);
    const leases = [...new Set(store.gets.filter((g) => g.lease).map((g) => g.lease!))];
    expect(leases.length).toBeGreaterThan(4);
    // Evicted (and read) chunks hold no reference any more: their buffers went back to the pool.
    const free = leases.filter((l) => l.references === 0).length;
    expect(free).toBeGreaterThan(leases.length / 2);
    reader.close(); // cancels read-ahead; whatever it fetched stays cached until dropped
    await waitFor('GETs in flight to settle', () => store.inflight === 0);
    cache.invalidate('');
    expect(cache.stats().bytes).toBe(0);
    for (const l of leases) expect(l.references).toBe(0);
    // And the pool hands them out again.
    const reused = framePool.reused;
    const again = framePool.acquire(CHUNK);
    expect(framePool.reused).toBe(reused + 1);
    again.release();
  });
});

async function waitFor(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Returns the reference taken over with takeLentView (the test played the connection). */
function lendBack(_records: Buffer, lease: BufferLease): void {
  lease.release();
}

async function remoteSegs(log: PartitionLog): Promise<string[]> {
  const rp = log.remoteTier as unknown as { manifestSnapshot(): { segments: { id: string }[] } };
  return rp.manifestSnapshot().segments.map((s) => s.id);
}

describe('GET bodies of the wrong length', () => {
  let fake: http.Server;
  let endpoint: string;
  let mode: 'short' | 'ignore-range' = 'short';
  const OBJECT = Buffer.alloc(200_000, 7);
  beforeAll(async () => {
    fake = http.createServer((req, res) => {
      req.resume();
      if (mode === 'short') {
        // Announces the range's length, sends part of it, and hangs up.
        const m = /bytes=(\d+)-(\d+)/.exec(req.headers.range ?? '')!;
        const len = Number(m[2]) - Number(m[1]) + 1;
        res.writeHead(206, { 'content-length': String(len), 'content-range': `bytes ${m[1]}-${m[2]}/${OBJECT.length}`, 'content-type': 'application/octet-stream' });
        res.write(OBJECT.subarray(0, Math.floor(len / 3)), () => res.socket?.destroy());
      } else {
        // A server that ignores Range: the whole object, 200.
        res.writeHead(200, { 'content-length': String(OBJECT.length), 'content-type': 'application/octet-stream' });
        res.end(OBJECT);
      }
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
    endpoint = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => fake.close(r));
  });

  it('a body cut short is a retriable error, never a truncated chunk', async () => {
    mode = 'short';
    const store = s3(endpoint, 'b', 'p');
    cleanups.push(() => store.close());
    let offered: Buffer | undefined;
    const err = await store.get('k', { start: 0, end: 100_000 }, undefined, (n) => (offered = framePool.acquire(n).buffer.subarray(0, n))).catch((e: unknown) => e);
    expect(offered?.length).toBe(100_000);
    expect(err).toBeInstanceOf(ObjectStoreError);
    expect((err as ObjectStoreError).kind).toBe('retriable');
  });

  it('a body longer than the range asked for is a retriable error, not served', async () => {
    mode = 'ignore-range';
    const store = s3(endpoint, 'b', 'p');
    cleanups.push(() => store.close());
    for (const into of [undefined, (n: number) => Buffer.allocUnsafe(n)]) {
      const err = await store.get('k', { start: 1000, end: 1000 + 65_536 }, undefined, into).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ObjectStoreError);
      expect((err as ObjectStoreError).kind).toBe('retriable');
      expect((err as Error).message).toMatch(/long body/);
    }
    // Without a range the whole object is the answer.
    expect((await store.get('k', undefined, undefined, (n) => Buffer.allocUnsafe(n))).equals(OBJECT)).toBe(true);
  });
});
