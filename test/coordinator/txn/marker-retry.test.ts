// Issue 13 (Jepsen: a committed transaction's record hidden from read_committed): a marker the
// partition's leader answers UNKNOWN_TOPIC_OR_PARTITION for — a broker restarted after kill -9
// that has not loaded the partition's metadata yet — was dropped, and the transaction completed
// without it. The producer's transaction then stayed open on that partition, and the next
// transaction's ABORT there covered the committed records too. Kafka's
// TransactionMarkerRequestCompletionHandler retries UNKNOWN_TOPIC_OR_PARTITION; it drops a
// partition only when the metadata has no such topic any more (deleted).
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../protocol/errors.js';
import type { InternalAppendResult, MarkerSpec, TopicPartition } from '../../../src/cluster/partition-api.js';
import type { TxnPartitionWrites } from '../../../src/coordinator/txn/txn-core.js';
import type { LogPartitionAccess } from '../../helpers/log-partition-access.js';
import { harness, until, type Harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
});

const both = [
  { topic: 't', partition: 0 },
  { topic: 't', partition: 1 },
];

/** The leader of t-1 answers `errorCode` to the first `times` markers; `known` is the coordinator's metadata. */
function leaderAnswering(errorCode: number, times: number, known: boolean) {
  const seen = { answers: 0 };
  const wrap = (access: LogPartitionAccess): TxnPartitionWrites => ({
    appendInternal: (tp, r) => access.appendInternal(tp, r),
    appendMarker(tp: TopicPartition, marker: MarkerSpec): Promise<InternalAppendResult> {
      if (tp.partition === 1 && seen.answers < times) {
        seen.answers++;
        return Promise.resolve({ errorCode, baseOffset: -1, lastOffset: -1 });
      }
      return access.appendMarker(tp, marker);
    },
    partitionKnown: () => known,
  });
  return { seen, wrap };
}

/** A transaction over t-0 and t-1 committed through `leader`, once the coordinator completed it; its producer id. */
async function commitThrough(leader: ReturnType<typeof leaderAnswering>): Promise<number> {
  h = await harness({}, undefined, { wrapPartitions: leader.wrap });
  const r = await h.tc.initProducerId('x', 60_000);
  expect(await h.tc.addPartitions('x', r.producerId, r.producerEpoch, both)).toBe(ErrorCode.NONE);
  expect(await h.tc.endTxn('x', r.producerId, r.producerEpoch, true)).toBe(ErrorCode.NONE);
  await until(() => h!.tc.core.txns.get('x')!.state === 'CompleteCommit', 'CompleteCommit');
  return r.producerId;
}

describe('transaction markers answered UNKNOWN_TOPIC_OR_PARTITION', () => {
  it('are retried while the metadata has the partition: the transaction completes only with every marker written', async () => {
    const leader = leaderAnswering(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 3, true);
    const producerId = await commitThrough(leader);
    expect(leader.seen.answers).toBe(3);
    // Both partitions have their COMMIT marker: nothing of the producer stays open on t-1.
    for (const p of [0, 1]) expect(await h!.markers('t', p)).toEqual([{ committed: true, producerId, epoch: 0 }]);
  });

  it('are dropped when the metadata no longer has the partition (topic deleted): the transaction completes', async () => {
    const leader = leaderAnswering(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, Number.MAX_SAFE_INTEGER, false);
    const producerId = await commitThrough(leader);
    expect(leader.seen.answers).toBe(1);
    expect(await h!.markers('t', 0)).toEqual([{ committed: true, producerId, epoch: 0 }]);
    expect(await h!.markers('t', 1)).toEqual([]);
  });
});

describe('transaction markers answered an unexpected error', () => {
  it('are retried (UNKNOWN_SERVER_ERROR), not dropped: the transaction completes only with every marker written', async () => {
    const leader = leaderAnswering(ErrorCode.UNKNOWN_SERVER_ERROR, 2, true);
    const producerId = await commitThrough(leader);
    expect(leader.seen.answers).toBe(2);
    for (const p of [0, 1]) expect(await h!.markers('t', p)).toEqual([{ committed: true, producerId, epoch: 0 }]);
  });
});
