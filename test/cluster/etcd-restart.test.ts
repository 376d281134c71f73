// etcd killed and restarted while clients produce (issue 13): three brokers over a real etcd,
// RF 3, min.insync.replicas=2, kafkajs producers with acks=all (one idempotent, one not) logging
// every acknowledged record. etcd is SIGKILLed: once their leases can no longer be renewed the
// leaders stop accepting writes (no split brain); etcd comes back on its data dir: the brokers
// rejoin, a controller is elected again (a higher controller epoch), produces are acknowledged
// again, and a consumer then reads every acknowledged record at its offset, none duplicated by the
// idempotent producer (jepsen-checker.ts).
import fs from 'node:fs';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMetadataStore } from '../../src/cluster/metadata-store/open-store.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { ETCD_BIN, startEtcd, type TestEtcd } from '../helpers/etcd.js';
import { check, summarize, valueOf, type Ack, type Read } from './jepsen-checker.js';

const hasEtcd = fs.existsSync(ETCD_BIN);
const ROOT = `/etcd-restart-${process.pid}/`;
const TOPIC = 'etcd-restart';
const PARTITIONS = 2;
let etcd: TestEtcd | undefined;
let cluster: TestCluster | undefined;

beforeAll(async () => {
  if (!hasEtcd) return;
  etcd = await startEtcd();
  cluster = await startCluster(3, {
    'tributary.metadata.store': etcd.url,
    'tributary.metadata.root': ROOT,
    'tributary.metadata.session.timeout.ms': '2000',
    'min.insync.replicas': '2',
    'replica.lag.time.max.ms': '4000',
    'replica.fetch.backoff.ms': '100',
    'group.initial.rebalance.delay.ms': '0',
    // A cluster's group coordinator must survive a broker (Kafka's default is 3; Tributary's 1 is for the single broker).
    'offsets.topic.replication.factor': '3',
  });
}, 60_000);
afterAll(async () => {
  await cluster?.close();
  await etcd?.cleanup();
});

async function controllerRecord(): Promise<{ brokerId: number; epoch: number } | undefined> {
  const store = await openMetadataStore(etcd!.url, { root: ROOT, connectTimeoutMs: 2_000 });
  try {
    return await store.getController();
  } finally {
    await store.close();
  }
}

describe.skipIf(!hasEtcd)('etcd killed and restarted while clients produce', () => {
  it('loses no acknowledged record, and a controller is elected again', async () => {
    const c = cluster!;
    const kafka = new Kafka({ clientId: 'etcd-restart', brokers: c.bootstrap().split(','), logLevel: logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1_000 } });
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS, replicationFactor: 3 }], waitForLeaders: true });
    } finally {
      await admin.disconnect();
    }
    const view = (id: number, p: number) => c.byId(id).broker.partitionManager.partition(TOPIC, p);
    await c.waitFor('full ISRs everywhere', () => [1, 2, 3].every((id) => [0, 1].every((p) => (view(id, p)?.leaderId ?? -1) >= 0 && view(id, p)!.isr.length === 3)));
    const before = (await controllerRecord())!;
    expect(before.brokerId).toBeGreaterThan(0);

    const acks: Ack[] = [];
    const ackTimes: number[] = [];
    let failed = 0;
    let stopping = false;
    const loop = async (name: string, producer: Producer) => {
      await producer.connect();
      for (let seq = 0; !stopping; seq++) {
        const value = valueOf(name, seq);
        const partition = seq % PARTITIONS;
        try {
          const [r] = await producer.send({ topic: TOPIC, acks: -1, timeout: 5_000, messages: [{ value, partition }] });
          acks.push({ producer: name, seq, value, partition, offset: Number(r!.baseOffset) });
          ackTimes.push(Date.now());
        } catch {
          failed++; // indeterminate: may or may not be in the log
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      await producer.disconnect().catch(() => undefined);
    };
    const loops = [
      loop('idem', kafka.producer({ idempotent: true, maxInFlightRequests: 1 })),
      loop('plain', kafka.producer({ maxInFlightRequests: 1 })),
    ];
    let restartedAt = 0;
    try {
      await c.waitFor('acknowledgements before etcd dies', () => acks.length >= 20);
      await etcd!.kill();
      // Leases can no longer be renewed: every leader stops leading (no writes without the store).
      await c.waitFor('every broker resigned its leaderships', () => [1, 2, 3].every((id) => [0, 1].every((p) => view(id, p)!.leaderId !== id)), 20_000);
      const ackedWhileDown = acks.length;
      await etcd!.restart();
      restartedAt = Date.now();
      await c.waitFor('a controller elected again', async () => {
        const now = await controllerRecord().catch(() => undefined);
        return now !== undefined && now.epoch > before.epoch;
      }, 30_000);
      await c.waitFor('acknowledgements after etcd is back', () => ackTimes.filter((t) => t > restartedAt).length >= 20, 60_000);
      expect(acks.length).toBeGreaterThan(ackedWhileDown);
    } finally {
      stopping = true;
      await Promise.all(loops);
    }

    // Everything back: a consumer reads the topic; each acknowledged record is at its offset.
    const consumer = kafka.consumer({ groupId: `etcd-restart-check-${Date.now()}`, maxWaitTimeInMs: 200 });
    const reads: Read[] = [];
    const got = new Set<string>();
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ partition, message }) => {
          const value = message.value!.toString();
          reads.push({ partition, offset: Number(message.offset), value });
          got.add(value);
        },
      });
      await c.waitFor('every acknowledged record read', () => acks.every((a) => got.has(a.value)), 60_000);
    } finally {
      await consumer.disconnect();
    }
    const result = check({ acks, idempotent: new Set(['idem']), reads });
    console.log(JSON.stringify({ acked: acks.length, failedSends: failed, ackedAfterRestart: ackTimes.filter((t) => t > restartedAt).length, reads: reads.length }));
    expect(result.ok, summarize(result)).toBe(true);
  }, 240_000);
});
