// Cluster mode on a real etcd (Debian's etcd-server): three in-process brokers register, elect a
// controller, create an RF 3 topic through it, and kafkajs produces with acks=all and consumes.
import fs from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { ETCD_BIN, startEtcd, type TestEtcd } from '../helpers/etcd.js';

const hasEtcd = fs.existsSync(ETCD_BIN);
let etcd: TestEtcd | undefined;
let cluster: TestCluster | undefined;

beforeAll(async () => {
  if (!hasEtcd) return;
  etcd = await startEtcd();
  cluster = await startCluster(3, { 'tributary.metadata.store': etcd.url, 'tributary.metadata.root': `/smoke-${process.pid}/`, 'group.initial.rebalance.delay.ms': '0' });
}, 60_000);
afterAll(async () => {
  await cluster?.close();
  await etcd?.cleanup();
});

describe.skipIf(!hasEtcd)('three brokers over etcd', () => {
  it('replicates an RF 3 topic and serves kafkajs', async () => {
    const c = cluster!;
    const kafka = new Kafka({ clientId: 'etcd-smoke', brokers: c.bootstrap().split(','), logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'smoke', numPartitions: 2, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }], waitForLeaders: true });
    // Partition states reach each broker through its etcd watch (asynchronously, like UpdateMetadata).
    await c.waitFor('leaders known everywhere', () => [1, 2, 3].every((id) => [0, 1].every((p) => (c.byId(id).broker.partitionManager.partition('smoke', p)?.leaderId ?? -1) >= 0)));
    const meta = await admin.fetchTopicMetadata({ topics: ['smoke'] });
    await admin.disconnect();
    for (const p of meta.topics[0]!.partitions) expect([...p.replicas].sort()).toEqual([1, 2, 3]);
    const producer = kafka.producer();
    await producer.connect();
    const values = Array.from({ length: 20 }, (_, i) => `e${i}`);
    await producer.send({ topic: 'smoke', acks: -1, messages: values.map((v, i) => ({ value: v, partition: i % 2 })) });
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId: 'etcd-smoke' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'smoke', fromBeginning: true });
    const seen: string[] = [];
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
    await c.waitFor('every record consumed', () => seen.length >= values.length);
    await consumer.disconnect();
    expect(seen.sort()).toEqual([...values].sort());
    // Every replica has every record.
    for (const id of [1, 2, 3]) {
      await c.waitFor(`replicas on broker ${id}`, () => [0, 1].every((p) => c.byId(id).broker.partitionManager.hostedPartition('smoke', p)?.log.logEndOffset === 10));
    }
  });
});
