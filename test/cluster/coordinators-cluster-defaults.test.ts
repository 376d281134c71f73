// Cluster mode (issue 13): offsets.topic.replication.factor and
// transaction.state.log.replication.factor left unset take Kafka's default 3 (the single broker
// keeps 1), and transaction.state.log.min.isr Kafka's 2. __consumer_offsets is created with three replicas; once a broker is
// killed, __transaction_state (RF 3) is still created, as on KRaft, where the dead broker stays
// registered (fenced) and is placed as a follower out of the ISR.
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
  it('__consumer_offsets gets three replicas; __transaction_state gets three with one broker killed (it stays registered, fenced)', async () => {
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

    // A killed broker stays registered (fenced), as in KRaft: __transaction_state (RF 3) is still
    // created, with the fenced broker as a follower out of the ISR, and min.isr 2 is met.
    await cluster.kill(3);
    await cluster.waitFor('broker 3 gone', () => cluster.byId(1).broker.brokersFor('PLAINTEXT').length === 2);
    await cluster.waitFor('a transaction coordinator', async () => (await findCoordinator(1, 1, 'txn-defaults')) === ErrorCode.NONE);
    const txnState = cluster.byId(1).broker.partition('__transaction_state', 0)!;
    expect([...txnState.replicas].sort()).toEqual([1, 2, 3]);
    expect(txnState.isr).not.toContain(3);
    expect(txnState.leaderId).not.toBe(3);
  }, 60_000);
});
