// Compaction of a log written by transactional producers: aborted data is removed (and never
// shadows committed values in the offset map), markers stay while their transaction has data in
// the log, then go after delete.retention.ms, and an ABORT marker takes its index entry with it.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendClientRecords, appendTxnMarker } from '../../../storage/log/producer-state/append-with-state.js';
import type { PartitionLog } from '../../../storage/log/partition-log.js';
import { cleanerFor, latestByKey, openCompacted, produce, readAll, readBatches, TestClock } from '../cleaner/cleaner-helpers.js';
import { tempDir } from '../helpers/temp-log.js';
import { producerBatch } from './helpers.js';

let tmp: { path: string; cleanup: () => Promise<void> };
let log: PartitionLog;
beforeEach(async () => {
  tmp = await tempDir('tributary-txn-compact-');
  log = await openCompacted(`${tmp.path}/c-0`, { deleteRetentionMs: 10_000 });
});
afterEach(async () => {
  await log.close().catch(() => {});
  await tmp.cleanup();
});

let seq = 0;
async function txnWrite(pid: number, records: { key: string; value: string | null }[]) {
  const { records: buf, batches } = producerBatch({ pid, seq, txn: true, records });
  seq += records.length;
  const r = appendClientRecords(log, buf, batches, 0);
  await r.result!.written;
}

async function marker(pid: number, committed: boolean) {
  const r = appendTxnMarker(log, { producerId: pid, producerEpoch: 0, coordinatorEpoch: 0, committed }, 0);
  await r.result!.written;
}

/** Plain keyed records that roll segments, so the transactions above end up in cleanable ones. */
async function filler(n: number, tag: string) {
  for (let i = 0; i < n; i++) await produce(log, [{ key: `f${i % 4}`, value: `${tag}-${i}-${'x'.repeat(100)}` }]);
}

const markersIn = async () => (await readBatches(log)).filter((b) => b.control).map((b) => ({ pid: b.producerId, commit: b.records[0]!.key!.readInt16BE(2) === 1 }));

describe('compaction with transactions', () => {
  it('removes aborted data, keeps markers while needed, then expires them with the index entry', async () => {
    await txnWrite(1, [{ key: 'k1', value: 'committed' }, { key: 'k2', value: 'two' }]);
    await marker(1, true);
    await txnWrite(1, [{ key: 'k1', value: 'ABORTED' }, { key: 'k3', value: 'ABORTED' }]);
    await marker(1, false);
    await filler(40, 'a');
    expect(log.producers.txnIndex.size).toBe(1);
    const clock = new TestClock(Date.now());
    const cleaner = cleanerFor([log], clock);

    await cleaner.cleanLog(log);
    let latest = latestByKey(await readAll(log));
    expect(latest.get('k1')).toBe('committed');
    expect(latest.get('k2')).toBe('two');
    expect(latest.has('k3')).toBe(false);
    // The pass removed the aborted data but saw it, so both markers stay for now.
    expect(await markersIn()).toEqual([{ pid: 1, commit: true }, { pid: 1, commit: false }]);
    expect(log.producers.txnIndex.size).toBe(1);

    // Later passes: the aborted transaction has no data left; once delete.retention.ms has passed
    // its marker goes, and so does its index entry. The committed one keeps its data and marker.
    clock.ms += 20_000;
    await filler(20, 'b');
    await cleaner.cleanLog(log);
    expect(await markersIn()).toEqual([{ pid: 1, commit: true }]);
    expect(log.producers.txnIndex.size).toBe(0);
    latest = latestByKey(await readAll(log));
    expect(latest.get('k1')).toBe('committed');
  });

  it('drops a COMMIT marker once every record of its transaction was compacted away', async () => {
    await txnWrite(2, [{ key: 'k', value: 'old' }]);
    await marker(2, true);
    await produce(log, [{ key: 'k', value: 'new' }]);
    await filler(40, 'c');
    const clock = new TestClock(Date.now() + 20_000);
    const cleaner = cleanerFor([log], clock);
    await cleaner.cleanLog(log);
    await filler(20, 'd');
    await cleaner.cleanLog(log);
    expect(await markersIn()).toEqual([]);
    expect(latestByKey(await readAll(log)).get('k')).toBe('new');
  });

  it('keeps markers younger than delete.retention.ms', async () => {
    await txnWrite(3, [{ key: 'k', value: 'aborted' }]);
    await marker(3, false);
    await filler(40, 'e');
    const cleaner = cleanerFor([log], new TestClock(Date.now()));
    await cleaner.cleanLog(log);
    await filler(20, 'f');
    await cleaner.cleanLog(log);
    expect(await markersIn()).toEqual([{ pid: 3, commit: false }]);
    expect(log.producers.txnIndex.size).toBe(1);
  });
});
