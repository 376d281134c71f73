// A crash at any point of a cleaner swap leaves a valid log. The disk state at each phase is
// captured by copying the log directory from inside PartitionLog.replaceSegments (the copy is what
// a crash at that instant would leave); states between two renames are derived from those copies.
// Each state is then opened as after an unclean shutdown.
import { cp, readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { offsetFileStem } from '../../../storage/log/log-files.js';
import type { PartitionLog } from '../../../storage/log/partition-log.js';
import { tempDir } from '../helpers/temp-log.js';
import { TestClock, cleanerFor, expectStrictlyIncreasing, latestByKey, openCompacted, produce, readAll, type Rec } from './cleaner-helpers.js';

let tmp: { path: string; cleanup: () => Promise<void> };
const opened: PartitionLog[] = [];
beforeEach(async () => {
  tmp = await tempDir('tributary-cleaner-crash-');
});
afterEach(async () => {
  for (const l of opened.splice(0)) await l.close().catch(() => {});
  await tmp.cleanup();
});

type Phase = 'cleaned' | 'swapped' | 'old-deleted' | 'final';

describe('cleaner crash safety', () => {
  it('recovers a valid log with every latest value from a crash at each phase of the swap', async () => {
    const log = await openCompacted(join(tmp.path, 'live', 'c-0'));
    opened.push(log);
    const written = new Map<number, Rec>();
    for (let round = 0; round < 25; round++) {
      for (let k = 0; k < 6; k++) {
        const rec = { key: `k${k}`, value: `r${round}-k${k}-${'p'.repeat(30)}` };
        written.set(await produce(log, [rec]), rec);
      }
    }
    const original = await readAll(log);
    const leo = log.logEndOffset;
    const firstBase = log.segmentInfos()[0]!.baseOffset;
    const oldBases = log.segmentInfos().map((s) => s.baseOffset);

    const snaps = new Map<Phase, string>();
    const snapshot = async (phase: Phase) => {
      const to = join(tmp.path, `snap-${phase}`, 'c-0');
      await cp(log.dir, to, { recursive: true });
      snaps.set(phase, to);
    };
    const replace = log.replaceSegments.bind(log);
    let calls = 0;
    log.replaceSegments = async (old, fresh, files) => {
      if (calls++ > 0) return replace(old, fresh, files);
      expect(old.length).toBeGreaterThan(1); // the first group merges several segments
      await snapshot('cleaned');
      return replace(old, fresh, {
        toSwap: async () => {
          await files.toSwap();
          await snapshot('swapped');
        },
        toFinal: async () => {
          await snapshot('old-deleted');
          await files.toFinal();
          await snapshot('final');
        },
      });
    };
    await cleanerFor([log], new TestClock()).cleanLog(log);
    expect([...snaps.keys()].sort()).toEqual(['cleaned', 'final', 'old-deleted', 'swapped']);

    const stem = offsetFileStem(firstBase);
    // States between two renames of one step.
    const derived: [string, Phase, (dir: string) => Promise<void>][] = [
      ['half-swapped', 'cleaned', (d) => rename(join(d, `${stem}.index.cleaned`), join(d, `${stem}.index.swap`))],
      ['partly-deleted', 'swapped', (d) => rename(join(d, `${stem}.log`), join(d, `${stem}.log.deleted`))],
      ['half-final', 'old-deleted', async (d) => {
        await rename(join(d, `${stem}.index.swap`), join(d, `${stem}.index`));
        await rename(join(d, `${stem}.timeindex.swap`), join(d, `${stem}.timeindex`));
      }],
    ];
    const states: [string, string, (dir: string) => Promise<void>][] = [
      ...[...snaps].map(([phase, dir]) => [phase, dir, async () => {}] as [string, string, (dir: string) => Promise<void>]),
      ...derived.map(([name, from, edit]) => [name, snaps.get(from)!, edit] as [string, string, (dir: string) => Promise<void>]),
    ];

    for (const [name, src, edit] of states) {
      for (const recoveryPoint of [0, leo]) {
        const dir = join(tmp.path, `open-${name}-${recoveryPoint}`, 'c-0');
        await cp(src, dir, { recursive: true });
        await edit(dir);
        const reopened = await openCompacted(dir, {}, { hadCleanShutdown: false, recoveryPoint, logStartOffset: 0 });
        opened.push(reopened);
        const files = await readdir(dir);
        expect(files.filter((f) => /\.(cleaned|swap|deleted)$/.test(f)), name).toEqual([]);
        expect(reopened.logEndOffset, name).toBe(leo);
        expect(reopened.logStartOffset, name).toBe(0);
        const records = await readAll(reopened);
        expectStrictlyIncreasing(records);
        for (const r of records) expect(r.value, name).toBe(written.get(r.offset)!.value);
        expect(latestByKey(records), name).toEqual(latestByKey(original));
        const committed = ['swapped', 'partly-deleted', 'old-deleted', 'half-final', 'final'].includes(name);
        if (committed) expect(records.length, name).toBeLessThan(original.length);
        else expect(records, name).toEqual(original);
        // Still a working log: appends continue at the old end.
        expect(await produce(reopened, [{ key: 'k0', value: 'after' }])).toBe(leo);
      }
    }
    // The live log finished its pass: segments merged, same latest values.
    expect(log.segmentInfos().length).toBeLessThan(oldBases.length);
    expect(latestByKey(await readAll(log))).toEqual(latestByKey(original));
  });
});
