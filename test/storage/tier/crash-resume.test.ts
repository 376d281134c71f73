// Restart at any moment: the broker "dies" at every single store mutation of a copy + local
// retention + remote retention run (before the request reaches the store, and after the store
// applied it but before the broker heard back). A fresh RemotePartition on the same store and log
// must then finish the job with nothing lost, nothing duplicated and no orphaned objects.
import { describe, expect, it } from 'vitest';
import type { PartitionLog } from '../../../storage/log/partition-log.js';
import { LocalObjectStore } from '../../../storage/tier/local-store.js';
import { decodeManifest } from '../../../storage/tier/manifest.js';
import { listAll, type ObjectStore } from '../../../storage/tier/object-store.js';
import { manifestKey, segmentIdOfKey } from '../../../storage/tier/remote-keys.js';
import type { RemotePartition } from '../../../storage/tier/remote-partition.js';
import { tempDir } from '../../storage/helpers/temp-log.js';
import { CrashingStore, NO_RETRY, batchesFrom, makeRemote, readAll, setConfig, tieredLog } from './tier-fixtures.js';

interface Plan {
  retentionNow: number;
  expectedStart: number;
  copiedEnd: number;
}

async function scenario(log: PartitionLog, rp: RemotePartition, plan: Plan): Promise<void> {
  await rp.copyEligible();
  await log.enforceRetention(10_000_000); // local.retention.ms = 0: every copied segment may go
  setConfig(log, { retentionMs: 1000 });
  await rp.enforceRetention(plan.retentionNow);
}

async function checkConsistent(store: ObjectStore, log: PartitionLog, rp: RemotePartition, original: Buffer, plan: Plan): Promise<void> {
  const m = rp.manifestSnapshot();
  const stored = decodeManifest(await store.get(manifestKey('t', 'tid', 0)), 'manifest');
  expect(stored.segments.map((s) => [s.id, s.state])).toEqual(m.segments.map((s) => [s.id, s.state]));
  expect(m.segments.every((s) => s.state === 'COPY_FINISHED')).toBe(true);
  for (let i = 1; i < m.segments.length; i++) expect(m.segments[i]!.baseOffset).toBe(m.segments[i - 1]!.nextOffset);
  expect(m.logStartOffset).toBe(plan.expectedStart);
  expect(m.copiedEndOffset).toBe(plan.copiedEnd);
  // Objects: exactly the two of each manifest entry, plus the manifest.
  const keys = (await listAll(store, 't-tid/0/')).map((o) => o.key);
  const ids = keys.map(segmentIdOfKey).filter((x): x is string => x !== null);
  expect(ids.sort()).toEqual(m.segments.flatMap((s) => [s.id, s.id]).sort());
  expect(keys.length).toBe(ids.length + 1);
  // Local copies went only where the copy is recorded, and every offset is readable exactly once.
  expect(log.localLogStartOffset).toBe(plan.copiedEnd);
  expect(log.logStartOffset).toBe(plan.expectedStart);
  expect((await readAll(log)).equals(batchesFrom(original, plan.expectedStart))).toBe(true);
}

describe('tiered storage restart at any moment', () => {
  it('resumes after a crash at every store mutation', async () => {
    // A clean run first: how many mutations, and what the end state is.
    const probeDir = await tempDir('tributary-tier-crash-');
    const probeStoreDir = await tempDir('tributary-tier-crash-store-');
    const probeLog = await tieredLog(probeDir.path, 45);
    const rolled = probeLog.segmentInfos().filter((s) => !s.active);
    expect(rolled.length).toBeGreaterThanOrEqual(3);
    const plan: Plan = {
      // retention.ms = 1000 at this time expires the first two segments.
      retentionNow: rolled[1]!.maxTimestamp + 1001,
      expectedStart: rolled[2]!.baseOffset,
      copiedEnd: rolled[rolled.length - 1]!.nextOffset,
    };
    const counting = new CrashingStore(new LocalObjectStore(probeStoreDir.path), Number.MAX_SAFE_INTEGER, 'before');
    const original = await readAll(probeLog, 0);
    const probeRp = makeRemote(probeLog, counting, { retry: NO_RETRY });
    await scenario(probeLog, probeRp, plan);
    await checkConsistent(counting, probeLog, probeRp, original, plan);
    const mutations = counting.mutations;
    expect(mutations).toBeGreaterThan(rolled.length * 3);
    await probeLog.close();
    await probeDir.cleanup();
    await probeStoreDir.cleanup();

    for (let crashAt = 1; crashAt <= mutations; crashAt++) {
      for (const mode of ['before', 'after'] as const) {
        const dir = await tempDir('tributary-tier-crash-');
        const storeDir = await tempDir('tributary-tier-crash-store-');
        try {
          const log = await tieredLog(dir.path, 45);
          const base = new LocalObjectStore(storeDir.path);
          const crashing = new CrashingStore(base, crashAt, mode);
          const rp1 = makeRemote(log, crashing, { retry: NO_RETRY });
          await scenario(log, rp1, plan);
          expect(crashing.dead, `crash ${crashAt}/${mode} happened`).toBe(true);
          // "Restart": a new RemotePartition over the same store finishes the work.
          const rp2 = makeRemote(log, base, { retry: NO_RETRY });
          setConfig(log, { retentionMs: -1 });
          await scenario(log, rp2, plan);
          await checkConsistent(base, log, rp2, original, plan).catch((e: Error) => {
            throw new Error(`after a crash at mutation ${crashAt} (${mode}): ${e.message}`);
          });
          await log.close();
        } finally {
          await dir.cleanup();
          await storeDir.cleanup();
        }
      }
    }
  }, 60_000);
});
