// Issue 13 (Jepsen): an acks=all append is acknowledged only while its broker still leads the
// partition under the epoch it was appended in (Kafka: Partition.checkEnoughReplicasReachOffset
// is a leader's check, and a DelayedProduce whose leader moved completes with
// NOT_LEADER_OR_FOLLOWER). A leader deposed while the append waits becomes a follower whose high
// watermark follows the new leader's log, in which that offset may hold another record: it must
// not count that HW as the append's acknowledgement, however far it advances.
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { buildRecordBatch } from '../../protocol/records/batch-builder.js';
import type { ClusterPartitionState } from '../../src/cluster/partition-manager.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';

let cluster: TestCluster;
const TOPIC = 'deposed';

beforeAll(async () => {
  cluster = await startCluster(2, { 'replica.fetch.backoff.ms': '50' });
  const admin = new Kafka({ clientId: 'deposed-test', brokers: cluster.bootstrap().split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1, replicationFactor: 2 }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}, 60_000);
afterAll(async () => {
  await cluster?.close();
});

describe('acks=all on a leader deposed while the append waits', () => {
  it('answers NOT_LEADER_OR_FOLLOWER even when its (now follower) high watermark passes the append', async () => {
    await cluster.waitFor('both replicas in the ISR', () => [1, 2].every((id) => cluster.byId(id).broker.partitionManager.partition(TOPIC, 0)?.isr.length === 2));
    const leaderId = cluster.byId(1).broker.partitionManager.partition(TOPIC, 0)!.leaderId;
    const other = leaderId === 1 ? 2 : 1;
    const pm = cluster.byId(leaderId).broker.partitionManager;
    // A copy: on the leader, partition() is the live replica state that the deposition changes.
    const live = pm.partition(TOPIC, 0)!;
    const state: ClusterPartitionState = { topic: live.topic, index: live.index, topicId: live.topicId, leaderId, leaderEpoch: live.leaderEpoch, replicas: [...live.replicas], isr: [...live.isr], partitionEpoch: 0 };
    const log = pm.hostedPartition(TOPIC, 0)!.log;

    // The leader's write to its own disk settles late (a slow fsync-less write queue): it is
    // still pending when the leadership moves.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const append = log.append.bind(log);
    log.append = ((...args: Parameters<typeof log.append>) => {
      const result = append(...args);
      if (!result.error) result.written = result.written.then(() => gate);
      return result;
    }) as typeof log.append;

    const out = pm.append('client', TOPIC, 0, buildRecordBatch({ records: [{ key: null, value: Buffer.from('lost?') }] }), -1, { produceVersion: 9, timeoutMs: 10_000 });
    log.append = append;
    expect(out.errorCode).toBe(ErrorCode.NONE);
    const offset = out.lastOffset;

    // A follower already fetching under a newer epoch (it learned of the election first) does
    // not move this leader's HW: its fetch position belongs to the new leader's log.
    const followerFetch = (currentLeaderEpoch: number) =>
      pm.read(TOPIC, 0, offset + 1, 1 << 20, { reader: 'follower', isolation: 'read_uncommitted', currentLeaderEpoch, minOneMessage: true, replicaId: other });
    expect((await followerFetch(state.leaderEpoch + 1)).errorCode).toBe(ErrorCode.UNKNOWN_LEADER_EPOCH);
    expect(log.highWatermark).toBeLessThanOrEqual(offset);

    // The controller elects the other replica (the store's new state, as its watch delivers it).
    pm.applyClusterState({ ...state, leaderId: other, leaderEpoch: state.leaderEpoch + 1, isr: [other], partitionEpoch: 1 });
    expect(pm.partition(TOPIC, 0)!.leaderId).toBe(other);
    // Nor does a stale fetch of the old epoch, once deposed.
    expect((await followerFetch(state.leaderEpoch)).errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect(log.highWatermark).toBeLessThanOrEqual(offset);
    // As a follower it learns the new leader's high watermark, past the offset its append got.
    log.setHighWatermark(offset + 1);
    expect(log.highWatermark).toBeGreaterThan(offset);

    release();
    await out.completion;
    expect(out.errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect(out.currentLeader).toEqual({ leaderId: other, leaderEpoch: state.leaderEpoch + 1 });
  });
});
