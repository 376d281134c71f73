// What the cluster tests of coordinator writes share (test/cluster/coordinators-write-timeout,
// -txn-write-timeout, -writes): raw requests on a fresh connection per call, the coordinator a
// key names, an offset commit and its read-back, and the check that a write the ISR cannot
// acknowledge (a follower dead but still in the ISR) fails after the configured timeout.
import { expect } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import type { TestCluster } from './cluster.js';

/** Waits until FindCoordinator (through broker 1) names a coordinator for the key; its node id. */
export async function waitForCoordinator(cluster: TestCluster, keyType: number, key: string): Promise<number> {
  let coordinator = -1;
  await cluster.waitFor(`the coordinator of ${key}`, async () => {
    const r = await cluster.send(1, 10, 4, { keyType, coordinatorKeys: [key] });
    coordinator = r.coordinators[0].errorCode === ErrorCode.NONE ? r.coordinators[0].nodeId : -1;
    return coordinator > 0;
  });
  return coordinator;
}

/** CreateTopics of one topic with RF 3; its error code. */
export async function createTopic(cluster: TestCluster, name: string, numPartitions = 1): Promise<number> {
  const r = await cluster.send(1, 19, 7, { topics: [{ name, numPartitions, replicationFactor: 3, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
  return r.topics[0].errorCode;
}

/** OffsetCommit (v8, no member) of `offset` for `topic`-0; its error code. */
export async function commitOffset(cluster: TestCluster, nodeId: number, groupId: string, topic: string, offset: number): Promise<number> {
  const r = await cluster.send(nodeId, 8, 8, {
    groupId,
    generationIdOrMemberEpoch: -1,
    memberId: '',
    groupInstanceId: null,
    retentionTimeMs: -1,
    topics: [{ name: topic, partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: null }] }],
  });
  return r.topics[0].partitions[0].errorCode;
}

/** OffsetFetch (v8) of `topic`-0. */
export async function committedOffset(cluster: TestCluster, nodeId: number, groupId: string, topic: string): Promise<number> {
  const r = await cluster.send(nodeId, 9, 8, { groups: [{ groupId, topics: [{ name: topic, partitionIndexes: [0] }] }], requireStable: false });
  return Number(r.groups[0].topics[0].partitions[0].committedOffset);
}

/** Log end offset of `topic`-0 on broker `id`. */
export function logEnd(cluster: TestCluster, id: number, topic: string): number {
  return cluster.byId(id).broker.partitionManager.offsets({ topic, partition: 0 })!.logEndOffset;
}

/**
 * A follower of `topic`-0 dies but stays in the ISR (the cluster runs with a long
 * replica.lag.time.max.ms and lease): `write` on the coordinator must fail with
 * COORDINATOR_NOT_AVAILABLE after about `timeoutMs` (not the fixed 5 s of before), the follower
 * still in the ISR.
 */
export async function expectWriteTimesOut(cluster: TestCluster, coordinator: number, topic: string, timeoutMs: number, write: () => Promise<number>): Promise<void> {
  const follower = [1, 2, 3].find((id) => id !== coordinator)!;
  await cluster.kill(follower);
  expect(cluster.byId(coordinator).broker.partition(topic, 0)!.isr).toContain(follower);
  const started = Date.now();
  expect(await write()).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  const took = Date.now() - started;
  expect(took).toBeGreaterThanOrEqual(timeoutMs - 50);
  expect(took).toBeLessThan(timeoutMs + 2500); // the fixed 5 s before
  expect(cluster.byId(coordinator).broker.partition(topic, 0)!.isr).toContain(follower);
}
