// Replication quotas (KIP-73) in cluster mode: three in-process brokers over one in-memory store.
// A partition led by broker 1 is reassigned to gain a replica on broker 3 while its topic lists it
// in leader.replication.throttled.replicas ('*') and broker 1 has leader.replication.throttled.rate:
// the new replica's catch-up is held to the rate (the leader's held-back counter and the follower's
// progress over time, with generous bounds), while the in-sync follower (broker 2) is not throttled
// (acks=all writes keep completing); with the rate removed the new replica catches up at once. The
// follower side (follower.replication.throttled.*) is checked the same way, and the configs are
// validated as Kafka validates them (INVALID_CONFIG with Kafka's message).
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { replicationSamples } from '../../src/metrics/replication-metrics.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { RawClient } from '../helpers/raw-client.js';

const RECORDS = 30;
const RECORD_BYTES = 10_000;
/** acks=all writes during the throttle (100 KB: ~9 s at the rate). */
const EXTRA = 10;
const RATE = 10_000; // bytes/s: the 300 KB backlog takes > 20 s throttled, well under 1 s without

let cluster: TestCluster;
const kafka = () =>
  new Kafka({ clientId: 'repl-quota', brokers: cluster.bootstrap().split(','), logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 50, maxRetryTime: 500 } });
const TOPIC_RESOURCE = 2;
const BROKER_RESOURCE = 4;

async function raw<T = any>(nodeId: number, apiKey: number, version: number, body: object): Promise<T> {
  const c = await RawClient.connect(cluster.byId(nodeId).port);
  try {
    return await c.send<T>(apiKey, version, body);
  } finally {
    c.close();
  }
}

/**
 * IncrementalAlterConfigs on one resource (value null deletes the key), sent to the broker it
 * names (a BROKER "<id>" resource must go to that broker, as in Kafka). Returns [errorCode, message].
 */
async function alterConfigs(resourceType: number, resourceName: string, configs: Record<string, string | null>): Promise<[number, string | null]> {
  const via = resourceType === BROKER_RESOURCE && resourceName !== '' ? Number(resourceName) : 1;
  const res = await raw(via, 44, 1, {
    resources: [{ resourceType, resourceName, configs: Object.entries(configs).map(([name, value]) => ({ name, configOperation: value === null ? 1 : 0, value })) }],
    validateOnly: false,
  });
  return [res.responses[0].errorCode, res.responses[0].errorMessage];
}

async function createTopic(name: string, replicas: number[]): Promise<void> {
  const res = await raw(1, 19, 7, {
    topics: [{ name, numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: replicas }], configs: [] }],
    timeoutMs: 5000,
    validateOnly: false,
  });
  expect(res.topics[0].errorCode).toBe(ErrorCode.NONE);
  for (const id of [1, 2, 3]) await cluster.waitFor(`${name} led on ${id}`, () => cluster.byId(id).broker.partitionManager.partition(name, 0)?.leaderId === replicas[0]);
}

async function fill(topic: string): Promise<void> {
  const producer = kafka().producer();
  await producer.connect();
  try {
    // One batch per send: fetches then move in ~10 KB steps.
    for (let i = 0; i < RECORDS; i++) await producer.send({ topic, acks: -1, messages: [{ value: Buffer.alloc(RECORD_BYTES, i) }] });
  } finally {
    await producer.disconnect();
  }
}

async function reassign(topic: string, replicas: number[]): Promise<void> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    await admin.alterPartitionReassignments({ topics: [{ topic, partitionAssignment: [{ partition: 0, replicas }] }] });
  } finally {
    await admin.disconnect();
  }
}

const leoOn = (id: number, topic: string) => cluster.byId(id).broker.logManager.getLog(topic, 0)?.logEndOffset ?? 0;
const quotas = (id: number) => cluster.byId(id).broker.replicationQuotas!;

beforeAll(async () => {
  cluster = await startCluster(3, {
    'replica.fetch.wait.max.ms': '100',
    'replica.fetch.backoff.ms': '100',
    'replica.fetch.max.bytes': String(2 * RECORD_BYTES),
    // Two 1 s samples: the first-window allowance is one second's worth, not ten.
    'replication.quota.window.num': '2',
    'replication.quota.window.size.seconds': '1',
  });
}, 30_000);
afterAll(async () => {
  await cluster?.close();
});

describe('replication quotas (KIP-73)', () => {
  it('validates the throttled-replica lists and the rates as Kafka does', async () => {
    await createTopic('rq-config', [1, 2]);
    const [bad, msg] = await alterConfigs(TOPIC_RESOURCE, 'rq-config', { 'leader.replication.throttled.replicas': '0:1,x' });
    expect(bad).toBe(ErrorCode.INVALID_CONFIG);
    expect(msg).toContain("leader.replication.throttled.replicas must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId]");
    expect((await alterConfigs(TOPIC_RESOURCE, 'rq-config', { 'follower.replication.throttled.replicas': '*,0:1' }))[0]).toBe(ErrorCode.INVALID_CONFIG);
    expect((await alterConfigs(TOPIC_RESOURCE, 'rq-config', { 'leader.replication.throttled.replicas': '0:1, 0:2', 'follower.replication.throttled.replicas': '*' }))[0]).toBe(ErrorCode.NONE);
    // Bad broker values: INVALID_REQUEST, as Kafka's ConfigAdminManager wraps them.
    expect((await alterConfigs(BROKER_RESOURCE, '1', { 'leader.replication.throttled.rate': '-1' }))[0]).toBe(ErrorCode.INVALID_REQUEST);
    expect((await alterConfigs(BROKER_RESOURCE, '', { 'follower.replication.throttled.rate': 'fast' }))[0]).toBe(ErrorCode.INVALID_REQUEST);
    expect((await alterConfigs(BROKER_RESOURCE, '', { 'replica.alter.log.dirs.io.max.bytes.per.second': '1000000' }))[0]).toBe(ErrorCode.NONE);
    expect((await alterConfigs(BROKER_RESOURCE, '', { 'replica.alter.log.dirs.io.max.bytes.per.second': null }))[0]).toBe(ErrorCode.NONE);
    // The lists apply on the broker they name: 0:1 throttles partition 0 on broker 1 only.
    await cluster.waitFor('the lists applied', () => quotas(1).leader.isThrottled('rq-config', 0) && quotas(3).follower.isThrottled('rq-config', 0));
    expect(quotas(3).leader.isThrottled('rq-config', 0)).toBe(false);
    expect(quotas(1).leader.isThrottled('rq-config', 1)).toBe(false);
  });

  it('leader side: a new replica catches up at the throttled rate, the in-sync follower is not slowed, and without the rate it catches up at once', async () => {
    const topic = 'rq-leader';
    await createTopic(topic, [1, 2]);
    await fill(topic);
    expect(leoOn(2, topic)).toBe(RECORDS);
    expect((await alterConfigs(TOPIC_RESOURCE, topic, { 'leader.replication.throttled.replicas': '*' }))[0]).toBe(ErrorCode.NONE);
    expect((await alterConfigs(BROKER_RESOURCE, '1', { 'leader.replication.throttled.rate': String(RATE) }))[0]).toBe(ErrorCode.NONE);
    await cluster.waitFor('the throttle applied on broker 1', () => quotas(1).leader.isThrottled(topic, 0) && cluster.byId(1).broker.config.get('leader.replication.throttled.rate') === RATE);

    const started = Date.now();
    await reassign(topic, [1, 2, 3]);
    // Proof the catch-up runs and is being held back by the leader.
    await cluster.waitFor('broker 3 fetching, held back by the leader', () => leoOn(3, topic) > 0 && quotas(1).leader.heldBack > 0);
    // The in-sync follower is never throttled: 100 KB of acks=all writes (each needs broker 2) take
    // far less than the ~9 s they would at the throttled rate, while broker 3 is still far behind.
    const producer = kafka().producer();
    await producer.connect();
    const t0 = Date.now();
    for (let i = 0; i < EXTRA; i++) await producer.send({ topic, acks: -1, timeout: 10_000, messages: [{ value: Buffer.alloc(RECORD_BYTES, 99) }] });
    const ackMs = Date.now() - t0;
    await producer.disconnect();
    expect(ackMs).toBeLessThan(4000);
    expect(leoOn(2, topic)).toBe(RECORDS + EXTRA);
    // Generous: at 10 KB/s (plus one second's allowance and one fetch) 3 s moves ~70 KB of 400.
    await new Promise((r) => setTimeout(r, Math.max(0, 3000 - (Date.now() - started))));
    const after3s = leoOn(3, topic);
    expect(after3s, `broker 3 at ${after3s} of ${RECORDS + EXTRA} after 3 s`).toBeLessThan(RECORDS * 0.6);
    // The leader's metrics say the same: throttled bytes sent, fetches held back.
    const metric = (name: string) => replicationSamples(cluster.byId(1).broker).find((m) => m.name === name && m.labels.side === 'leader')?.value ?? 0;
    expect(metric('tributary_replication_throttled_bytes_total')).toBeGreaterThan(0);
    expect(metric('tributary_replication_held_back_total')).toBeGreaterThan(0);
    expect(cluster.byId(1).broker.partitionManager.partition(topic, 0)!.isr).not.toContain(3);

    // Rate removed: the rest (~300 KB) arrives at once and broker 3 joins the ISR.
    expect((await alterConfigs(BROKER_RESOURCE, '1', { 'leader.replication.throttled.rate': null }))[0]).toBe(ErrorCode.NONE);
    const removedAt = Date.now();
    await cluster.waitFor('broker 3 caught up and in the ISR', () => leoOn(3, topic) === RECORDS + EXTRA && cluster.byId(1).broker.partitionManager.partition(topic, 0)!.isr.includes(3), 8000);
    expect(Date.now() - removedAt).toBeLessThan(5000);
  }, 40_000);

  it('follower side: the new replica fetches a throttled partition at its own rate', async () => {
    const topic = 'rq-follower';
    await createTopic(topic, [2, 1]);
    await fill(topic);
    expect((await alterConfigs(TOPIC_RESOURCE, topic, { 'follower.replication.throttled.replicas': '0:3' }))[0]).toBe(ErrorCode.NONE);
    expect((await alterConfigs(BROKER_RESOURCE, '3', { 'follower.replication.throttled.rate': String(RATE) }))[0]).toBe(ErrorCode.NONE);
    await cluster.waitFor('the throttle applied on broker 3', () => quotas(3).follower.isThrottled(topic, 0) && cluster.byId(3).broker.config.get('follower.replication.throttled.rate') === RATE);
    const started = Date.now();
    await reassign(topic, [2, 1, 3]);
    await cluster.waitFor('broker 3 fetching, holding itself back', () => leoOn(3, topic) > 0 && quotas(3).follower.heldBack > 0);
    await new Promise((r) => setTimeout(r, Math.max(0, 3000 - (Date.now() - started))));
    const after3s = leoOn(3, topic);
    expect(after3s, `broker 3 at ${after3s} of ${RECORDS} after 3 s`).toBeLessThan(RECORDS * 0.6);
    expect(quotas(2).leader.heldBack).toBe(0); // the leader had no throttle of its own
    expect((await alterConfigs(TOPIC_RESOURCE, topic, { 'follower.replication.throttled.replicas': null }))[0]).toBe(ErrorCode.NONE);
    await cluster.waitFor('broker 3 caught up once the topic is no longer throttled', () => leoOn(3, topic) === RECORDS, 8000);
  }, 40_000);
});
