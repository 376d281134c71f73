// Reads and appends racing with cleaning, and the LogManager's background cleaner.
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeRecordBatches } from '../../../protocol/records/record-codec.js';
import { logConfig } from '../../../storage/log/log-config.js';
import { LogManager } from '../../../storage/log/log-manager.js';
import type { PartitionLog } from '../../../storage/log/partition-log.js';
import { tempDir } from '../helpers/temp-log.js';
import { COMPACT, TestClock, cleanerFor, expectStrictlyIncreasing, latestByKey, openCompacted, produce, readAll, type Rec } from './cleaner-helpers.js';
import { waitFor } from '../../helpers/wait.js';

let tmp: { path: string; cleanup: () => Promise<void> };
const opened: PartitionLog[] = [];
beforeEach(async () => {
  tmp = await tempDir('tributary-cleaner-conc-');
});
afterEach(async () => {
  for (const l of opened.splice(0)) await l.close().catch(() => {});
  await tmp.cleanup();
});

async function fill(log: PartitionLog, keys: number, rounds: number, written = new Map<number, Rec>()): Promise<Map<number, Rec>> {
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < keys; k++) {
      const rec = { key: `k${k}`, value: `r${round}-k${k}-${'q'.repeat(24)}` };
      written.set(await produce(log, [rec]), rec);
    }
  }
  return written;
}

describe('cleaning concurrently with reads and appends', () => {
  it('reads during cleaning return whole, correct batches (old or new), never errors', async () => {
    const log = await openCompacted(join(tmp.path, 'c-0'), { fileDeleteDelayMs: 0, segmentBytes: 1024 });
    opened.push(log);
    const written = await fill(log, 8, 40);
    const hw = log.highWatermark;
    let done = false;
    let reads = 0;
    const reader = async () => {
      let seed = reads + 1;
      while (!done || reads < 200) {
        seed = (seed * 48271) % 0x7fffffff;
        const offset = seed % hw;
        const r = await log.read(offset, 2048, hw, true);
        expect(r.error).toBeUndefined();
        expect(r.records.length).toBeGreaterThan(0);
        const batches = decodeRecordBatches(r.records);
        expect(batches[0]!.baseOffset + batches[0]!.lastOffsetDelta).toBeGreaterThanOrEqual(offset);
        for (const b of batches) for (const rec of b.records) expect(rec.value!.toString()).toBe(written.get(rec.offset)!.value);
        reads++;
        // Reads served from the tail cache complete without I/O: let the cleaner's I/O run too.
        if (reads % 8 === 0) await new Promise((r) => setImmediate(r));
      }
    };
    const readers = [reader(), reader(), reader()];
    const cleaner = cleanerFor([log], new TestClock());
    // Appends go on meanwhile (to the active segment, which the cleaner leaves alone).
    const appends = fill(log, 8, 3, written);
    const pass = await cleaner.cleanLog(log);
    await appends;
    expect(pass!.recordsKept).toBeLessThan(pass!.recordsRead);
    await new Promise((r) => setTimeout(r, 20)); // let the zero-delay segment deletions run under the readers
    done = true;
    await Promise.all(readers);
    const records = await readAll(log);
    expectStrictlyIncreasing(records);
    expect(latestByKey(records)).toEqual(latestByKey([...written.values()]));
  });

  it('a read holding the old segment list retries when the next segment was swapped out and deleted', async () => {
    const log = await openCompacted(join(tmp.path, 'g-0'), { fileDeleteDelayMs: 0, segmentBytes: 1024 });
    opened.push(log);
    const written = await fill(log, 3, 30);
    const keyless = { key: null, value: 'no key' };
    written.set(await produce(log, [keyless]), keyless);
    log.roll();
    const cleaner = cleanerFor([log], new TestClock());
    await cleaner.cleanLog(log); // one small segment; its last offset (keyless) is gone
    await fill(log, 3, 30, written);
    log.roll();
    await fill(log, 3, 2, written);
    const [gappy, next] = log.segmentList();
    const gapOffset = next!.baseOffset - 1; // compacted away: the read finds nothing in `gappy`
    expect(written.has(gapOffset)).toBe(true);
    let openGate!: () => void;
    const gate = new Promise<void>((r) => (openGate = r));
    const readGappy = gappy!.read.bind(gappy);
    gappy!.read = async (...args) => {
      await gate;
      return readGappy(...args);
    };
    const pending = log.read(gapOffset, 1 << 20, log.highWatermark, true);
    await cleaner.cleanLog(log); // replaces `gappy` and `next`; `next` is deleted at once
    await waitFor(() => next!.destroyed, 'the old segment to be deleted');
    openGate();
    const r = await pending;
    expect(r.error).toBeUndefined();
    const batches = decodeRecordBatches(r.records);
    expect(batches.length).toBeGreaterThan(0);
    for (const b of batches) for (const rec of b.records) expect(rec.value!.toString()).toBe(written.get(rec.offset)!.value);
  });

  it('a pass that loses the race with retention swaps nothing and leaves no files behind', async () => {
    const log = await openCompacted(join(tmp.path, 'r-0'), { cleanupPolicy: ['compact', 'delete'], retentionMs: 1000 });
    opened.push(log);
    const written = await fill(log, 5, 30);
    const replace = log.replaceSegments.bind(log);
    log.replaceSegments = async (old, fresh, files) => {
      await log.enforceRetention(1_000_000 + 10_000); // every rolled segment expires first
      return replace(old, fresh, files);
    };
    const pass = await cleanerFor([log], new TestClock()).cleanLog(log);
    expect(pass).toBeNull();
    const records = await readAll(log);
    expectStrictlyIncreasing(records);
    for (const r of records) expect(r.value).toBe(written.get(r.offset)!.value);
    expect((await readdir(log.dir)).filter((f) => f.endsWith('.cleaned') || f.endsWith('.swap'))).toEqual([]);
  });
});

describe('LogManager background cleaner', () => {
  const cfg = logConfig(COMPACT);

  it('compacts compacted topics in the background, checkpoints, reloads and forgets the checkpoint', async () => {
    const dir = join(tmp.path, 'data');
    const manager = () => new LogManager({ logDirs: [dir], defaultConfig: logConfig(), retentionCheckIntervalMs: 60_000, cleaner: { backoffMs: 10 } });
    const m = await (async () => {
      const x = manager();
      await x.startup();
      return x;
    })();
    const log = await m.createLog('compacted', 0, 'AAAAAAAAAAAAAAAAAAAAAA', cfg);
    const plain = await m.createLog('plain', 0, 'BBBBBBBBBBBBBBBBBBBBBB', logConfig({ ...COMPACT, cleanupPolicy: ['delete'] }));
    const written = await fill(log, 4, 30);
    await fill(plain, 4, 30);
    log.roll();
    const activeBase = log.logEndOffset;
    await waitFor(() => m.cleaner!.checkpointOf(log) === activeBase, 'the background pass');
    const records = await readAll(log);
    expect(records.map((r) => r.offset)).toEqual([...written.keys()].slice(-4));
    expect(latestByKey(records)).toEqual(latestByKey([...written.values()]));
    expect(m.cleaner!.checkpointOf(plain)).toBeUndefined();
    expect((await readAll(plain)).length).toBe(120); // cleanup.policy=delete: never compacted
    await m.shutdown();
    expect(await readFile(join(dir, 'cleaner-offset-checkpoint'), 'utf8')).toBe(`0\n1\ncompacted 0 ${activeBase}\n`);

    const m2 = manager();
    await m2.startup();
    const again = m2.getLog('compacted', 0)!;
    expect(m2.cleaner!.checkpointOf(again)).toBe(activeBase);
    await m2.deleteLog('compacted', 0);
    expect(await readFile(join(dir, 'cleaner-offset-checkpoint'), 'utf8')).toBe('0\n0\n');
    await m2.shutdown();
  });

  it('log.cleaner.enable=false: no cleaner', async () => {
    const m = new LogManager({ logDirs: [join(tmp.path, 'off')], defaultConfig: cfg, retentionCheckIntervalMs: 60_000, cleaner: { enabled: false, backoffMs: 10 } });
    await m.startup();
    expect(m.cleaner).toBeNull();
    await m.shutdown();
  });
});
