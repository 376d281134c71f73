// Found by the Jepsen-style checker (jepsen-failover.test.ts): followers did not keep producer
// state for what they replicated, so after a failover the new leader appended an idempotent
// producer's retry a second time (a duplicate) and refused its next batches with
// OUT_OF_ORDER_SEQUENCE_NUMBER. Followers now record replicated batches as Kafka does (origin
// REPLICATION): their producer state matches the leader's, and an idempotent producer carries on
// across a leader kill without a duplicate.
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type TestCluster } from '../helpers/cluster.js';

let cluster: TestCluster;
const TOPIC = 'idem';

beforeAll(async () => {
  cluster = await startCluster(3, { 'min.insync.replicas': '2', 'replica.fetch.backoff.ms': '100', 'group.initial.rebalance.delay.ms': '0' });
});
afterAll(async () => {
  await cluster?.close();
});

const kafka = () => new Kafka({ clientId: 'idem-test', brokers: cluster.bootstrap().split(','), logLevel: logLevel.NOTHING, retry: { retries: 15, initialRetryTime: 100, maxRetryTime: 1000 } });
const logOn = (id: number) => cluster.byId(id).broker.partitionManager.hostedPartition(TOPIC, 0)!.log;
const leaderOf = (id: number) => cluster.byId(id).broker.partitionManager.partition(TOPIC, 0)!.leaderId;
const producers = (id: number) => logOn(id).producers.describe().map((p) => ({ producerId: p.producerId, producerEpoch: p.producerEpoch, lastSequence: p.lastSequence }));

describe('producer state on followers', () => {
  it('followers hold the producer state of what they replicated; an idempotent producer survives a leader kill without duplicates', async () => {
    const admin = kafka().admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1, replicationFactor: 3 }], waitForLeaders: true });
    await admin.disconnect();
    await cluster.waitFor('leader known everywhere', () => [1, 2, 3].every((id) => (cluster.byId(id).broker.partitionManager.partition(TOPIC, 0)?.leaderId ?? -1) >= 0));

    const producer = kafka().producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    for (let i = 0; i < 5; i++) await producer.send({ topic: TOPIC, acks: -1, messages: [{ value: `v${i}`, partition: 0 }] });
    const leader = leaderOf(1);
    const expected = producers(leader);
    expect(expected).toHaveLength(1);
    expect(expected[0]!.lastSequence).toBe(4);
    for (const id of [1, 2, 3].filter((x) => x !== leader)) {
      await cluster.waitFor(`broker ${id} caught up`, () => logOn(id).logEndOffset === 5);
      expect(producers(id)).toEqual(expected);
    }

    await cluster.kill(leader);
    const survivor = [1, 2, 3].find((id) => id !== leader)!;
    await cluster.waitFor('a new leader', () => leaderOf(survivor) >= 0 && leaderOf(survivor) !== leader);
    // The next batch (sequence 5) is accepted by the new leader: it knows sequence 4 was the last.
    for (let i = 5; i < 8; i++) await producer.send({ topic: TOPIC, acks: -1, messages: [{ value: `v${i}`, partition: 0 }] });
    await producer.disconnect();
    const newLeader = leaderOf(survivor);
    expect(logOn(newLeader).logEndOffset).toBe(8);
    expect(producers(newLeader)[0]!.lastSequence).toBe(7);
  });
});
