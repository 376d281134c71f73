// Transactions in one partition: the LSO stops at the oldest open transaction, markers close
// transactions, aborted ones land in the aborted-transactions index, and all of it is rebuilt
// after a clean restart and after a crash.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../protocol/errors.js';
import { appendClientRecords, appendTxnMarker } from '../../../storage/log/producer-state/append-with-state.js';
import type { PartitionLog } from '../../../storage/log/partition-log.js';
import { openLog, tempDir } from '../helpers/temp-log.js';
import { producerBatch, type ProducerBatchOptions } from './helpers.js';

async function produce(log: PartitionLog, o: ProducerBatchOptions, verify?: () => number) {
  const { records, batches } = producerBatch(o);
  const r = appendClientRecords(log, records, batches, 0, { verifyTxn: verify });
  await r.result?.written;
  return r;
}

async function marker(log: PartitionLog, pid: number, committed: boolean, epoch = 0, coordinatorEpoch = 0) {
  const r = appendTxnMarker(log, { producerId: pid, producerEpoch: epoch, coordinatorEpoch, committed }, 0);
  await r.result?.written;
  return r;
}

describe('transactional appends', () => {
  let dir: { path: string; cleanup: () => Promise<void> };
  let log: PartitionLog;
  beforeEach(async () => {
    dir = await tempDir();
    log = await openLog(dir.path);
  });
  afterEach(async () => {
    await log.close().catch(() => {});
    await dir.cleanup();
  });

  it('holds the LSO at the first offset of the oldest open transaction', async () => {
    await produce(log, { pid: 1, seq: 0, count: 2 }); // 0-1 plain idempotent
    await produce(log, { pid: 2, seq: 0, count: 2, txn: true }); // 2-3
    await produce(log, { pid: 3, seq: 0, count: 1, txn: true }); // 4
    expect(log.highWatermark).toBe(5);
    expect(log.lastStableOffset).toBe(2);
    await marker(log, 2, true); // 5
    expect(log.lastStableOffset).toBe(4);
    await marker(log, 3, false); // 6
    expect(log.lastStableOffset).toBe(7);
    expect(log.producers.abortedTransactions(0, 7)).toEqual([{ producerId: 3, firstOffset: 4 }]);
  });

  it('rejects a plain batch while the producer has an open transaction', async () => {
    await produce(log, { pid: 2, seq: 0, txn: true });
    const r = await produce(log, { pid: 2, seq: 1 });
    expect(r.errorCode).toBe(ErrorCode.INVALID_TXN_STATE);
  });

  it('asks the coordinator before a producer opens a transaction here (KIP-890)', async () => {
    let asked = 0;
    const deny = () => (asked++, ErrorCode.INVALID_TXN_STATE);
    expect((await produce(log, { pid: 2, seq: 0, txn: true }, deny)).errorCode).toBe(ErrorCode.INVALID_TXN_STATE);
    expect(log.logEndOffset).toBe(0);
    expect((await produce(log, { pid: 2, seq: 0, txn: true }, () => ErrorCode.NONE)).errorCode).toBe(ErrorCode.NONE);
    // Later batches of the same open transaction are not verified again.
    expect((await produce(log, { pid: 2, seq: 1, txn: true }, deny)).errorCode).toBe(ErrorCode.NONE);
    expect(asked).toBe(1);
  });

  it('fences markers with an older producer or coordinator epoch', async () => {
    await produce(log, { pid: 2, epoch: 3, seq: 0, txn: true });
    expect((await marker(log, 2, false, 2)).errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect((await marker(log, 2, false, 4, 5)).errorCode).toBe(ErrorCode.NONE);
    // The bumped-epoch abort fences the old epoch's late writes.
    expect((await produce(log, { pid: 2, epoch: 3, seq: 1, txn: true })).errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    await produce(log, { pid: 2, epoch: 4, seq: 0, txn: true });
    expect((await marker(log, 2, true, 4, 4)).errorCode).toBe(ErrorCode.TRANSACTION_COORDINATOR_FENCED);
  });

  it('collects only aborted transactions that overlap the fetched range', async () => {
    for (let i = 0; i < 4; i++) {
      await produce(log, { pid: 10 + i, seq: 0, count: 2, txn: true });
      await marker(log, 10 + i, i % 2 === 1);
    }
    // pid 10 aborted at [0,2], 12 aborted at [6,8]; 11 and 13 committed.
    expect(log.producers.abortedTransactions(0, 12)).toEqual([
      { producerId: 10, firstOffset: 0 },
      { producerId: 12, firstOffset: 6 },
    ]);
    expect(log.producers.abortedTransactions(3, 12)).toEqual([{ producerId: 12, firstOffset: 6 }]);
    expect(log.producers.abortedTransactions(3, 5)).toEqual([]);
  });

  it('restores open transactions and the aborted index after a clean restart', async () => {
    await produce(log, { pid: 1, seq: 0, count: 2, txn: true });
    await marker(log, 1, false);
    await produce(log, { pid: 2, seq: 0, count: 2, txn: true });
    await log.close();
    log = await openLog(dir.path);
    expect(log.lastStableOffset).toBe(3);
    expect(log.producers.abortedTransactions(0, 10)).toEqual([{ producerId: 1, firstOffset: 0 }]);
    await marker(log, 2, true);
    expect(log.lastStableOffset).toBe(6);
  });

  it('does not trust a snapshot whose aborted-index entries were lost; replays the log instead', async () => {
    await produce(log, { pid: 5, seq: 0, count: 2, txn: true });
    await marker(log, 5, false);
    for (let s = 0; s < 40; s++) await produce(log, { pid: 1, seq: s, tag: 'z'.repeat(80) }); // rolls: snapshots after the abort
    await log.producers.store.idle();
    await log.close();
    const { rm } = await import('node:fs/promises');
    await rm(`${dir.path}/aborted-transactions.txnindex`); // as if an OS crash lost its unsynced writes
    log = await openLog(dir.path, undefined, { hadCleanShutdown: false, recoveryPoint: 0 });
    expect(log.producers.abortedTransactions(0, log.logEndOffset)).toEqual([{ producerId: 5, firstOffset: 0 }]);
  });

  it('rebuilds open transactions and aborted entries written after the last snapshot after a crash', async () => {
    // Enough data to roll a few segments (snapshots), then transactions in the unsnapshotted tail.
    for (let s = 0; s < 40; s++) await produce(log, { pid: 1, seq: s, tag: 'y'.repeat(80) });
    await produce(log, { pid: 5, seq: 0, count: 2, txn: true });
    await marker(log, 5, false);
    await produce(log, { pid: 6, seq: 0, count: 2, txn: true });
    await log.producers.store.idle();
    const end = log.logEndOffset;
    log = await openLog(dir.path, undefined, { hadCleanShutdown: false, recoveryPoint: 0 });
    expect(log.logEndOffset).toBe(end);
    expect(log.lastStableOffset).toBe(end - 2);
    expect(log.producers.abortedTransactions(0, end)).toEqual([{ producerId: 5, firstOffset: 40 }]);
  });
});
