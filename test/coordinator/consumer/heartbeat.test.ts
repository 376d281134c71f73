// ConsumerGroupHeartbeat against the coordinator directly: joining, epochs, reconciliation with
// revocation before reassignment, leaving, timeouts and the request errors of KIP-848.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ErrorCode } from '../../../protocol/errors.js';
import { MemberState } from '../../../src/coordinator/consumer/consumer-records.js';
import { hbParams, parts, settle, SimMember, startHarness, type Harness } from './helpers.js';

let h: Harness;
let t: string;

beforeEach(async () => {
  vi.useFakeTimers();
  h = await startHarness({ sessionTimeoutMs: 45_000, heartbeatIntervalMs: 5000 });
  t = h.topics.create('t', 6).id;
});
afterEach(async () => {
  await h.cc.shutdown();
  await h.gc.shutdown();
  vi.useRealTimers();
});

describe('joining', () => {
  it('gives a lone member every partition at group epoch 1, with a generated member id', async () => {
    const a = new SimMember(h, '');
    const r = await a.beat();
    expect(r.errorCode).toBe(ErrorCode.NONE);
    expect(r.memberId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(r.memberEpoch).toBe(1);
    expect(r.heartbeatIntervalMs).toBe(5000);
    expect(parts(r.assignment?.topicPartitions, t)).toEqual([0, 1, 2, 3, 4, 5]);
    const g = h.cc.group('g')!;
    expect(g.groupEpoch).toBe(1);
    expect(g.assignmentEpoch).toBe(1);
    expect(g.state).toBe('Stable');
  });

  it('keeps a client-generated member id (v1 clients)', async () => {
    const r = await h.cc.heartbeat(hbParams({ memberId: 'my-own-id' }));
    expect(r.memberId).toBe('my-own-id');
    expect(h.cc.group('g')!.members.has('my-own-id')).toBe(true);
  });

  it('answers without an assignment when nothing changed and no partitions were reported', async () => {
    const a = new SimMember(h, 'a');
    await a.beat();
    const r = await a.beat({ topicPartitions: null, subscribedTopicNames: null, rebalanceTimeoutMs: -1 });
    expect(r.errorCode).toBe(ErrorCode.NONE);
    expect(r.memberEpoch).toBe(1);
    expect(r.assignment).toBeNull();
  });

  it('hands partitions to a new member only after the old owner revoked them', async () => {
    const a = new SimMember(h, 'a');
    await a.beat();
    const b = new SimMember(h, 'b');
    const rb = await b.beat();
    // b is at the new epoch but everything is still owned by a: it gets nothing yet.
    expect(rb.memberEpoch).toBe(2);
    expect(parts(rb.assignment?.topicPartitions, t)).toEqual([]);
    expect(h.cc.group('g')!.members.get('b')!.state).toBe(MemberState.UNRELEASED_PARTITIONS);
    expect(h.cc.group('g')!.state).toBe('Reconciling');

    // a is told to drop three partitions and stays at epoch 1 until it does.
    const ra = await a.beat({ topicPartitions: [{ topicId: t, partitions: [0, 1, 2, 3, 4, 5] }] });
    expect(ra.memberEpoch).toBe(1);
    expect(parts(ra.assignment?.topicPartitions, t)).toHaveLength(3);
    const revoking = h.cc.group('g')!.members.get('a')!;
    expect(revoking.state).toBe(MemberState.UNREVOKED_PARTITIONS);
    const pending = [...revoking.partitionsPendingRevocation.get(t)!].sort();

    // Still reporting them: no progress for a, and b still cannot have them.
    const again = await a.beat({ topicPartitions: [{ topicId: t, partitions: [0, 1, 2, 3, 4, 5] }] });
    expect(again.memberEpoch).toBe(1);
    expect(parts((await b.beat()).assignment?.topicPartitions, t)).toEqual([]);

    // a revokes (reports only what it keeps) and moves to epoch 2; b then gets the released ones.
    const done = await a.beat();
    expect(done.memberEpoch).toBe(2);
    const rb2 = await b.beat();
    expect(parts(rb2.assignment?.topicPartitions, t)).toEqual(pending);
    expect(h.cc.group('g')!.state).toBe('Stable');
    expect([...a.partitions(t), ...b.partitions(t)].sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('balances three members and never gives one partition to two members', async () => {
    const members = ['a', 'b', 'c'].map((id) => new SimMember(h, id));
    for (const m of members) {
      await m.beat();
      // At every step no partition may be owned twice.
      const all = members.flatMap((x) => x.partitions(t));
      expect(new Set(all).size).toBe(all.length);
    }
    await settle(members);
    expect(members.map((m) => m.partitions(t).length)).toEqual([2, 2, 2]);
    expect(members.map((m) => m.epoch)).toEqual([3, 3, 3]);
  });
});

describe('leaving and timeouts', () => {
  it('releases a leaving member (epoch -1) partitions at once and bumps the group epoch', async () => {
    const a = new SimMember(h, 'a');
    const b = new SimMember(h, 'b');
    await a.beat();
    await b.beat();
    await settle([a, b]);
    const r = await b.beat({ memberEpoch: -1 });
    expect(r).toMatchObject({ errorCode: ErrorCode.NONE, memberId: 'b', memberEpoch: -1 });
    const g = h.cc.group('g')!;
    expect(g.members.has('b')).toBe(false);
    expect(g.groupEpoch).toBe(3);
    const ra = await a.beat();
    expect(ra.memberEpoch).toBe(3);
    expect(parts(ra.assignment?.topicPartitions, t)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('removes a member whose session expires', async () => {
    const a = new SimMember(h, 'a');
    const b = new SimMember(h, 'b');
    await a.beat();
    await b.beat();
    await settle([a, b]);
    vi.advanceTimersByTime(30_000);
    await a.beat();
    vi.advanceTimersByTime(30_000); // b silent for 60 s > 45 s; a heartbeated 30 s ago
    expect(h.cc.group('g')!.members.has('b')).toBe(false);
    expect(h.cc.group('g')!.members.has('a')).toBe(true);
    expect((await b.beat()).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(parts((await a.beat()).assignment?.topicPartitions, t)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('fences a member that does not revoke within its rebalance timeout', async () => {
    const a = new SimMember(h, 'a', { rebalanceTimeoutMs: 10_000 });
    await a.beat();
    const b = new SimMember(h, 'b');
    await b.beat();
    await a.beat({ topicPartitions: [{ topicId: t, partitions: [0, 1, 2, 3, 4, 5] }] });
    expect(h.cc.group('g')!.members.get('a')!.state).toBe(MemberState.UNREVOKED_PARTITIONS);
    await b.beat();
    vi.advanceTimersByTime(10_001);
    expect(h.cc.group('g')!.members.has('a')).toBe(false);
    expect(parts((await b.beat()).assignment?.topicPartitions, t)).toEqual([0, 1, 2, 3, 4, 5]);
  });
});

describe('epochs and errors', () => {
  it('fences a member with a wrong epoch, accepts the previous epoch with a subset of its partitions', async () => {
    const a = new SimMember(h, 'a');
    await a.beat();
    expect((await a.beat({ memberEpoch: 5 })).errorCode).toBe(ErrorCode.FENCED_MEMBER_EPOCH);
    const b = new SimMember(h, 'b');
    await b.beat();
    await settle([a, b]);
    expect(a.epoch).toBe(2);
    // The response that moved a to epoch 2 was "lost": epoch 1 with a subset is fine ...
    expect((await a.beat({ memberEpoch: 1 })).errorCode).toBe(ErrorCode.NONE);
    // ... but not with partitions it does not own, nor an older epoch.
    expect((await a.beat({ memberEpoch: 1, topicPartitions: [{ topicId: t, partitions: [0, 1, 2, 3, 4, 5] }] })).errorCode).toBe(ErrorCode.FENCED_MEMBER_EPOCH);
    expect((await a.beat({ memberEpoch: 0, topicPartitions: [] })).errorCode).toBe(ErrorCode.NONE); // epoch 0: a rejoin
  });

  it('lets a fenced member rejoin with epoch 0 and the same id', async () => {
    const a = new SimMember(h, 'a');
    await a.beat();
    a.epoch = 0;
    a.owned = [];
    const r = await a.beat();
    expect(r.errorCode).toBe(ErrorCode.NONE);
    expect(parts(r.assignment?.topicPartitions, t)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(h.cc.group('g')!.members.size).toBe(1);
  });

  it('validates requests like Kafka', async () => {
    const bad = async (over: Parameters<typeof hbParams>[0]) => (await h.cc.heartbeat(hbParams(over))).errorCode;
    expect(await bad({ groupId: '' })).toBe(ErrorCode.INVALID_REQUEST);
    expect(await bad({ rebalanceTimeoutMs: -1 })).toBe(ErrorCode.INVALID_REQUEST);
    expect(await bad({ topicPartitions: null })).toBe(ErrorCode.INVALID_REQUEST);
    expect(await bad({ topicPartitions: [{ topicId: t, partitions: [1] }] })).toBe(ErrorCode.INVALID_REQUEST);
    expect(await bad({ subscribedTopicNames: [] })).toBe(ErrorCode.INVALID_REQUEST);
    expect(await bad({ memberEpoch: 3, memberId: '' })).toBe(ErrorCode.INVALID_REQUEST);
    expect(await bad({ memberEpoch: -3, memberId: 'x' })).toBe(ErrorCode.INVALID_REQUEST);
    expect(await bad({ memberEpoch: -2, memberId: 'x' })).toBe(ErrorCode.INVALID_REQUEST);
    expect(await bad({ instanceId: '' })).toBe(ErrorCode.INVALID_REQUEST);
    expect(await bad({ serverAssignor: 'sticky' })).toBe(ErrorCode.UNSUPPORTED_ASSIGNOR);
    expect(await bad({ subscribedTopicNames: null, subscribedTopicRegex: '(' })).toBe(ErrorCode.INVALID_REGULAR_EXPRESSION);
    expect(await bad({ memberEpoch: 1, memberId: 'x' })).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
    // None of these created the group.
    expect(h.cc.group('g')).toBeUndefined();
    await h.cc.heartbeat(hbParams({ memberId: 'a' }));
    expect(await bad({ memberEpoch: 1, memberId: 'nobody' })).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(await bad({ memberEpoch: -1, memberId: 'nobody' })).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('refuses members beyond group.consumer.max.size', async () => {
    await h.cc.shutdown();
    await h.gc.shutdown();
    h = await startHarness({ maxSize: 1 });
    h.topics.create('t', 2);
    expect((await h.cc.heartbeat(hbParams({ memberId: 'a' }))).errorCode).toBe(ErrorCode.NONE);
    expect((await h.cc.heartbeat(hbParams({ memberId: 'b' }))).errorCode).toBe(ErrorCode.GROUP_MAX_SIZE_REACHED);
  });
});

describe('static membership', () => {
  it('keeps a temporarily leaving instance (-2) partitions for its replacement, without a rebalance', async () => {
    const a = new SimMember(h, 'a1', { instanceId: 'inst-a' });
    const b = new SimMember(h, 'b', {});
    await a.beat();
    await b.beat();
    await settle([a, b]);
    const owned = a.partitions(t);
    const g = h.cc.group('g')!;
    const epoch = g.groupEpoch;
    expect((await a.beat({ memberEpoch: -2 })).memberEpoch).toBe(-2);
    expect(g.members.get('a1')!.memberEpoch).toBe(-2);
    // b cannot take a's partitions meanwhile.
    await b.beat();
    expect(b.partitions(t)).toHaveLength(3);

    // The instance comes back under a new member id: same partitions, same group epoch.
    const a2 = new SimMember(h, 'a2', { instanceId: 'inst-a' });
    const r = await a2.beat();
    expect(r.errorCode).toBe(ErrorCode.NONE);
    expect(parts(r.assignment?.topicPartitions, t)).toEqual(owned);
    expect(g.groupEpoch).toBe(epoch);
    expect(g.members.has('a1')).toBe(false);
    expect(g.staticMember('inst-a')!.memberId).toBe('a2');
  });

  it('answers UNRELEASED_INSTANCE_ID while the instance is in use, FENCED_INSTANCE_ID to the old id', async () => {
    const a = new SimMember(h, 'a1', { instanceId: 'inst-a' });
    await a.beat();
    expect((await h.cc.heartbeat(hbParams({ memberId: 'a2', instanceId: 'inst-a' }))).errorCode).toBe(ErrorCode.UNRELEASED_INSTANCE_ID);
    await a.beat({ memberEpoch: -2 });
    expect((await h.cc.heartbeat(hbParams({ memberId: 'a2', instanceId: 'inst-a' }))).errorCode).toBe(ErrorCode.NONE);
    expect((await a.beat({ memberEpoch: 1 })).errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect((await h.cc.heartbeat(hbParams({ memberId: 'z', memberEpoch: 1, instanceId: 'inst-z' }))).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('removes a static member that left for longer than the session timeout', async () => {
    const a = new SimMember(h, 'a1', { instanceId: 'inst-a' });
    await a.beat();
    await a.beat({ memberEpoch: -2 });
    vi.advanceTimersByTime(45_001);
    expect(h.cc.group('g')!.members.size).toBe(0);
    expect(h.cc.group('g')!.state).toBe('Empty');
  });
});
