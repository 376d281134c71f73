// Issue 13 (Jepsen: a committed transaction's record hidden from read_committed), one suspect
// tested directly: a read_committed consumer drops a producer's batches from an aborted
// transaction's first offset up to its ABORT marker, so a follower that becomes leader after a
// truncation must not keep a stale open transaction (first offset at a committed batch) for the
// producer: its next ABORT would then cover the committed records. Replicated batches and markers
// build the follower's producer state; truncation rebuilds it from the log.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildRecordBatch } from '../../protocol/records/batch-builder.js';
import { scanBatches } from '../../protocol/records/batch-header.js';
import { appendTxnMarker } from '../../storage/log/producer-state/append-with-state.js';
import type { PartitionLog } from '../../storage/log/partition-log.js';
import { applyReplicatedBatches } from '../../src/cluster/replication/follower-producer-state.js';
import { openLog, SMALL, tempDir } from '../storage/helpers/temp-log.js';

const PID = 7;
let tmp: { path: string; cleanup: () => Promise<void> };
let leader: PartitionLog;
let follower: PartitionLog;

beforeEach(async () => {
  tmp = await tempDir('tributary-txn-trunc-');
  leader = await openLog(join(tmp.path, 'leader'), SMALL);
  follower = await openLog(join(tmp.path, 'follower'), SMALL);
});
afterEach(async () => {
  await leader.close().catch(() => undefined);
  await follower.close().catch(() => undefined);
  await tmp.cleanup();
});

/** A transactional data batch of PID on the leader (epoch 1), as a produce would append it. */
async function txnBatch(value: string, seq: number): Promise<number> {
  const records = buildRecordBatch({ producerId: PID, producerEpoch: 0, baseSequence: seq, transactional: true, records: [{ key: null, value: Buffer.from(value) }] });
  const batches = scanBatches(records, 0, records.length, false).batches;
  const r = leader.append(records, batches, 1);
  leader.producers.applyDataBatch(batches[0]!, r.baseOffset, r.lastOffset, Date.now());
  await r.written;
  return r.baseOffset;
}

async function marker(committed: boolean, log = leader, epoch = 1): Promise<number> {
  const r = appendTxnMarker(log, { producerId: PID, producerEpoch: 0, coordinatorEpoch: 0, committed }, epoch);
  expect(r.errorCode).toBe(0);
  await r.result!.written;
  return r.result!.baseOffset;
}

/** Replicates the leader's log from the follower's end, as the fetcher does. */
async function replicate(): Promise<void> {
  const read = await leader.read(follower.logEndOffset, 1 << 20, leader.logEndOffset, true);
  const batches = scanBatches(read.records, 0, read.records.length, true).batches;
  if (batches.length === 0) return;
  const r = follower.appendAsFollower(read.records, batches);
  expect(r.error).toBeUndefined();
  applyReplicatedBatches(follower.producers, read.records, batches);
  await r.written;
}

describe('a follower that becomes leader after truncation', () => {
  it('has no open transaction left from a committed one: its next ABORT covers only the aborted batch', async () => {
    const committedAt = await txnBatch('txc-t28-1', 0);
    await marker(true);
    const abortedAt = await txnBatch('txa-t29-1', 1);
    await replicate();
    expect(follower.producers.inTransaction(PID)).toBe(true);
    expect(follower.producers.entry(PID)!.currentTxnFirstOffset).toBe(abortedAt);

    // The t29 batch is cut (it was not on the new leader); the follower becomes leader (epoch 2).
    await follower.truncateTo(abortedAt);
    expect(follower.producers.inTransaction(PID)).toBe(false);
    // The new coordinator aborts t29 (its batch is gone here): no aborted range at all.
    const abortAt = await marker(false, follower, 2);
    const read = await follower.read(0, 1 << 20, follower.logEndOffset, true);
    const aborted = follower.producers.abortedTransactionsForRead(0, read.records);
    expect(aborted.filter((a) => a.firstOffset <= committedAt)).toEqual([]);
    expect(abortAt).toBe(abortedAt);
  });

  it('keeps the open transaction when the COMMIT marker itself was cut (the coordinator writes it again)', async () => {
    const committedAt = await txnBatch('txc-t28-1', 0);
    const commitAt = await marker(true);
    await replicate();
    await follower.truncateTo(commitAt);
    expect(follower.producers.entry(PID)!.currentTxnFirstOffset).toBe(committedAt);
    // The coordinator's retried COMMIT closes it as committed: nothing aborted.
    await marker(true, follower, 2);
    expect(follower.producers.inTransaction(PID)).toBe(false);
    const read = await follower.read(0, 1 << 20, follower.logEndOffset, true);
    expect(follower.producers.abortedTransactionsForRead(0, read.records)).toEqual([]);
  });
});
