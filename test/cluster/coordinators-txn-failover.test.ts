// Cluster mode (issue 13): transactions across brokers and across the loss of their coordinator.
// Three brokers, __transaction_state with RF 3 (min.insync 2), a data topic whose three partitions
// are led by three different brokers. A kafkajs transactional producer writes to all three, so
// the coordinator writes two of the three markers remotely (WriteTxnMarkers to the leaders):
// a commit is seen whole by a read_committed consumer and an abort hides all of it. Then the
// coordinator's broker is killed between transactions: the next transaction commits on the new
// coordinator, and read_committed sees exactly the committed data.
import { logLevel, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { buildRecordBatch } from '../../protocol/records/batch-builder.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { kafkajs } from '../helpers/clients.js';

const OVERRIDES = {
  'offsets.topic.replication.factor': '3',
  'offsets.topic.num.partitions': '3',
  'transaction.state.log.replication.factor': '3',
  'transaction.state.log.num.partitions': '3',
  'transaction.state.log.min.isr': '2',
  'group.initial.rebalance.delay.ms': '0',
};
const TOPIC = 'txn-data';
const TXN_ID = 'tx-failover';

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster(3, OVERRIDES);
});
afterAll(async () => {
  await cluster?.close();
});

const client = (id: string) => kafkajs(cluster.bootstrap().split(','), { clientId: id, logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 1000 } });

async function txnCoordinator(via: number): Promise<number> {
  const r = await cluster.send(via, 10, 4, { keyType: 1, coordinatorKeys: [TXN_ID] });
  return r.coordinators[0].errorCode === ErrorCode.NONE ? r.coordinators[0].nodeId : -1;
}

/** One transaction writing `tag`-0..2 to partitions 0..2; committed or aborted. */
async function transaction(producer: Producer, tag: string, commit: boolean): Promise<void> {
  const txn = await producer.transaction();
  await txn.send({ topic: TOPIC, messages: [0, 1, 2].map((partition) => ({ partition, value: `${tag}-${partition}` })) });
  if (commit) await txn.commit();
  else await txn.abort();
}

/**
 * Everything a read_committed consumer sees, once it has seen every value of `until` (committed
 * after everything before it, so having seen them proves it read past all earlier transactions).
 */
async function readCommitted(group: string, until: string[]): Promise<string[]> {
  // Keyed by position: a rebalance may hand the consumer a record twice (at-least-once delivery),
  // while a record written twice by the broker sits at two offsets and still shows twice.
  const seen = new Map<string, string>();
  const consumer = client(group).consumer({ groupId: group, readUncommitted: false, sessionTimeout: 6000, heartbeatInterval: 500 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ partition, message }) => void seen.set(`${partition}@${message.offset}`, message.value!.toString()) });
    await cluster.waitFor(`read_committed sees ${until.join(',')}`, () => until.every((v) => [...seen.values()].includes(v)), 30_000);
  } finally {
    await consumer.disconnect();
  }
  return [...seen.values()].sort();
}

const send = <T = any>(nodeId: number, apiKey: number, version: number, body: object): Promise<T> => cluster.send<T>(nodeId, apiKey, version, body);

/**
 * A 3-partition RF 3 topic, the coordinator of `tid`, a partition led by another broker, and a
 * transactional producer id from InitProducerId (of `initVersion`) at that coordinator.
 */
async function remotePartition(topic: string, tid: string, initVersion: number) {
  const created = await send(1, 19, 7, { topics: [{ name: topic, numPartitions: 3, replicationFactor: 3, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
  expect(created.topics[0].errorCode).toBe(ErrorCode.NONE);
  let coordinator = -1;
  await cluster.waitFor('the coordinator of the id', async () => {
    const r = await send(1, 10, 4, { keyType: 1, coordinatorKeys: [tid] });
    coordinator = r.coordinators[0].errorCode === ErrorCode.NONE ? r.coordinators[0].nodeId : -1;
    return coordinator > 0 && [0, 1, 2].every((p) => (cluster.byId(1).broker.partitionManager.partition(topic, p)?.leaderId ?? -1) > 0);
  });
  const partition = [0, 1, 2].find((p) => cluster.byId(1).broker.partitionManager.partition(topic, p)!.leaderId !== coordinator)!;
  const leader = cluster.byId(1).broker.partitionManager.partition(topic, partition)!.leaderId;
  let init: any;
  await cluster.waitFor('InitProducerId', async () => (init = await send(coordinator, 22, initVersion, { transactionalId: tid, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 })).errorCode === ErrorCode.NONE);
  return { coordinator, partition, leader, init };
}

describe('transactions in a cluster', () => {
  it('transactions v2: Produce v12 on a leader that is not the coordinator adds the partition there (AddPartitionsToTxn v5)', async () => {
    const topic = 'tv2-data';
    const tid = 'tv2-remote';
    const { coordinator, partition, leader, init } = await remotePartition(topic, tid, 5);
    const records = buildRecordBatch({ producerId: init.producerId, producerEpoch: init.producerEpoch, baseSequence: 0, transactional: true, records: [{ key: null, value: Buffer.from('tv2'), timestamp: Date.now() }] });
    const produced = await send(leader, 0, 12, { transactionalId: tid, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] });
    expect(produced.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.NONE);
    // The coordinator (another broker) has the partition in the transaction.
    const described = await send(coordinator, 65, 0, { transactionalIds: [tid] });
    expect(described.transactionStates[0]).toMatchObject({ transactionState: 'Ongoing', topics: [{ topic, partitions: [partition] }] });
    const ended = await send(coordinator, 26, 5, { transactionalId: tid, producerId: init.producerId, producerEpoch: init.producerEpoch, committed: true });
    expect(ended.errorCode).toBe(ErrorCode.NONE);
    // The COMMIT marker reached the leader: the LSO passed it.
    await cluster.waitFor('the marker on the leader', () => {
      const o = cluster.byId(leader).broker.partition(topic, partition)!.log;
      return o.lastStableOffset === 2 && o.highWatermark === 2;
    });
  });

  it('KIP-890 before Produce v12: a leader that is not the coordinator verifies a new partition there (AddPartitionsToTxn verifyOnly)', async () => {
    const topic = 'verify-data';
    const tid = 'tx-verify-remote';
    const { coordinator, partition, leader, init } = await remotePartition(topic, tid, 4);
    const batch = (seq: number) => buildRecordBatch({ producerId: init.producerId, producerEpoch: init.producerEpoch, baseSequence: seq, transactional: true, records: [{ key: null, value: Buffer.from(`v${seq}`), timestamp: Date.now() }] });
    const produce = async (seq: number) =>
      (await send(leader, 0, 9, { transactionalId: tid, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: partition, records: batch(seq) }] }] })).responses[0].partitionResponses[0];
    // Not added to the transaction: refused (Kafka: INVALID_TXN_STATE before Produce v11), nothing written.
    expect((await produce(0)).errorCode).toBe(ErrorCode.INVALID_TXN_STATE);
    expect(cluster.byId(leader).broker.partitionManager.offsets({ topic, partition })!.logEndOffset).toBe(0);
    const added = await send(coordinator, 24, 3, { v3AndBelowTransactionalId: tid, v3AndBelowProducerId: init.producerId, v3AndBelowProducerEpoch: init.producerEpoch, v3AndBelowTopics: [{ name: topic, partitions: [partition] }] });
    expect(added.resultsByTopicV3AndBelow[0].resultsByPartition[0].partitionErrorCode).toBe(ErrorCode.NONE);
    const ok = await produce(0);
    expect(ok.errorCode).toBe(ErrorCode.NONE);
    expect((await produce(1)).errorCode).toBe(ErrorCode.NONE);
    const ended = await send(coordinator, 26, 3, { transactionalId: tid, producerId: init.producerId, producerEpoch: init.producerEpoch, committed: false });
    expect(ended.errorCode).toBe(ErrorCode.NONE);
    await cluster.waitFor('the ABORT marker on the leader', () => cluster.byId(leader).broker.partition(topic, partition)!.log.lastStableOffset === 3);
  });

  it('commits and aborts across partitions led by different brokers, and survives the loss of the coordinator', async () => {
    const admin = client('txn-admin').admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 3, replicationFactor: 3 }], waitForLeaders: true });
    await cluster.waitFor('data leaders on three brokers', () => new Set([0, 1, 2].map((p) => cluster.byId(1).broker.partitionManager.partition(TOPIC, p)?.leaderId ?? -1)).size === 3);
    await admin.disconnect();

    const producer = client('txn-producer').producer({ transactionalId: TXN_ID, idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    let coordinator = -1;
    // The first FindCoordinator creates __transaction_state; its leaders are elected just after.
    // Wait until every broker names the same coordinator, so KIP-890 verification on the leaders
    // has no transient failure to answer: after a retriable produce error on one broker, kafkajs
    // 2.2 may re-send a batch whose request to another broker succeeded meanwhile, under the next
    // sequence number (its retry reuses the broker list computed before that request finished),
    // which any broker, Kafka's too, appends as a new record. (Verification used to refuse a
    // partition with CONCURRENT_TRANSACTIONS while the producer's next AddPartitionsToTxn was being
    // written, which made this test duplicate a record in about one run in three.)
    await cluster.waitFor('the transaction coordinator, named alike by every broker', async () => {
      const named = await Promise.all([1, 2, 3].map((id) => txnCoordinator(id)));
      coordinator = named[0]!;
      return coordinator > 0 && named.every((n) => n === coordinator);
    });

    // Two of the three partitions are led elsewhere: their markers go over WriteTxnMarkers.
    await transaction(producer, 'c1', true);
    await transaction(producer, 'a2', false);
    await transaction(producer, 'c3', true);
    const expected1 = ['c1-0', 'c1-1', 'c1-2', 'c3-0', 'c3-1', 'c3-2'];
    expect(await readCommitted('rc-1', ['c3-0', 'c3-1', 'c3-2'])).toEqual(expected1);

    // The coordinator's broker goes away between transactions.
    await cluster.kill(coordinator);
    const survivor = [1, 2, 3].find((id) => id !== coordinator)!;
    await cluster.waitFor('a new transaction coordinator', async () => {
      const next = await txnCoordinator(survivor);
      return next > 0 && next !== coordinator;
    }, 20_000);
    await transaction(producer, 'c4', true);
    await transaction(producer, 'a5', false);
    await transaction(producer, 'c6', true);
    const next = await txnCoordinator(survivor);
    expect(cluster.byId(next).broker.txnCoordinator!.core.txns.get(TXN_ID)?.state).toMatch(/^(PrepareCommit|CompleteCommit)$/);
    const expected2 = [...expected1, 'c4-0', 'c4-1', 'c4-2', 'c6-0', 'c6-1', 'c6-2'].sort();
    expect(await readCommitted('rc-2', ['c6-0', 'c6-1', 'c6-2'])).toEqual(expected2);
    await producer.disconnect();
  }, 120_000);
});
