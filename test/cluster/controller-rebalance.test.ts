// auto.leader.rebalance.enable (Kafka's default true): after a broker comes back, the controller's
// periodic check (leader.imbalance.check.interval.seconds) gives it back the partitions it is the
// preferred leader of, with no ElectLeaders request. Three in-process brokers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { startTestBroker } from '../helpers/broker.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { RawClient } from '../helpers/raw-client.js';

let cluster: TestCluster;
const IDS = [1, 2, 3];
const OVERRIDES = {
  'controlled.shutdown.retry.backoff.ms': '200',
  'replica.fetch.wait.max.ms': '100',
  'replica.fetch.backoff.ms': '100',
  'leader.imbalance.check.interval.seconds': '1',
};
const stateOn = (id: number, p: number) => cluster.byId(id).broker.partitionManager.partition('bal', p);

beforeAll(async () => {
  cluster = await startCluster(3, OVERRIDES);
});
afterAll(async () => {
  await cluster?.close();
});

describe('automatic preferred-leader rebalance', () => {
  it('a restarted broker gets its preferred partitions back', async () => {
    const c = await RawClient.connect(cluster.byId(1).port);
    try {
      const res = await c.send(19, 7, { topics: [{ name: 'bal', numPartitions: 3, replicationFactor: 3, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
      expect(res.topics[0].errorCode).toBe(ErrorCode.NONE);
    } finally {
      c.close();
    }
    await cluster.waitFor('bal in sync', () => IDS.every((id) => [0, 1, 2].every((p) => stateOn(id, p)?.isr.length === 3)));
    const victim = stateOn(1, 0)!.replicas[0]!;
    const epoch = stateOn(1, 0)!.leaderEpoch;
    const dir = cluster.byId(victim).dataDir;
    await cluster.byId(victim).stop();
    cluster.brokers[victim - 1] = undefined;
    const other = IDS.find((id) => id !== victim)!;
    expect(stateOn(other, 0)!.leaderId).not.toBe(victim);

    const store = cluster.byId(other).broker.config.get('tributary.metadata.store');
    cluster.brokers[victim - 1] = await startTestBroker({ 'node.id': String(victim), 'tributary.metadata.store': store, 'tributary.metadata.session.timeout.ms': '1500', ...OVERRIDES }, dir);
    // Back in the ISR first (AlterPartition), then the periodic check moves leadership back.
    await cluster.waitFor('preferred leader restored by the controller', () => IDS.every((id) => stateOn(id, 0)?.leaderId === victim), 20_000);
    expect(stateOn(other, 0)!.leaderEpoch).toBe(epoch + 2);
  }, 40_000);
});
