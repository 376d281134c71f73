// Cluster mode (issue 13): coordinator writes are acks=all, as Kafka's coordinators append them
// (GroupMetadataManager / CoordinatorRuntime with requiredAcks -1). An offset commit is answered
// only once every ISR member has the record; with fewer in-sync replicas than min.insync.replicas
// the write is refused (NOT_ENOUGH_REPLICAS) and the client gets COORDINATOR_NOT_AVAILABLE (Kafka's
// mapping for OffsetCommit), and nothing is committed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { commitOffset, committedOffset, createTopic, logEnd, waitForCoordinator } from '../helpers/coordinator-writes.js';

const OFFSETS = '__consumer_offsets';
const GROUP = 'g-acks-all';

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster(3, {
    'offsets.topic.replication.factor': '3',
    'offsets.topic.num.partitions': '1',
    'min.insync.replicas': '3',
    'replica.lag.time.max.ms': '2000',
  });
});
afterAll(async () => {
  await cluster?.close();
});

const commit = (nodeId: number, offset: number) => commitOffset(cluster, nodeId, GROUP, 'data', offset);
const committed = (nodeId: number) => committedOffset(cluster, nodeId, GROUP, 'data');

describe('coordinator writes in a cluster', () => {
  it('an offset commit is acknowledged once every ISR member has it; below min.insync it is refused with COORDINATOR_NOT_AVAILABLE', async () => {
    expect(await createTopic(cluster, 'data')).toBe(ErrorCode.NONE);
    const coordinator = await waitForCoordinator(cluster, 0, GROUP);
    let code = -1;
    await cluster.waitFor('the first commit', async () => (code = await commit(coordinator, 42)) !== ErrorCode.COORDINATOR_LOAD_IN_PROGRESS && code !== ErrorCode.NOT_COORDINATOR);
    expect(code).toBe(ErrorCode.NONE);
    // Answered: every replica already holds the commit record (acks=1 would answer before the followers fetched it).
    const leo = (id: number) => logEnd(cluster, id, OFFSETS);
    const leaderEnd = leo(coordinator);
    expect(leaderEnd).toBeGreaterThan(0);
    for (const id of [1, 2, 3]) expect(leo(id)).toBe(leaderEnd);
    expect(await commit(coordinator, 43)).toBe(ErrorCode.NONE);
    for (const id of [1, 2, 3]) expect(leo(id)).toBe(leo(coordinator));

    // A follower dies: once the ISR shrinks to two, min.insync.replicas=3 refuses the write.
    const follower = [1, 2, 3].find((id) => id !== coordinator)!;
    await cluster.kill(follower);
    await cluster.waitFor('the ISR without the dead follower', () => !cluster.byId(coordinator).broker.partitionManager.partition(OFFSETS, 0)!.isr.includes(follower));
    expect(await commit(coordinator, 44)).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect(await committed(coordinator)).toBe(43);
  }, 60_000);
});
