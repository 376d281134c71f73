// Shared fixtures for tiered-storage unit tests: a small tiered PartitionLog, a RemotePartition on
// a local-directory store, and stores that fail on purpose (crash, outage, corruption).
import { logConfig, type LogConfig } from '../../../storage/log/log-config.js';
import type { PartitionLog } from '../../../storage/log/partition-log.js';
import { ChunkCache } from '../../../storage/tier/chunk-cache.js';
import { LocalObjectStore } from '../../../storage/tier/local-store.js';
import { ObjectStoreError, type ListPage, type ObjectInfo, type ObjectStore, type PutBody } from '../../../storage/tier/object-store.js';
import { RemotePartition } from '../../../storage/tier/remote-partition.js';
import { RemoteReader } from '../../../storage/tier/remote-reader.js';
import { Semaphore, type RetryPolicy } from '../../../storage/tier/retry.js';
import { scanBatches } from '../../../protocol/records/batch-header.js';
import { appendOne, openLog } from '../../storage/helpers/temp-log.js';

export const TIERED: Partial<LogConfig> = {
  segmentBytes: 2048,
  indexIntervalBytes: 256,
  fileDeleteDelayMs: 0,
  retentionMs: -1,
  retentionBytes: -1,
  remoteStorageEnable: true,
  localRetentionMs: 0,
  localRetentionBytes: -2,
};

export const FAST_RETRY: RetryPolicy = { attempts: 3, baseBackoffMs: 1, maxBackoffMs: 5, jitter: 1 };
export const NO_RETRY: RetryPolicy = { attempts: 1, baseBackoffMs: 1, maxBackoffMs: 1, jitter: 0 };
export const NO_BACKOFF: RetryPolicy = { attempts: Number.MAX_SAFE_INTEGER, baseBackoffMs: 0, maxBackoffMs: 0, jitter: 0 };

/** A log with `batches` batches of ~200 bytes; batch i has timestamps starting at 1000 * (i + 1). */
export async function tieredLog(dir: string, batches = 40, cfg: Partial<LogConfig> = TIERED): Promise<PartitionLog> {
  const log = await openLog(dir, cfg, { topicId: 'AAAAAAAAAAAAAAAAAAAAAA' });
  for (let i = 0; i < batches; i++) await appendOne(log, { count: 3, valueSize: 40, timestamp: 1000 * (i + 1), fill: i & 0xff });
  await log.flush();
  return log;
}

export function setConfig(log: PartitionLog, cfg: Partial<LogConfig>): void {
  log.updateConfig(logConfig({ ...TIERED, ...cfg }));
}

export function makeRemote(log: PartitionLog, store: ObjectStore, opts: { retry?: RetryPolicy; chunkBytes?: number; cacheBytes?: number; reader?: RemoteReader } = {}): RemotePartition {
  const reader = opts.reader ?? new RemoteReader(store, new ChunkCache(opts.cacheBytes ?? 1 << 20), {
    chunkBytes: opts.chunkBytes ?? 1024,
    readAheadChunks: 1,
    retry: opts.retry ?? FAST_RETRY,
    limiter: new Semaphore(4),
  });
  const rp = new RemotePartition(log, 'tid', {
    store,
    reader,
    retry: opts.retry ?? FAST_RETRY,
    taskBackoff: NO_BACKOFF,
    logger: { info() {}, warn() {}, error() {} },
  });
  log.remoteTier = rp;
  return rp;
}

/** Everything readable from `from` to the HW, as returned by successive reads. */
export async function readAll(log: PartitionLog, from = log.logStartOffset, maxBytes = 700): Promise<Buffer> {
  const parts: Buffer[] = [];
  let offset = from;
  for (let guard = 0; offset < log.highWatermark && guard < 10_000; guard++) {
    const r = await log.read(offset, maxBytes, log.highWatermark, true);
    if (r.error) throw new Error(`read at ${offset}: ${r.error}`);
    if (r.records.length === 0) throw new Error(`empty read at ${offset}`);
    const scan = scanBatches(r.records, 0, r.records.length, true);
    if (scan.error) throw new Error(`corrupt read at ${offset}: ${scan.error}`);
    parts.push(r.records);
    const last = scan.batches[scan.batches.length - 1]!;
    offset = last.baseOffset + last.lastOffsetDelta + 1;
  }
  return Buffer.concat(parts);
}

/** Keeps the whole batches of `all` whose last offset >= from. */
export function batchesFrom(all: Buffer, from: number): Buffer {
  const scan = scanBatches(all, 0, all.length, true);
  const first = scan.batches.find((b) => b.baseOffset + b.lastOffsetDelta >= from);
  return first ? all.subarray(first.position) : Buffer.alloc(0);
}

export class CrashError extends Error {
  override name = 'CrashError';
}

/**
 * Simulates the broker dying at the n-th mutating request (put / deleteMany): in 'before' mode the
 * request never reaches the store, in 'after' mode it is applied but the caller never learns it.
 * Every request after that fails too (the process is gone).
 */
export class CrashingStore implements ObjectStore {
  readonly description = 'crashing';
  mutations = 0;
  dead = false;

  constructor(
    private readonly inner: ObjectStore,
    private readonly crashAt: number,
    private readonly mode: 'before' | 'after',
  ) {}

  private async mutate(fn: () => Promise<void>): Promise<void> {
    if (this.dead) throw new CrashError('dead');
    this.mutations++;
    if (this.mutations === this.crashAt) {
      this.dead = true;
      if (this.mode === 'after') await fn();
      throw new CrashError(`crash at mutation ${this.crashAt} (${this.mode})`);
    }
    await fn();
  }

  put(key: string, body: PutBody): Promise<void> {
    return this.mutate(() => this.inner.put(key, body));
  }
  deleteMany(keys: string[]): Promise<void> {
    return this.mutate(() => this.inner.deleteMany(keys));
  }
  async get(key: string, range?: { start: number; end: number }): Promise<Buffer> {
    if (this.dead) throw new CrashError('dead');
    return this.inner.get(key, range);
  }
  async head(key: string): Promise<ObjectInfo | null> {
    if (this.dead) throw new CrashError('dead');
    return this.inner.head(key);
  }
  async list(prefix: string, page?: { next?: string; maxKeys?: number }): Promise<ListPage> {
    if (this.dead) throw new CrashError('dead');
    return this.inner.list(prefix, page);
  }
  async close(): Promise<void> {}
}

/** A store that passes every call but `get` to `inner`: the base of test stores that watch or shape GETs. */
export abstract class PassThroughStore implements ObjectStore {
  abstract readonly description: string;

  constructor(protected readonly inner: ObjectStore) {}

  abstract get(key: string, range?: { start: number; end: number }, signal?: AbortSignal, into?: (size: number) => Buffer): Promise<Buffer>;
  put(key: string, body: PutBody): Promise<void> {
    return this.inner.put(key, body);
  }
  head(key: string): Promise<ObjectInfo | null> {
    return this.inner.head(key);
  }
  list(prefix: string, page?: { next?: string; maxKeys?: number }): Promise<ListPage> {
    return this.inner.list(prefix, page);
  }
  deleteMany(keys: string[]): Promise<void> {
    return this.inner.deleteMany(keys);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** A store that can be taken down (every call fails with a retriable error) or corrupt its reads. */
export class FlakyStore implements ObjectStore {
  readonly description = 'flaky';
  down = false;
  corruptReads = 0;
  calls = 0;

  constructor(readonly inner: LocalObjectStore) {}

  private check(op: string): void {
    this.calls++;
    if (this.down) throw new ObjectStoreError('retriable', `${op}: store is down (503)`, op);
  }
  async put(key: string, body: PutBody): Promise<void> {
    this.check('put');
    return this.inner.put(key, body);
  }
  async deleteMany(keys: string[]): Promise<void> {
    this.check('delete');
    return this.inner.deleteMany(keys);
  }
  async get(key: string, range?: { start: number; end: number }): Promise<Buffer> {
    this.check('get');
    const b = await this.inner.get(key, range);
    if (this.corruptReads > 0 && key.endsWith('.log') && b.length > 100) {
      this.corruptReads--;
      const copy = Buffer.from(b);
      copy[copy.length - 5]! ^= 0xff;
      return copy;
    }
    return b;
  }
  async head(key: string): Promise<ObjectInfo | null> {
    this.check('head');
    return this.inner.head(key);
  }
  async list(prefix: string, page?: { next?: string; maxKeys?: number }): Promise<ListPage> {
    this.check('list');
    return this.inner.list(prefix, page);
  }
  async close(): Promise<void> {}
}
