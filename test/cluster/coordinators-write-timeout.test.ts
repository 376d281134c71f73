// Cluster mode (issue 13): a coordinator's acks=all write waits offsets.commit.timeout.ms for the
// ISR, not a fixed 5 s. A follower of __consumer_offsets dies without leaving the ISR (its lease
// and replica.lag.time.max.ms are long), so an offset commit cannot be acknowledged by every
// in-sync replica: it fails after the configured timeout with COORDINATOR_NOT_AVAILABLE (Kafka's
// mapping of REQUEST_TIMED_OUT for coordinator writes) and is not applied.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { ConfigError, loadBrokerConfig } from '../../src/config/broker-config.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { commitOffset, committedOffset, createTopic, expectWriteTimesOut, logEnd, waitForCoordinator } from '../helpers/coordinator-writes.js';

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

const commit = (nodeId: number, offset: number) => commitOffset(cluster, nodeId, GROUP, 'data', offset);
const committed = (nodeId: number) => committedOffset(cluster, nodeId, GROUP, 'data');

describe('offsets.commit.timeout.ms in a cluster', () => {
  it('a commit the ISR cannot acknowledge fails after offsets.commit.timeout.ms with COORDINATOR_NOT_AVAILABLE', async () => {
    expect(await createTopic(cluster, 'data')).toBe(ErrorCode.NONE);
    const coordinator = await waitForCoordinator(cluster, 0, GROUP);
    let code = -1;
    // Retried while the coordinator loads and the followers join the ISR.
    await cluster.waitFor('the first commit', async () => (code = await commit(coordinator, 42)) === ErrorCode.NONE);
    expect(code).toBe(ErrorCode.NONE);
    for (const id of [1, 2, 3]) expect(logEnd(cluster, id, OFFSETS)).toBe(logEnd(cluster, coordinator, OFFSETS));

    // A follower dies but stays in the ISR (60 s lag, 6 s lease): acks=all cannot complete.
    await expectWriteTimesOut(cluster, coordinator, OFFSETS, TIMEOUT_MS, () => commit(coordinator, 43));
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
