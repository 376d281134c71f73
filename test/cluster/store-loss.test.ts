// A leader that loses the metadata store (its own link cut: a network partition) stops leading
// when its lease can have expired, before anyone else may be elected: it answers
// NOT_LEADER_OR_FOLLOWER; the others elect a new leader; when the link is back it rejoins and
// follows the new leader.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { buildRecordBatch } from '../../protocol/records/batch-builder.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { RawClient } from '../helpers/raw-client.js';

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster(3);
});
afterAll(async () => {
  await cluster?.close();
});

describe('a leader cut off from the metadata store', () => {
  it('stops accepting writes, is replaced, and rejoins as a follower', async () => {
    const c1 = await RawClient.connect(cluster.byId(1).port);
    const created = await c1.send(19, 7, { topics: [{ name: 'cut', numPartitions: 1, replicationFactor: 3, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
    c1.close();
    expect(created.topics[0].errorCode).toBe(ErrorCode.NONE);
    const view = (id: number) => cluster.byId(id).broker.partitionManager.partition('cut', 0);
    await cluster.waitFor('leader known everywhere', () => [1, 2, 3].every((id) => (view(id)?.leaderId ?? -1) >= 0));
    const leader = view(1)!.leaderId;
    const other = [1, 2, 3].find((id) => id !== leader)!;
    const epoch = view(other)!.leaderEpoch;

    cluster.byId(leader).broker.cluster!.setStoreReachable(false);
    await cluster.waitFor('the cut-off leader resigns', () => view(leader)!.leaderId === -1);
    const c = await RawClient.connect(cluster.byId(leader).port);
    try {
      const records = buildRecordBatch({ records: [{ key: null, value: Buffer.from('x'), timestamp: Date.now() }] });
      const r = await c.send(0, 9, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: 'cut', partitionData: [{ index: 0, records }] }] });
      expect(r.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    } finally {
      c.close();
    }
    await cluster.waitFor('a new leader elected', () => ![-1, leader].includes(view(other)!.leaderId));
    expect(view(other)!.leaderEpoch).toBeGreaterThan(epoch);

    cluster.byId(leader).broker.cluster!.setStoreReachable(true);
    const newLeader = view(other)!.leaderId;
    await cluster.waitFor('the old leader rejoins and follows the new one', () => view(leader)!.leaderId === newLeader, 20_000);
    await cluster.waitFor('three live brokers again', () => cluster.byId(other).broker.brokersFor('PLAINTEXT').length === 3);
  });
});
