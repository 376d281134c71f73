// Cluster mode (issue 13) with @platformatic/kafka: a transactional producer writes to three
// partitions led by three different brokers (two markers of each transaction go to other brokers
// over WriteTxnMarkers); its coordinator's broker is killed between transactions and the next
// transaction commits on the new coordinator; read_committed sees exactly the committed records
// (an abort before the kill stays hidden).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { pkProducer, readCommittedPlatformatic } from '../helpers/clients.js';

const TOPIC = 'pk-cluster-txn';
const TXN_ID = 'pk-cluster-tx';
let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster(3, {
    'offsets.topic.replication.factor': '3',
    'offsets.topic.num.partitions': '3',
    'transaction.state.log.replication.factor': '3',
    'transaction.state.log.num.partitions': '3',
    'transaction.state.log.min.isr': '2',
    'group.initial.rebalance.delay.ms': '0',
  });
});
afterAll(async () => {
  await cluster?.close();
});

const send = <T = any>(nodeId: number, apiKey: number, version: number, body: object): Promise<T> => cluster.send<T>(nodeId, apiKey, version, body);

async function txnCoordinator(via: number): Promise<number> {
  const r = await send(via, 10, 4, { keyType: 1, coordinatorKeys: [TXN_ID] });
  return r.coordinators[0].errorCode === ErrorCode.NONE ? r.coordinators[0].nodeId : -1;
}

describe('@platformatic/kafka transactions in a cluster', () => {
  it('commit and abort across brokers, and commit after the coordinator is killed', async () => {
    const created = await send(1, 19, 7, { topics: [{ name: TOPIC, numPartitions: 3, replicationFactor: 3, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
    expect(created.topics[0].errorCode).toBe(ErrorCode.NONE);
    await cluster.waitFor('data leaders on three brokers', () => new Set([0, 1, 2].map((p) => cluster.byId(1).broker.partitionManager.partition(TOPIC, p)?.leaderId ?? -1)).size === 3);
    await cluster.waitFor('the transaction coordinator', async () => (await txnCoordinator(1)) > 0);

    // @platformatic/kafka 1.x keeps the coordinator it found for the producer's lifetime (it never
    // looks it up again), and a new producer sends InitProducerId with producer id 0 / epoch 0
    // unless told the previous ones (any coordinator, Kafka's too, fences a mismatch). So after
    // the coordinator's loss a new producer takes over with the previous id and epoch.
    const open = (previous?: { producerId: bigint; producerEpoch: number }) =>
      pkProducer(cluster.bootstrap().split(','), { clientId: 'pk-cluster', transactionalId: TXN_ID, idempotent: true, acks: -1, retries: 20, retryDelay: 200, ...previous });
    let producer = open();
    const run = async (tag: string, commit: boolean) => {
      const t = await producer.beginTransaction();
      await t.send({ messages: [0, 1, 2].map((partition) => ({ topic: TOPIC, partition, value: Buffer.from(`${tag}-${partition}`) })) });
      if (commit) await t.commit();
      else await t.abort();
    };
    await run('c1', true);
    await run('a2', false);
    expect((await readCommittedPlatformatic(cluster.bootstrap().split(','), TOPIC, 3)).sort()).toEqual(['c1-0', 'c1-1', 'c1-2']);

    const coordinator = await txnCoordinator(1);
    await cluster.kill(coordinator);
    const survivor = [1, 2, 3].find((id) => id !== coordinator)!;
    await cluster.waitFor('a new transaction coordinator', async () => {
      const next = await txnCoordinator(survivor);
      return next > 0 && next !== coordinator;
    }, 20_000);
    const previous = { producerId: producer.producerId!, producerEpoch: producer.producerEpoch! };
    await producer.close();
    producer = open(previous);
    // Commits only from here: @platformatic/kafka 1.35's read_committed filter keeps one aborted
    // transaction per producer of a fetch, so a second abort by the same producer id would make
    // it show a2 (it does on a single broker too); aborts after failover are covered with kafkajs.
    await run('c3', true);
    await run('c4', true);
    expect((await readCommittedPlatformatic(cluster.bootstrap().split(','), TOPIC, 9)).sort()).toEqual(['c1-0', 'c1-1', 'c1-2', 'c3-0', 'c3-1', 'c3-2', 'c4-0', 'c4-1', 'c4-2']);
    await producer.close();
  }, 120_000);
});
