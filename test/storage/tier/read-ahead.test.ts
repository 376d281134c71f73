// Read-ahead of remote segments (storage/tier/read-ahead.ts) against a real s3rver: the bytes a
// sequential consumer gets, prefetches crossing segment boundaries, seeks, a consumer that stops,
// and the memory bound. Prefetch GETs are told apart from demand GETs by their abort signal.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PartitionLog } from '../../../storage/log/partition-log.js';
import { ChunkCache } from '../../../storage/tier/chunk-cache.js';
import { RemoteReader } from '../../../storage/tier/remote-reader.js';
import type { ReadAheadOptions } from '../../../storage/tier/read-ahead.js';
import { Semaphore } from '../../../storage/tier/retry.js';
import { S3ObjectStore } from '../../../storage/tier/s3-store.js';
import { scanBatches } from '../../../protocol/records/batch-header.js';
import { startS3rver, type S3Server } from '../../helpers/s3-servers.js';
import { tempDir } from '../../storage/helpers/temp-log.js';
import { FAST_RETRY, PassThroughStore, batchesFrom, makeRemote, readAll, tieredLog } from './tier-fixtures.js';

const NOW = 10_000_000;
const CHUNK = 256;

interface GetRecord {
  key: string;
  start: number;
  end: number;
  prefetch: boolean;
  aborted: boolean;
}

/** Passes everything to s3rver; records GETs and can hold prefetch GETs back (abortably). */
class WatchedStore extends PassThroughStore {
  readonly description = 'watched s3rver';
  readonly gets: GetRecord[] = [];
  prefetchDelayMs = 0;
  inflightPrefetchBytes = 0;
  maxInflightPrefetchBytes = 0;


  async get(key: string, range?: { start: number; end: number }, signal?: AbortSignal): Promise<Buffer> {
    const rec: GetRecord = { key, start: range?.start ?? 0, end: range?.end ?? -1, prefetch: signal !== undefined, aborted: false };
    this.gets.push(rec);
    const bytes = range ? range.end - range.start : 0;
    if (signal) {
      this.inflightPrefetchBytes += bytes;
      this.maxInflightPrefetchBytes = Math.max(this.maxInflightPrefetchBytes, this.inflightPrefetchBytes);
    }
    try {
      if (signal && this.prefetchDelayMs > 0) await abortableSleep(this.prefetchDelayMs, signal);
      return await this.inner.get(key, range, signal);
    } catch (e) {
      if (signal?.aborted) rec.aborted = true;
      throw e;
    } finally {
      if (signal) this.inflightPrefetchBytes -= bytes;
    }
  }
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    function onAbort() {
      clearTimeout(t);
      reject(signal.reason);
    }
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

async function waitFor(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
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

/** A log of `batches` ~200-byte batches in 2 KiB segments, all rolled segments copied to s3rver and deleted locally. */
async function tiered(batches: number, ra: Partial<ReadAheadOptions> & { initialChunks?: number }) {
  const d = await tempDir('tributary-readahead-');
  const log = await tieredLog(d.path, batches);
  const original = await readAll(log, 0);
  const s3 = new S3ObjectStore({
    endpoint: server.endpoint,
    bucket: server.bucket,
    prefix: `readahead-${++prefixN}`,
    forcePathStyle: true,
    accessKeyId: server.accessKeyId,
    secretAccessKey: server.secretAccessKey,
  });
  const store = new WatchedStore(s3);
  const { initialChunks = 1, ...readAhead } = ra;
  const reader = new RemoteReader(store, new ChunkCache(1 << 20), { chunkBytes: CHUNK, readAheadChunks: initialChunks, retry: FAST_RETRY, limiter: new Semaphore(8), readAhead });
  const rp = makeRemote(log, store, { reader });
  await rp.copyEligible();
  await log.enforceRetention(NOW);
  const remote = rp.manifestSnapshot().segments;
  expect(remote.length).toBeGreaterThanOrEqual(5);
  expect(log.localLogStartOffset).toBe(remote[remote.length - 1]!.nextOffset);
  cleanups.push(async () => {
    reader.close();
    await rp.close();
    await log.close();
    await store.close();
    await d.cleanup();
  });
  return { log, original, store, reader, remote };
}

/** Reads from `from` while the offset stays below `until`; returns the offset reached. */
async function readUntil(log: PartitionLog, from: number, until: number, maxBytes = 700): Promise<number> {
  let offset = from;
  while (offset < until) {
    const r = await log.read(offset, maxBytes, log.highWatermark, true);
    expect(r.error).toBeUndefined();
    const scan = scanBatches(r.records, 0, r.records.length, true);
    expect(scan.error).toBeNull();
    const last = scan.batches[scan.batches.length - 1]!;
    offset = last.baseOffset + last.lastOffsetDelta + 1;
  }
  return offset;
}

const logGets = (store: WatchedStore, key?: string) => store.gets.filter((g) => g.key.endsWith('.log') && (key === undefined || g.key.includes(key)));

describe('remote read-ahead (s3rver)', () => {
  it('serves a sequential consumer the same bytes, prefetching ahead and across segment boundaries', async () => {
    const { log, original, store, reader, remote } = await tiered(120, { maxChunks: 8, budgetBytes: 1 << 20, getChunks: 2, maxGetsPerStream: 4, idleMs: 60_000 });
    expect((await readAll(log, 0, 700)).equals(original)).toBe(true);

    const st = reader.readAheadStats();
    expect(st.gets).toBeGreaterThan(0);
    expect(st.used).toBeGreaterThan(0);
    expect(st.maxPendingBytes).toBeLessThanOrEqual(1 << 20);
    // Once the window has grown (a few reads in), every later segment is first asked for by a
    // prefetch, and the consumer never has to GET a chunk itself again.
    for (const seg of remote.slice(2)) {
      const gets = logGets(store, seg.id);
      expect(gets.length).toBeGreaterThan(0);
      expect(gets[0]!.prefetch).toBe(true);
      expect(gets.filter((g) => !g.prefetch)).toEqual([]);
    }
    // Prefetch GETs combine adjacent chunks.
    expect(logGets(store).some((g) => g.prefetch && g.end - g.start > CHUNK)).toBe(true);
  }, 60_000);

  it('a seek backwards cancels the stream in flight and the consumer still gets the same bytes', async () => {
    const { log, original, store, reader, remote } = await tiered(80, { maxChunks: 8, budgetBytes: 1 << 20, getChunks: 2, maxGetsPerStream: 4, idleMs: 60_000 });
    store.prefetchDelayMs = 300; // prefetches are still in flight when the consumer seeks
    const mid = remote[2]!.baseOffset + 1;
    await readUntil(log, 0, mid);
    expect(store.inflightPrefetchBytes).toBeGreaterThan(0);
    const cancelledBefore = reader.readAheadStats().cancelled;

    // Seek back into the first segment (mid-batch offset), then read to the end.
    expect((await readAll(log, 4, 700)).equals(batchesFrom(original, 4))).toBe(true);
    expect(reader.readAheadStats().cancelled).toBeGreaterThan(cancelledBefore);
    await waitFor('aborted prefetches settle', () => store.inflightPrefetchBytes === 0);
    expect(store.gets.some((g) => g.prefetch && g.aborted)).toBe(true);
    // Another sequential pass after the cancellations: still identical.
    store.prefetchDelayMs = 0;
    expect((await readAll(log, 0, 500)).equals(original)).toBe(true);
  }, 60_000);

  it('a consumer that stops: its prefetches are aborted and their reservation released', async () => {
    const { log, store, reader, remote } = await tiered(60, { maxChunks: 8, budgetBytes: 1 << 20, getChunks: 1, maxGetsPerStream: 4, idleMs: 100 });
    const at = await readUntil(log, 0, remote[1]!.baseOffset);
    // The last read before the consumer goes away: the prefetches it starts never complete unless aborted.
    store.prefetchDelayMs = 30_000;
    const mark = store.gets.length;
    await readUntil(log, at, at + 1);
    const during = reader.readAheadStats();
    expect(during.streams).toBe(1);
    expect(during.pendingBytes).toBeGreaterThan(0);
    expect(store.inflightPrefetchBytes).toBeGreaterThan(0);

    // No more reads: after idleMs the stream is cancelled, its GETs aborted, nothing stays reserved.
    await waitFor('stream cancelled', () => reader.readAheadStats().streams === 0);
    await waitFor('prefetch GETs aborted', () => store.inflightPrefetchBytes === 0);
    const after = reader.readAheadStats();
    expect(after.pendingBytes).toBe(0);
    expect(after.dropped).toBeGreaterThan(0);
    const late = store.gets.slice(mark).filter((g) => g.prefetch);
    expect(late.length).toBeGreaterThan(0);
    expect(late.filter((g) => !g.aborted)).toEqual([]);
  }, 60_000);

  it('never holds more prefetched, unread bytes than the budget', async () => {
    const budget = 3 * CHUNK;
    const { log, original, store, reader } = await tiered(100, { maxChunks: 16, budgetBytes: budget, getChunks: 2, maxGetsPerStream: 8, idleMs: 60_000 });
    store.prefetchDelayMs = 20;
    expect((await readAll(log, 0, 900)).equals(original)).toBe(true);
    const st = reader.readAheadStats();
    expect(st.gets).toBeGreaterThan(0);
    expect(st.maxPendingBytes).toBeGreaterThan(0);
    expect(st.maxPendingBytes).toBeLessThanOrEqual(budget);
    expect(store.maxInflightPrefetchBytes).toBeLessThanOrEqual(budget);
  }, 60_000);
});
