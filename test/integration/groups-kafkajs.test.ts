// kafkajs consumer groups and group admin against an in-process broker: partitions split
// between members, takeover when one leaves, committed offsets across a broker restart, and
// listGroups/describeGroups/fetchOffsets/setOffsets/deleteGroups.
import { type Consumer, type EachMessagePayload } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGroupsBroker, type GroupsBroker } from './groups-broker.js';
import { waitFor } from '../helpers/wait.js';
import { kafkajs } from '../helpers/clients.js';

let gb: GroupsBroker;

beforeAll(async () => {
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  gb = await startGroupsBroker();
});
afterAll(async () => {
  await gb?.cleanup();
});

const kafka = () => kafkajs(gb.bootstrap, { clientId: 'groups-kj', retry: { retries: 5, initialRetryTime: 100 } });

async function createTopic(topic: string, numPartitions: number): Promise<void> {
  const admin = kafka().admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions }] });
  await admin.disconnect();
}

async function produce(topic: string, messages: { partition: number; value: string }[]): Promise<void> {
  const producer = kafka().producer();
  await producer.connect();
  await producer.send({ topic, messages });
  await producer.disconnect();
}

interface Tracked {
  consumer: Consumer;
  assigned: number[];
  seen: { partition: number; offset: string; value: string }[];
}

async function startConsumer(groupId: string, topic: string, opts: { autoCommit?: boolean } = {}): Promise<Tracked> {
  const consumer = kafka().consumer({ groupId, sessionTimeout: 10_000, rebalanceTimeout: 10_000, heartbeatInterval: 300, maxWaitTimeInMs: 100 });
  const t: Tracked = { consumer, assigned: [], seen: [] };
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    t.assigned = [...(e.payload.memberAssignment[topic] ?? [])].sort((a, b) => a - b);
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    autoCommit: opts.autoCommit ?? true,
    autoCommitInterval: 100,
    eachMessage: async ({ partition, message }: EachMessagePayload) => {
      t.seen.push({ partition, offset: message.offset, value: message.value!.toString() });
    },
  });
  return t;
}

describe('kafkajs consumer groups', () => {
  it('splits partitions between two members and hands them all to the survivor', async () => {
    const topic = 'grp-split';
    await createTopic(topic, 4);
    const c1 = await startConsumer('split', topic);
    await waitFor(() => c1.assigned.length === 4, 'the first member to get every partition');
    const c2 = await startConsumer('split', topic);
    await waitFor(() => c1.assigned.length === 2 && c2.assigned.length === 2, 'a 2/2 split');
    expect([...c1.assigned, ...c2.assigned].sort()).toEqual([0, 1, 2, 3]);

    await produce(topic, [0, 1, 2, 3].map((partition) => ({ partition, value: `p${partition}` })));
    // Each member reads the records of its own partitions. (A fetch already in flight during the
    // rebalance may also hand c1 a record of a partition it just gave up: at-least-once.)
    const has = (t: Tracked, p: number) => t.seen.some((s) => s.partition === p);
    await waitFor(() => c1.assigned.every((p) => has(c1, p)) && c2.assigned.every((p) => has(c2, p)), 'each member to read its partitions');
    expect(c2.seen.every((s) => c2.assigned.includes(s.partition))).toBe(true);

    const admin = kafka().admin();
    await admin.connect();
    try {
      const d = await admin.describeGroups(['split']);
      expect(d.groups[0]).toMatchObject({ groupId: 'split', state: 'Stable', protocolType: 'consumer' });
      expect(d.groups[0]!.members).toHaveLength(2);
      expect(d.groups[0]!.members[0]!.clientHost).toBe('/127.0.0.1');

      await c2.consumer.disconnect(); // sends LeaveGroup
      await waitFor(() => c1.assigned.length === 4, 'the survivor to take over every partition');
      await produce(topic, [0, 1, 2, 3].map((partition) => ({ partition, value: `again${partition}` })));
      await waitFor(() => c1.seen.filter((s) => s.value.startsWith('again')).length === 4, 'the survivor to read every partition');
    } finally {
      await c1.consumer.disconnect();
      await admin.disconnect();
    }
  });

  it('resumes exactly after the last commit, across a broker restart', async () => {
    const topic = 'grp-resume';
    await createTopic(topic, 1);
    await produce(topic, Array.from({ length: 10 }, (_, i) => ({ partition: 0, value: `m${i}` })));
    const c = await startConsumer('resume', topic, { autoCommit: false });
    await waitFor(() => c.seen.length === 10, 'ten records');
    // Commit "consumed up to m6": the next record to read is offset 7.
    await c.consumer.commitOffsets([{ topic, partition: 0, offset: '7' }]);
    await c.consumer.disconnect();

    const offsetsTopic = gb.tb.broker.topics.get('__consumer_offsets')!;
    expect(offsetsTopic).toMatchObject({ partitions: 5, configs: { 'cleanup.policy': 'compact' } });
    gb = await gb.restart();
    // Opened, not created again.
    expect(gb.tb.broker.topics.get('__consumer_offsets')!.id).toBe(offsetsTopic.id);
    const admin = kafka().admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchOffsets({ groupId: 'resume', topics: [topic] });
      expect(offsets[0]!.partitions).toEqual([{ partition: 0, offset: '7', metadata: null }]);
    } finally {
      await admin.disconnect();
    }
    const again = await startConsumer('resume', topic);
    try {
      await waitFor(() => again.seen.length === 3, 'the three uncommitted records');
      expect(again.seen.map((s) => s.value)).toEqual(['m7', 'm8', 'm9']);
      expect(again.seen[0]!.offset).toBe('7');
    } finally {
      await again.consumer.disconnect();
    }
  });
});

describe('kafkajs group admin', () => {
  it('lists, describes, moves offsets of and deletes groups', async () => {
    const topic = 'grp-admin';
    await createTopic(topic, 2);
    await produce(topic, [
      { partition: 0, value: 'a' },
      { partition: 0, value: 'b' },
      { partition: 1, value: 'c' },
    ]);
    const c = await startConsumer('adm', topic);
    await waitFor(() => c.seen.length === 3, 'three records');
    const admin = kafka().admin();
    await admin.connect();
    try {
      const listed = await admin.listGroups();
      expect(listed.groups).toContainEqual({ groupId: 'adm', protocolType: 'consumer' });
      // An active group cannot be deleted or have its offsets moved by an admin.
      await expect(admin.deleteGroups(['adm'])).rejects.toThrow();
      await expect(admin.setOffsets({ groupId: 'adm', topic, partitions: [{ partition: 0, offset: '0' }] })).rejects.toThrow();
      await c.consumer.disconnect();

      const d = await admin.describeGroups(['adm']);
      expect(d.groups[0]).toMatchObject({ state: 'Empty', members: [] });
      await admin.setOffsets({ groupId: 'adm', topic, partitions: [{ partition: 0, offset: '1' }] });
      let offsets = await admin.fetchOffsets({ groupId: 'adm', topics: [topic] });
      // p0 moved back from 2 to 1; p1 keeps its commit (1) from consuming "c".
      expect(offsets[0]!.partitions.sort((a, b) => a.partition - b.partition).map((p) => p.offset)).toEqual(['1', '1']);
      // (resetOffsets is setOffsets with the -2 sentinel; each call costs kafkajs a 5 s paused fetch.)
      const rewound = await startConsumer('adm', topic);
      await waitFor(() => rewound.seen.length === 1, 'the rewound group to read from the new offset');
      expect(rewound.seen).toEqual([{ partition: 0, offset: '1', value: 'b' }]);
      await rewound.consumer.disconnect();

      expect(await admin.deleteGroups(['adm'])).toEqual([{ groupId: 'adm', errorCode: 0 }]);
      expect((await admin.listGroups()).groups.map((g) => g.groupId)).not.toContain('adm');
      offsets = await admin.fetchOffsets({ groupId: 'adm', topics: [topic] });
      expect(offsets[0]!.partitions.map((p) => p.offset)).toEqual(['-1', '-1']);
      await expect(admin.deleteGroups(['adm'])).rejects.toThrow();
    } finally {
      await admin.disconnect();
    }
  });
});
