// createTestCluster({ brokers: 3 }) as a user's kafkajs test suite would use it: a replicated
// topic, acks=all, a consumer group, control() on every broker (and on one), and a failover drill
// with kill() / restart(): produce continues while a leader is down, and the restarted broker
// catches up and rejoins every ISR.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCluster, type TestCluster } from '../../src/testing.js';
import { waitFor } from '../helpers/wait.js';

let cluster: TestCluster;
let kafka: Kafka;
let producer: Producer;
let admin: Admin;

beforeAll(async () => {
  cluster = await createTestCluster({ brokers: 3, topics: [{ name: 'orders', partitions: 3 }], config: { 'group.initial.rebalance.delay.ms': 0 } });
  kafka = new Kafka({ clientId: 'suite', brokers: cluster.bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 15, initialRetryTime: 100, maxRetryTime: 1000 } });
  producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  admin = kafka.admin();
  await admin.connect();
}, 120_000);
afterAll(async () => {
  await producer?.disconnect();
  await admin?.disconnect();
  await cluster?.close();
});

const partitions = async () => (await admin.fetchTopicMetadata({ topics: ['orders'] })).topics[0]!.partitions.sort((a, b) => a.partitionId - b.partitionId);
let sent = 0;
const send = async (partition: number, n = 5) => {
  const messages = Array.from({ length: n }, () => ({ partition, value: `m${sent++}` }));
  return producer.send({ topic: 'orders', acks: -1, messages });
};

describe('createTestCluster with 3 brokers', () => {
  it('lists three brokers in the bootstrap string and replicates topics three ways', async () => {
    expect(cluster.brokers.map((b) => b.nodeId)).toEqual([1, 2, 3]);
    expect(cluster.bootstrap.split(',')).toEqual(cluster.brokers.map((b) => `${b.host}:${b.port}`));
    const desc = await admin.describeCluster();
    expect(desc.brokers.map((b) => b.nodeId).sort()).toEqual([1, 2, 3]);
    const parts = await partitions();
    expect(parts.map((p) => p.replicas.length)).toEqual([3, 3, 3]);
    expect(parts.map((p) => p.isr.length)).toEqual([3, 3, 3]);
    expect(parts.map((p) => p.leader)).toEqual([0, 1, 2].map((p) => cluster.leaderOf('orders', p)));
  });

  it('control() acts across the cluster with one count, or on one broker only', async () => {
    const all = cluster.control('Produce', () => ({ error: 'NOT_LEADER_OR_FOLLOWER' }), { times: 2 });
    const [res] = await send(0, 1);
    expect(res!.errorCode).toBe(0);
    expect(all.acted).toBe(2);

    // Only on the leader of partition 1: Produce requests to it are dropped once, the others never see the control.
    const leader1 = cluster.leaderOf('orders', 1);
    const one = cluster.control('Produce', () => 'drop', { times: 1, broker: leader1 });
    await send(1, 1);
    expect(one.acted).toBe(1);
    const other = cluster.brokers.find((b) => b.nodeId !== leader1)!.nodeId;
    const onOther = cluster.control('Produce', () => undefined, { broker: other });
    await send(1, 1);
    expect(onOther.seen).toBe(0);
    onOther.remove();
  });

  it('keeps producing across kill() of a leader, and the restarted broker rejoins every ISR', async () => {
    const victim = cluster.leaderOf('orders', 0);
    await cluster.kill(victim);
    // acks=all to the partition the victim led: kafkajs retries until the new leader answers.
    const [res] = await send(0);
    expect(res!.errorCode).toBe(0);
    expect(cluster.leaderOf('orders', 0)).not.toBe(victim);
    await waitFor(async () => (await partitions()).every((p) => !p.isr.includes(victim)), `broker ${victim} out of every ISR`, 30_000);
    for (let p = 0; p < 3; p++) await send(p);

    await cluster.restart(victim);
    await waitFor(async () => (await partitions()).every((p) => p.isr.length === 3), `broker ${victim} back in every ISR`, 30_000);
    for (let p = 0; p < 3; p++) await send(p);

    const consumer = kafka.consumer({ groupId: 'suite-readers' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'orders', fromBeginning: true });
    const seen = new Set<string>();
    await consumer.run({ eachMessage: async ({ message }) => void seen.add(message.value!.toString()) });
    await waitFor(() => seen.size === sent, `all ${sent} records consumed`, 60_000);
    await consumer.disconnect();
    expect(seen.size).toBe(sent);
  }, 120_000);

  it('removes every broker data dir on close', async () => {
    const topic = `two-${process.pid}-${Date.now()}`;
    const c = await createTestCluster({ brokers: 2, topics: [{ name: topic, partitions: 1 }] });
    expect(c.leaderOf(topic, 0)).toBeGreaterThan(0);
    const tmp = os.tmpdir();
    const ours = fs.readdirSync(tmp).filter((d) => d.startsWith('tributary-test-cluster-') && fs.existsSync(path.join(tmp, d, 'broker-1', `${topic}-0`)));
    expect(ours).toHaveLength(1);
    expect(fs.existsSync(path.join(tmp, ours[0]!, 'broker-2', `${topic}-0`))).toBe(true);
    await c.close();
    await c.close(); // idempotent
    expect(fs.existsSync(path.join(tmp, ours[0]!))).toBe(false);
  }, 60_000);
});
