// Producer state on the append path: duplicates answered with the original offsets and not
// appended, sequence gaps and stale epochs rejected as Kafka does, and the state surviving a
// clean restart (snapshot) and a crash (snapshot + replay).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../protocol/errors.js';
import { appendClientRecords } from '../../../storage/log/producer-state/append-with-state.js';
import type { PartitionLog } from '../../../storage/log/partition-log.js';
import { openLog, tempDir } from '../helpers/temp-log.js';
import { producerBatch, type ProducerBatchOptions } from './helpers.js';

async function produce(log: PartitionLog, o: ProducerBatchOptions) {
  const { records, batches } = producerBatch(o);
  const r = appendClientRecords(log, records, batches, 0);
  await r.result?.written;
  return r;
}

describe('idempotent appends', () => {
  let dir: { path: string; cleanup: () => Promise<void> };
  let log: PartitionLog;
  beforeEach(async () => {
    dir = await tempDir();
    log = await openLog(dir.path);
  });
  afterEach(async () => {
    await log.close().catch(() => {});
    await dir.cleanup();
  });

  it('answers a retried batch with its original offsets without appending it', async () => {
    const a = await produce(log, { pid: 7, seq: 0, count: 3 });
    const b = await produce(log, { pid: 7, seq: 3, count: 2 });
    expect(a.result!.baseOffset).toBe(0);
    expect(b.result!.baseOffset).toBe(3);
    const dup = await produce(log, { pid: 7, seq: 0, count: 3 });
    expect(dup.errorCode).toBe(ErrorCode.NONE);
    expect(dup.duplicate).toBe(true);
    expect(dup.result!.baseOffset).toBe(0);
    expect(dup.result!.lastOffset).toBe(2);
    expect(log.logEndOffset).toBe(5);
  });

  it('rejects a sequence gap with OUT_OF_ORDER_SEQUENCE_NUMBER', async () => {
    await produce(log, { pid: 7, seq: 0, count: 3 });
    const gap = await produce(log, { pid: 7, seq: 5 });
    expect(gap.errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect(log.logEndOffset).toBe(3);
  });

  it('accepts any first sequence from an unknown producer (Kafka 2.5+)', async () => {
    const r = await produce(log, { pid: 9, seq: 42 });
    expect(r.errorCode).toBe(ErrorCode.NONE);
    expect((await produce(log, { pid: 9, seq: 43 })).errorCode).toBe(ErrorCode.NONE);
  });

  it('fences a stale epoch and requires sequence 0 in a new epoch', async () => {
    await produce(log, { pid: 7, epoch: 1, seq: 0 });
    expect((await produce(log, { pid: 7, epoch: 0, seq: 1 })).errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect((await produce(log, { pid: 7, epoch: 2, seq: 1 })).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect((await produce(log, { pid: 7, epoch: 2, seq: 0 })).errorCode).toBe(ErrorCode.NONE);
  });

  it('remembers only the last 5 batches: an older retry is out of order', async () => {
    for (let s = 0; s < 6; s++) await produce(log, { pid: 7, seq: s });
    expect((await produce(log, { pid: 7, seq: 1 })).duplicate).toBe(true);
    expect((await produce(log, { pid: 7, seq: 0 })).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  });

  it('wraps sequences at int32 max', async () => {
    await produce(log, { pid: 7, seq: 0x7fffffff - 1, count: 2 });
    expect((await produce(log, { pid: 7, seq: 0 })).errorCode).toBe(ErrorCode.NONE);
  });

  it('keeps deduplicating after a clean restart', async () => {
    await produce(log, { pid: 7, seq: 0, count: 2 });
    await produce(log, { pid: 7, seq: 2, count: 2 });
    await log.close();
    log = await openLog(dir.path);
    const dup = await produce(log, { pid: 7, seq: 0, count: 2 });
    expect(dup.duplicate).toBe(true);
    expect(dup.result!.baseOffset).toBe(0);
    expect((await produce(log, { pid: 7, seq: 5 })).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect((await produce(log, { pid: 7, seq: 4 })).result!.baseOffset).toBe(4);
  });

  it('keeps deduplicating after a crash: snapshot at the last roll plus replay of the tail', async () => {
    // Small segments: several rolls, so a snapshot exists and batches after it are replayed.
    for (let s = 0; s < 60; s++) await produce(log, { pid: 7, seq: s * 4, count: 4, tag: 'x'.repeat(40) });
    await log.producers.store.idle();
    expect(log.segmentInfos().length).toBeGreaterThan(2);
    const { readdir } = await import('node:fs/promises');
    expect((await readdir(dir.path)).some((f) => f.endsWith('.snapshot'))).toBe(true);
    const crashed = log;
    log = await openLog(dir.path, undefined, { hadCleanShutdown: false, recoveryPoint: 0 });
    void crashed; // never closed, like a process killed with -9 (its page-cache writes survive)
    expect(log.logEndOffset).toBe(240);
    const dup = await produce(log, { pid: 7, seq: 236, count: 4, tag: 'x'.repeat(40) });
    expect(dup.duplicate).toBe(true);
    expect(dup.result!.baseOffset).toBe(236);
    expect((await produce(log, { pid: 7, seq: 240 })).result!.baseOffset).toBe(240);
  });

  it('loading keeps the newest 3 producer snapshots and prunes older ones (pruning only runs when there are more)', async () => {
    for (let s = 0; s < 60; s++) await produce(log, { pid: 7, seq: s * 4, count: 4, tag: 'x'.repeat(40) });
    await log.close();
    const { readdir, copyFile } = await import('node:fs/promises');
    const snaps = (await readdir(dir.path)).filter((f) => f.endsWith('.snapshot')).sort();
    expect(snaps.length).toBeGreaterThan(0);
    // Older copies of the newest snapshot under lower offsets: 5 files in all.
    const newest = snaps[snaps.length - 1]!;
    for (let i = 1; i <= 5; i++) await copyFile(`${dir.path}/${newest}`, `${dir.path}/${String(i).padStart(20, '0')}.snapshot`);
    log = await openLog(dir.path);
    await log.producers.store.idle();
    const left = (await readdir(dir.path)).filter((f) => f.endsWith('.snapshot')).sort();
    expect(left.length).toBe(3);
    expect(left[left.length - 1]).toBe(newest);
    expect((await produce(log, { pid: 7, seq: 236, count: 4, tag: 'x'.repeat(40) })).duplicate).toBe(true);
  });

  it('rebuilds from the log alone when every snapshot is gone', async () => {
    await produce(log, { pid: 3, seq: 0, count: 2 });
    await log.close();
    const { readdir, unlink } = await import('node:fs/promises');
    for (const f of await readdir(dir.path)) if (f.endsWith('.snapshot')) await unlink(`${dir.path}/${f}`);
    log = await openLog(dir.path);
    expect((await produce(log, { pid: 3, seq: 0, count: 2 })).duplicate).toBe(true);
  });
});
