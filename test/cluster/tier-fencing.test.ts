// Cluster-mode tiering at the RemotePartition level (no brokers): two replicas of one partition
// share a store. Only the leader writes; the follower learns the uploaded offset from the leader's
// manifest; after leadership moves, the old leader — still believing it leads (a stale view of the
// metadata store) — is fenced by the new epoch's manifest and writes nothing.
import { describe, expect, it } from 'vitest';
import { LocalObjectStore } from '../../storage/tier/local-store.js';
import { decodeManifest } from '../../storage/tier/manifest.js';
import { listAll } from '../../storage/tier/object-store.js';
import { RemotePartition, type TierRole } from '../../storage/tier/remote-partition.js';
import { RemoteReader } from '../../storage/tier/remote-reader.js';
import { ChunkCache } from '../../storage/tier/chunk-cache.js';
import { Semaphore } from '../../storage/tier/retry.js';
import { segmentIdOfKey } from '../../storage/tier/remote-keys.js';
import type { PartitionLog } from '../../storage/log/partition-log.js';
import { appendOne, tempDirsPerTest } from '../storage/helpers/temp-log.js';
import { FAST_RETRY, NO_BACKOFF, TIERED, readAll, setConfig, tieredLog } from '../storage/tier/tier-fixtures.js';

const newDir = tempDirsPerTest('tributary-tier-fence-');

const NOW = 10_000_000;

function replica(log: PartitionLog, store: LocalObjectStore, role: () => TierRole): RemotePartition {
  const reader = new RemoteReader(store, new ChunkCache(1 << 20), { chunkBytes: 1024, readAheadChunks: 1, retry: FAST_RETRY, limiter: new Semaphore(4) });
  const rp = new RemotePartition(log, 'tid', { store, reader, retry: FAST_RETRY, taskBackoff: NO_BACKOFF, logger: { info() {}, warn() {}, error() {} }, role });
  log.remoteTier = rp;
  return rp;
}

async function appendMore(log: PartitionLog, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await appendOne(log, { count: 3, valueSize: 40, timestamp: 100_000 + i, fill: i & 0xff });
  await log.flush();
}

describe('tiering roles (cluster mode)', () => {
  it('only the leader writes; a deposed leader with a stale view is fenced by the newer epoch', async () => {
    const store = new LocalObjectStore(await newDir());
    const [logA, logB] = [await tieredLog(await newDir()), await tieredLog(await newDir())];
    let roleA: TierRole = { leader: true, leaderEpoch: 1 };
    let roleB: TierRole = { leader: false };
    const a = replica(logA, store, () => roleA);
    const b = replica(logB, store, () => roleB);
    const original = await readAll(logA, 0);

    // Leader A copies; follower B copies nothing, learns the uploaded end, trims only below it.
    const copiedA = await a.copyEligible();
    expect(copiedA).toBeGreaterThanOrEqual(3);
    expect(await b.copyEligible()).toBe(0);
    await b.refreshAsFollower();
    const end1 = a.copiedEndOffset();
    expect(b.copiedEndOffset()).toBe(end1);
    await logB.enforceRetention(NOW);
    expect(logB.localLogStartOffset).toBe(end1);
    expect((await readAll(logB, 0)).equals(original)).toBe(true); // below its local start: from A's uploads
    const keys1 = (await listAll(store, '')).map((o) => o.key);
    expect(keys1.filter((k) => k.includes('/manifest'))).toEqual(['t-tid/0/manifest-0000000001.json']);
    // Remote retention runs on the leader only: a follower past retention.ms deletes nothing remote.
    setConfig(logB, { retentionMs: 1 });
    expect(await b.enforceRetention(NOW)).toBe(0);
    expect((await listAll(store, '')).map((o) => o.key)).toEqual(keys1);
    setConfig(logB, {});

    // More data on both replicas; leadership moves to B at epoch 2, A has not heard of it yet.
    await appendMore(logA, 30);
    await appendMore(logB, 30);
    roleB = { leader: true, leaderEpoch: 2 };
    expect(b.syncRole()).toBe(true);
    const copiedB = await b.copyEligible();
    expect(copiedB).toBeGreaterThan(0);
    const end2 = b.copiedEndOffset();
    expect(end2).toBeGreaterThan(end1);

    // A still thinks it leads at epoch 1: its copy is refused before any object is written.
    expect(await a.copyEligible()).toBe(0);
    expect(a.status().lastError).toMatch(/fenced|epoch 2/);
    const objects = (await listAll(store, '')).map((o) => o.key);
    const manifests = objects.filter((k) => k.includes('/manifest'));
    expect(manifests).toEqual(['t-tid/0/manifest-0000000002.json']);
    const m = decodeManifest(await store.get(manifests[0]!), manifests[0]!);
    expect(m.leaderEpoch).toBe(2);
    expect(m.copiedEndOffset).toBe(end2);
    expect(new Set(objects.map(segmentIdOfKey).filter((x) => x !== null))).toEqual(new Set(m.segments.map((s) => s.id)));

    // Once A hears it is a follower, it reads B's manifest and never writes.
    roleA = { leader: false };
    expect(a.syncRole()).toBe(true);
    await a.refreshAsFollower();
    expect(a.copiedEndOffset()).toBe(end2);
    await logA.enforceRetention(NOW);
    expect(logA.localLogStartOffset).toBeLessThanOrEqual(end2);
    expect((await readAll(logA, 0)).equals(await readAll(logB, 0))).toBe(true);
    await logA.close();
    await logB.close();
  });

  it('a new leader whose segment straddles the uploaded end uploads it whole; reads from 0 stay identical', async () => {
    const store = new LocalObjectStore(await newDir());
    // Same batches, different segment boundaries (replicas roll independently).
    const logA = await tieredLog(await newDir());
    const logB = await tieredLog(await newDir(), 40, { ...TIERED, segmentBytes: 3000 });
    let roleA: TierRole = { leader: true, leaderEpoch: 1 };
    let roleB: TierRole = { leader: false };
    const a = replica(logA, store, () => roleA);
    const b = replica(logB, store, () => roleB);
    expect(await a.copyEligible()).toBeGreaterThan(0);
    const end1 = a.copiedEndOffset();
    await appendMore(logA, 30);
    await appendMore(logB, 30);
    const expected = await readAll(logA, 0);

    roleA = { leader: false };
    roleB = { leader: true, leaderEpoch: 2 };
    a.syncRole();
    b.syncRole();
    expect(logB.segmentInfos().some((s) => s.baseOffset < end1 && s.nextOffset > end1)).toBe(true);
    expect(await b.copyEligible()).toBeGreaterThan(0);
    const segs = b.manifestSnapshot().segments;
    const straddling = segs.find((s) => s.baseOffset < end1 && s.nextOffset > end1);
    expect(straddling, 'the straddling segment is uploaded whole').toBeDefined();
    for (let i = 1; i < segs.length; i++) {
      expect(segs[i]!.baseOffset).toBeLessThanOrEqual(segs[i - 1]!.nextOffset);
      expect(segs[i]!.nextOffset).toBeGreaterThan(segs[i - 1]!.nextOffset);
    }
    // Local copies trimmed below the uploaded end on both; every offset still reads the same bytes.
    await a.refreshAsFollower();
    await logA.enforceRetention(NOW);
    await logB.enforceRetention(NOW);
    expect(logB.localLogStartOffset).toBeGreaterThan(end1);
    expect((await readAll(logB, 0)).equals(expected)).toBe(true);
    expect((await readAll(logA, 0)).equals(expected)).toBe(true);
    expect((await readAll(logB, 0, 100)).equals(expected)).toBe(true);
    await logA.close();
    await logB.close();
  });
});
