// Cluster mode (issue 13, first slice): three in-process brokers sharing an in-memory metadata
// store. Topics go through the controller (replicas over the live brokers), every broker answers
// Metadata with all brokers and the real leaders, non-leaders answer NOT_LEADER_OR_FOLLOWER with
// the leader, and RF beyond the live broker count is INVALID_REPLICATION_FACTOR.
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { buildRecordBatch } from '../../protocol/records/batch-builder.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { RawClient } from '../helpers/raw-client.js';

let cluster: TestCluster;

async function metadata(nodeId: number, topic: string) {
  const c = await RawClient.connect(cluster.byId(nodeId).port);
  try {
    return await c.send(3, 12, { topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: topic }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
  } finally {
    c.close();
  }
}

beforeAll(async () => {
  cluster = await startCluster(3);
});
afterAll(async () => {
  await cluster?.close();
});

describe('three brokers over one metadata store', () => {
  it('creates topics through the controller and lists every broker and leader', async () => {
    const c = await RawClient.connect(cluster.byId(2).port);
    try {
      const created = await c.send(19, 7, { topics: [{ name: 'rf3', numPartitions: 3, replicationFactor: 3, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
      expect(created.topics[0].errorCode).toBe(ErrorCode.NONE);
      const tooMany = await c.send(19, 7, { topics: [{ name: 'rf4', numPartitions: 1, replicationFactor: 4, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
      expect(tooMany.topics[0].errorCode).toBe(ErrorCode.INVALID_REPLICATION_FACTOR);

      for (const id of [1, 2, 3]) {
        // Metadata reaches each broker through the store's watch, as Kafka's UpdateMetadata does: asynchronously.
        // (The topic record and the partition states come through separate watches: wait for both.)
        await cluster.waitFor(`rf3 on broker ${id}`, () => {
          const b = cluster.byId(id).broker;
          return b.topics.get('rf3') !== undefined && [0, 1, 2].every((p) => (b.partitionManager.partition('rf3', p)?.isr.length ?? 0) === 3);
        });
        const m = await metadata(id, 'rf3');
        expect(m.brokers.map((b: { nodeId: number }) => b.nodeId).sort()).toEqual([1, 2, 3]);
        expect([1, 2, 3]).toContain(m.controllerId);
        const parts = m.topics[0].partitions;
        expect(parts).toHaveLength(3);
        for (const p of parts) {
          expect(p.errorCode).toBe(ErrorCode.NONE);
          expect([...p.replicaNodes].sort()).toEqual([1, 2, 3]);
          expect([...p.isrNodes].sort()).toEqual([1, 2, 3]);
          expect(p.leaderId).toBe(p.replicaNodes[0]);
        }
        // Rack-unaware round robin: the three partitions have three different leaders.
        expect(new Set(parts.map((p: { leaderId: number }) => p.leaderId)).size).toBe(3);
      }
    } finally {
      c.close();
    }
  });

  it('answers NOT_LEADER_OR_FOLLOWER (with the leader) on a broker that does not lead', async () => {
    const m = await metadata(1, 'rf3');
    const p0 = m.topics[0].partitions.find((p: { partitionIndex: number }) => p.partitionIndex === 0);
    const other = [1, 2, 3].find((id) => id !== p0.leaderId)!;
    const c = await RawClient.connect(cluster.byId(other).port);
    try {
      const records = buildRecordBatch({ records: [{ key: null, value: Buffer.from('x'), timestamp: Date.now() }] });
      const r = await c.send(0, 10, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: 'rf3', partitionData: [{ index: 0, records }] }] });
      const pr = r.responses[0].partitionResponses[0];
      expect(pr.errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
      const f = await c.send(1, 13, {
        maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
        topics: [{ topicId: m.topics[0].topicId, partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, lastFetchedEpoch: -1, logStartOffset: -1 }] }],
        forgottenTopicsData: [], rackId: '',
      });
      // A consumer's Fetch v11+ (client metadata) is served by a follower, as Kafka's ReplicaManager
      // does (KIP-392, selector or not); v10 and older are leader-only.
      expect(f.responses[0].partitions[0].errorCode).toBe(ErrorCode.NONE);
      const old = await c.send(1, 10, {
        replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
        topics: [{ topic: 'rf3', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, logStartOffset: -1 }] }],
        forgottenTopicsData: [],
      });
      expect(old.responses[0].partitions[0].errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
      expect(pr.currentLeader.leaderId).toBe(p0.leaderId);
    } finally {
      c.close();
    }
  });

  it('kafkajs produces to and consumes from the leaders of every partition', async () => {
    const kafka = new Kafka({ clientId: 'cluster-test', brokers: [cluster.byId(3).bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'kjs', numPartitions: 3, replicationFactor: 2 }], waitForLeaders: true });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    const values = Array.from({ length: 30 }, (_, i) => `v${i}`);
    await producer.send({ topic: 'kjs', acks: 1, messages: values.map((v, i) => ({ value: v, partition: i % 3 })) });
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId: 'g-kjs' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'kjs', fromBeginning: true });
    const seen: string[] = [];
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
    await cluster.waitFor('every record consumed', () => seen.length >= values.length);
    await consumer.disconnect();
    expect(seen.sort()).toEqual([...values].sort());
  });
});
