// The log manager's start-up load (issue 14, restart with 1,000 partitions): after a clean
// shutdown the loader reads only batch headers after the active segment's last index entry, with
// synchronous calls, and leaves the segment file closed until its first read or append; after an
// unclean shutdown (or a file changed behind the broker's back) recovery still checks and cuts.
import { appendFile, open, readdir, stat, unlink, writeFile } from 'node:fs/promises';
import * as realFs from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

// Counts the bytes the storage code reads with readSync (the start-up path's only reader).
const syncReads = vi.hoisted(() => ({ bytes: 0, calls: 0, opened: [] as string[] }));
vi.mock('node:fs', async (importOriginal) => {
  const orig = await importOriginal<typeof import('node:fs')>();
  const readSync = ((fd: number, buf: NodeJS.ArrayBufferView, offset: number, length: number, position: number) => {
    syncReads.calls++;
    syncReads.bytes += length;
    return orig.readSync(fd, buf, offset, length, position);
  }) as typeof orig.readSync;
  const openSync = ((path: string, ...rest: unknown[]) => {
    syncReads.opened.push(String(path));
    return (orig.openSync as (...a: unknown[]) => number)(path, ...rest);
  }) as typeof orig.openSync;
  return { ...orig, default: { ...orig, readSync, openSync }, readSync, openSync };
});

import { logConfig } from '../../../storage/log/log-config.js';
import { LogManager } from '../../../storage/log/log-manager.js';
import { CLEAN_SHUTDOWN_FILE } from '../../../storage/log/log-files.js';
import { scanFile, scanHeadersSync, HEADER_SCAN_CHUNK_BYTES } from '../../../storage/log/segment-scan.js';
import type { BatchInfo } from '../../../protocol/records/batch-header.js';
import { buildTestBatch, parseBatches } from '../helpers/batches.js';
import { appendOne, tempDir } from '../helpers/temp-log.js';

let tmp: { path: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  tmp = await tempDir('tributary-startup-load-');
});
afterEach(async () => {
  await tmp.cleanup();
});

// One segment per log (1 GiB segments) and the default 4 KiB index interval, like the bench's partitions.
const cfg = logConfig({ indexIntervalBytes: 4096, retentionMs: -1 });
const manager = () => new LogManager({ logDirs: [tmp.path], defaultConfig: cfg, retentionCheckIntervalMs: 3_600_000, cleaner: { enabled: false } });
const BIG = 1024 * 1024;

/** A log whose last index entry points at a 1 MiB batch (the bench's shape), shut down cleanly. */
async function buildCleanLog(): Promise<{ leo: number; size: number; segmentPath: string }> {
  const m = manager();
  await m.startup();
  const log = await m.createLog('t', 0, 'AAAAAAAAAAAAAAAAAAAAAA', cfg);
  for (let i = 0; i < 3; i++) await appendOne(log, { count: 4, valueSize: BIG / 4, timestamp: 1_000 + i });
  const leo = log.logEndOffset;
  const segmentPath = log.segmentInfos().at(-1)!.path;
  await m.shutdown();
  return { leo, size: (await stat(segmentPath)).size, segmentPath };
}

describe('start-up load after a clean shutdown', () => {
  it('reads only batch headers after the last index entry and opens the segment file on first use', async () => {
    const built = await buildCleanLog();
    expect(built.size).toBeGreaterThan(3 * BIG);
    syncReads.bytes = 0;
    syncReads.calls = 0;
    const m = manager();
    await m.startup();
    const log = m.getLog('t', 0)!;
    expect(log.logEndOffset).toBe(built.leo);
    expect(log.maxTimestampAndOffset().timestamp).toBe(1_000 + 2 + 3); // last batch: base ts 1002, 4 records
    // The walk starts at the batch of the last time-index entry (at most the last two 1 MiB
    // batches): one 8 KiB read per header plus 61 bytes of the first batch, never a whole batch
    // (the async scan read each batch after the entry twice: a 1 MiB chunk, then the batch whole).
    expect(syncReads.calls).toBeGreaterThan(0);
    expect(syncReads.bytes).toBeLessThanOrEqual(2 * HEADER_SCAN_CHUNK_BYTES + 61);
    const seg = log.segmentList().at(-1)!;
    expect(seg.fileOpen).toBe(false);
    // First read opens it and returns the right batch.
    const r = await log.read(4, BIG * 2, log.highWatermark, true);
    expect(parseBatches(r.records)[0]!.baseOffset).toBe(4);
    expect(seg.fileOpen).toBe(true);
    await m.shutdown();
  });

  it('appends to a segment whose file was never opened, and the next clean start sees them', async () => {
    const built = await buildCleanLog();
    const m = manager();
    await m.startup();
    const log = m.getLog('t', 0)!;
    expect(log.segmentList().at(-1)!.fileOpen).toBe(false);
    const r = await appendOne(log, { count: 2, valueSize: 100, timestamp: 9_000 });
    expect(r.baseOffset).toBe(built.leo);
    await m.shutdown();
    const again = manager();
    await again.startup();
    const log2 = again.getLog('t', 0)!;
    expect(log2.logEndOffset).toBe(built.leo + 2);
    expect(log2.maxTimestampAndOffset().timestamp).toBe(9_001);
    const back = await log2.read(built.leo, 4096, log2.highWatermark, true);
    expect(parseBatches(back.records).map((b) => b.baseOffset)).toEqual([built.leo]);
    await again.shutdown();
  });

  it('a torn tail appended behind the broker after a clean shutdown is found by the header walk and cut', async () => {
    const built = await buildCleanLog();
    const torn = buildTestBatch({ count: 1, valueSize: 500 }).subarray(0, 300); // header says 561 bytes
    await appendFile(built.segmentPath, torn);
    const m = manager();
    await m.startup();
    expect(m.getLog('t', 0)!.logEndOffset).toBe(built.leo);
    expect((await stat(built.segmentPath)).size).toBe(built.size);
    await m.shutdown();
  });
});

describe('start-up load with rolled segments after a clean shutdown', () => {
  it("reads only each rolled segment's last time-index entry: no index loaded, no segment file opened", async () => {
    const small = logConfig({ segmentBytes: 4096, indexIntervalBytes: 256, retentionMs: -1 });
    const mk = () => new LogManager({ logDirs: [tmp.path], defaultConfig: small, topicConfig: () => small, retentionCheckIntervalMs: 3_600_000, cleaner: { enabled: false } });
    const m = mk();
    await m.startup();
    const log = await m.createLog('t', 0, 'AAAAAAAAAAAAAAAAAAAAAA', small);
    for (let i = 0; i < 120; i++) await appendOne(log, { count: 2, valueSize: 100, timestamp: 10_000 + ((i * 7) % 120) });
    const before = log.segmentInfos().map((s) => [s.baseOffset, s.nextOffset, s.maxTimestamp]);
    expect(before.length).toBeGreaterThan(4);
    await m.shutdown();

    syncReads.opened.length = 0;
    const again = mk();
    await again.startup();
    const loaded = again.getLog('t', 0)!;
    expect(loaded.segmentInfos().map((s) => [s.baseOffset, s.nextOffset, s.maxTimestamp])).toEqual(before);
    const segs = loaded.segmentList();
    for (const seg of segs) expect(seg.fileOpen).toBe(false);
    for (const seg of segs.slice(0, -1)) expect(seg.indexesLoaded).toBe(false);
    // Each rolled segment's time index was opened (its last entry read) synchronously; no offset index was.
    const rolledTimeIndexes = segs.slice(0, -1).map((s) => s.timeIndexPath);
    for (const p of rolledTimeIndexes) expect(syncReads.opened).toContain(p);
    expect(syncReads.opened.filter((p) => segs.slice(0, -1).some((s) => s.indexPath === p || s.logPath === p))).toEqual([]);
    // A read of the oldest segment loads its indexes then.
    const r = await loaded.read(0, 1024, loaded.highWatermark, true);
    expect(parseBatches(r.records)[0]!.baseOffset).toBe(0);
    expect(segs[0]!.indexesLoaded).toBe(true);
    await again.shutdown();
  });
});

describe('start-up load after an unclean shutdown', () => {
  it('still CRC-checks and truncates a torn tail of the active segment', async () => {
    const built = await buildCleanLog();
    await unlink(join(tmp.path, CLEAN_SHUTDOWN_FILE));
    // A whole-looking batch with a bad CRC, then half a batch: recovery cuts both.
    const bad = buildTestBatch({ count: 1, valueSize: 200 });
    bad[bad.length - 1] ^= 0xff;
    await appendFile(built.segmentPath, Buffer.concat([bad, buildTestBatch({ count: 1, valueSize: 200 }).subarray(0, 100)]));
    const m = manager();
    await m.startup();
    const log = m.getLog('t', 0)!;
    expect(log.logEndOffset).toBe(built.leo);
    expect((await stat(built.segmentPath)).size).toBe(built.size);
    const r = await appendOne(log, { count: 1 });
    expect(r.baseOffset).toBe(built.leo);
    await m.shutdown();
  });
});

describe('scanHeadersSync', () => {
  it('visits exactly the batches scanFile (no CRC) visits, and stops with the same error and position', async () => {
    // Batches of mixed sizes around the 8 KiB chunk: small ones straddling chunk ends, big ones spanning chunks.
    const sizes = [100, 70_000, 20, 3000, 8_000, 8_131, 65_500, 10, 200_000, 50, 8_192, 1, 40_000, 7_900, 30];
    const parts: Buffer[] = [];
    let offset = 0;
    for (const valueSize of sizes) {
      const b = buildTestBatch({ count: 1, valueSize, timestamp: 5_000 + offset });
      b.writeBigInt64BE(BigInt(offset), 0);
      parts.push(b);
      offset++;
    }
    const whole = Buffer.concat(parts);
    const endings: [string, Buffer][] = [
      ['clean end', whole],
      ['torn last batch', whole.subarray(0, whole.length - 5)],
      ['torn header', Buffer.concat([whole, parts[0]!.subarray(0, 30)])],
      ['bad magic', Buffer.concat([whole, Buffer.from(parts[0]!).fill(7, 16, 17)])],
    ];
    for (const [name, data] of endings) {
      const path = join(tmp.path, `scan-${name.replace(/ /g, '-')}.log`);
      await writeFile(path, data);
      for (const start of [0, parts[0]!.length + parts[1]!.length]) {
        const fh = await open(path, 'r');
        const viaFile: [number, number][] = [];
        const a = await scanFile(fh, start, data.length, false, (b: BatchInfo, pos: number) => (viaFile.push([b.baseOffset, pos]), true));
        await fh.close();
        const fd = realFs.openSync(path, 'r');
        const viaHeaders: [number, number][] = [];
        const b = scanHeadersSync(fd, start, data.length, (h: BatchInfo, pos: number) => (viaHeaders.push([h.baseOffset, pos]), true));
        realFs.closeSync(fd);
        expect(viaHeaders, `${name} from ${start}`).toEqual(viaFile);
        expect(b, `${name} from ${start}`).toEqual(a);
      }
    }
    expect((await readdir(tmp.path)).length).toBe(4);
  });
});
