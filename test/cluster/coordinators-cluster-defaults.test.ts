// Cluster mode (issue 13): offsets.topic.replication.factor and
// transaction.state.log.replication.factor left unset take Kafka's default 3 (the single broker
// keeps 1), and transaction.state.log.min.isr Kafka's 2. __consumer_offsets is created with three replicas; once a broker is gone,
// __transaction_state (RF 3) cannot be created on two live brokers, and FindCoordinator answers
// COORDINATOR_NOT_AVAILABLE as Kafka does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';

let cluster: TestCluster;

beforeAll(async () => {
  // No replication-factor keys: the point of the test.
  cluster = await startCluster(3, { 'offsets.topic.num.partitions': '1', 'transaction.state.log.num.partitions': '1', 'group.initial.rebalance.delay.ms': '0' });
});
afterAll(async () => {
  await cluster?.close();
});

async function findCoordinator(nodeId: number, keyType: number, key: string): Promise<number> {
  const r = await cluster.send(nodeId, 10, 4, { keyType, coordinatorKeys: [key] });
  return r.coordinators[0].errorCode;
}

describe('internal topics in cluster mode without replication-factor keys', () => {
  it('__consumer_offsets gets three replicas; __transaction_state is refused with two live brokers', async () => {
    await cluster.waitFor('a group coordinator', async () => (await findCoordinator(1, 0, 'g-defaults')) === ErrorCode.NONE);
    await cluster.waitFor('__consumer_offsets everywhere', () => cluster.brokers.every((b) => b!.broker.partition('__consumer_offsets', 0) !== undefined));
    expect(cluster.byId(1).broker.partition('__consumer_offsets', 0)!.replicas.length).toBe(3);
    // DescribeConfigs shows Kafka's defaults as defaults, as a Kafka broker does.
    const described = await cluster.send(1, 32, 4, {
      resources: [{ resourceType: 4, resourceName: '1', configurationKeys: ['offsets.topic.replication.factor', 'transaction.state.log.replication.factor', 'transaction.state.log.min.isr'] }],
      includeSynonyms: false,
      includeDocumentation: false,
    });
    const rows = Object.fromEntries(described.results[0].configs.map((c: { name: string; value: string; isDefault: boolean; configSource: number }) => [c.name, [c.value, c.configSource]]));
    expect(rows).toEqual({ 'offsets.topic.replication.factor': ['3', 5], 'transaction.state.log.replication.factor': ['3', 5], 'transaction.state.log.min.isr': ['2', 5] });

    await cluster.kill(3);
    await cluster.waitFor('broker 3 gone', () => cluster.byId(1).broker.brokersFor('PLAINTEXT').length === 2);
    for (let i = 0; i < 3; i++) expect(await findCoordinator(1, 1, 'txn-defaults')).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect(cluster.byId(1).broker.partition('__transaction_state', 0)).toBeUndefined();
  }, 60_000);
});
