// Cluster mode on a real etcd (issue 13): coordinators follow their internal-topic partitions when
// partition states and topics reach each broker through separate etcd watches. Three brokers,
// RF 3 __consumer_offsets / __transaction_state: a kafkajs transactional producer commits across
// partitions led by different brokers, its coordinator's broker is killed, the next transaction
// commits on the new coordinator, and a read_committed consumer group sees exactly the committed
// records and keeps its committed offsets across the kill of its own coordinator.
import fs from 'node:fs';
import { logLevel, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { kafkajs } from '../helpers/clients.js';
import { ETCD_BIN, startEtcd, type TestEtcd } from '../helpers/etcd.js';
import { RawClient } from '../helpers/raw-client.js';

const hasEtcd = fs.existsSync(ETCD_BIN);
const TOPIC = 'etcd-txn';
const TXN_ID = 'etcd-tx';
let etcd: TestEtcd | undefined;
let cluster: TestCluster;

beforeAll(async () => {
  if (!hasEtcd) return;
  etcd = await startEtcd();
  cluster = await startCluster(3, {
    'tributary.metadata.store': etcd.url,
    'tributary.metadata.root': `/coord-${process.pid}/`,
    'offsets.topic.replication.factor': '3',
    'offsets.topic.num.partitions': '3',
    'transaction.state.log.replication.factor': '3',
    'transaction.state.log.num.partitions': '3',
    'transaction.state.log.min.isr': '2',
    'group.initial.rebalance.delay.ms': '0',
  });
}, 60_000);
afterAll(async () => {
  await cluster?.close();
  await etcd?.cleanup();
});

const client = (id: string) => kafkajs(cluster.bootstrap().split(','), { clientId: id, logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 1000 } });

async function coordinatorOf(keyType: number, key: string, via: number): Promise<number> {
  const c = await RawClient.connect(cluster.byId(via).port);
  try {
    const r = await c.send(10, 4, { keyType, coordinatorKeys: [key] });
    return r.coordinators[0].errorCode === ErrorCode.NONE ? r.coordinators[0].nodeId : -1;
  } finally {
    c.close();
  }
}

async function transaction(producer: Producer, tag: string, commit: boolean): Promise<void> {
  const txn = await producer.transaction();
  await txn.send({ topic: TOPIC, messages: [0, 1, 2].map((partition) => ({ partition, value: `${tag}-${partition}` })) });
  if (commit) await txn.commit();
  else await txn.abort();
}

describe.skipIf(!hasEtcd)('coordinators over etcd', () => {
  it('transactions and a read_committed group survive the loss of their coordinators', async () => {
    const admin = client('etcd-admin').admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 3, replicationFactor: 3 }], waitForLeaders: true });
    await cluster.waitFor('data leaders on three brokers', () => new Set([0, 1, 2].map((p) => cluster.byId(1).broker.partitionManager.partition(TOPIC, p)?.leaderId ?? -1)).size === 3);

    const producer = client('etcd-producer').producer({ transactionalId: TXN_ID, idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await transaction(producer, 'c1', true);
    await transaction(producer, 'a2', false);

    const group = 'etcd-rc';
    const seen: string[] = [];
    // Delivered again after the coordinator acknowledged its commit: re-consumption beyond the last commit.
    const committedValues = new Set<string>();
    const redeliveredAfterCommit: string[] = [];
    const consumer = client(group).consumer({ groupId: group, readUncommitted: false, sessionTimeout: 6000, heartbeatInterval: 300, retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 500 } });
    await consumer.connect();
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const value = message.value!.toString();
        if (committedValues.has(value)) redeliveredAfterCommit.push(value);
        seen.push(value);
        // A commit to a dead coordinator fails: the record is not committed and may come again.
        await consumer.commitOffsets([{ topic: TOPIC, partition, offset: String(Number(message.offset) + 1) }]);
        committedValues.add(value);
      },
    });
    await cluster.waitFor('c1 consumed', () => ['c1-0', 'c1-1', 'c1-2'].every((v) => seen.includes(v)), 30_000);

    // Kill the transaction coordinator's broker (possibly also the group's coordinator).
    const txnCoordinator = await coordinatorOf(1, TXN_ID, 1);
    expect(txnCoordinator).toBeGreaterThan(0);
    await cluster.kill(txnCoordinator);
    const survivor = [1, 2, 3].find((id) => id !== txnCoordinator)!;
    await cluster.waitFor('a new transaction coordinator', async () => {
      const next = await coordinatorOf(1, TXN_ID, survivor);
      return next > 0 && next !== txnCoordinator;
    }, 20_000);
    await transaction(producer, 'c3', true);
    await transaction(producer, 'a4', false);
    await transaction(producer, 'c5', true);
    await cluster.waitFor('c5 consumed', () => ['c5-0', 'c5-1', 'c5-2'].every((v) => seen.includes(v)), 60_000);
    // Exactly the committed transactions' records (no aborted data), none delivered again after its commit.
    expect([...new Set(seen)].sort()).toEqual(['c1-0', 'c1-1', 'c1-2', 'c3-0', 'c3-1', 'c3-2', 'c5-0', 'c5-1', 'c5-2']);
    expect(redeliveredAfterCommit).toEqual([]);
    // Each partition holds 5 transactions (10 offsets with their markers): c5's record is at 8.
    await cluster.waitFor('offsets committed', async () => (await admin.fetchOffsets({ groupId: group, topics: [TOPIC] }))[0]!.partitions.every((p) => Number(p.offset) === 9));
    await consumer.disconnect();
    await producer.disconnect();
    await admin.disconnect();
  }, 120_000);
});
