// createTestCluster (tributary/testing) with a real client: topics up front, a temp dir removed on
// close, and control() making kafkajs see broker errors, delays and dropped connections.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { createTestCluster, type TestCluster } from '../../src/testing.js';
import { RawClient } from '../helpers/raw-client.js';
import { kafkajs } from '../helpers/clients.js';

let cluster: TestCluster;
let kafka: Kafka;
let producer: Producer;

beforeAll(async () => {
  cluster = await createTestCluster({ brokers: 1, topics: [{ name: 'orders', partitions: 3 }, { name: 'compacted', config: { 'cleanup.policy': 'compact' } }] });
  kafka = kafkajs(cluster.bootstrap, { clientId: 'testing-api', retry: { initialRetryTime: 50, retries: 5 } });
  producer = kafka.producer();
  await producer.connect();
});
afterAll(async () => {
  await producer?.disconnect();
  await cluster?.close();
});

describe('createTestCluster', () => {
  it('creates the topics with their partitions and configs', async () => {
    expect(cluster.brokers).toEqual([{ nodeId: 1, host: '127.0.0.1', port: expect.any(Number) }]);
    expect(cluster.bootstrap).toBe(`127.0.0.1:${cluster.brokers[0]!.port}`);
    const admin = kafka.admin();
    await admin.connect();
    const meta = await admin.fetchTopicMetadata({ topics: ['orders', 'compacted'] });
    expect(meta.topics.map((t) => [t.name, t.partitions.length]).sort()).toEqual([['compacted', 1], ['orders', 3]]);
    const configs = await admin.describeConfigs({ resources: [{ type: 2, name: 'compacted', configNames: ['cleanup.policy'] }], includeSynonyms: false });
    expect(configs.resources[0]!.configEntries[0]!.configValue).toBe('compact');
    await admin.disconnect();
  });

  it('refuses a bad broker count and bad topics before creating anything', async () => {
    await expect(createTestCluster({ brokers: 0 })).rejects.toThrow(/brokers must be an integer from 1 to 16, got 0/);
    await expect(createTestCluster({ brokers: 2, topics: [{ name: 't', replicationFactor: 3 }] })).rejects.toThrow(/replicationFactor from 1 to 2/);
    await expect(createTestCluster({ brokers: 2, config: { 'log.dirs': '/tmp/x' } })).rejects.toThrow(/'log.dirs' is set per broker/);
    await expect(cluster.kill(1)).rejects.toThrow(/needs a cluster of several brokers/);
    await expect(createTestCluster({ topics: [{ name: 'bad name' }] })).rejects.toThrow(/invalid topic name 'bad name'/);
    await expect(createTestCluster({ topics: [{ name: 't', config: { 'cleanup.polcy': 'compact' } }] })).rejects.toThrow(/Unknown topic config name: cleanup.polcy/);
  });

  it('removes its data dir on close', async () => {
    const topic = `x-${process.pid}-${Date.now()}`;
    const c = await createTestCluster({ topics: [{ name: topic }] });
    const client = await RawClient.connect(c.brokers[0]!.port);
    const meta = await client.send(3, 12, { topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: topic }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    client.close();
    expect(meta.topics[0].errorCode).toBe(0);
    // The cluster's data dir is the temp dir holding this topic's partition directory.
    const tmp = os.tmpdir();
    const ours = fs.readdirSync(tmp).filter((d) => d.startsWith('tributary-test-cluster-') && fs.existsSync(path.join(tmp, d, `${topic}-0`)));
    expect(ours).toHaveLength(1);
    await c.close();
    await c.close(); // idempotent
    expect(fs.existsSync(path.join(tmp, ours[0]!))).toBe(false);
  });
});

describe('control', () => {
  it('answers with a retriable error: kafkajs retries and the write lands once', async () => {
    const seen: number[] = [];
    const handle = cluster.control('Produce', (req: { topicData: { name: string }[] }, info) => {
      seen.push(info.apiVersion);
      return req.topicData[0]!.name === 'orders' ? { error: 'NOT_LEADER_OR_FOLLOWER' } : undefined;
    }, { times: 2 });
    const [res] = await producer.send({ topic: 'orders', messages: [{ value: 'retried', partition: 1 }] });
    expect(handle.acted).toBe(2); // two refusals, then removed: the third attempt reached the broker
    expect(seen.length).toBe(2);
    expect(res!.errorCode).toBe(0);
    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets('orders');
    await admin.disconnect();
    expect(offsets.find((o) => o.partition === 1)!.high).toBe(String(Number(res!.baseOffset) + 1));
  });

  it('answers with a non-retriable error: kafkajs surfaces it', async () => {
    const handle = cluster.control(0, () => ({ error: ErrorCode.TOPIC_AUTHORIZATION_FAILED }));
    try {
      const err = await producer.send({ topic: 'orders', messages: [{ value: 'denied' }] }).catch((e: Error & { type?: string }) => e);
      expect(err).toBeInstanceOf(Error);
      expect((err as { type?: string }).type).toBe('TOPIC_AUTHORIZATION_FAILED');
      expect(handle.acted).toBe(1);
    } finally {
      handle.remove();
    }
    // Removed: the broker handles Produce again.
    await expect(producer.send({ topic: 'orders', messages: [{ value: 'allowed' }] })).resolves.toHaveLength(1);
  });

  it('delays a request', async () => {
    const handle = cluster.control('Metadata', () => ({ delayMs: 400 }), { times: 1 });
    const admin = kafka.admin();
    const t0 = performance.now();
    await admin.connect();
    await admin.fetchTopicMetadata({ topics: ['orders'] });
    expect(handle.acted).toBe(1);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(390);
    await admin.disconnect();
  });

  it("drops the connection: kafkajs reconnects and its retry succeeds", async () => {
    const handle = cluster.control('Produce', () => 'drop', { times: 1 });
    const [res] = await producer.send({ topic: 'orders', messages: [{ value: 'after-drop', partition: 2 }] });
    expect(handle.acted).toBe(1);
    expect(res!.errorCode).toBe(0);
  });

  it('answers with a response of its own, and errors for the common APIs', async () => {
    const client = await RawClient.connect(cluster.brokers[0]!.port);
    const h1 = cluster.control('FindCoordinator', () => ({ error: 'COORDINATOR_NOT_AVAILABLE' }));
    const h2 = cluster.control('ListOffsets', () => ({ error: 'NOT_LEADER_OR_FOLLOWER' }));
    const h3 = cluster.control('Fetch', () => ({ error: 'NOT_LEADER_OR_FOLLOWER' }));
    const h4 = cluster.control('DescribeCluster', () => ({ response: { throttleTimeMs: 0, errorCode: 0, errorMessage: null, endpointType: 1, clusterId: 'fake', controllerId: 7, brokers: [], clusterAuthorizedOperations: -2147483648 } }));
    try {
      const fc = await client.send(10, 4, { keyType: 0, coordinatorKeys: ['g1', 'g2'] });
      expect(fc.coordinators.map((c: { key: string; errorCode: number }) => [c.key, c.errorCode])).toEqual([['g1', 15], ['g2', 15]]);
      const fc0 = await client.send(10, 0, { key: 'g1' });
      expect(fc0.errorCode).toBe(15);
      const lo = await client.send(2, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1 }] }] });
      expect(lo.topics[0].partitions[0].errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
      const f = await client.send(1, 11, {
        replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
        topics: [{ topic: 'orders', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }],
        forgottenTopicsData: [], rackId: '',
      });
      expect(f.errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
      expect(f.responses[0].partitions[0].errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
      const dc = await client.send(60, 0, { includeClusterAuthorizedOperations: false });
      expect([dc.clusterId, dc.controllerId]).toEqual(['fake', 7]);
    } finally {
      for (const h of [h1, h2, h3, h4]) h.remove();
      client.close();
    }
    expect(() => cluster.control('Vote', () => undefined)).toThrow(/not served by this broker/);
    expect(() => cluster.control('NoSuchApi', () => undefined)).toThrow(/unknown API name/);
  });

  it('runs controls in order, awaits async ones, and turns a throwing one into UNKNOWN_SERVER_ERROR', async () => {
    const client = await RawClient.connect(cluster.brokers[0]!.port);
    const hb = (groupId: string) => client.send(12, 4, { groupId, generationId: 1, memberId: 'm', groupInstanceId: null });
    const order: string[] = [];
    const first = cluster.control('Heartbeat', (req: { groupId: string }) => {
      order.push('first');
      if (req.groupId === 'boom') throw new Error('a bug in the test');
      return 'pass';
    });
    const second = cluster.control('Heartbeat', async (req: { groupId: string }) => {
      order.push('second');
      await new Promise((r) => setTimeout(r, 5));
      return req.groupId === 'slow-fail' ? { delayMs: 50, error: 'REBALANCE_IN_PROGRESS' } : undefined;
    });
    try {
      const t0 = performance.now();
      expect((await hb('slow-fail')).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(50);
      expect(order).toEqual(['first', 'second']);
      // Passed through by both: the broker answers (no such group).
      expect((await hb('other')).errorCode).not.toBe(ErrorCode.REBALANCE_IN_PROGRESS);
      expect((await hb('boom')).errorCode).toBe(ErrorCode.UNKNOWN_SERVER_ERROR);
      expect([first.seen, first.acted, second.seen, second.acted]).toEqual([3, 0, 2, 1]);
      // The connection survived all of it.
      expect(client.closed).toBe(false);
    } finally {
      first.remove();
      second.remove();
      client.close();
    }
  });
});
