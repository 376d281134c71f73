// Issue 13 (Jepsen): follower truncation with the epoch OffsetForLeaderEpoch answers (KIP-279,
// Kafka's AbstractFetcherThread.getOffsetTruncationState). The follower asks where its latest
// epoch ends on the leader; a leader that never had that epoch answers the largest epoch it has
// below it, with the offset where ITS next epoch starts. The follower's own records of that lower
// epoch may end earlier: it must truncate to where the epoch ends in its own log and ask again,
// not keep its records up to the leader's end offset (they are not the leader's records).
//
// A real broker is the leader (its partition's epochs set by hand, as elections would); the
// follower is a ReplicaFetchers over a log of its own that diverged from offset 3.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { buildRecordBatch } from '../../protocol/records/batch-builder.js';
import { scanBatches } from '../../protocol/records/batch-header.js';
import { decodeRecordBatches } from '../../protocol/records/record-codec.js';
import type { PartitionLog } from '../../storage/log/partition-log.js';
import type { Partition } from '../../src/cluster/partition.js';
import { silentLogger } from '../../src/logging/logger.js';
import { ReplicaFetchers, truncationFor } from '../../src/cluster/replication/replica-fetchers.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { openLog, SMALL, tempDir } from '../storage/helpers/temp-log.js';

const TOPIC = 'diverged';
let tb: TestBroker;
let tmp: { path: string; cleanup: () => Promise<void> };
let followerLog: PartitionLog;

const batch = (value: string) => buildRecordBatch({ records: [{ key: null, value: Buffer.from(value) }] });

function appendAt(log: PartitionLog, value: string, epoch: number): void {
  const records = batch(value);
  const r = log.append(records, scanBatches(records, 0, records.length, false).batches, epoch);
  expect(r.error).toBeUndefined();
}

async function values(log: PartitionLog): Promise<string[]> {
  const r = await log.read(0, 1 << 20, log.logEndOffset, true);
  return decodeRecordBatches(r.records).flatMap((b) => b.records.map((rec) => rec.value!.toString()));
}

beforeAll(async () => {
  tb = await startTestBroker();
  await tb.broker.createTopic(TOPIC, 1, 1, {});
  tmp = await tempDir('tributary-truncation-');
  followerLog = await openLog(join(tmp.path, `${TOPIC}-0`), SMALL);
});
afterAll(async () => {
  await followerLog?.close().catch(() => undefined);
  await tmp?.cleanup();
  await tb?.cleanup();
});

describe('follower truncation (KIP-279)', () => {
  it('truncates to its own end of the epoch the leader answers when the leader never had its latest epoch', async () => {
    // Leader: epoch 1 wrote offsets 0-4, epoch 2 wrote 5-9; it now leads in epoch 4.
    const pm = tb.broker.partitionManager;
    const leader = pm.hostedPartition(TOPIC, 0)!;
    leader.leaderEpoch = 1;
    for (let i = 0; i < 5; i++) await pm.append('client', TOPIC, 0, batch(`L${i}`), 1, { produceVersion: 9 }).completion;
    leader.leaderEpoch = 2;
    for (let i = 5; i < 10; i++) await pm.append('client', TOPIC, 0, batch(`L${i}`), 1, { produceVersion: 9 }).completion;
    leader.leaderEpoch = 4;
    expect(leader.log.epochEntries()).toEqual([
      { epoch: 1, startOffset: 0 },
      { epoch: 2, startOffset: 5 },
    ]);

    // Follower: it had only 0-2 of epoch 1, then led epoch 3 and wrote 3-7 the leader never had.
    for (let i = 0; i < 3; i++) appendAt(followerLog, `L${i}`, 1);
    for (let i = 3; i < 8; i++) appendAt(followerLog, `F${i}`, 3);
    await followerLog.flush();
    expect(followerLog.logEndOffset).toBe(8);

    // The leader answers (epoch 2, end 10) for epoch 3: the follower's epoch-1 records end at 3.
    expect(pm.lastOffsetForLeaderEpoch(TOPIC, 0, 3, 4)).toEqual({ errorCode: ErrorCode.NONE, epoch: 2, endOffset: 10 });
    expect(truncationFor(followerLog, 2, 10)).toEqual({ offset: 3, completed: false });

    const fetchers = new ReplicaFetchers({
      nodeId: tb.broker.nodeId + 1,
      endpointOf: () => ({ host: '127.0.0.1', port: tb.port }),
      partitionMaxBytes: 1 << 20,
      responseMaxBytes: 1 << 20,
      maxWaitMs: 50,
      backoffMs: 20,
      logger: silentLogger,
    });
    const followed = { topic: TOPIC, index: 0, leaderId: tb.broker.nodeId, leaderEpoch: 4, log: followerLog } as unknown as Partition;
    fetchers.follow(followed);
    try {
      const deadline = Date.now() + 10_000;
      while (followerLog.writtenEndOffset < 10 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    } finally {
      fetchers.stop();
    }
    // The follower's log is the leader's, record for record, with the leader's epochs.
    expect(await values(followerLog)).toEqual(await values(leader.log));
    expect(followerLog.epochEntries()).toEqual(leader.log.epochEntries());
  });
});
