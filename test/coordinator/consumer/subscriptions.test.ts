// Subscriptions and metadata: topic creation, added partitions, regex subscriptions, changed
// subscriptions and the server-side assignor a group uses.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ErrorCode } from '../../../protocol/errors.js';
import { parts, settle, SimMember, startHarness, type Harness } from './helpers.js';

let h: Harness;

beforeEach(async () => {
  vi.useFakeTimers();
  h = await startHarness();
});
afterEach(async () => {
  await h.cc.shutdown();
  await h.gc.shutdown();
  vi.useRealTimers();
});

describe('metadata changes', () => {
  it('assigns the partitions added to a subscribed topic on the next heartbeat', async () => {
    const t = h.topics.create('t', 2).id;
    const a = new SimMember(h, 'a');
    await a.beat();
    expect(a.partitions(t)).toEqual([0, 1]);
    h.topics.setPartitions('t', 4);
    const r = await a.beat();
    expect(r.memberEpoch).toBe(2);
    expect(parts(r.assignment?.topicPartitions, t)).toEqual([0, 1, 2, 3]);
    expect(h.cc.group('g')!.subscriptionMetadata.get('t')!.numPartitions).toBe(4);
  });

  it('picks up a subscribed topic once it is created', async () => {
    const a = new SimMember(h, 'a', { subscribedTopicNames: ['later'] });
    const r = await a.beat();
    expect(r.errorCode).toBe(ErrorCode.NONE);
    expect(r.assignment?.topicPartitions).toEqual([]);
    const id = h.topics.create('later', 3).id;
    const r2 = await a.beat();
    expect(parts(r2.assignment?.topicPartitions, id)).toEqual([0, 1, 2]);
  });

  it('drops a deleted topic from the target; the member revokes it', async () => {
    const x = h.topics.create('x', 2).id;
    const y = h.topics.create('y', 2).id;
    const a = new SimMember(h, 'a', { subscribedTopicNames: ['x', 'y'] });
    await a.beat();
    expect(a.partitions(x)).toEqual([0, 1]);
    h.topics.delete('x');
    h.cc.onTopicsDeleted(['x']);
    await settle([a]);
    expect(a.partitions(x)).toEqual([]);
    expect(a.partitions(y)).toEqual([0, 1]);
    expect(h.cc.group('g')!.state).toBe('Stable');
  });
});

describe('subscriptions', () => {
  it('follows a regex subscription, including topics created later', async () => {
    h.topics.create('__consumer_offsets', 5);
    const o1 = h.topics.create('orders-1', 1).id;
    h.topics.create('payments', 1);
    const a = new SimMember(h, 'a', { subscribedTopicNames: null, subscribedTopicRegex: 'orders-.*' });
    await a.beat();
    expect(a.owned.map((x) => x.topicId)).toEqual([o1]);
    const o2 = h.topics.create('orders-2', 2).id;
    vi.advanceTimersByTime(1500); // past the regex cache
    await a.beat();
    expect(a.partitions(o2)).toEqual([0, 1]);
    expect([...h.cc.group('g')!.subscriptionMetadata.keys()]).toEqual(['orders-1', 'orders-2']);
  });

  // Kafka's GroupMetadataManager.refreshRegularExpressions matches every topic in the metadata
  // image, internal ones included; clients that want them out say so in the regex (franz-go's
  // Test848RegexBrokerResolves expects __consumer_offsets to be assigned for a regex naming it).
  it('resolves a regex against internal topics too, as Kafka does', async () => {
    const offsets = h.topics.create('__consumer_offsets', 3).id;
    h.topics.create('orders', 1);
    const a = new SimMember(h, 'a', { subscribedTopicNames: null, subscribedTopicRegex: '__consumer_offsets' });
    await a.beat();
    await settle([a]);
    expect(a.partitions(offsets)).toEqual([0, 1, 2]);
    expect([...h.cc.group('g')!.subscriptionMetadata.keys()]).toEqual(['__consumer_offsets']);
  });

  it('bumps the group epoch when a member changes its subscription', async () => {
    const t = h.topics.create('t', 2).id;
    const u = h.topics.create('u', 2).id;
    const a = new SimMember(h, 'a');
    await a.beat();
    a.base = { subscribedTopicNames: ['u'] };
    await settle([a]);
    expect(h.cc.group('g')!.groupEpoch).toBe(2);
    expect(a.partitions(t)).toEqual([]);
    expect(a.partitions(u)).toEqual([0, 1]);
  });

  it('assigns only subscribed topics when members subscribe to different ones', async () => {
    const t = h.topics.create('t', 4).id;
    const u = h.topics.create('u', 2).id;
    const a = new SimMember(h, 'a', { subscribedTopicNames: ['t', 'u'] });
    const b = new SimMember(h, 'b', { subscribedTopicNames: ['t'] });
    await a.beat();
    await b.beat();
    await settle([a, b]);
    expect(b.partitions(u)).toEqual([]);
    expect(a.partitions(u)).toEqual([0, 1]);
    expect([...a.partitions(t), ...b.partitions(t)].sort()).toEqual([0, 1, 2, 3]);
    expect(a.partitions(t).length + a.partitions(u).length).toBe(3);
  });
});

describe('assignor selection', () => {
  it('uses uniform by default and range when members ask for it', async () => {
    const t = h.topics.create('t', 5).id;
    const a = new SimMember(h, 'a', { serverAssignor: 'range' });
    const b = new SimMember(h, 'b', { serverAssignor: 'range' });
    await a.beat();
    await b.beat();
    await settle([a, b]);
    expect(a.partitions(t)).toEqual([0, 1, 2]);
    expect(b.partitions(t)).toEqual([3, 4]);
    const d = h.cc.describeGroups(['g'])[0]!;
    expect(d.assignorName).toBe('range');

    const g2a = new SimMember(h, 'x', { groupId: 'g2' });
    await g2a.beat();
    expect(h.cc.describeGroups(['g2'])[0]!.assignorName).toBe('uniform');
  });
});
