import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ATTR_DELETE_HORIZON, Compression } from '../../../protocol/records/batch-header.js';
import { PartitionLog } from '../../../storage/log/partition-log.js';
import { tempDir } from '../helpers/temp-log.js';
import {
  TestClock,
  cleanerFor,
  expectStrictlyIncreasing,
  latestByKey,
  openCompacted,
  produce,
  readAll,
  readBatches,
  type Rec,
} from './cleaner-helpers.js';

let tmp: { path: string; cleanup: () => Promise<void> };
let logs: PartitionLog[];
beforeEach(async () => {
  tmp = await tempDir('tributary-cleaner-');
  logs = [];
});
afterEach(async () => {
  for (const l of logs) await l.close().catch(() => {});
  await tmp.cleanup();
});

async function open(cfg = {}, name = 'c-0'): Promise<PartitionLog> {
  const log = await openCompacted(join(tmp.path, name), cfg);
  logs.push(log);
  return log;
}

/** `rounds` updates of keys k0..k{keys-1}, `perBatch` records a batch; returns offset -> record. */
async function produceUpdates(log: PartitionLog, keys: number, rounds: number, perBatch = 1, opts = {}): Promise<Map<number, Rec>> {
  const written = new Map<number, Rec>();
  let pending: Rec[] = [];
  const flush = async () => {
    if (pending.length === 0) return;
    const base = await produce(log, pending, opts);
    pending.forEach((r, i) => written.set(base + i, r));
    pending = [];
  };
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < keys; k++) {
      pending.push({ key: `k${k}`, value: `v${round}-k${k}-${'x'.repeat(20)}` });
      if (pending.length >= perBatch) await flush();
    }
  }
  await flush();
  return written;
}

describe('log compaction', () => {
  it('keeps the latest record per key with its original offset, never touching the active segment', async () => {
    const log = await open();
    const written = await produceUpdates(log, 10, 30);
    const before = log.segmentInfos();
    expect(before.length).toBeGreaterThan(5);
    const active = before[before.length - 1]!;
    const lso = log.logStartOffset;
    const leo = log.logEndOffset;

    const clock = new TestClock();
    const cleaner = cleanerFor([log], clock);
    const pass = await cleaner.cleanLog(log);
    expect(pass).not.toBeNull();
    expect(pass!.endOffset).toBe(active.baseOffset);
    expect(pass!.recordsKept).toBeLessThan(pass!.recordsRead);

    const after = log.segmentInfos();
    expect(after[after.length - 1]).toEqual(active); // the active segment is untouched
    expect(after.length).toBeLessThan(before.length); // small cleaned segments were grouped
    expect(log.logStartOffset).toBe(lso);
    expect(log.logEndOffset).toBe(leo);

    const records = await readAll(log);
    expectStrictlyIncreasing(records);
    for (const r of records) expect(r).toMatchObject({ key: written.get(r.offset)!.key, value: written.get(r.offset)!.value });
    // Below the active segment each key appears once, and only if no later record has it.
    const cleaned = records.filter((r) => r.offset < active.baseOffset);
    expect(new Set(cleaned.map((r) => r.key)).size).toBe(cleaned.length);
    const lastOffsetOf = new Map<string, number>();
    for (const [off, r] of written) if (off < active.baseOffset) lastOffsetOf.set(r.key!, off);
    for (const r of cleaned) expect(r.offset).toBe(lastOffsetOf.get(r.key!));
    expect(latestByKey(records)).toEqual(latestByKey([...written.values()]));

    // The checkpoint says how far the log is clean, in Kafka's file format.
    expect(cleaner.checkpointOf(log)).toBe(active.baseOffset);
    expect(await readFile(join(tmp.path, 'cleaner-offset-checkpoint'), 'utf8')).toBe(`0\n1\nc 0 ${active.baseOffset}\n`);
    expect((await readdir(log.dir)).filter((n) => n.endsWith('.cleaned') || n.endsWith('.swap'))).toEqual([]);

    // Reading from an offset that was compacted away returns the next surviving batch.
    const gap = [...written.keys()].find((o) => o < active.baseOffset && !cleaned.some((r) => r.offset === o))!;
    const r = await log.read(gap, 1 << 20, log.highWatermark, true);
    expect(r.records.length).toBeGreaterThan(0);

    // Reopen: indexes of the new segments load and the same records come back.
    await log.close();
    const again = await openCompacted(log.dir);
    logs.push(again);
    expect(await readAll(again)).toEqual(records);
    expect(again.logStartOffset).toBe(lso);
    expect(again.logEndOffset).toBe(leo);
    const cleaner2 = cleanerFor([again], clock);
    await cleaner2.loadCheckpoints();
    expect(cleaner2.checkpointOf(again)).toBe(active.baseOffset);
  });

  it('keeps offsets, compression and producer fields of rewritten batches; drops keyless records', async () => {
    const log = await open({ segmentBytes: 1500 });
    const written = new Map<number, Rec>();
    for (let i = 0; i < 40; i++) {
      const recs: Rec[] = [
        { key: `a${i % 3}`, value: `a-${i}` },
        { key: null, value: `keyless-${i}` },
        { key: `b${i % 5}`, value: `b-${i}` },
      ];
      const codec = [Compression.None, Compression.Gzip, Compression.Snappy, Compression.Lz4, Compression.Zstd][i % 5]!;
      const base = await produce(log, recs, { compression: codec, producerId: 77, producerEpoch: 3, baseSequence: i * 3 });
      recs.forEach((r, j) => written.set(base + j, r));
    }
    const activeBase = log.segmentInfos().at(-1)!.baseOffset;
    await cleanerFor([log], new TestClock()).cleanLog(log);
    const batches = await readBatches(log);
    for (const b of batches) {
      // Every batch keeps its offset range (lastOffsetDelta) and producer fields.
      expect(b.lastOffsetDelta).toBe(2);
      expect(b.producerId).toBe(77);
      expect(b.producerEpoch).toBe(3);
      expect(b.baseSequence).toBe(b.baseOffset);
      const i = b.baseOffset / 3;
      expect(b.compression).toBe([Compression.None, Compression.Gzip, Compression.Snappy, Compression.Lz4, Compression.Zstd][i % 5]);
      for (const r of b.records) expect(r.value!.toString()).toBe(written.get(r.offset)!.value);
      if (b.baseOffset < activeBase) expect(b.records.every((r) => r.key !== null)).toBe(true);
    }
    const records = await readAll(log);
    expectStrictlyIncreasing(records);
    expect(latestByKey(records)).toEqual(latestByKey([...written.values()]));
  });

  it("retains an emptied batch only when it is its producer's last (Kafka's RETAIN_EMPTY)", async () => {
    const log = await open({ segmentBytes: 600 });
    // Producer 5 writes k once early (batch A) and once more (batch B, its last batch);
    // a producer-less writer then overwrites k many times.
    const a = await produce(log, [{ key: 'k', value: 'p5-first' }], { producerId: 5, producerEpoch: 0, baseSequence: 0 });
    const b = await produce(log, [{ key: 'k', value: 'p5-last' }], { producerId: 5, producerEpoch: 0, baseSequence: 1 });
    for (let i = 0; i < 30; i++) await produce(log, [{ key: 'k', value: `plain-${i}-${'y'.repeat(30)}` }]);
    await cleanerFor([log], new TestClock()).cleanLog(log); // records are stamped 1_000_000: producer 5 is active
    const batches = await readBatches(log);
    expect(batches.find((x) => x.baseOffset === a)).toBeUndefined();
    const kept = batches.find((x) => x.baseOffset === b)!;
    expect(kept).toBeDefined();
    expect(kept.records).toEqual([]);
    expect(kept).toMatchObject({ producerId: 5, producerEpoch: 0, baseSequence: 1, lastOffsetDelta: 0 });
  });

  it('tombstones survive until delete.retention.ms after they were first cleaned', async () => {
    const log = await open({ deleteRetentionMs: 5_000 });
    const written = await produceUpdates(log, 8, 10);
    const t1 = await produce(log, [{ key: 'k1', value: null, timestamp: 1_000_123 }]);
    const t2 = await produce(log, [{ key: 'k2', value: null }]);
    log.roll();
    const tail = await produceUpdates(log, 1, 3); // k0 only, in the active segment
    const clock = new TestClock(2_000_000);
    const cleaner = cleanerFor([log], clock);

    await cleaner.cleanLog(log);
    let records = await readAll(log);
    expect(records.filter((r) => r.key === 'k1')).toEqual([{ offset: t1, key: 'k1', value: null, timestamp: 1_000_123 }]);
    expect(records.filter((r) => r.key === 'k2').map((r) => r.offset)).toEqual([t2]);
    // The batch carries its delete horizon (KIP-534): attribute bit 6, baseTimestamp = now + 5000.
    const tomb = (await readBatches(log)).find((b) => b.baseOffset === t1)!;
    expect(tomb.attributes & ATTR_DELETE_HORIZON).toBe(ATTR_DELETE_HORIZON);
    expect(tomb.baseTimestamp).toBe(2_005_000);

    clock.ms = 2_004_999;
    expect(await cleaner.filthiestLog(clock.ms)).toBeNull();
    await cleaner.cleanLog(log);
    expect((await readAll(log)).some((r) => r.key === 'k1')).toBe(true);

    clock.ms = 2_005_000;
    // The passed horizon alone makes the log eligible, without new dirty data.
    expect((await cleaner.filthiestLog(clock.ms))?.log).toBe(log);
    expect(await cleaner.cleanOnce()).not.toBeNull();
    records = await readAll(log);
    expect(records.some((r) => r.key === 'k1' || r.key === 'k2')).toBe(false);
    expectStrictlyIncreasing(records);
    const expected = latestByKey([...written.values(), ...tail.values()]);
    expected.delete('k1');
    expected.delete('k2');
    expect(latestByKey(records)).toEqual(expected);
    expect(await cleaner.filthiestLog(clock.ms)).toBeNull();
  });

  it('does not compact segments holding records newer than min.compaction.lag.ms', async () => {
    const log = await open({ minCompactionLagMs: 10_000 });
    const old = 1_000_000;
    const recent = 1_050_000;
    await produceUpdates(log, 5, 20, 1, { timestamp: old });
    const firstRecent = log.logEndOffset;
    log.roll();
    await produceUpdates(log, 5, 20, 1, { timestamp: recent });
    const segs = log.segmentInfos();
    const clock = new TestClock(recent + 5_000); // `recent` is only 5 s old
    const cleaner = cleanerFor([log], clock);
    const pass = await cleaner.cleanLog(log);
    expect(pass!.endOffset).toBe(firstRecent);
    const records = await readAll(log);
    expect(records.filter((r) => r.offset < firstRecent)).toHaveLength(5);
    expect(records.filter((r) => r.offset >= firstRecent)).toHaveLength(100); // untouched
    expect(log.segmentInfos().filter((s) => s.baseOffset >= firstRecent)).toEqual(segs.filter((s) => s.baseOffset >= firstRecent));

    clock.ms = recent + 10_001;
    const pass2 = await cleaner.cleanLog(log);
    expect(pass2!.endOffset).toBe(log.segmentInfos().at(-1)!.baseOffset);
    expect((await readAll(log)).filter((r) => r.offset < pass2!.endOffset).length).toBe(5);
  });

  it('picks a log only once its dirty ratio exceeds min.cleanable.dirty.ratio (or it is overdue)', async () => {
    const log = await open({ minCleanableDirtyRatio: 0.6, segmentBytes: 1024 });
    const clock = new TestClock();
    const cleaner = cleanerFor([log], clock);
    // 40 distinct keys: cleaning keeps everything, so the clean part stays large.
    for (let i = 0; i < 40; i++) await produce(log, [{ key: `u${i}`, value: 'z'.repeat(40) }]);
    log.roll();
    expect((await cleaner.filthiestLog(clock.ms))!.dirty.ratio).toBe(1);
    await cleaner.cleanOnce();
    const clean = cleaner.checkpointOf(log)!;
    expect(clean).toBe(40);

    // A little dirty data: ratio below 0.6, nothing to do.
    for (let i = 0; i < 10; i++) await produce(log, [{ key: `u${i}`, value: 'w'.repeat(40) }]);
    log.roll();
    const small = (await cleaner.filthiestLog(clock.ms)) ?? null;
    expect(small).toBeNull();
    expect(await cleaner.cleanOnce()).toBeNull();
    expect(cleaner.checkpointOf(log)).toBe(clean);

    // max.compaction.lag.ms makes it due regardless of the ratio once the dirty data is old enough.
    log.updateConfig({ ...log.config, maxCompactionLagMs: 60_000 });
    expect(await cleaner.filthiestLog(clock.ms)).toBeNull();
    clock.ms += 60_000 * 10; // records carry timestamp 1_000_000; now they are overdue
    const due = await cleaner.filthiestLog(clock.ms);
    expect(due?.compactionDelayMs).toBeGreaterThan(0);
    log.updateConfig({ ...log.config, maxCompactionLagMs: Number.MAX_SAFE_INTEGER });

    // More dirty data: ratio above 0.6.
    for (let i = 0; i < 100; i++) await produce(log, [{ key: `u${i % 40}`, value: 'v'.repeat(40) }]);
    log.roll();
    const big = await cleaner.filthiestLog(clock.ms);
    expect(big!.dirty.ratio).toBeGreaterThan(0.6);
    const pass = await cleaner.cleanOnce();
    expect(pass!.firstDirtyOffset).toBe(clean);
    expect(cleaner.checkpointOf(log)).toBe(log.segmentInfos().at(-1)!.baseOffset);
    const records = await readAll(log);
    expect(records).toHaveLength(40);
    expectStrictlyIncreasing(records);
  });

  it("'compact,delete' applies retention and compaction; 'compact' alone skips time retention", async () => {
    const both = await open({ cleanupPolicy: ['compact', 'delete'], retentionMs: 100_000 }, 'both-0');
    const compactOnly = await open({ retentionMs: 100_000 }, 'compact-0');
    for (const log of [both, compactOnly]) {
      await produceUpdates(log, 4, 15, 1, { timestamp: 1_000_000 });
      log.roll();
      await produceUpdates(log, 4, 15, 1, { timestamp: 5_000_000 });
      log.roll();
      await produce(log, [{ key: 'tail', value: 't' }], { timestamp: 5_000_000 });
    }
    const now = 1_000_000 + 200_000;
    const deletedBoth = (await both.enforceRetention(now)).deletedSegments;
    expect(deletedBoth).toBeGreaterThan(0);
    expect(both.logStartOffset).toBe(60);
    expect((await compactOnly.enforceRetention(now)).deletedSegments).toBe(0);
    expect(compactOnly.logStartOffset).toBe(0);

    const clock = new TestClock(now);
    const cleaner = cleanerFor([both, compactOnly], clock);
    await cleaner.cleanLog(both);
    await cleaner.cleanLog(compactOnly);
    const bothRecords = await readAll(both);
    expect(bothRecords.map((r) => r.key)).toEqual(['k0', 'k1', 'k2', 'k3', 'tail']);
    expect(bothRecords[0]!.offset).toBeGreaterThanOrEqual(60);
    expect(both.logStartOffset).toBe(60);
    const onlyRecords = await readAll(compactOnly);
    expect(onlyRecords.map((r) => r.key)).toEqual(['k0', 'k1', 'k2', 'k3', 'tail']);
    expect(compactOnly.logStartOffset).toBe(0);
  });

  it('compacts many tiny batches with tombstones, as the internal topics write them', async () => {
    const log = await open({ segmentBytes: 4096, deleteRetentionMs: 0 });
    const live = new Map<string, string | null>();
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
    for (let i = 0; i < 1500; i++) {
      const key = `group-${rnd(60)}`;
      const value = rnd(6) === 0 ? null : `offset-${i}`;
      await produce(log, [{ key, value }]);
      live.set(key, value);
    }
    const clock = new TestClock();
    const cleaner = cleanerFor([log], clock);
    await cleaner.cleanLog(log); // sets the delete horizons (now + 0)
    clock.ms += 1;
    await cleaner.cleanLog(log); // removes the expired tombstones
    const records = await readAll(log);
    expectStrictlyIncreasing(records);
    const activeBase = log.segmentInfos().at(-1)!.baseOffset;
    const cleaned = records.filter((r) => r.offset < activeBase);
    expect(cleaned.every((r) => r.value !== null)).toBe(true);
    expect(new Set(cleaned.map((r) => r.key)).size).toBe(cleaned.length);
    const expected = new Map([...live].filter(([, v]) => v !== null));
    const got = latestByKey(records);
    for (const [k, v] of [...got]) if (v === null) got.delete(k);
    expect(got).toEqual(expected);
    expect(log.segmentInfos().length).toBeLessThan(10);
  });
});
