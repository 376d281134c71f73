// Reads of older data (issue 14): a segment read goes into a pooled buffer lent to the response,
// and each segment remembers where recent reads ended so that a consumer's next fetch starts at
// its batch instead of at the index entry before it. Both must be invisible to readers: every
// read returns byte for byte what a walk from the offset index returns, across segments, after
// truncation (a follower cutting back) and after the log start moves (retention, DeleteRecords).
import { open } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { framePool, leaseOf, takeLentView } from '../../../protocol/wire/buffer-pool.js';
import type { PartitionLog } from '../../../storage/log/partition-log.js';
import { sharedReadAheadBudget } from '../../../storage/log/read-ahead.js';
import { LEND_MIN_BYTES } from '../../../storage/log/segment-read.js';
import { buildTestBatch, produceRequest } from '../helpers/batches.js';
import { openLog, tempDir } from '../helpers/temp-log.js';
import { rng as prng } from '../../protocol/records/random-data.js';

let dirs: { path: string; cleanup: () => Promise<void> }[] = [];
beforeEach(async () => {
  dirs = [await tempDir(), await tempDir()];
});
afterEach(async () => {
  for (const d of dirs) await d.cleanup();
});

// Segments of ~64 KiB holding batches of 1-12 KiB: every index entry names a whole batch, so a
// walk from the index starts one batch before the fetch offset (what the remembered position saves).
const CFG = { segmentBytes: 64 * 1024, indexIntervalBytes: 1024, fileDeleteDelayMs: 0, retentionMs: -1 };

async function appendBoth(logs: PartitionLog[], rand: () => number, n: number, sizeScale = 1): Promise<void> {
  for (let i = 0; i < n; i++) {
    const opts = { count: 1 + Math.floor(rand() * 6), valueSize: Math.floor((100 + rand() * 2000) * sizeScale), fill: i & 0xff, timestamp: 1000 + i };
    const results = logs.map((log) => {
      const { records, batches } = produceRequest(buildTestBatch(opts));
      return log.append(records, batches, 0);
    });
    await Promise.all(results.map((r) => r.written));
  }
  for (const log of logs) log.setHighWatermark(log.logEndOffset);
}

/** `plain` forgets every remembered position before each read: the walk from the offset index. */
async function readBoth(remembering: PartitionLog, plain: PartitionLog, offset: number, maxBytes: number, bound: number, minOne: boolean) {
  const a = await remembering.read(offset, maxBytes, bound, minOne);
  for (const seg of plain.segmentList()) seg.forgetReadPositions();
  const b = await plain.read(offset, maxBytes, bound, minOne);
  const what = `read(${offset}, ${maxBytes}, ${bound}, ${minOne})`;
  expect({ what, error: a.error, logStart: a.logStartOffset }).toEqual({ what, error: b.error, logStart: b.logStartOffset });
  expect(a.records.equals(b.records), what).toBe(true);
  const n = batchesIn(a.records);
  takeLentView(a.records)?.release();
  takeLentView(b.records)?.release();
  return n;
}

/** Last offset + 1 of the batches in `records` (-1 when empty). */
function batchesIn(records: Buffer): number {
  let pos = 0;
  let next = -1;
  while (pos + 61 <= records.length) {
    const base = Number(records.readBigInt64BE(pos));
    next = base + records.readInt32BE(pos + 23) + 1;
    pos += 12 + records.readInt32BE(pos + 8);
  }
  return next;
}

/** Consumers reading on from where they are (as a fetch session does), plus random jumps. */
async function consumeBoth(remembering: PartitionLog, plain: PartitionLog, rand: () => number, steps: number): Promise<number> {
  const positions = [remembering.logStartOffset, remembering.logStartOffset, remembering.logStartOffset];
  let remembered = 0;
  for (let k = 0; k < steps; k++) {
    const c = Math.floor(rand() * positions.length);
    if (rand() < 0.1) positions[c] = remembering.logStartOffset + Math.floor(rand() * (remembering.logEndOffset - remembering.logStartOffset + 1));
    const offset = Math.max(positions[c]!, remembering.logStartOffset);
    const maxBytes = [500, 4000, 20_000, 70_000][Math.floor(rand() * 4)]!;
    const bound = rand() < 0.2 ? Math.min(remembering.highWatermark, offset + Math.floor(rand() * 10)) : remembering.highWatermark;
    const next = await readBoth(remembering, plain, offset, maxBytes, bound, rand() < 0.8);
    positions[c] = next >= 0 ? next : offset >= remembering.logEndOffset ? remembering.logStartOffset : offset;
    remembered = Math.max(remembered, ...remembering.segmentList().map((s) => s.rememberedReadPositions));
  }
  return remembered;
}

describe('segment reads of older data', () => {
  it('start where the last read ended, and answer exactly as a walk from the index, across segments, truncation and a moved log start', async () => {
    const remembering = await openLog(dirs[0]!.path, CFG, { tailCache: null });
    const plain = await openLog(dirs[1]!.path, CFG, { tailCache: null });
    const rand = prng(14);
    await appendBoth([remembering, plain], rand, 200);
    expect(remembering.segmentInfos().length).toBeGreaterThan(4);
    expect(await consumeBoth(remembering, plain, rand, 400)).toBeGreaterThan(0);

    // A follower cuts back: the remembered positions past the cut are gone with the bytes, and the
    // new batches (other sizes) sit at other positions, so a stale position would misread them.
    // First a consumer reads on from the middle one batch at a time (remembering where each read
    // ended), then the log is cut at the first of those ends and refilled; the later ends are
    // asked for again.
    const ends: number[] = [];
    let at = Math.floor(plain.logEndOffset / 2);
    for (let i = 0; i < 4; i++) ends.push((at = await readBoth(remembering, plain, at, 1, remembering.highWatermark, true)));
    const cut = ends[0]!;
    await remembering.truncateTo(cut);
    await plain.truncateTo(cut);
    await appendBoth([remembering, plain], rand, 120, 0.4);
    for (const offset of ends.slice(1)) await readBoth(remembering, plain, offset, 70_000, remembering.highWatermark, true);
    await consumeBoth(remembering, plain, rand, 300);

    // DeleteRecords / retention move the log start and drop whole segments.
    const start = Math.floor(plain.logEndOffset / 3);
    await remembering.deleteRecordsBefore(start);
    await plain.deleteRecordsBefore(start);
    expect((await remembering.read(start - 1, 1000, remembering.highWatermark, true)).error).toBe('OFFSET_OUT_OF_RANGE');
    await consumeBoth(remembering, plain, rand, 300);
    await remembering.close();
    await plain.close();
  });

  it('reads a consumer reading on once per fetch, even when each batch is larger than the index interval', async () => {
    const log = await openLog(dirs[0]!.path, { ...CFG, segmentBytes: 8 * 1024 * 1024 }, { tailCache: null });
    for (let i = 0; i < 12; i++) {
      const { records, batches } = produceRequest(buildTestBatch({ count: 50, valueSize: 4000, fill: i }));
      await log.append(records, batches, 0).written;
    }
    log.setHighWatermark(log.logEndOffset);
    const fh = await open(dirs[1]!.path + '/probe', 'w');
    const read = vi.spyOn(Object.getPrototypeOf(fh) as { read: (...a: unknown[]) => unknown }, 'read');
    await fh.close();
    const budget = sharedReadAheadBudget(framePool);
    const taken0 = budget.taken;
    try {
      let offset = 0;
      let fetches = 0;
      while (offset < log.logEndOffset) {
        // Kafka's default max.partition.fetch.bytes is 1 MiB; here one ~200 KiB batch per fetch.
        const r = await log.read(offset, 256 * 1024, log.highWatermark, true);
        offset = batchesIn(r.records);
        takeLentView(r.records)?.release();
        fetches++;
      }
      expect(fetches).toBe(12);
      // The first fetch starts at the log start; each later one where the previous one ended.
      // From the third on, the bytes were read ahead while the previous answer was out.
      expect(read.mock.calls.length).toBe(fetches);
      expect(budget.taken - taken0).toBe(fetches - 2);

      // A reader that stops leaves a read-ahead behind; truncation and close give it back.
      await log.read(0, 256 * 1024, log.highWatermark, true).then((r) => takeLentView(r.records)?.release());
      const r1 = await log.read(batchesIn((await log.read(0, 1, log.highWatermark, true)).records), 256 * 1024, log.highWatermark, true);
      takeLentView(r1.records)?.release();
      const seg = log.segmentList()[0]!;
      expect(seg.pendingReadAheads).toBeGreaterThanOrEqual(1); // and a second once the first is read
      expect(budget.usedBytes).toBeGreaterThan(0);
      await log.truncateTo(log.logEndOffset - 1);
      expect(seg.pendingReadAheads).toBe(0);
      expect(budget.usedBytes).toBe(0);
    } finally {
      read.mockRestore();
      await log.close();
    }
  });

  it('reads two ranges ahead of a consumer reading on, so that its fetches find their bytes already read', async () => {
    const log = await openLog(dirs[0]!.path, { ...CFG, segmentBytes: 8 * 1024 * 1024 }, { tailCache: null });
    const plain = await openLog(dirs[1]!.path, { ...CFG, segmentBytes: 8 * 1024 * 1024 }, { tailCache: null });
    for (let i = 0; i < 12; i++) {
      const opts = { count: 10 + i, valueSize: 3000, fill: i }; // ~30-65 KiB batches, a few per fetch
      for (const l of [log, plain]) {
        const { records, batches } = produceRequest(buildTestBatch(opts));
        await l.append(records, batches, 0).written;
      }
    }
    log.setHighWatermark(log.logEndOffset);
    plain.setHighWatermark(plain.logEndOffset);
    const seg = log.segmentList()[0]!;
    const budget = sharedReadAheadBudget(framePool);
    try {
      let offset = await readBoth(log, plain, 0, 100_000, log.highWatermark, true); // from the index
      offset = await readBoth(log, plain, offset, 100_000, log.highWatermark, true); // reading on: two ranges ahead
      await vi.waitFor(() => expect(seg.pendingReadAheads).toBe(2), { timeout: 5000, interval: 2 });
      for (let k = 0; k < 2; k++) {
        const ready = budget.takenReady;
        offset = await readBoth(log, plain, offset, 100_000, log.highWatermark, true);
        expect(budget.takenReady - ready).toBe(1);
        // Taking the first one chained a read of the range after the second.
        await vi.waitFor(() => expect(seg.pendingReadAheads).toBe(2), { timeout: 5000, interval: 2 });
      }
      // A reader with a smaller budget asks for offsets the chained guesses do not name: it is
      // answered from the file, byte for byte as the index walk, and takes nothing stale.
      while (offset >= 0 && offset < log.logEndOffset) offset = await readBoth(log, plain, offset, 20_000, log.highWatermark, true);
      await log.truncateTo(Math.floor(log.logEndOffset / 2));
      expect(seg.pendingReadAheads).toBe(0);
      expect(budget.usedBytes).toBe(0);
    } finally {
      await log.close();
      await plain.close();
    }
  });

  it('reads only one range ahead of a reader less than two ranges from the end (a bound there could cut its range short)', async () => {
    const log = await openLog(dirs[0]!.path, { ...CFG, segmentBytes: 8 * 1024 * 1024 }, { tailCache: null });
    for (let i = 0; i < 8; i++) {
      const { records, batches } = produceRequest(buildTestBatch({ count: 15, valueSize: 3000, fill: i })); // ~45 KiB: two per 100 kB range
      await log.append(records, batches, 0).written;
    }
    log.setHighWatermark(log.logEndOffset);
    const seg = log.segmentList()[0]!;
    try {
      let offset = 0;
      for (let i = 0; i < 2; i++) {
        const r = await log.read(offset, 100_000, log.highWatermark, true);
        offset = batchesIn(r.records);
        takeLentView(r.records)?.release();
      }
      expect(offset).toBeGreaterThan(0);
      // Four of eight batches read: the next range (batches 5-6) is read ahead; the one after it
      // (7-8) is less than a whole range before the end, so it is not guessed.
      await vi.waitFor(() => expect(seg.pendingReadAheadsRead).toBe(1), { timeout: 5000, interval: 2 });
      expect(seg.pendingReadAheads).toBe(1);
    } finally {
      await log.close();
    }
  });

  it('answers large reads with views of pooled buffers that go back to the pool once sent, small ones with copies', async () => {
    const log = await openLog(dirs[0]!.path, { ...CFG, segmentBytes: 8 * 1024 * 1024 }, { tailCache: null });
    for (let i = 0; i < 8; i++) {
      // A small first batch (for the copied answer), then ~30 KiB ones.
      const { records, batches } = produceRequest(buildTestBatch(i === 0 ? { count: 2, valueSize: 100 } : { count: 10, valueSize: 3000, fill: i }));
      await log.append(records, batches, 0).written;
    }
    log.setHighWatermark(log.logEndOffset);

    const big = await log.read(0, 1024 * 1024, log.highWatermark, true);
    expect(big.records.length).toBeGreaterThanOrEqual(LEND_MIN_BYTES);
    const lease = leaseOf(big.records);
    expect(lease).toBeDefined();
    const lent = takeLentView(big.records);
    expect(lent).toBe(lease);
    expect(lease!.references).toBe(1); // only the view's: the read gave its own back
    const reusedBefore = framePool.reused;
    lent!.release(); // what the connection does once the response is written
    const again = await log.read(0, 1024 * 1024, log.highWatermark, true);
    expect(framePool.reused).toBeGreaterThan(reusedBefore);
    expect(again.records.equals(big.records)).toBe(true);
    takeLentView(again.records)?.release();

    const small = await log.read(0, 1000, log.highWatermark, true);
    expect(small.records.length).toBeLessThan(LEND_MIN_BYTES);
    expect(small.records.length).toBeGreaterThan(0);
    expect(leaseOf(small.records)).toBeUndefined();
    expect(takeLentView(small.records)).toBeUndefined();
    await log.close();
  });
});
