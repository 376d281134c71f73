import { readdir } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { batchCrcMatches } from '../../../protocol/records/batch-header.js';
import { buildTestBatch, parseBatches, produceRequest } from '../helpers/batches.js';
import { appendOne, openLog, SMALL, tempDir } from '../helpers/temp-log.js';

let tmp: { path: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  tmp = await tempDir();
});
afterEach(async () => {
  await tmp.cleanup();
});

describe('PartitionLog append/read', () => {
  it('assigns consecutive offsets and reads every batch back across many segments', async () => {
    const log = await openLog(tmp.path);
    const bases: number[] = [];
    for (let i = 0; i < 200; i++) {
      const r = await appendOne(log, { count: 1 + (i % 4), valueSize: 40, fill: i & 0xff, timestamp: 10_000 + i });
      bases.push(r.baseOffset);
      expect(r.lastOffset).toBe(r.baseOffset + (i % 4));
    }
    expect(bases[0]).toBe(0);
    for (let i = 1; i < bases.length; i++) expect(bases[i]).toBe(bases[i - 1]! + ((i - 1) % 4) + 1);
    const infos = log.segmentInfos();
    expect(infos.length).toBeGreaterThan(5);
    for (const s of infos) expect(s.size).toBeLessThanOrEqual(4096);
    expect(log.highWatermark).toBe(log.logEndOffset);
    const files = await readdir(tmp.path);
    expect(files.filter((f) => f.endsWith('.log')).length).toBe(infos.length);

    // Random offsets: the first returned batch contains the offset.
    for (let k = 0; k < 100; k++) {
      const off = Math.floor(Math.random() * log.logEndOffset);
      const r = await log.read(off, 1, log.highWatermark, true);
      const got = parseBatches(r.records);
      expect(got.length).toBe(1);
      expect(got[0]!.baseOffset).toBeLessThanOrEqual(off);
      expect(got[0]!.baseOffset + got[0]!.lastOffsetDelta).toBeGreaterThanOrEqual(off);
      const idx = bases.indexOf(got[0]!.baseOffset);
      expect(idx).toBeGreaterThanOrEqual(0);
      expect(got[0]!.maxTimestamp).toBe(10_000 + idx + (idx % 4));
    }
    // Sequential consumption reads everything exactly once.
    let next = 0;
    const seen: number[] = [];
    while (next < log.highWatermark) {
      const r = await log.read(next, 1000, log.highWatermark, true);
      const got = parseBatches(r.records);
      expect(got.length).toBeGreaterThan(0);
      for (const b of got) {
        seen.push(b.baseOffset);
        next = b.baseOffset + b.lastOffsetDelta + 1;
      }
    }
    expect(seen).toEqual(bases);
    await log.close();
  });

  it('honours maxBytes, minOneMessage and maxOffset', async () => {
    const log = await openLog(tmp.path, { ...SMALL, segmentBytes: 1 << 20 });
    const sizes: number[] = [];
    for (let i = 0; i < 10; i++) {
      const b = buildTestBatch({ valueSize: 100 });
      sizes.push(b.length);
      await appendOne(log, { valueSize: 100 });
    }
    const one = sizes[0]!;
    let r = await log.read(0, one * 3 + 5, 100, false);
    expect(parseBatches(r.records).map((b) => b.baseOffset)).toEqual([0, 1, 2]);
    r = await log.read(0, one - 1, 100, false);
    expect(r.records.length).toBe(0);
    expect(r.error).toBeUndefined();
    r = await log.read(0, one - 1, 100, true);
    expect(parseBatches(r.records).map((b) => b.baseOffset)).toEqual([0]);
    r = await log.read(4, 1 << 20, 7, true);
    expect(parseBatches(r.records).map((b) => b.baseOffset)).toEqual([4, 5, 6]);
    r = await log.read(7, 1 << 20, 7, true);
    expect(r.records.length).toBe(0);
    await log.close();
  });

  it('excludes a batch that straddles maxOffset and returns whole batches from the middle of one', async () => {
    const log = await openLog(tmp.path);
    await appendOne(log, { count: 5 }); // 0..4
    await appendOne(log, { count: 5 }); // 5..9
    let r = await log.read(7, 1 << 20, 10, true);
    expect(parseBatches(r.records).map((b) => b.baseOffset)).toEqual([5]);
    r = await log.read(2, 1 << 20, 8, true);
    expect(parseBatches(r.records).map((b) => b.baseOffset)).toEqual([0]);
    await log.close();
  });

  it('reports out-of-range fetches and returns empty at the log end', async () => {
    const log = await openLog(tmp.path);
    await appendOne(log, { count: 3 });
    expect((await log.read(3, 1000, log.highWatermark, true)).records.length).toBe(0);
    expect((await log.read(3, 1000, log.highWatermark, true)).error).toBeUndefined();
    expect((await log.read(4, 1000, log.highWatermark, true)).error).toBe('OFFSET_OUT_OF_RANGE');
    expect((await log.read(-1, 1000, log.highWatermark, true)).error).toBe('OFFSET_OUT_OF_RANGE');
    await log.close();
  });

  it('rolls by segment.ms relative to the first batch timestamp', async () => {
    const log = await openLog(tmp.path, { ...SMALL, segmentBytes: 1 << 20, segmentMs: 1000 });
    await appendOne(log, { timestamp: 5_000 });
    await appendOne(log, { timestamp: 5_500 });
    expect(log.segmentInfos().length).toBe(1);
    await appendOne(log, { timestamp: 6_100 });
    expect(log.segmentInfos().map((s) => s.baseOffset)).toEqual([0, 2]);
    // The timer-driven check rolls a segment whose first batch is old enough.
    log.maybeRoll(6_100 + 1001);
    expect(log.segmentInfos().map((s) => s.baseOffset)).toEqual([0, 2, 3]);
    log.maybeRoll(1e13); // empty active segment: no roll
    expect(log.segmentInfos().length).toBe(3);
    await log.close();
  });

  it('rolls up to segment.jitter.ms early, with a jitter drawn once per segment', async () => {
    // Math.random() = 0.5 → jitter = floor(0.5 * min(800, 1000)) = 400: rolls once 600 ms have passed.
    const random = vi.spyOn(Math, 'random').mockReturnValue(0.5);
    try {
      const log = await openLog(tmp.path, { ...SMALL, segmentBytes: 1 << 20, segmentMs: 1000, segmentJitterMs: 800 });
      await appendOne(log, { timestamp: 5_000 });
      await appendOne(log, { timestamp: 5_600 });
      expect(log.segmentInfos().length).toBe(1);
      await appendOne(log, { timestamp: 5_601 });
      expect(log.segmentInfos().map((s) => s.baseOffset)).toEqual([0, 2]);
      // The next segment keeps its own draw (0.2 → 160, rolls after 840 ms) from its first check on.
      random.mockReturnValue(0.2);
      log.maybeRoll(5_601 + 840);
      expect(log.segmentInfos().length).toBe(2);
      random.mockReturnValue(0); // a new draw would mean no jitter: no roll before 1000 ms
      log.maybeRoll(5_601 + 841);
      expect(log.segmentInfos().map((s) => s.baseOffset)).toEqual([0, 2, 3]);
      await log.close();
    } finally {
      random.mockRestore();
    }
  });

  it('rewrites maxTimestamp, timestamp type and CRC for LogAppendTime', async () => {
    const log = await openLog(tmp.path, { ...SMALL, messageTimestampType: 'LogAppendTime' });
    const { records, batches } = produceRequest(buildTestBatch({ timestamp: 42 }), buildTestBatch({ timestamp: 43 }));
    const r = log.append(records, batches, 3, 777_000);
    expect(r.logAppendTime).toBe(777_000);
    await r.written;
    const got = parseBatches((await log.read(0, 1 << 20, log.highWatermark, true)).records); // CRC checked
    expect(got.map((b) => b.maxTimestamp)).toEqual([777_000, 777_000]);
    expect(got.every((b) => (b.attributes & 0x08) !== 0)).toBe(true);
    expect(got.map((b) => b.partitionLeaderEpoch)).toEqual([3, 3]);
    expect(batchCrcMatches(records, 0, batches[0]!.size)).toBe(true);
    expect(log.maxTimestampAndOffset()).toEqual({ timestamp: 777_000, offset: 0 });
    await log.close();
  });

  it('coalesces concurrent appends, preserving order', async () => {
    const log = await openLog(tmp.path, { ...SMALL, segmentBytes: 1 << 20 });
    let hwCalls = 0;
    log.onHighWatermark = () => hwCalls++;
    const results = [];
    for (let i = 0; i < 50; i++) {
      const { records, batches } = produceRequest(buildTestBatch({ fill: i, count: 2 }));
      results.push(log.append(records, batches, 0));
    }
    // Offsets were assigned synchronously and in call order.
    expect(results.map((r) => r.baseOffset)).toEqual(results.map((_, i) => i * 2));
    expect(log.highWatermark).toBe(0);
    await Promise.all(results.map((r) => r.written));
    expect(log.highWatermark).toBe(100);
    expect(hwCalls).toBeLessThan(50); // coalesced into few writes
    const got = parseBatches((await log.read(0, 1 << 20, 100, true)).records);
    expect(got.map((b) => b.baseOffset)).toEqual(results.map((r) => r.baseOffset));
    await log.close();
  });

  it('rejects appends larger than a segment without assigning offsets', async () => {
    const log = await openLog(tmp.path, { ...SMALL, segmentBytes: 200 });
    const { records, batches } = produceRequest(buildTestBatch({ valueSize: 300 }));
    const r = log.append(records, batches, 0);
    expect(r.error).toBe('RECORD_BATCH_TOO_LARGE');
    expect(log.logEndOffset).toBe(0);
    await log.close();
  });
});

describe('PartitionLog timestamps', () => {
  it('finds offsets by timestamp via the time index and reports the max timestamp', async () => {
    const log = await openLog(tmp.path);
    const ts: number[] = [];
    for (let i = 0; i < 120; i++) {
      // Non-monotonic timestamps: a dip every 10 batches.
      const t = 100_000 + i * 10 - (i % 10 === 5 ? 500 : 0);
      ts.push(t);
      await appendOne(log, { timestamp: t, count: 1 });
    }
    expect(log.segmentInfos().length).toBeGreaterThan(2);
    for (const target of [0, 100_000, 100_001, 100_555, 100_600, 101_000, 101_190]) {
      const expected = ts.findIndex((t) => t >= target);
      const r = await log.offsetForTimestamp(target);
      expect(r).toEqual({ offset: expected, timestamp: ts[expected] });
    }
    expect(await log.offsetForTimestamp(101_191)).toBeNull();
    expect(log.maxTimestampAndOffset()).toEqual({ timestamp: 101_190, offset: 119 });
    await log.close();
  });
});

describe('PartitionLog retention and DeleteRecords', () => {
  it('deletes segments by retention.ms, rolling an entirely expired active segment', async () => {
    const log = await openLog(tmp.path, { ...SMALL, retentionMs: 1000 });
    for (let i = 0; i < 100; i++) await appendOne(log, { valueSize: 100, timestamp: 10_000 + i * 100 });
    const before = log.segmentInfos();
    expect(before.length).toBeGreaterThan(2);
    // now such that only segments whose max timestamp < now-1000 expire: the first two.
    const cutoff = before[1]!.maxTimestamp;
    const res = await log.enforceRetention(cutoff + 1001);
    expect(res.deletedSegments).toBe(2);
    expect(log.logStartOffset).toBe(before[2]!.baseOffset);
    expect((await log.read(0, 1000, log.highWatermark, true)).error).toBe('OFFSET_OUT_OF_RANGE');
    // Everything expired: the active segment goes too, after rolling an empty one.
    const all = await log.enforceRetention(1e13);
    expect(all.deletedSegments).toBe(before.length - 2);
    expect(log.segmentInfos().length).toBe(1);
    expect(log.logStartOffset).toBe(log.logEndOffset);
    expect(log.logEndOffset).toBe(100);
    const r = await appendOne(log);
    expect(r.baseOffset).toBe(100);
    await new Promise((r) => setTimeout(r, 20)); // fileDeleteDelayMs = 0
    const logs = (await readdir(tmp.path)).filter((f) => f.endsWith('.log') || f.endsWith('.deleted'));
    expect(logs).toEqual(['00000000000000000100.log']);
    await log.close();
  });

  it('deletes the oldest segments by retention.bytes but never the active one', async () => {
    const log = await openLog(tmp.path, { ...SMALL, retentionBytes: 5000 });
    for (let i = 0; i < 60; i++) await appendOne(log, { valueSize: 100 });
    const res = await log.enforceRetention(Date.now());
    expect(res.deletedSegments).toBeGreaterThan(0);
    // Kafka semantics: whole segments go only while at least retention.bytes remain.
    expect(log.size()).toBeGreaterThanOrEqual(5000);
    expect(log.size() - log.segmentInfos()[0]!.size).toBeLessThan(5000);
    expect(log.logStartOffset).toBe(log.segmentInfos()[0]!.baseOffset);
    const tiny = await openLog((await tempDir()).path, { ...SMALL, retentionBytes: 0 });
    await appendOne(tiny);
    await tiny.enforceRetention(Date.now());
    expect(tiny.segmentInfos().length).toBe(1);
    await tiny.close();
    await log.close();
  });

  it('DeleteRecords moves the log start and drops whole segments below it', async () => {
    const log = await openLog(tmp.path);
    for (let i = 0; i < 100; i++) await appendOne(log, { valueSize: 100 });
    const segs = log.segmentInfos();
    const mid = segs[2]!.baseOffset + 1;
    expect(await log.deleteRecordsBefore(mid)).toBe(mid);
    expect(log.segmentInfos()[0]!.baseOffset).toBe(segs[2]!.baseOffset);
    expect((await log.read(mid - 1, 1000, 100, true)).error).toBe('OFFSET_OUT_OF_RANGE');
    const r = await log.read(mid, 1000, 100, true);
    expect(parseBatches(r.records)[0]!.baseOffset).toBe(mid);
    await expect(log.deleteRecordsBefore(101)).rejects.toThrow(/high watermark/);
    expect(await log.deleteRecordsBefore(-1)).toBe(100);
    expect((await log.read(100, 1000, 100, true)).records.length).toBe(0);
    expect(log.segmentInfos().length).toBe(1); // the active segment stays (Kafka)
    await log.close();
  });
});

describe('PartitionLog.appendAsFollower', () => {
  it('copies the leader bytes, offsets and epochs unchanged and rejects going backwards', async () => {
    const leader = await openLog(tmp.path);
    for (let i = 0; i < 30; i++) await appendOne(leader, { count: 2, valueSize: 50 }, i < 10 ? 1 : 4);
    const data = (await leader.read(0, 1 << 20, leader.highWatermark, true)).records;
    const followerDir = await tempDir();
    const follower = await openLog(followerDir.path, SMALL, { autoAdvanceHighWatermark: false });
    const { batches } = produceRequest(data);
    const r = follower.appendAsFollower(data, batches);
    await r.written;
    expect(r.baseOffset).toBe(0);
    expect(follower.logEndOffset).toBe(data.length ? parseBatches(data).at(-1)!.baseOffset + 2 : 0);
    expect(follower.highWatermark).toBe(0); // replication sets it
    follower.setHighWatermark(follower.logEndOffset);
    expect((await follower.read(0, 1 << 20, follower.highWatermark, true)).records).toEqual(
      (await leader.read(0, 1 << 20, follower.highWatermark, true)).records,
    );
    expect(follower.epochEntries()).toEqual(leader.epochEntries());
    const again = follower.appendAsFollower(data, batches);
    expect(again.error).toBe('OFFSET_OUT_OF_ORDER');
    await follower.close();
    await leader.close();
    await followerDir.cleanup();
  });
});
