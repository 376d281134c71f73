// Cluster mode (issue 13): a consumer group survives the loss of its coordinator's broker. Three
// brokers, __consumer_offsets with RF 3: a kafkajs consumer commits every record it processes; the
// broker leading the group's __consumer_offsets partition is killed (no controlled shutdown); the
// group's partition is loaded on the new leader from its replica, the consumer finds the new
// coordinator, rejoins and continues from its commits — every record consumed exactly once.
import { logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { kafkajs } from '../helpers/clients.js';
import { RawClient } from '../helpers/raw-client.js';

const OVERRIDES = {
  'offsets.topic.replication.factor': '3',
  'offsets.topic.num.partitions': '6',
  'group.initial.rebalance.delay.ms': '0',
  'replica.lag.time.max.ms': '3000',
};

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster(3, OVERRIDES);
});
afterAll(async () => {
  await cluster?.close();
});

async function coordinatorOf(group: string, via: number): Promise<number> {
  const c = await RawClient.connect(cluster.byId(via).port);
  try {
    const r = await c.send(10, 4, { keyType: 0, coordinatorKeys: [group] });
    return r.coordinators[0].errorCode === ErrorCode.NONE ? r.coordinators[0].nodeId : -1;
  } finally {
    c.close();
  }
}

const client = () => kafkajs(cluster.bootstrap().split(','), { clientId: 'group-failover', logLevel: process.env.KJS_DEBUG ? logLevel.DEBUG : logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 1000 } });

describe('consumer group across a coordinator failover', () => {
  it('rebalances on the new coordinator with committed offsets intact (no re-consumption)', async () => {
    const topic = 'orders';
    const group = 'g-failover';
    const admin = client().admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 3 }], waitForLeaders: true });
    const producer = client().producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const send = async (from: number, n: number) => {
      for (let i = from; i < from + n; i++) await producer.send({ topic, acks: -1, messages: [{ key: `k${i}`, value: `v${i}` }] });
    };
    await send(0, 30);

    // Every delivery, and the records whose commit the coordinator acknowledged.
    const seen: string[] = [];
    const committedValues = new Set<string>();
    // kafkajs keeps its coordinator from the join and never looks it up again after a connection
    // error: its commits fail until the retries run out, then the consumer restarts and rejoins
    // through FindCoordinator. Few retries make that take seconds, not minutes.
    const consumer = client().consumer({ groupId: group, sessionTimeout: 6000, heartbeatInterval: 300, rebalanceTimeout: 10000, retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 500 } });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let joins = 0;
    consumer.on(consumer.events.GROUP_JOIN, () => joins++);
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const value = message.value!.toString();
        seen.push(value);
        await consumer.commitOffsets([{ topic, partition, offset: String(Number(message.offset) + 1) }]);
        committedValues.add(value);
      },
    });
    await cluster.waitFor('first 30 consumed and committed', async () => {
      if (committedValues.size < 30) return false;
      const committed = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      return committed[0]!.partitions.reduce((s, p) => s + Math.max(0, Number(p.offset)), 0) === 30;
    }, 30_000);

    const victim = await coordinatorOf(group, 1);
    expect([1, 2, 3]).toContain(victim);
    const committedBeforeKill = new Set(committedValues);
    const joinsBefore = joins;
    await cluster.kill(victim);
    const survivor = [1, 2, 3].find((id) => id !== victim)!;
    // The group's partition is loaded by the broker that now leads it.
    let next = -1;
    await cluster.waitFor('a new coordinator', async () => {
      next = await coordinatorOf(group, survivor);
      return next > 0 && next !== victim;
    }, 20_000);
    await cluster.waitFor('the group reloaded on the new coordinator', () => cluster.byId(next).broker.groupCoordinator.groupError(group) === ErrorCode.NONE, 20_000);

    await send(30, 30);
    await cluster.waitFor('every record consumed and committed', () => committedValues.size === 60, 60_000);
    // The consumer rejoined through the new coordinator ...
    expect(joins).toBeGreaterThan(joinsBefore);
    expect(cluster.byId(next).broker.groupCoordinator.core.groups.get(group)?.generationId).toBeGreaterThan(1);
    // ... and no record committed before the kill was consumed again (only uncommitted ones may be).
    for (const v of committedBeforeKill) expect(seen.filter((x) => x === v)).toHaveLength(1);
    expect(new Set(seen).size).toBe(60);
    const committed = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    expect(committed[0]!.partitions.reduce((s, p) => s + Number(p.offset), 0)).toBe(60);

    await consumer.disconnect();
    await producer.disconnect();
    await admin.disconnect();
  }, 120_000);
});
