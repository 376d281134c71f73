// Segment files damaged while the broker was cleanly stopped (issue 10, items 3 and 4): startup
// notices a segment whose size disagrees with its indexes and the recovery-point checkpoint,
// validates it batch by batch, cuts the torn tail with a warning, and never hands out an offset
// below the recovery point again; reads that meet damage answer CORRUPT_MESSAGE (logged once), and
// `log check --repair` (checkLogDir) cuts the partition at the first bad batch.
import { open, readdir, stat, truncate, unlink, appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkLogDir } from '../../../storage/log/log-check.js';
import { logConfig } from '../../../storage/log/log-config.js';
import { LogManager } from '../../../storage/log/log-manager.js';
import type { PartitionLog } from '../../../storage/log/partition-log.js';
import { buildTestBatch, parseBatches, produceRequest } from '../helpers/batches.js';
import { tempDir } from '../helpers/temp-log.js';

type Line = { level: 'info' | 'warn' | 'error'; msg: string; fields: Record<string, unknown> };

let dir: { path: string; cleanup: () => Promise<void> };
let lines: Line[];
let manager: LogManager | null;
const CFG = logConfig({ segmentBytes: 1 << 20, indexIntervalBytes: 512, retentionMs: -1, fileDeleteDelayMs: 0 });
const SEGMENT = () => join(dir.path, 't-0', '00000000000000000000.log');

beforeEach(async () => {
  dir = await tempDir();
  lines = [];
  manager = null;
});
afterEach(async () => {
  await manager?.shutdown();
  await dir.cleanup();
});

function startManager(validateAllOnStart = false): Promise<LogManager> {
  const log = (level: Line['level']) => (msg: string, fields?: object) => void lines.push({ level, msg, fields: (fields ?? {}) as Record<string, unknown> });
  const m = new LogManager({
    logDirs: [dir.path],
    defaultConfig: CFG,
    retentionCheckIntervalMs: 3_600_000,
    validateAllOnStart,
    logger: { info: log('info'), warn: log('warn'), error: log('error') },
  });
  manager = m;
  return m.startup().then(() => m);
}

/** A log with `n` single-record batches (fill byte = offset), cleanly shut down. Returns the log end. */
async function writeAndStop(n: number, extraSegments = false): Promise<number> {
  const m = await startManager();
  const log = await m.createLog('t', 0, 'AAAAAAAAAAAAAAAAAAAAAA', CFG);
  for (let i = 0; i < n; i++) {
    if (extraSegments && i === n / 2) log.roll();
    const { records, batches } = produceRequest(buildTestBatch({ valueSize: 40, fill: i & 0xff, timestamp: 1_000 + i }));
    await log.append(records, batches, 0).written;
  }
  const end = log.logEndOffset;
  await m.shutdown();
  manager = null;
  return end;
}

async function reopen(validateAll = false): Promise<PartitionLog> {
  const m = await startManager(validateAll);
  return m.getLog('t', 0)!;
}

async function readAll(log: PartitionLog, from = 0): Promise<{ offsets: number[]; fills: number[]; error?: string }> {
  const offsets: number[] = [];
  const fills: number[] = [];
  let offset = from;
  for (let i = 0; i < 1000 && offset < log.highWatermark; i++) {
    const r = await log.read(offset, 1 << 20, log.highWatermark, true);
    if (r.error) return { offsets, fills, error: r.error };
    if (r.records.length === 0) break;
    for (const b of parseBatches(r.records)) {
      offsets.push(b.baseOffset);
      fills.push(r.records[b.position + b.size - 2]!); // last value byte (headers count follows)
      offset = b.baseOffset + b.lastOffsetDelta + 1;
    }
  }
  return { offsets, fills };
}

async function appendOne(log: PartitionLog): Promise<number> {
  const { records, batches } = produceRequest(buildTestBatch({ valueSize: 40, fill: 0xee, timestamp: 10_000 }));
  const r = log.append(records, batches, 0);
  await r.written;
  return r.baseOffset;
}

/** Positions where each batch starts in the segment file. */
async function batchStarts(path: string): Promise<number[]> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const buf = Buffer.alloc(size);
    await fh.read(buf, 0, size, 0);
    return parseBatches(buf).map((b) => b.position);
  } finally {
    await fh.close();
  }
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
const warnings = () => lines.filter((l) => l.level === 'warn' && l.msg.startsWith('recovered log segment'));
const lostOffsets = () => lines.filter((l) => l.level === 'error' && l.msg.startsWith('log damage lost offsets'));

describe('segment shorter or longer than its indexes and checkpoint say (clean shutdown)', () => {
  it('truncated to 30% + 7 bytes: warns with the bytes cut, serves the survivors, never reuses an offset', async () => {
    const end = await writeAndStop(60);
    const size = (await stat(SEGMENT())).size;
    const cut = Math.floor(size * 0.3) + 7;
    await truncate(SEGMENT(), cut);
    const starts = await batchStarts(SEGMENT()).catch(() => null);
    expect(starts).toBeNull(); // the cut is inside a batch

    const log = await reopen();
    const w = warnings();
    expect(w).toHaveLength(1);
    const survivors = (await readAll(log)).offsets;
    const keptBytes = w[0]!.fields.validBytes as number;
    expect(w[0]!.fields.truncatedBytes).toBe(cut - keptBytes);
    expect(w[0]!.fields.truncatedBytes).toBeGreaterThan(0);
    expect(survivors.length).toBeGreaterThan(10);
    expect(survivors).toEqual(range(0, survivors.length));
    expect((await readAll(log)).fills).toEqual(survivors.map((o) => o & 0xff));
    expect(lostOffsets()).toHaveLength(1);
    expect(lostOffsets()[0]!.fields).toMatchObject({ lostFromOffset: survivors.length, lostToOffset: end - 1 });
    expect(log.logEndOffset).toBe(end);
    expect(await appendOne(log)).toBe(end);
    // The gap is skipped by reads, like compacted-away offsets.
    expect((await readAll(log, survivors.length)).offsets).toEqual([end]);
    expect((await stat(SEGMENT())).size).toBe(keptBytes);

    // Another restart keeps everything as it is now: no second recovery, no reuse.
    await manager!.shutdown();
    lines = [];
    const again = await reopen();
    expect(warnings()).toHaveLength(0);
    expect(again.logEndOffset).toBe(end + 1);
    expect((await readAll(again)).offsets).toEqual([...survivors, end]);

    // The offline check sees no damage now, and names the lost range as a gap.
    await manager!.shutdown();
    manager = null;
    const check = (await checkLogDir(dir.path, { repair: false })).partitions[0]!;
    expect(check.damage).toBeNull();
    expect(check.gaps).toEqual([{ segment: SEGMENT(), endOffset: survivors.length, nextBaseOffset: end }]);
  });

  it('truncated exactly at a batch boundary: detected through the checkpoint, offsets not reused', async () => {
    const end = await writeAndStop(60);
    const starts = await batchStarts(SEGMENT());
    await truncate(SEGMENT(), starts[45]!);
    const log = await reopen();
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]!.fields.why).toMatch(/recovery-point checkpoint|index/);
    expect(lostOffsets()[0]!.fields).toMatchObject({ lostFromOffset: 45, lostToOffset: end - 1 });
    expect((await readAll(log)).offsets).toEqual(range(0, 45));
    expect(await appendOne(log)).toBe(end);
  });

  it("truncated inside the first batch's header: nothing survives, the log continues at the old end", async () => {
    const end = await writeAndStop(20);
    await truncate(SEGMENT(), 30);
    const log = await reopen();
    expect(warnings()[0]!.fields).toMatchObject({ truncatedBytes: 30, validBytes: 0 });
    expect(lostOffsets()[0]!.fields).toMatchObject({ lostFromOffset: 0, lostToOffset: end - 1 });
    expect(log.logStartOffset).toBe(end);
    expect(log.highWatermark).toBe(end);
    expect(await appendOne(log)).toBe(end);
    expect((await readAll(log, end)).offsets).toEqual([end]);
  });

  it('garbage appended after the last batch: cut with a warning naming the bytes, nothing lost', async () => {
    const end = await writeAndStop(20);
    const before = (await stat(SEGMENT())).size;
    await appendFile(SEGMENT(), Buffer.alloc(100, 0x5a));
    const log = await reopen();
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]!.fields).toMatchObject({ truncatedBytes: 100, validBytes: before });
    expect(lostOffsets()).toHaveLength(0);
    expect((await readAll(log)).offsets).toEqual(range(0, end));
    expect(await appendOne(log)).toBe(end);
  });

  it('a lost index file (active or rolled segment): the segment is validated and re-indexed', async () => {
    const end = await writeAndStop(40, true);
    const names = (await readdir(join(dir.path, 't-0'))).filter((n) => n.endsWith('.index')).sort();
    expect(names).toHaveLength(2);
    for (const n of names) await unlink(join(dir.path, 't-0', n));
    const log = await reopen();
    expect(warnings().map((w) => w.fields.why)).toEqual(['index file missing', 'index file missing']);
    expect(lostOffsets()).toHaveLength(0);
    expect((await readAll(log)).offsets).toEqual(range(0, end));
    expect((await readdir(join(dir.path, 't-0'))).filter((n) => n.endsWith('.index'))).toHaveLength(2);
    expect(await appendOne(log)).toBe(end);
  });
});

describe('corruption in the middle of a segment', () => {
  async function overwriteMiddle(path: string): Promise<number> {
    const size = (await stat(path)).size;
    const at = Math.floor(size / 2);
    const fh = await open(path, 'r+');
    try {
      await fh.write(Buffer.alloc(64, 0x7b), 0, 64, at);
    } finally {
      await fh.close();
    }
    return at;
  }

  it('reads stop at the damage with CORRUPT_MESSAGE (logged once, with the offset); repair cuts there without reusing offsets', async () => {
    const end = await writeAndStop(60);
    const starts = await batchStarts(SEGMENT());
    const at = await overwriteMiddle(SEGMENT());
    const firstBad = starts.findIndex((p, i) => (starts[i + 1] ?? Infinity) > at); // batch holding byte `at`
    const log = await reopen();
    expect(log.highWatermark).toBe(end);

    const r = await readAll(log);
    expect(r.error).toBe('CORRUPT_MESSAGE');
    expect(r.offsets.length).toBeGreaterThan(0);
    expect(r.offsets).toEqual(range(0, r.offsets.length));
    expect(r.offsets.length).toBeLessThanOrEqual(firstBad + 1);
    // A consumer retrying at the damage gets the error again, but it is logged once.
    const stuckAt = r.offsets.length;
    expect((await log.read(stuckAt, 1 << 20, log.highWatermark, true)).error).toBe('CORRUPT_MESSAGE');
    const logged = lines.filter((l) => l.level === 'error' && l.msg.startsWith('corrupt batch'));
    expect(logged).toHaveLength(1);
    expect(logged[0]!.fields).toMatchObject({ topic: 't', partition: 0, segment: SEGMENT(), offset: stuckAt });
    // Writes still work (the damage does not take the partition offline).
    expect(await appendOne(log)).toBe(end);
    await manager!.shutdown();
    manager = null;

    const check = await checkLogDir(dir.path, { repair: false });
    const p = check.partitions[0]!;
    expect(p.damage).toMatchObject({ segment: SEGMENT(), offset: p.validEndOffset });
    expect(p.validEndOffset).toBeLessThanOrEqual(stuckAt);
    expect(p.previousEndOffset).toBe(end + 1);

    const repaired = await checkLogDir(dir.path, { repair: true });
    expect(repaired.partitions[0]!.repair).toMatchObject({ resumeOffset: end + 1 });
    expect((await checkLogDir(dir.path, { repair: false })).partitions[0]!.damage).toBeNull();

    lines = [];
    const after = await reopen();
    expect(warnings()).toHaveLength(0);
    const good = await readAll(after);
    expect(good.error).toBeUndefined();
    expect(good.offsets).toEqual(range(0, p.validEndOffset));
    expect(good.fills).toEqual(good.offsets.map((o) => o & 0xff));
    expect(await appendOne(after)).toBe(end + 1);
  });

  it('damage in a rolled segment is reported, not skipped; later segments stay readable', async () => {
    const end = await writeAndStop(60, true);
    await overwriteMiddle(SEGMENT());
    const log = await reopen();
    const r = await readAll(log);
    expect(r.error).toBe('CORRUPT_MESSAGE');
    expect(r.offsets.length).toBeGreaterThan(0);
    expect(r.offsets.length).toBeLessThan(30);
    expect((await log.read(r.offsets.length, 1 << 20, log.highWatermark, true)).error).toBe('CORRUPT_MESSAGE');
    expect(lines.filter((l) => l.msg.startsWith('corrupt batch'))).toHaveLength(1);
    expect(lines.filter((l) => l.msg.startsWith('bad index lookup'))).toHaveLength(0);
    expect((await readAll(log, 30)).offsets).toEqual(range(30, end));
  });

  it('tributary.log.recover.on.start validates every batch at startup and cuts at the damage, without reusing offsets', async () => {
    const end = await writeAndStop(60, true);
    const seg2 = join(dir.path, 't-0', '00000000000000000030.log');
    const at = await overwriteMiddle(SEGMENT());
    // A clean start does not read that far: only a fetch would meet the damage.
    await reopen();
    expect(warnings()).toHaveLength(0);
    await manager!.shutdown();
    manager = null;

    const log = await reopen(true);
    const w = warnings();
    expect(w).toHaveLength(1);
    expect(w[0]!.fields).toMatchObject({ segment: SEGMENT(), why: 'tributary.log.recover.on.start' });
    expect(w[0]!.fields.validBytes).toBeLessThanOrEqual(at);
    const valid = w[0]!.fields.nextOffset as number;
    expect(lostOffsets()[0]!.fields).toMatchObject({ lostFromOffset: valid, lostToOffset: end - 1 });
    const r = await readAll(log);
    expect(r.error).toBeUndefined();
    expect(r.offsets).toEqual(range(0, valid));
    await expect(stat(seg2)).rejects.toThrow(); // later segments go, as in Kafka's recovery
    expect(await appendOne(log)).toBe(end);
  });
});
