// The controller drives topic and partition changes cluster-wide (issue 13): DeleteTopics,
// CreatePartitions and AlterConfigs/IncrementalAlterConfigs sent to any broker are forwarded to
// the controller, written to the store and applied on every broker; ISR changes go through the
// controller (AlterPartition); ElectLeaders and AlterPartitionReassignments really move leaders
// and replicas. Three in-process brokers over one in-memory metadata store, real clients.
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { buildRecordBatch } from '../../protocol/records/batch-builder.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';

let cluster: TestCluster;
const IDS = [1, 2, 3];

const kafka = (bootstrap = cluster.bootstrap()) =>
  new Kafka({ clientId: 'ctrl-ops', brokers: bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 50, maxRetryTime: 500 } });

const controllerId = () => cluster.byId(IDS.find((id) => cluster.brokers[id - 1])!).broker.controllerId;
/** A live broker that is not the controller: requests sent to it must be forwarded. */
const nonController = () => IDS.find((id) => cluster.brokers[id - 1] && id !== controllerId())!;
const live = () => IDS.filter((id) => cluster.brokers[id - 1] !== undefined);
const stateOn = (id: number, topic: string, p: number) => cluster.byId(id).broker.partitionManager.partition(topic, p);

const raw = <T = any>(nodeId: number, apiKey: number, version: number, body: object): Promise<T> => cluster.send<T>(nodeId, apiKey, version, body);

async function createTopic(name: string, partitions: number, rf: number, configs: Record<string, string> = {}): Promise<void> {
  const res = await raw(nonController(), 19, 7, {
    topics: [{ name, numPartitions: partitions, replicationFactor: rf, assignments: [], configs: Object.entries(configs).map(([n, value]) => ({ name: n, value })) }],
    timeoutMs: 5000,
    validateOnly: false,
  });
  expect(res.topics[0].errorCode).toBe(ErrorCode.NONE);
  for (const id of live()) {
    await cluster.waitFor(`${name} led on broker ${id}`, () => {
      for (let p = 0; p < partitions; p++) if ((stateOn(id, name, p)?.leaderId ?? -1) < 0) return false;
      return true;
    });
  }
}

async function describeTopicConfig(nodeId: number, topic: string, key: string): Promise<string | null | undefined> {
  const res = await raw(nodeId, 32, 4, { resources: [{ resourceType: 2, resourceName: topic, configurationKeys: [key] }], includeSynonyms: false, includeDocumentation: false });
  expect(res.results[0].errorCode).toBe(ErrorCode.NONE);
  return (res.results[0].configs as { name: string; value: string | null }[]).find((c) => c.name === key)?.value;
}

beforeAll(async () => {
  cluster = await startCluster(3, { 'controlled.shutdown.retry.backoff.ms': '200', 'replica.fetch.wait.max.ms': '100', 'replica.fetch.backoff.ms': '100' });
});
afterAll(async () => {
  await cluster?.close();
});

describe('topic changes through the controller', () => {
  it('DeleteTopics sent to a non-controller removes the topic and its logs from every broker', async () => {
    await createTopic('del', 3, 3);
    const via = nonController();
    const res = await raw(via, 20, 4, { topicNames: ['del', 'no-such-topic'], timeoutMs: 5000 });
    const byName = new Map(res.responses.map((r: { name: string; errorCode: number }) => [r.name, r.errorCode]));
    expect(byName.get('del')).toBe(ErrorCode.NONE);
    expect(byName.get('no-such-topic')).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    for (const id of IDS) {
      await cluster.waitFor(`del gone on broker ${id}`, () => {
        const b = cluster.byId(id).broker;
        return b.topics.get('del') === undefined && [0, 1, 2].every((p) => b.logManager.getLog('del', p) === undefined);
      });
    }
  });

  it('CreateTopics with a manual assignment, sent to a non-controller, places the replicas as asked', async () => {
    const via = nonController();
    const create = (name: string, replicas: number[][]) =>
      raw(via, 19, 7, {
        topics: [{ name, numPartitions: -1, replicationFactor: -1, assignments: replicas.map((brokerIds, partitionIndex) => ({ partitionIndex, brokerIds })), configs: [] }],
        timeoutMs: 5000,
        validateOnly: false,
      });
    expect((await create('manual', [[3, 1], [2, 3]])).topics[0].errorCode).toBe(ErrorCode.NONE);
    for (const id of IDS) {
      await cluster.waitFor(`manual placed on broker ${id}`, () => stateOn(id, 'manual', 0)?.leaderId === 3 && stateOn(id, 'manual', 1)?.leaderId === 2);
      expect([stateOn(id, 'manual', 0)!.replicas, stateOn(id, 'manual', 1)!.replicas]).toEqual([[3, 1], [2, 3]]);
    }
    expect(cluster.byId(1).broker.logManager.getLog('manual', 1)).toBeUndefined();
    const unknown = await create('manual-bad', [[1, 9]]);
    expect(unknown.topics[0].errorCode).toBe(ErrorCode.INVALID_REPLICA_ASSIGNMENT);
  });

  it('CreatePartitions adds replicated partitions (assigned over the brokers) that accept produce and consume', async () => {
    await createTopic('grow', 2, 3, { 'min.insync.replicas': '2' });
    const via = nonController();
    const bad = await raw(via, 37, 3, {
      topics: [
        { name: 'grow', count: 1, assignments: null },
        { name: 'no-such-topic', count: 4, assignments: null },
      ],
      timeoutMs: 5000,
      validateOnly: false,
    });
    expect(bad.results.map((r: { errorCode: number }) => r.errorCode)).toEqual([ErrorCode.INVALID_PARTITIONS, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
    const unknownBroker = await raw(via, 37, 3, { topics: [{ name: 'grow', count: 3, assignments: [{ brokerIds: [1, 2, 9] }] }], timeoutMs: 5000, validateOnly: false });
    expect(unknownBroker.results[0].errorCode).toBe(ErrorCode.INVALID_REPLICA_ASSIGNMENT);

    const admin = kafka().admin();
    await admin.connect();
    try {
      await admin.createPartitions({ topicPartitions: [{ topic: 'grow', count: 5 }] });
    } finally {
      await admin.disconnect();
    }
    for (const id of IDS) {
      await cluster.waitFor(`5 partitions of grow, all in sync, on broker ${id}`, () =>
        [0, 1, 2, 3, 4].every((p) => {
          const s = stateOn(id, 'grow', p);
          return s !== undefined && s.leaderId >= 0 && s.replicas.length === 3 && s.isr.length === 3;
        }),
      );
      // Every broker hosts a replica of every new partition (RF 3 over 3 brokers).
      for (const p of [2, 3, 4]) expect(cluster.byId(id).broker.logManager.getLog('grow', p)).toBeDefined();
    }
    // The new partitions' leaders spread over the brokers (round robin).
    expect(new Set([2, 3, 4].map((p) => stateOn(1, 'grow', p)!.leaderId)).size).toBeGreaterThan(1);

    const producer = kafka().producer();
    await producer.connect();
    for (const p of [2, 3, 4]) await producer.send({ topic: 'grow', acks: -1, messages: [{ value: `new-${p}`, partition: p }] });
    await producer.disconnect();
    const consumer = kafka().consumer({ groupId: 'grow-check' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'grow', fromBeginning: true });
    const seen = new Map<number, string>();
    await consumer.run({ eachMessage: async ({ partition, message }) => void seen.set(partition, message.value!.toString()) });
    await cluster.waitFor('records of the new partitions consumed', () => seen.size === 3, 20_000);
    await consumer.disconnect();
    expect(Object.fromEntries(seen)).toEqual({ 2: 'new-2', 3: 'new-3', 4: 'new-4' });
  });

  it('AlterConfigs and IncrementalAlterConfigs on a topic take effect on every broker', async () => {
    await createTopic('conf', 1, 3);
    const via = nonController();
    const legacy = await raw(via, 33, 1, { resources: [{ resourceType: 2, resourceName: 'conf', configs: [{ name: 'retention.ms', value: '123456' }] }], validateOnly: false });
    expect(legacy.responses[0].errorCode).toBe(ErrorCode.NONE);
    for (const id of IDS) {
      await cluster.waitFor(`retention.ms on broker ${id}`, async () => (await describeTopicConfig(id, 'conf', 'retention.ms')) === '123456');
      expect(cluster.byId(id).broker.topicConfig('conf').get('retention.ms')).toBe(123456);
    }
    // Incremental: SET one key, keep the other.
    const inc = await raw(via, 44, 1, {
      resources: [{ resourceType: 2, resourceName: 'conf', configs: [{ name: 'max.message.bytes', configOperation: 0, value: '65536' }] }],
      validateOnly: false,
    });
    expect(inc.responses[0].errorCode).toBe(ErrorCode.NONE);
    for (const id of IDS) {
      await cluster.waitFor(`max.message.bytes on broker ${id}`, async () => (await describeTopicConfig(id, 'conf', 'max.message.bytes')) === '65536');
      expect(await describeTopicConfig(id, 'conf', 'retention.ms')).toBe('123456');
    }
    // It takes effect: a batch above the new limit is refused by the leader.
    const leader = stateOn(1, 'conf', 0)!.leaderId;
    const big = buildRecordBatch({ records: [{ key: null, value: Buffer.alloc(100_000, 1), timestamp: Date.now() }] });
    const produced = await raw(leader, 0, 9, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: 'conf', partitionData: [{ index: 0, records: big }] }] });
    expect(produced.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.MESSAGE_TOO_LARGE);

    const missing = await raw(via, 44, 1, { resources: [{ resourceType: 2, resourceName: 'nope', configs: [{ name: 'retention.ms', configOperation: 0, value: '1' }] }], validateOnly: false });
    expect(missing.responses[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('concurrent IncrementalAlterConfigs of different keys through different brokers keep every key', async () => {
    await createTopic('conf2', 1, 3);
    const keys: [string, string][] = [['retention.ms', '3600000'], ['segment.ms', '7200000'], ['max.message.bytes', '200000']];
    const answers = await Promise.all(
      IDS.map((id, i) =>
        raw(id, 44, 1, { resources: [{ resourceType: 2, resourceName: 'conf2', configs: [{ name: keys[i]![0], configOperation: 0, value: keys[i]![1] }] }], validateOnly: false }),
      ),
    );
    for (const a of answers) expect(a.responses[0].errorCode).toBe(ErrorCode.NONE);
    for (const id of IDS) {
      for (const [k, v] of keys) await cluster.waitFor(`${k} on broker ${id}`, async () => (await describeTopicConfig(id, 'conf2', k)) === v);
    }
    // DELETE through a non-controller removes just that key.
    const del = await raw(nonController(), 44, 1, { resources: [{ resourceType: 2, resourceName: 'conf2', configs: [{ name: 'segment.ms', configOperation: 1, value: null }] }], validateOnly: false });
    expect(del.responses[0].errorCode).toBe(ErrorCode.NONE);
    for (const id of IDS) {
      await cluster.waitFor(`segment.ms back to its default on broker ${id}`, () => cluster.byId(id).broker.topics.get('conf2')!.configs['segment.ms'] === undefined);
      expect(cluster.byId(id).broker.topics.get('conf2')!.configs).toEqual({ 'retention.ms': '3600000', 'max.message.bytes': '200000' });
    }
  });

  it('AlterPartition is validated by the controller (partition epoch, leader epoch, leader) and refused elsewhere', async () => {
    await createTopic('isr', 1, 3);
    const s = stateOn(1, 'isr', 0)!;
    const topicId = cluster.byId(1).broker.topics.get('isr')!.id;
    const partitionEpoch = (cluster.byId(controllerId()).broker.cluster as unknown as { partitionStates: Map<string, { partitionEpoch: number }> }).partitionStates.get('isr\0' + '0')!.partitionEpoch;
    const alter = (to: number, p: { brokerId?: number; leaderEpoch?: number; partitionEpoch?: number; newIsr?: number[] }) =>
      raw(to, 56, 2, {
        brokerId: p.brokerId ?? s.leaderId,
        brokerEpoch: -1,
        topics: [{ topicId, partitions: [{ partitionIndex: 0, leaderEpoch: p.leaderEpoch ?? s.leaderEpoch, newIsr: p.newIsr ?? [s.leaderId], newIsrWithEpochs: [], leaderRecoveryState: 0, partitionEpoch: p.partitionEpoch ?? partitionEpoch }] }],
      });
    const code = (r: any) => (r.errorCode !== 0 ? r.errorCode : r.topics[0].partitions[0].errorCode);
    expect(code(await alter(nonController(), {}))).toBe(ErrorCode.NOT_CONTROLLER);
    const ctl = controllerId();
    expect(code(await alter(ctl, { partitionEpoch: partitionEpoch - 1 }))).toBe(ErrorCode.INVALID_UPDATE_VERSION);
    expect(code(await alter(ctl, { leaderEpoch: s.leaderEpoch - 1 }))).toBe(ErrorCode.FENCED_LEADER_EPOCH);
    const other = IDS.find((id) => id !== s.leaderId)!;
    expect(code(await alter(ctl, { brokerId: other, newIsr: [other] }))).toBe(ErrorCode.INVALID_REQUEST);
    expect(code(await alter(ctl, { newIsr: [s.leaderId, 9] }))).toBe(ErrorCode.INVALID_REQUEST);
    // Nothing changed: the ISR is still all three.
    for (const id of IDS) expect([...stateOn(id, 'isr', 0)!.isr].sort()).toEqual(IDS);
  });

  it('Produce to a broker that is not even a replica answers NOT_LEADER_OR_FOLLOWER naming the leader and its endpoint (KIP-951)', async () => {
    await createTopic('single', 1, 1);
    const leader = stateOn(1, 'single', 0)!.leaderId;
    const other = IDS.find((id) => id !== leader)!;
    expect(cluster.byId(other).broker.logManager.getLog('single', 0)).toBeUndefined();
    const records = buildRecordBatch({ records: [{ key: null, value: Buffer.from('x'), timestamp: Date.now() }] });
    const r = await raw(other, 0, 11, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'single', partitionData: [{ index: 0, records }] }] });
    const pr = r.responses[0].partitionResponses[0];
    expect(pr.errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect(pr.currentLeader).toEqual({ leaderId: leader, leaderEpoch: stateOn(1, 'single', 0)!.leaderEpoch });
    expect(r.nodeEndpoints.map((e: { nodeId: number; port: number }) => [e.nodeId, e.port])).toEqual([[leader, cluster.byId(leader).port]]);
    // The leader, alone in the ISR, acknowledges acks=all as soon as it has written.
    const started = Date.now();
    const ok = await raw(leader, 0, 11, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'single', partitionData: [{ index: 0, records }] }] });
    expect(ok.responses[0].partitionResponses[0]).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 0 });
    expect(Date.now() - started).toBeLessThan(4000);
  });
});
