import { describe, expect, it } from 'vitest';
import { LocalObjectStore } from '../../../storage/tier/local-store.js';
import { listAll } from '../../../storage/tier/object-store.js';
import { manifestKey, segmentIdOfKey } from '../../../storage/tier/remote-keys.js';
import { tempDirsPerTest } from '../../storage/helpers/temp-log.js';
import { FlakyStore, TIERED, batchesFrom, makeRemote, readAll, setConfig, tieredLog } from './tier-fixtures.js';

const newDir = tempDirsPerTest('tributary-tier-');

const NOW = 10_000_000;

describe('RemotePartition', () => {
  it('copies rolled segments, deletes local copies only once recorded, and serves the same bytes', async () => {
    const log = await tieredLog(await newDir());
    const store = new LocalObjectStore(await newDir());
    const original = await readAll(log, 0);
    const rolled = log.segmentInfos().filter((s) => !s.active);
    expect(rolled.length).toBeGreaterThanOrEqual(3);

    // Without a recorded copy, local retention (local.retention.ms = 0) keeps everything.
    await log.enforceRetention(NOW);
    expect(log.localLogStartOffset).toBe(0);

    const rp = makeRemote(log, store);
    expect(await rp.copyEligible()).toBe(rolled.length);
    const m = rp.manifestSnapshot();
    expect(m.segments.map((s) => s.state)).toEqual(rolled.map(() => 'COPY_FINISHED'));
    expect(m.copiedEndOffset).toBe(rolled[rolled.length - 1]!.nextOffset);
    expect((await store.get(manifestKey('t', 'tid', 0))).toString()).toContain('COPY_FINISHED');

    await log.enforceRetention(NOW);
    expect(log.localLogStartOffset).toBe(m.copiedEndOffset);
    expect(log.logStartOffset).toBe(0);
    expect(log.segmentInfos().length).toBe(1);

    // Every offset, every budget: identical bytes from the store.
    expect((await readAll(log, 0)).equals(original)).toBe(true);
    expect((await readAll(log, 0, 100)).equals(original)).toBe(true);
    expect((await readAll(log, 7, 5000)).equals(batchesFrom(original, 7))).toBe(true);
    const below = await log.read(0, 1, log.highWatermark, false);
    expect(below.records.length).toBe(0); // budget below one batch and not minOne
    const status = rp.status();
    expect(status.remoteSegments).toBe(rolled.length);
    expect(status.lagSegments).toBe(0);
    expect(status.remoteBytes).toBe(rolled.reduce((n, s) => n + s.size, 0));
    await log.close();
  });

  it('answers timestamp lookups across tiers', async () => {
    const log = await tieredLog(await newDir());
    const rp = makeRemote(log, new LocalObjectStore(await newDir()));
    await rp.copyEligible();
    await log.enforceRetention(NOW);
    const localStart = log.localLogStartOffset;
    expect(localStart).toBeGreaterThan(0);
    // Batch i holds offsets 3i..3i+2 with timestamps 1000(i+1)..+2.
    expect(await log.offsetForTimestamp(1000)).toEqual({ offset: 0, timestamp: 1002 });
    expect(await log.offsetForTimestamp(5001)).toEqual({ offset: 12, timestamp: 5002 });
    const lastRemoteBatch = localStart / 3 - 1;
    expect((await log.offsetForTimestamp(1000 * (lastRemoteBatch + 2)))?.offset).toBe(localStart);
    expect(log.maxTimestampAndOffset().timestamp).toBe(40_002);
    await log.close();
  });

  it('keeps local segments while the store is down and catches up when it recovers', async () => {
    const log = await tieredLog(await newDir());
    const store = new FlakyStore(new LocalObjectStore(await newDir()));
    const rp = makeRemote(log, store, { cacheBytes: 0 }); // no cache: every remote read hits the store
    store.down = true;
    expect(await rp.copyEligible()).toBe(0);
    await log.enforceRetention(NOW);
    expect(log.localLogStartOffset).toBe(0);
    const st = rp.status();
    expect(st.lastError).toMatch(/down/);
    expect(st.lagSegments).toBeGreaterThan(0);
    expect((await log.read(0, 1000, log.highWatermark, true)).error).toBeUndefined(); // local read still fine

    store.down = false;
    expect(await rp.copyEligible()).toBeGreaterThan(0);
    expect(rp.status().lagSegments).toBe(0);
    await log.enforceRetention(NOW);
    expect(log.localLogStartOffset).toBeGreaterThan(0);
    const r = await log.read(0, 1000, log.highWatermark, true);
    expect(r.error).toBeUndefined();
    expect(r.records.length).toBeGreaterThan(0);

    store.down = true;
    const failed = await log.read(0, 1000, log.highWatermark, true);
    expect(failed.error).toBe('KAFKA_STORAGE_ERROR');
    await log.close();
  });

  it('never serves corrupted remote bytes', async () => {
    const log = await tieredLog(await newDir());
    const store = new FlakyStore(new LocalObjectStore(await newDir()));
    const original = await readAll(log, 0);
    const rp = makeRemote(log, store, { chunkBytes: 8192 });
    await rp.copyEligible();
    await log.enforceRetention(NOW);
    // One corrupt chunk: dropped from the cache and fetched again → correct bytes.
    store.corruptReads = 1;
    expect((await readAll(log, 0, 5000)).equals(original)).toBe(true);
    // Corrupt every time: an error, never the bytes.
    const log2 = await tieredLog(await newDir());
    const store2 = new FlakyStore(new LocalObjectStore(await newDir()));
    const rp2 = makeRemote(log2, store2, { chunkBytes: 8192 });
    await rp2.copyEligible();
    await log2.enforceRetention(NOW);
    store2.corruptReads = 1000;
    const r = await log2.read(0, 5000, log2.highWatermark, true);
    expect(r.error).toBe('KAFKA_STORAGE_ERROR');
    expect(r.records.length).toBe(0);
    await log.close();
    await log2.close();
  });

  it('applies retention.ms and retention.bytes to remote segments', async () => {
    const log = await tieredLog(await newDir());
    const store = new LocalObjectStore(await newDir());
    const rp = makeRemote(log, store);
    await rp.copyEligible();
    await log.enforceRetention(NOW);
    const before = rp.manifestSnapshot().segments;
    expect(before.length).toBeGreaterThanOrEqual(3);

    // retention.ms: segments whose newest record is older than now - retention go.
    const cut = before[1]!.maxTimestamp;
    setConfig(log, { retentionMs: 1000 });
    expect(await rp.enforceRetention(cut + 1000)).toBe(1); // only before[0] is older than cut
    let m = rp.manifestSnapshot();
    expect(m.segments[0]!.id).toBe(before[1]!.id);
    expect(log.logStartOffset).toBe(before[1]!.baseOffset);
    expect((await log.read(0, 1000, log.highWatermark, true)).error).toBe('OFFSET_OUT_OF_RANGE');
    const keys = (await listAll(store, 't-tid/0/')).map((o) => o.key);
    expect(keys.some((k) => k.includes(before[0]!.id))).toBe(false);

    // retention.bytes: whole log (local + remote-only) above the limit → oldest remote segments go.
    const keep = before.slice(2).reduce((n, s) => n + s.size, 0);
    setConfig(log, { retentionMs: -1, retentionBytes: log.size() + keep });
    await rp.enforceRetention(NOW);
    m = rp.manifestSnapshot();
    expect(m.segments.map((s) => s.id)).toEqual(before.slice(2).map((s) => s.id));
    expect(log.logStartOffset).toBe(before[2]!.baseOffset);
    await log.close();
  });

  it('deletes orphaned objects and unfinished copies when loading', async () => {
    const log = await tieredLog(await newDir());
    const store = new LocalObjectStore(await newDir());
    const rp = makeRemote(log, store);
    await rp.copyEligible();
    const stray = 't-tid/0/00000000000000000000-0123456789abcdef0123456789abcdef.log';
    await store.put(stray, Buffer.from('left by a lost manifest write'));
    const rp2 = makeRemote(log, store);
    await rp2.ensureLoaded();
    const keys = (await listAll(store, 't-tid/0/')).map((o) => o.key);
    expect(keys).not.toContain(stray);
    const ids = new Set(rp2.manifestSnapshot().segments.map((s) => s.id));
    for (const k of keys) {
      const id = segmentIdOfKey(k);
      if (id) expect(ids.has(id)).toBe(true);
    }
    expect(rp2.status().orphansDeletedTotal).toBe(1);
    await log.close();
  });

  it('turning tiering on for an existing topic copies its existing segments', async () => {
    const log = await tieredLog(await newDir(), 30, { ...TIERED, remoteStorageEnable: false });
    const rp = makeRemote(log, new LocalObjectStore(await newDir()));
    expect(await rp.copyEligible()).toBe(0);
    setConfig(log, { remoteStorageEnable: true });
    expect(await rp.copyEligible()).toBe(log.segmentInfos().length - 1);
    await log.close();
  });
});
