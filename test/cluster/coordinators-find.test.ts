// Cluster mode (issue 13): coordinators follow the leadership of their internal-topic partitions.
// FindCoordinator creates __consumer_offsets / __transaction_state through the controller with the
// configured replication factor and names the leader of the key's partition — the same answer on
// every broker, for group and transaction keys, single-key (v0-v3) and batched (v4+) — and answers
// COORDINATOR_NOT_AVAILABLE while fewer brokers are alive than the replication factor.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { noEffectWarning } from '../../src/config/no-effect-keys.js';
import { partitionForGroup } from '../../src/coordinator/common/partition-for.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { RawClient } from '../helpers/raw-client.js';

const PARTITIONS = 4;
const OVERRIDES = {
  'offsets.topic.replication.factor': '3',
  'offsets.topic.num.partitions': String(PARTITIONS),
  'transaction.state.log.replication.factor': '3',
  'transaction.state.log.num.partitions': String(PARTITIONS),
  'transaction.state.log.min.isr': '2',
};

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster(3, OVERRIDES);
});
afterAll(async () => {
  await cluster?.close();
});

async function find(nodeId: number, version: number, keyType: number, keys: string[]): Promise<{ key: string; nodeId: number; port: number; errorCode: number }[]> {
  const c = await RawClient.connect(cluster.byId(nodeId).port);
  try {
    if (version >= 4) return (await c.send(10, version, { keyType, coordinatorKeys: keys })).coordinators;
    const r = await c.send(10, version, { key: keys[0], keyType });
    return [{ key: keys[0]!, nodeId: r.nodeId, port: r.port, errorCode: r.errorCode }];
  } finally {
    c.close();
  }
}

/** Asks until every key has a coordinator (the topic is created and its leaders elected on the first ask). */
async function findAll(nodeId: number, version: number, keyType: number, keys: string[]) {
  let last: Awaited<ReturnType<typeof find>> = [];
  await cluster.waitFor('coordinators found', async () => {
    last = await find(nodeId, version, keyType, keys);
    return last.every((c) => c.errorCode === ErrorCode.NONE);
  });
  return last;
}

const GROUPS = ['g-a', 'g-b', 'g-c', 'g-d', 'g-e', 'g-f', 'g-g', 'g-h'];

describe('FindCoordinator in a cluster', () => {
  it('creates __consumer_offsets with RF 3 and names the leader of each group partition, on every broker', async () => {
    const answers = await findAll(2, 4, 0, GROUPS);
    const topic = cluster.byId(1).broker.topics.get('__consumer_offsets');
    expect(topic?.partitions).toBe(PARTITIONS);
    expect(topic?.replicationFactor).toBe(3);
    const leaders = new Set<number>();
    for (const a of answers) {
      const p = partitionForGroup(a.key, PARTITIONS);
      const leader = cluster.byId(1).broker.partitionManager.partition('__consumer_offsets', p)!.leaderId;
      expect(a.nodeId).toBe(leader);
      expect(a.port).toBe(cluster.byId(leader).port);
      leaders.add(leader);
    }
    // Leadership of the partitions is spread over the brokers, so the coordinators are too.
    expect(leaders.size).toBeGreaterThan(1);
    for (const id of [1, 3]) {
      for (const v of [0, 3]) {
        const [one] = await findAll(id, v, 0, [GROUPS[0]!]);
        expect(one!.nodeId).toBe(answers[0]!.nodeId);
      }
      expect((await findAll(id, 4, 0, GROUPS)).map((a) => a.nodeId)).toEqual(answers.map((a) => a.nodeId));
    }
  });

  it('creates __transaction_state (RF 3, min.insync 2) and names the leader of each transactional id partition', async () => {
    const ids = ['tx-1', 'tx-2', 'tx-3', 'tx-4', 'tx-5'];
    const answers = await findAll(3, 4, 1, ids);
    const topic = cluster.byId(2).broker.topics.get('__transaction_state');
    expect(topic?.replicationFactor).toBe(3);
    expect(topic?.configs['min.insync.replicas']).toBe('2');
    for (const a of answers) {
      const leader = cluster.byId(3).broker.partitionManager.partition('__transaction_state', partitionForGroup(a.key, PARTITIONS))!.leaderId;
      expect(a.nodeId).toBe(leader);
    }
  });

  it('the coordinator loads only the partitions it leads: others answer NOT_COORDINATOR', async () => {
    const [a] = await findAll(1, 4, 0, ['g-owned']);
    const other = [1, 2, 3].find((id) => id !== a!.nodeId)!;
    await cluster.waitFor('partition loaded on its leader', () => cluster.byId(a!.nodeId).broker.groupCoordinator.groupError('g-owned') === ErrorCode.NONE);
    expect(cluster.byId(other).broker.groupCoordinator.groupError('g-owned')).toBe(ErrorCode.NOT_COORDINATOR);
    const c = await RawClient.connect(cluster.byId(other).port);
    try {
      const r = await c.send(9, 8, { groups: [{ groupId: 'g-owned', topics: null }], requireStable: false });
      expect(r.groups[0].errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    } finally {
      c.close();
    }
  });
});

describe('FindCoordinator with fewer live brokers than the replication factor', () => {
  it('answers COORDINATOR_NOT_AVAILABLE (the topic cannot be created yet)', async () => {
    const small = await startCluster(2, OVERRIDES);
    try {
      const c = await RawClient.connect(small.byId(1).port);
      try {
        const r = await c.send(10, 4, { keyType: 0, coordinatorKeys: ['g-x'] });
        expect(r.coordinators[0].errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
        expect(small.byId(1).broker.topics.get('__consumer_offsets')).toBeUndefined();
      } finally {
        c.close();
      }
    } finally {
      await small.close();
    }
  });
});

describe('the internal topics\' replication keys', () => {
  it('act in cluster mode (no "has no effect" warning there), not on a single broker', () => {
    for (const key of ['offsets.topic.replication.factor', 'transaction.state.log.replication.factor', 'transaction.state.log.min.isr']) {
      expect(noEffectWarning(key, undefined, true)).toBeNull();
      expect(noEffectWarning(key, undefined, false)).toContain('no effect');
    }
  });
});
