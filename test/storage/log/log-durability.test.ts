import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildTestBatch, parseBatches, produceRequest } from '../helpers/batches.js';
import { appendOne, openLog, SMALL, tempDir } from '../helpers/temp-log.js';

let tmp: { path: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  tmp = await tempDir();
});
afterEach(async () => {
  await tmp.cleanup();
});

describe('flush policy', () => {
  it('flush.messages: acknowledged appends are fsynced (recovery point follows)', async () => {
    const log = await openLog(tmp.path, { ...SMALL, flushMessages: 4 });
    await appendOne(log, { count: 3 });
    expect(log.recoveryPoint).toBe(0);
    await appendOne(log, { count: 1 });
    expect(log.recoveryPoint).toBe(4);
    await log.close();
  });

  it('flush.ms: maybeFlush fsyncs once the interval has passed', async () => {
    const log = await openLog(tmp.path, { ...SMALL, flushMs: 1000 });
    await appendOne(log, { count: 2 });
    await log.maybeFlush(Date.now() - 10_000);
    expect(log.recoveryPoint).toBe(0);
    await log.maybeFlush(Date.now() + 10_000);
    expect(log.recoveryPoint).toBe(2);
    await log.close();
  });

  it('a roll flushes the previous segment in the background', async () => {
    const log = await openLog(tmp.path);
    for (let i = 0; i < 30; i++) await appendOne(log, { valueSize: 200 });
    const infos = log.segmentInfos();
    expect(infos.length).toBeGreaterThan(1);
    // No explicit flush: the recovery point reaches the last rolled segment's end on its own.
    await vi.waitFor(() => expect(log.recoveryPoint).toBe(infos.at(-1)!.baseOffset), { timeout: 5000 });
    await log.close();
  });
});

describe('rolling', () => {
  it('rolls when an index would exceed segment.index.bytes', async () => {
    const log = await openLog(tmp.path, { ...SMALL, segmentBytes: 1 << 20, indexIntervalBytes: 1, segmentIndexBytes: 8 * 4 });
    for (let i = 0; i < 20; i++) await appendOne(log);
    const infos = log.segmentInfos();
    expect(infos.length).toBeGreaterThan(3);
    await log.close();
    const { stat } = await import('node:fs/promises');
    for (const s of infos) expect((await stat(s.indexPath)).size).toBeLessThanOrEqual(32);
  });
});

describe('reads concurrent with appends and rolls', () => {
  it('never returns bytes beyond the high watermark or partial batches', async () => {
    const log = await openLog(tmp.path, { ...SMALL, segmentBytes: 2048 });
    const pending: Promise<void>[] = [];
    let done = false;
    const reader = (async () => {
      let next = 0;
      let reads = 0;
      while (!done || next < log.highWatermark) {
        const hw = log.highWatermark;
        const r = await log.read(next, 700, hw, true);
        expect(r.error).toBeUndefined();
        for (const b of parseBatches(r.records)) {
          expect(b.baseOffset).toBe(next);
          expect(b.baseOffset + b.lastOffsetDelta).toBeLessThan(hw);
          next = b.baseOffset + b.lastOffsetDelta + 1;
        }
        reads++;
        if (r.records.length === 0) await new Promise((res) => setImmediate(res));
      }
      return { next, reads };
    })();
    for (let i = 0; i < 300; i++) {
      const { records, batches } = produceRequest(buildTestBatch({ count: 1 + (i % 3), valueSize: 30 }));
      pending.push(log.append(records, batches, 0).written);
      if (i % 7 === 0) await new Promise((res) => setImmediate(res));
    }
    await Promise.all(pending);
    done = true;
    const { next } = await reader;
    expect(next).toBe(log.logEndOffset);
    expect(log.segmentInfos().length).toBeGreaterThan(5);
    await log.close();
  });
});

describe('I/O failure', () => {
  it('rejects `written`, takes the log offline and reports it once', async () => {
    const log = await openLog(tmp.path);
    await appendOne(log);
    const failures: unknown[] = [];
    log.onFailure = (e) => failures.push(e);
    // Pull the file handle out from under the log (stands in for EIO/ENOSPC).
    const seg = (log as unknown as { segments: { handle(): Promise<{ close(): Promise<void> }> }[] }).segments.at(-1)!;
    await (await seg.handle()).close();
    const { records, batches } = produceRequest(buildTestBatch());
    const r = log.append(records, batches, 0);
    await expect(r.written).rejects.toThrow();
    expect(log.failed).toBe(true);
    expect(failures.length).toBe(1);
    expect(log.highWatermark).toBe(1);
    const { records: r2, batches: b2 } = produceRequest(buildTestBatch());
    expect(log.append(r2, b2, 0).error).toBe('KAFKA_STORAGE_ERROR');
    expect((await log.read(0, 1000, 10, true)).error).toBe('KAFKA_STORAGE_ERROR');
    await expect(log.close()).rejects.toThrow();
  });
});
