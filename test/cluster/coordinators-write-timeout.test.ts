// Cluster mode (issue 13): a coordinator's acks=all write waits offsets.commit.timeout.ms for the
// ISR, not a fixed 5 s. A follower of __consumer_offsets dies without leaving the ISR (its lease
// and replica.lag.time.max.ms are long), so an offset commit cannot be acknowledged by every
// in-sync replica: it fails after the configured timeout with COORDINATOR_NOT_AVAILABLE (Kafka's
// mapping of REQUEST_TIMED_OUT for coordinator writes) and is not applied.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { ConfigError, loadBrokerConfig } from '../../src/config/broker-config.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { RawClient } from '../helpers/raw-client.js';

const OFFSETS = '__consumer_offsets';
const GROUP = 'g-commit-timeout';
const TIMEOUT_MS = 800;

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster(3, {
    'offsets.topic.replication.factor': '3',
    'offsets.topic.num.partitions': '1',
    'offsets.commit.timeout.ms': String(TIMEOUT_MS),
    'replica.lag.time.max.ms': '60000',
    'tributary.metadata.session.timeout.ms': '6000',
  });
});
afterAll(async () => {
  await cluster?.close();
});

async function send(nodeId: number, apiKey: number, version: number, body: object): Promise<any> {
  const c = await RawClient.connect(cluster.byId(nodeId).port);
  try {
    return await c.send(apiKey, version, body);
  } finally {
    c.close();
  }
}

const commit = async (nodeId: number, offset: number): Promise<number> => {
  const r = await send(nodeId, 8, 8, {
    groupId: GROUP,
    generationIdOrMemberEpoch: -1,
    memberId: '',
    groupInstanceId: null,
    retentionTimeMs: -1,
    topics: [{ name: 'data', partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: null }] }],
  });
  return r.topics[0].partitions[0].errorCode;
};

const committed = async (nodeId: number): Promise<number> => {
  const r = await send(nodeId, 9, 8, { groups: [{ groupId: GROUP, topics: [{ name: 'data', partitionIndexes: [0] }] }], requireStable: false });
  return Number(r.groups[0].topics[0].partitions[0].committedOffset);
};

describe('offsets.commit.timeout.ms in a cluster', () => {
  it('a commit the ISR cannot acknowledge fails after offsets.commit.timeout.ms with COORDINATOR_NOT_AVAILABLE', async () => {
    const created = await send(1, 19, 7, { topics: [{ name: 'data', numPartitions: 1, replicationFactor: 3, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
    expect(created.topics[0].errorCode).toBe(ErrorCode.NONE);
    let coordinator = -1;
    await cluster.waitFor('the group coordinator', async () => {
      const r = await send(1, 10, 4, { keyType: 0, coordinatorKeys: [GROUP] });
      coordinator = r.coordinators[0].errorCode === ErrorCode.NONE ? r.coordinators[0].nodeId : -1;
      return coordinator > 0;
    });
    let code = -1;
    // Retried while the coordinator loads and the followers join the ISR.
    await cluster.waitFor('the first commit', async () => (code = await commit(coordinator, 42)) === ErrorCode.NONE);
    expect(code).toBe(ErrorCode.NONE);
    const leo = (id: number) => cluster.byId(id).broker.partitionManager.offsets({ topic: OFFSETS, partition: 0 })!.logEndOffset;
    for (const id of [1, 2, 3]) expect(leo(id)).toBe(leo(coordinator));

    // A follower dies but stays in the ISR (60 s lag, 6 s lease): acks=all cannot complete.
    const follower = [1, 2, 3].find((id) => id !== coordinator)!;
    await cluster.kill(follower);
    expect(cluster.byId(coordinator).broker.partition(OFFSETS, 0)!.isr).toContain(follower);
    const started = Date.now();
    expect(await commit(coordinator, 43)).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(took).toBeLessThan(TIMEOUT_MS + 2500); // the fixed 5 s before
    expect(cluster.byId(coordinator).broker.partition(OFFSETS, 0)!.isr).toContain(follower);
    expect(await committed(coordinator)).toBe(42);
  }, 60_000);
});

describe('write timeout keys', () => {
  it('are validated: a timeout below 1 ms is refused at startup', () => {
    for (const key of ['offsets.commit.timeout.ms', 'request.timeout.ms']) {
      expect(() => loadBrokerConfig({ overrides: [`${key}=0`] }), key).toThrow(ConfigError);
      expect(loadBrokerConfig({ overrides: [`${key}=1500`] }).get(key as 'request.timeout.ms')).toBe(1500);
    }
  });
});
