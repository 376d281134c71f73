// @platformatic/kafka consumer groups (JoinGroup v9, SyncGroup v5, Heartbeat v4, LeaveGroup v5,
// OffsetCommit/OffsetFetch v9) and its group admin (ListGroups v5, DescribeGroups v5,
// DeleteGroups v2, OffsetDelete, multi-group OffsetFetch) against an in-process broker.
import { Consumer, type MessagesStream } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGroupsBroker, type GroupsBroker } from './groups-broker.js';
import { waitFor } from '../helpers/wait.js';
import { pkAdmin, pkProducer } from '../helpers/clients.js';

let gb: GroupsBroker;

beforeAll(async () => {
  gb = await startGroupsBroker();
});
afterAll(async () => {
  await gb?.cleanup();
});

interface Member {
  consumer: Consumer;
  stream: MessagesStream<Buffer, Buffer, Buffer, Buffer>;
  seen: { partition: number; offset: bigint; value: string }[];
  partitions(): number[];
}

async function join(groupId: string, topic: string): Promise<Member> {
  const consumer = new Consumer({
    clientId: 'pk-group',
    groupId,
    bootstrapBrokers: [gb.bootstrap],
    sessionTimeout: 10_000,
    rebalanceTimeout: 10_000,
    heartbeatInterval: 300,
    maxWaitTime: 100,
  });
  const stream = await consumer.consume({ topics: [topic], mode: 'committed', fallbackMode: 'earliest', autocommit: false, maxWaitTime: 100 });
  const m: Member = {
    consumer,
    stream,
    seen: [],
    partitions: () => (consumer.assignments ?? []).filter((a) => a.topic === topic).flatMap((a) => a.partitions).sort((a, b) => a - b),
  };
  stream.on('data', (msg) => {
    m.seen.push({ partition: msg.partition, offset: msg.offset, value: msg.value.toString() });
    void msg.commit();
  });
  return m;
}

async function leave(m: Member): Promise<void> {
  await m.stream.close();
  await m.consumer.close();
}

async function setup(topic: string, partitions: number, values: string[][]): Promise<void> {
  const admin = pkAdmin(gb.bootstrap, { clientId: 'pk-admin' });
  await admin.createTopics({ topics: [topic], partitions, replicas: 1 });
  await admin.close();
  const producer = pkProducer(gb.bootstrap, { clientId: 'pk-producer' });
  await producer.send({ messages: values.flatMap((vs, partition) => vs.map((v) => ({ topic, partition, value: Buffer.from(v) }))) });
  await producer.close();
}

describe('@platformatic/kafka consumer groups', () => {
  it('splits partitions between two consumers, commits, and rebalances when one leaves', async () => {
    const topic = 'pk-grp';
    await setup(topic, 4, [['a0'], ['a1'], ['a2'], ['a3']]);
    const m1 = await join('pk-split', topic);
    await waitFor(() => m1.seen.length === 4, 'the first consumer to read every partition');
    // Commits are not awaited by the consumer: let them land before the split, so that the
    // second round checks nothing is read twice (uncommitted records would rightly be re-read).
    const committedOne = () => gb.coordinator.fetchOffsets('pk-split', [{ name: topic, partitionIndexes: [0, 1, 2, 3] }]).topics[0]!.partitions.every((p) => p.committedOffset === 1);
    await waitFor(committedOne, 'the first round to be committed');
    const m2 = await join('pk-split', topic);
    try {
      await waitFor(() => m1.partitions().length === 2 && m2.partitions().length === 2, 'a 2/2 split');
      expect([...m1.partitions(), ...m2.partitions()].sort()).toEqual([0, 1, 2, 3]);
      // m2 starts from the committed offsets: nothing is read twice.
      const producer = pkProducer(gb.bootstrap, { clientId: 'pk-producer' });
      await producer.send({ messages: [0, 1, 2, 3].map((partition) => ({ topic, partition, value: Buffer.from(`b${partition}`) })) });
      await producer.close();
      // Each member reads the new records of its own partitions. m2 starts from the committed
      // offsets, so it never sees the first round. (m1 may also get records of partitions it just
      // lost, from a fetch already in flight during the rebalance: at-least-once, as with Kafka.)
      const valuesOf = (m: Member) => new Set(m.seen.map((x) => x.value));
      await waitFor(() => m1.partitions().every((p) => valuesOf(m1).has(`b${p}`)) && m2.partitions().every((p) => valuesOf(m2).has(`b${p}`)), 'the second round');
      expect(m2.seen.every((x) => x.value.startsWith('b') && m2.partitions().includes(x.partition))).toBe(true);
      expect(m2.seen).toHaveLength(2);

      const admin = pkAdmin(gb.bootstrap, { clientId: 'pk-admin' });
      try {
        const groups = await admin.listGroups({ states: ['STABLE'], types: ['classic'] });
        expect(groups.get('pk-split')).toMatchObject({ id: 'pk-split', protocolType: 'consumer', groupType: 'classic' });
        const described = (await admin.describeGroups({ groups: ['pk-split'] })).get('pk-split')!;
        expect(described.members.size).toBe(2);
        expect(described.protocolType).toBe('consumer');
        // Commits are sent without awaiting them (msg.commit()): poll until all four are in.
        let committed = await admin.listConsumerGroupOffsets({ groups: ['pk-split', 'pk-nobody'] });
        const partitionsOf = () => committed.find((g) => g.groupId === 'pk-split')!.topics.find((t) => t.name === topic)?.partitions ?? [];
        for (let i = 0; i < 100 && !(partitionsOf().length === 4 && partitionsOf().every((p) => p.committedOffset === 2n)); i++) {
          await new Promise((r) => setTimeout(r, 50));
          committed = await admin.listConsumerGroupOffsets({ groups: ['pk-split', 'pk-nobody'] });
        }
        expect(partitionsOf().map((p) => [p.partitionIndex, p.committedOffset])).toEqual([[0, 2n], [1, 2n], [2, 2n], [3, 2n]]);
        expect(committed.find((g) => g.groupId === 'pk-nobody')!.topics).toEqual([]);
      } finally {
        await admin.close();
      }

      await leave(m2);
      await waitFor(() => m1.partitions().length === 4, 'the survivor to own every partition');
    } finally {
      await leave(m1);
    }
  });
});

describe('@platformatic/kafka group admin', () => {
  it('alters, deletes offsets of, and deletes an empty group', async () => {
    const topic = 'pk-adm';
    await setup(topic, 2, [['x', 'y'], ['z']]);
    const m = await join('pk-adm', topic);
    await waitFor(() => m.seen.length === 3, 'three records');
    const admin = pkAdmin(gb.bootstrap, { clientId: 'pk-admin' });
    try {
      await expect(admin.deleteGroups({ groups: ['pk-adm'] })).rejects.toThrow();
      await leave(m);
      await admin.alterConsumerGroupOffsets({ groupId: 'pk-adm', topics: [{ name: topic, partitionOffsets: [{ partition: 0, offset: 1n }, { partition: 1, offset: 0n }] }] });
      let listed = await admin.listConsumerGroupOffsets({ groups: [{ groupId: 'pk-adm', topics: [{ name: topic, partitionIndexes: [0, 1] }] }] });
      expect(listed[0]!.topics[0]!.partitions.map((p) => p.committedOffset)).toEqual([1n, 0n]);
      await admin.deleteConsumerGroupOffsets({ groupId: 'pk-adm', topics: [{ name: topic, partitionIndexes: [1] }] });
      listed = await admin.listConsumerGroupOffsets({ groups: [{ groupId: 'pk-adm', topics: [{ name: topic, partitionIndexes: [0, 1] }] }] });
      expect(listed[0]!.topics[0]!.partitions.map((p) => p.committedOffset)).toEqual([1n, -1n]);

      // A consumer of the group resumes from the altered offset, and the deleted one from the start.
      const again = await join('pk-adm', topic);
      await waitFor(() => again.seen.length === 2, 'two records');
      expect(again.seen.map((s) => s.value).sort()).toEqual(['y', 'z']);
      await leave(again);

      await admin.deleteGroups({ groups: ['pk-adm'] });
      expect((await admin.listGroups()).has('pk-adm')).toBe(false);
    } finally {
      await admin.close();
    }
  });
});
