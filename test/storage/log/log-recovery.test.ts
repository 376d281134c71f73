import { appendFile, readdir, readFile, stat, truncate, unlink, writeFile, open } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseBatches } from '../helpers/batches.js';
import { appendOne, openLog, SMALL, tempDir } from '../helpers/temp-log.js';
import type { PartitionLog } from '../../../storage/log/partition-log.js';

let tmp: { path: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  tmp = await tempDir();
});
afterEach(async () => {
  await tmp.cleanup();
});

async function readAll(log: PartitionLog): Promise<number[]> {
  const out: number[] = [];
  let next = log.logStartOffset;
  while (next < log.highWatermark) {
    const r = await log.read(next, 1 << 20, log.highWatermark, true);
    const got = parseBatches(r.records);
    if (got.length === 0) break;
    for (const b of got) {
      out.push(b.baseOffset);
      next = b.baseOffset + b.lastOffsetDelta + 1;
    }
  }
  return out;
}

async function fill(log: PartitionLog, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await appendOne(log, { count: 2, valueSize: 60, timestamp: 50_000 + i, fill: i });
}

const activeLogPath = (log: PartitionLog) => log.segmentInfos().at(-1)!.path;

describe('clean restart', () => {
  it('reopens with the same state, trusting (not rewriting) the indexes', async () => {
    const log = await openLog(tmp.path);
    await fill(log, 80);
    const before = { infos: log.segmentInfos(), leo: log.logEndOffset, max: log.maxTimestampAndOffset(), all: await readAll(log) };
    await log.close();
    const indexFiles = (await readdir(tmp.path)).filter((f) => f.endsWith('index')).sort();
    const contents = await Promise.all(indexFiles.map((f) => readFile(join(tmp.path, f))));
    const mtimes = await Promise.all(indexFiles.map(async (f) => (await stat(join(tmp.path, f))).mtimeMs));
    // Trimmed: exactly whole entries.
    for (const f of indexFiles) expect((await stat(join(tmp.path, f))).size % (f.endsWith('.timeindex') ? 12 : 8)).toBe(0);

    const again = await openLog(tmp.path);
    expect(again.logEndOffset).toBe(before.leo);
    expect(again.highWatermark).toBe(before.leo);
    expect(again.segmentInfos().map((s) => [s.baseOffset, s.nextOffset, s.size, s.maxTimestamp])).toEqual(
      before.infos.map((s) => [s.baseOffset, s.nextOffset, s.size, s.maxTimestamp]),
    );
    expect(again.maxTimestampAndOffset()).toEqual(before.max);
    expect(await readAll(again)).toEqual(before.all);
    for (let i = 0; i < indexFiles.length; i++) {
      expect(await readFile(join(tmp.path, indexFiles[i]!))).toEqual(contents[i]);
      expect((await stat(join(tmp.path, indexFiles[i]!))).mtimeMs).toBe(mtimes[i]);
    }
    const r = await appendOne(again);
    expect(r.baseOffset).toBe(before.leo);
    await again.close();
  });

  it('rebuilds a corrupt or missing index file from the log', async () => {
    const log = await openLog(tmp.path);
    await fill(log, 80);
    const infos = log.segmentInfos();
    const all = await readAll(log);
    await log.close();
    const goodIndex = await readFile(infos[1]!.indexPath);
    expect(goodIndex.length).toBeGreaterThan(8);
    // Plausible-looking but wrong entries: positions in the middle of batches.
    const bad = Buffer.from(goodIndex);
    for (let i = 0; i < bad.length; i += 8) bad.writeInt32BE(bad.readInt32BE(i + 4) + 7, i + 4);
    await writeFile(infos[1]!.indexPath, bad);
    await writeFile(infos[2]!.indexPath, Buffer.alloc(13, 0xff)); // not whole entries
    await unlink(infos[3]!.timeIndexPath);
    await writeFile(infos.at(-1)!.indexPath, Buffer.from('garbage!'));

    const again = await openLog(tmp.path);
    expect(again.logEndOffset).toBe(infos.at(-1)!.nextOffset);
    expect(await readAll(again)).toEqual(all);
    // Random lookups land on the right batch.
    for (let k = 0; k < 50; k++) {
      const off = Math.floor(Math.random() * again.logEndOffset);
      const b = parseBatches((await again.read(off, 1, again.highWatermark, true)).records)[0]!;
      expect(b.baseOffset <= off && off <= b.baseOffset + b.lastOffsetDelta).toBe(true);
    }
    // batch i covers timestamps 50_000+i .. 50_000+i+1 and offsets 2i, 2i+1
    expect(await again.offsetForTimestamp(50_040)).toEqual({ offset: 78, timestamp: 50_040 });
    await again.close();
    expect(await readFile(infos[1]!.indexPath)).toEqual(goodIndex);
    expect((await readFile(infos[2]!.indexPath)).length % 8).toBe(0);
    expect((await stat(infos[3]!.timeIndexPath)).size % 12).toBe(0);
  });
});

describe('crash recovery', () => {
  it('truncates a garbage tail of the active segment and continues at the right offset', async () => {
    const log = await openLog(tmp.path);
    await fill(log, 50);
    const leo = log.logEndOffset;
    const all = await readAll(log);
    // No close (kill -9): garbage appended to the active segment.
    await appendFile(activeLogPath(log), Buffer.from('this is not a record batch, just junk bytes'));
    const again = await openLog(tmp.path, SMALL, { hadCleanShutdown: false, recoveryPoint: 0 });
    expect(again.logEndOffset).toBe(leo);
    expect(await readAll(again)).toEqual(all);
    expect((await appendOne(again)).baseOffset).toBe(leo);
    expect((await readAll(again)).at(-1)).toBe(leo);
    await again.close();
  });

  it('drops a torn (half-written) last batch', async () => {
    const log = await openLog(tmp.path);
    await fill(log, 30);
    const path = activeLogPath(log);
    const size = (await stat(path)).size;
    const leo = log.logEndOffset;
    await appendOne(log, { count: 2, valueSize: 60 });
    await truncate(path, size + 40); // the last batch only partly reached the disk
    const again = await openLog(tmp.path, SMALL, { hadCleanShutdown: false });
    expect(again.logEndOffset).toBe(leo);
    expect((await stat(path)).size).toBe(size);
    expect((await appendOne(again)).baseOffset).toBe(leo);
    await again.close();
  });

  it('cuts at a CRC mismatch and deletes every later segment', async () => {
    const log = await openLog(tmp.path);
    await fill(log, 120);
    // The "crashed" instance stays alive in this process: let its background roll flushes (index
    // files of rolled segments) finish, or they would write into the dir the next instance owns.
    await log.flush();
    const infos = log.segmentInfos();
    expect(infos.length).toBeGreaterThan(4);
    const victim = infos[2]!;
    // Flip a byte inside the records of the 3rd batch of segment 2.
    const b = parseBatches(await readFile(victim.path));
    const pos = b[0]!.size + b[1]!.size + 70;
    const fh = await open(victim.path, 'r+');
    const one = Buffer.alloc(1);
    await fh.read(one, 0, 1, pos);
    one[0] ^= 0xff;
    await fh.write(one, 0, 1, pos);
    await fh.close();
    const again = await openLog(tmp.path, SMALL, { hadCleanShutdown: false, recoveryPoint: infos[1]!.baseOffset + 1 });
    expect(again.logEndOffset).toBe(b[2]!.baseOffset);
    expect(again.segmentInfos().map((s) => s.baseOffset)).toEqual(infos.slice(0, 3).map((s) => s.baseOffset));
    const remaining = (await readdir(tmp.path)).filter((f) => f.endsWith('.log'));
    expect(remaining.length).toBe(3);
    expect((await readAll(again)).at(-1)).toBe(b[1]!.baseOffset);
    expect((await appendOne(again)).baseOffset).toBe(b[2]!.baseOffset);
    await again.close();
  });

  it('trusts segments below the recovery point and re-validates the rest', async () => {
    const log = await openLog(tmp.path);
    await fill(log, 60);
    await log.flush();
    expect(log.recoveryPoint).toBe(log.logEndOffset);
    const rp = log.recoveryPoint;
    await fill(log, 5);
    const all = await readAll(log);
    const again = await openLog(tmp.path, SMALL, { hadCleanShutdown: false, recoveryPoint: rp });
    expect(again.logEndOffset).toBe(log.logEndOffset);
    expect(again.recoveryPoint).toBe(rp);
    expect(await readAll(again)).toEqual(all);
    await again.close();
  });

  it('recovers leader epochs from batch headers', async () => {
    const log = await openLog(tmp.path);
    await appendOne(log, {}, 0);
    await appendOne(log, {}, 0);
    await appendOne(log, {}, 2);
    await appendOne(log, {}, 5);
    await appendOne(log, {}, 5);
    expect(log.epochEntries()).toEqual([
      { epoch: 0, startOffset: 0 },
      { epoch: 2, startOffset: 2 },
      { epoch: 5, startOffset: 3 },
    ]);
    expect(log.endOffsetForEpoch(2)).toEqual({ epoch: 2, endOffset: 3 });
    expect(log.endOffsetForEpoch(1)).toEqual({ epoch: 0, endOffset: 2 });
    expect(log.endOffsetForEpoch(5)).toEqual({ epoch: 5, endOffset: 5 });
    expect(log.endOffsetForEpoch(6)).toEqual({ epoch: -1, endOffset: -1 });
    await log.flush();
    // Lose the checkpoint file (crash before it was written): recovery re-derives it.
    await unlink(join(tmp.path, 'leader-epoch-checkpoint')).catch(() => {});
    const again = await openLog(tmp.path, SMALL, { hadCleanShutdown: false });
    expect(again.epochEntries()).toEqual(log.epochEntries());
    await again.truncateTo(3);
    expect(again.logEndOffset).toBe(3);
    expect(again.latestEpoch()).toBe(2);
    await again.close();
    const third = await openLog(tmp.path);
    expect(third.epochEntries()).toEqual([
      { epoch: 0, startOffset: 0 },
      { epoch: 2, startOffset: 2 },
    ]);
    await third.close();
  });
});

describe('truncateTo', () => {
  it('removes batches at and above the offset across segments and appends continue there', async () => {
    const log = await openLog(tmp.path);
    await fill(log, 80);
    const infos = log.segmentInfos();
    const target = infos[2]!.baseOffset + 4; // a batch boundary (2 records per batch)
    await log.truncateTo(target);
    expect(log.logEndOffset).toBe(target);
    expect(log.highWatermark).toBe(target);
    expect(log.segmentInfos().map((s) => s.baseOffset)).toEqual(infos.slice(0, 3).map((s) => s.baseOffset));
    expect((await readAll(log)).at(-1)).toBe(target - 2);
    expect((await appendOne(log)).baseOffset).toBe(target);
    await log.close();
    const again = await openLog(tmp.path);
    expect(again.logEndOffset).toBe(target + 1);
    await again.truncateTo(0);
    expect(again.logEndOffset).toBe(0);
    expect((await appendOne(again)).baseOffset).toBe(0);
    await again.close();
  });
});

describe('large batches', () => {
  it('recovers segments holding batches bigger than the scan chunk', async () => {
    const cfg = { ...SMALL, segmentBytes: 8 << 20 };
    const log = await openLog(tmp.path, cfg);
    await appendOne(log, { valueSize: 300_000 });
    await appendOne(log, { valueSize: 1_500_000 }); // > 1 MiB scan chunk
    await appendOne(log, { valueSize: 700_000 }); // straddles a chunk boundary
    await appendOne(log, { count: 3 });
    const leo = log.logEndOffset;
    await appendFile(activeLogPath(log), Buffer.alloc(5000, 0)); // zero-filled tail, as after a power cut
    const again = await openLog(tmp.path, cfg, { hadCleanShutdown: false });
    expect(again.logEndOffset).toBe(leo);
    const got = parseBatches((await again.read(1, 100, leo, true)).records);
    expect(got.length).toBe(1);
    expect(got[0]!.size).toBeGreaterThan(1_500_000);
    expect(parseBatches((await again.read(0, 3_000_000, leo, false)).records).map((b) => b.baseOffset)).toEqual([0, 1, 2, 3]);
    expect(parseBatches((await again.read(0, 2_000_000, leo, false)).records).map((b) => b.baseOffset)).toEqual([0, 1]);
    await again.close();
  });
});
