// KIP-848 consumer groups with a real client: @platformatic/kafka consumers with
// groupProtocol 'consumer' (ConsumerGroupHeartbeat v1, OffsetCommit/OffsetFetch v9 with member
// epochs) against an in-process broker.
import { Consumer, type MessagesStream } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { waitFor } from '../helpers/wait.js';
import { pkAdmin, pkProducer } from '../helpers/clients.js';

const OVERRIDES = { 'group.consumer.heartbeat.interval.ms': '300', 'offsets.topic.num.partitions': '3' };
let tb: TestBroker;

beforeAll(async () => {
  tb = await startTestBroker(OVERRIDES);
});
afterAll(async () => {
  await tb?.cleanup();
});

interface Member {
  consumer: Consumer;
  stream: MessagesStream<Buffer, Buffer, Buffer, Buffer>;
  seen: string[];
  partitions(): number[];
}

async function join(groupId: string, topic: string, extra: { groupRemoteAssignor?: string } = {}): Promise<Member> {
  const consumer = new Consumer({
    clientId: 'kip848',
    groupId,
    groupProtocol: 'consumer',
    bootstrapBrokers: [tb.bootstrap],
    maxWaitTime: 100,
    ...extra,
  });
  const stream = await consumer.consume({ topics: [topic], mode: 'committed', fallbackMode: 'earliest', autocommit: false, maxWaitTime: 100 });
  const m: Member = {
    consumer,
    stream,
    seen: [],
    partitions: () => (consumer.assignments ?? []).filter((a) => a.topic === topic).flatMap((a) => a.partitions).sort((a, b) => a - b),
  };
  stream.on('data', (msg) => {
    m.seen.push(msg.value.toString());
    msg.commit(() => {});
  });
  return m;
}

async function leave(m: Member): Promise<void> {
  await m.stream.close();
  await m.consumer.close();
}

async function setup(topic: string, partitions: number, perPartition: number, prefix: string): Promise<void> {
  const admin = pkAdmin(tb.bootstrap, { clientId: 'kip848-admin' });
  if (!tb.broker.topics.get(topic)) await admin.createTopics({ topics: [topic], partitions, replicas: 1 });
  await admin.close();
  await produce(topic, partitions, perPartition, prefix);
}

async function produce(topic: string, partitions: number, perPartition: number, prefix: string): Promise<void> {
  const producer = pkProducer(tb.bootstrap, { clientId: 'kip848-producer' });
  const messages = [];
  for (let p = 0; p < partitions; p++) for (let i = 0; i < perPartition; i++) messages.push({ topic, partition: p, value: Buffer.from(`${prefix}${p}-${i}`) });
  await producer.send({ messages });
  await producer.close();
}

const committed = (groupId: string, topic: string, n: number) =>
  tb.broker.groupCoordinator.fetchOffsets(groupId, [{ name: topic, partitionIndexes: Array.from({ length: n }, (_, i) => i) }]).topics[0]!.partitions.map((p) => p.committedOffset);

describe('@platformatic/kafka with groupProtocol consumer', () => {
  it('splits partitions, revokes before reassigning, commits with member epochs and takes over when a member leaves', async () => {
    await setup('k-split', 4, 3, 'a');
    const m1 = await join('k-split', 'k-split');
    await waitFor(() => m1.seen.length === 12, 'the first member to read everything');
    await waitFor(() => committed('k-split', 'k-split', 4).every((o) => o === 3), 'commits of the first round');
    expect(m1.partitions()).toEqual([0, 1, 2, 3]);

    const m2 = await join('k-split', 'k-split');
    await waitFor(() => m1.partitions().length === 2 && m2.partitions().length === 2, 'a 2/2 split');
    expect([...m1.partitions(), ...m2.partitions()].sort()).toEqual([0, 1, 2, 3]);
    const g = tb.broker.consumerGroupCoordinator!.describeGroups(['k-split'])[0]!;
    expect(g.groupState).toBe('Stable');
    expect(g.members).toHaveLength(2);
    expect(g.members.every((m) => m.memberEpoch === g.assignmentEpoch)).toBe(true);

    await produce('k-split', 4, 1, 'b');
    await waitFor(() => m1.seen.length + m2.seen.length === 16, 'the second round');
    expect(m2.seen.every((v) => v.startsWith('b'))).toBe(true); // nothing read twice
    await waitFor(() => committed('k-split', 'k-split', 4).every((o) => o === 4), 'commits of the second round');

    await leave(m2);
    await waitFor(() => m1.partitions().length === 4, 'the remaining member to own everything');
    await produce('k-split', 4, 1, 'c');
    await waitFor(() => m1.seen.filter((v) => v.startsWith('c')).length === 4, 'the third round read by the remaining member');
    await leave(m1);
    expect(tb.broker.consumerGroupCoordinator!.group('k-split')!.state).toBe('Empty');
  });

  it('lists the group as a consumer group and honours the range assignor', async () => {
    await setup('k-range', 5, 1, 'r');
    const m1 = await join('k-range', 'k-range', { groupRemoteAssignor: 'range' });
    const m2 = await join('k-range', 'k-range', { groupRemoteAssignor: 'range' });
    await waitFor(() => m1.partitions().length + m2.partitions().length === 5 && m1.partitions().length > 0 && m2.partitions().length > 0, 'a range split');
    const sizes = [m1.partitions(), m2.partitions()].sort((a, b) => b.length - a.length);
    expect(sizes).toEqual([[0, 1, 2], [3, 4]]);
    const admin = pkAdmin(tb.bootstrap, { clientId: 'kip848-admin' });
    const groups = await admin.listGroups({ types: ['consumer'] });
    await admin.close();
    expect(groups.get('k-range')).toMatchObject({ groupType: 'consumer', protocolType: 'consumer', state: 'STABLE' });
    expect(tb.broker.consumerGroupCoordinator!.describeGroups(['k-range'])[0]!.assignorName).toBe('range');
    await leave(m1);
    await leave(m2);
  });

  it('restores the group and its offsets after a broker restart', async () => {
    await setup('k-restart', 2, 2, 'x');
    const m1 = await join('k-restart', 'k-restart');
    await waitFor(() => m1.seen.length === 4, 'the first round');
    await waitFor(() => committed('k-restart', 'k-restart', 2).every((o) => o === 2), 'its commits');
    const epoch = tb.broker.consumerGroupCoordinator!.group('k-restart')!.groupEpoch;
    await leave(m1);
    tb = await tb.restart(OVERRIDES);
    const g = tb.broker.consumerGroupCoordinator!.group('k-restart')!;
    expect(g.state).toBe('Empty');
    expect(g.groupEpoch).toBe(epoch + 1);
    expect(committed('k-restart', 'k-restart', 2)).toEqual([2, 2]);
    await produce('k-restart', 2, 1, 'y');
    const m2 = await join('k-restart', 'k-restart');
    await waitFor(() => m2.seen.length === 2, 'the records after the restart');
    expect(m2.seen.sort()).toEqual(['y0-0', 'y1-0']);
    await leave(m2);
  });
});
