// CreatePartitions in cluster mode places the new replicas rack-aware (KRaft's striped replica
// placer, src/cluster/controller/striped-replica-placer.ts): four brokers in two racks,
// replication factor 2, and every partition, old and new, has one replica in each rack.
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';

const RACKS: Record<number, string> = { 1: 'rack-a', 2: 'rack-a', 3: 'rack-b', 4: 'rack-b' };
const brokers: TestBroker[] = [];

async function waitFor(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

beforeAll(async () => {
  const store = `memory:racks-${randomBytes(6).toString('hex')}`;
  for (const id of [1, 2, 3, 4]) {
    brokers.push(await startTestBroker({ 'node.id': String(id), 'broker.rack': RACKS[id]!, 'tributary.metadata.store': store, 'tributary.metadata.session.timeout.ms': '1500' }));
  }
  await waitFor('4 brokers registered', () => brokers.every((b) => b.broker.brokersFor('PLAINTEXT').length === 4));
});
afterAll(async () => {
  for (const b of brokers.splice(0)) await b.cleanup();
});

describe('rack-aware placement through the controller', () => {
  it('CreatePartitions gives every new partition a replica in each rack', async () => {
    const kafka = new Kafka({ clientId: 'racks', brokers: brokers.map((b) => b.bootstrap), logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 50, maxRetryTime: 300 } });
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: 'racked', numPartitions: 2, replicationFactor: 2 }] });
      await admin.createPartitions({ topicPartitions: [{ topic: 'racked', count: 8 }] });
    } finally {
      await admin.disconnect();
    }
    for (const b of brokers) {
      await waitFor(`8 led partitions on broker ${b.broker.nodeId}`, () =>
        Array.from({ length: 8 }, (_, p) => b.broker.partitionManager.partition('racked', p)).every((s) => s !== undefined && s.leaderId >= 0),
      );
      for (let p = 0; p < 8; p++) {
        const replicas = b.broker.partitionManager.partition('racked', p)!.replicas;
        expect(replicas).toHaveLength(2);
        expect(new Set(replicas.map((id) => RACKS[id])).size).toBe(2);
      }
    }
    // The new partitions' leaders alternate between the racks (KRaft's striped placement starts
    // each partition one rack further on; within a rack it does not promise every broker a leader).
    const leaders = Array.from({ length: 6 }, (_, i) => brokers[0]!.broker.partitionManager.partition('racked', i + 2)!.leaderId);
    expect(leaders.filter((id) => RACKS[id] === 'rack-a')).toHaveLength(3);
    expect(leaders.filter((id) => RACKS[id] === 'rack-b')).toHaveLength(3);
  });
});
