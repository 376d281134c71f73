// The classic group state machine driven through the coordinator API with fake timers:
// join/sync/heartbeat/leave, initial delay, session and rebalance timeouts, fencing errors.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ErrorCode } from '../../../protocol/errors.js';
import type { GroupCoordinator } from '../../../src/coordinator/group/group-coordinator.js';
import { joinParams, MemoryLog, startCoordinator, subscription } from './helpers.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const A = Buffer.from('assignment-a');
const B = Buffer.from('assignment-b');

/** Two dynamic members joined and synced: returns their ids (leader first). */
async function twoMemberGroup(gc: GroupCoordinator) {
  const j1 = gc.joinGroup(joinParams({ clientId: 'c1' }));
  const j2 = gc.joinGroup(joinParams({ clientId: 'c2' }));
  await vi.advanceTimersByTimeAsync(200); // the second arrival extends the initial delay once
  const [r1, r2] = await Promise.all([j1, j2]);
  const leader = r1.leader === r1.memberId ? r1 : r2;
  const follower = leader === r1 ? r2 : r1;
  const sf = gc.syncGroup({ groupId: 'g', generationId: follower.generationId, memberId: follower.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
  const sl = gc.syncGroup({
    groupId: 'g',
    generationId: leader.generationId,
    memberId: leader.memberId,
    groupInstanceId: null,
    protocolType: 'consumer',
    protocolName: 'range',
    assignments: [
      { memberId: leader.memberId, assignment: A },
      { memberId: follower.memberId, assignment: B },
    ],
  });
  const [syncL, syncF] = await Promise.all([sl, sf]);
  expect(syncL.assignment).toEqual(A);
  expect(syncF.assignment).toEqual(B);
  return { leader: leader.memberId, follower: follower.memberId, generation: leader.generationId };
}

const hb = (gc: GroupCoordinator, memberId: string, generationId: number, groupInstanceId: string | null = null) =>
  gc.heartbeat({ groupId: 'g', memberId, generationId, groupInstanceId });

describe('join and sync', () => {
  it('forms a one-member group after the initial delay, then hands out the leader assignment', async () => {
    const { gc } = await startCoordinator();
    const join = gc.joinGroup(joinParams());
    await vi.advanceTimersByTimeAsync(99);
    expect(gc.group('g')!.state).toBe('PreparingRebalance');
    await vi.advanceTimersByTimeAsync(1);
    const r = await join;
    expect(r.errorCode).toBe(ErrorCode.NONE);
    expect(r.generationId).toBe(1);
    expect(r.leader).toBe(r.memberId);
    expect(r.memberId).toMatch(/^client-/);
    expect(r.protocolName).toBe('range');
    expect(r.protocolType).toBe('consumer');
    expect(r.members.map((m) => m.memberId)).toEqual([r.memberId]);
    expect(gc.group('g')!.state).toBe('CompletingRebalance');

    const s = await gc.syncGroup({ groupId: 'g', generationId: 1, memberId: r.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [{ memberId: r.memberId, assignment: A }] });
    expect(s).toEqual({ errorCode: ErrorCode.NONE, protocolType: 'consumer', protocolName: 'range', assignment: A });
    expect(gc.group('g')!.state).toBe('Stable');
    expect(hb(gc, r.memberId, 1)).toBe(ErrorCode.NONE);
  });

  it('asks v4+ dynamic members for a member id first (MEMBER_ID_REQUIRED)', async () => {
    const { gc } = await startCoordinator();
    const first = await gc.joinGroup(joinParams({ requireKnownMemberId: true }));
    expect(first.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    expect(first.memberId).toMatch(/^client-/);
    const join = gc.joinGroup(joinParams({ requireKnownMemberId: true, memberId: first.memberId }));
    await vi.advanceTimersByTimeAsync(100);
    const r = await join;
    expect(r.errorCode).toBe(ErrorCode.NONE);
    expect(r.memberId).toBe(first.memberId);
  });

  it('expires a pending member id that never comes back', async () => {
    const { gc } = await startCoordinator();
    const first = await gc.joinGroup(joinParams({ requireKnownMemberId: true, sessionTimeoutMs: 2000 }));
    expect(gc.group('g')!.pendingJoinMembers.has(first.memberId)).toBe(true);
    await vi.advanceTimersByTimeAsync(2000);
    expect(gc.group('g')!.pendingJoinMembers.size).toBe(0);
    const late = await gc.joinGroup(joinParams({ memberId: first.memberId }));
    expect(late.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('gives the leader every member, followers none, and parks followers until the leader syncs', async () => {
    const { gc } = await startCoordinator();
    const j1 = gc.joinGroup(joinParams({ clientId: 'c1' }));
    const j2 = gc.joinGroup(joinParams({ clientId: 'c2' }));
    await vi.advanceTimersByTimeAsync(200);
    const [r1, r2] = await Promise.all([j1, j2]);
    expect(r1.generationId).toBe(1);
    expect(r2.generationId).toBe(1);
    expect(r1.leader).toBe(r2.leader);
    const leader = [r1, r2].find((r) => r.memberId === r.leader)!;
    const follower = [r1, r2].find((r) => r.memberId !== r.leader)!;
    expect(leader.members).toHaveLength(2);
    expect(follower.members).toHaveLength(0);

    let followerDone = false;
    const sf = gc.syncGroup({ groupId: 'g', generationId: 1, memberId: follower.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] }).then((r) => {
      followerDone = true;
      return r;
    });
    await vi.advanceTimersByTimeAsync(10);
    expect(followerDone).toBe(false);
    // The leader assigns only to itself: the follower gets an empty assignment.
    const sl = await gc.syncGroup({ groupId: 'g', generationId: 1, memberId: leader.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [{ memberId: leader.memberId, assignment: A }] });
    expect(sl.assignment).toEqual(A);
    expect((await sf).assignment.length).toBe(0);
    expect((await sf).errorCode).toBe(ErrorCode.NONE);
  });

  it('extends the initial delay while members keep arriving, up to the rebalance timeout', async () => {
    const { gc } = await startCoordinator({ initialRebalanceDelayMs: 100 });
    const joins = [gc.joinGroup(joinParams({ rebalanceTimeoutMs: 1000 }))];
    for (let i = 0; i < 3; i++) {
      await vi.advanceTimersByTimeAsync(80);
      joins.push(gc.joinGroup(joinParams({ rebalanceTimeoutMs: 1000 })));
    }
    await vi.advanceTimersByTimeAsync(80);
    expect(gc.group('g')!.state).toBe('PreparingRebalance');
    await vi.advanceTimersByTimeAsync(200);
    const rs = await Promise.all(joins);
    expect(new Set(rs.map((r) => r.generationId))).toEqual(new Set([1]));
    expect(rs.find((r) => r.memberId === r.leader)!.members).toHaveLength(4);
  });

  it('rebalances when a new member joins a stable group; members learn it from heartbeats', async () => {
    const { gc } = await startCoordinator();
    const { leader, follower, generation } = await twoMemberGroup(gc);
    const j3 = gc.joinGroup(joinParams({ clientId: 'c3' }));
    expect(gc.group('g')!.state).toBe('PreparingRebalance');
    expect(hb(gc, leader, generation)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    expect(hb(gc, follower, generation)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    // Committing is still allowed while preparing (the heartbeat carries the news).
    const commit = await gc.commitOffsets({ groupId: 'g', generationId: generation, memberId: follower, groupInstanceId: null, retentionTimeMs: -1, apiVersion: 8, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 5, committedLeaderEpoch: -1, committedMetadata: null, commitTimestamp: -1 }] }] });
    expect(commit[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);
    const rj1 = gc.joinGroup(joinParams({ memberId: leader, clientId: 'c1' }));
    const rj2 = gc.joinGroup(joinParams({ memberId: follower, clientId: 'c2' }));
    const [a, b, c] = await Promise.all([rj1, rj2, j3]);
    expect([a.generationId, b.generationId, c.generationId]).toEqual([2, 2, 2]);
    expect(a.leader).toBe(leader);
    expect(a.members).toHaveLength(3);
    expect(hb(gc, follower, 1)).toBe(ErrorCode.ILLEGAL_GENERATION);
    // Heartbeats are accepted between JoinGroup and SyncGroup.
    expect(hb(gc, follower, 2)).toBe(ErrorCode.NONE);
    // ...but commits are not: the assignment is not out yet.
    const early = await gc.commitOffsets({ groupId: 'g', generationId: 2, memberId: follower, groupInstanceId: null, retentionTimeMs: -1, apiVersion: 8, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 6, committedLeaderEpoch: -1, committedMetadata: null, commitTimestamp: -1 }] }] });
    expect(early[0]!.partitions[0]!.errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
  });

  it('lets a follower with unchanged metadata rejoin a stable group without a rebalance', async () => {
    const { gc } = await startCoordinator();
    const { follower, generation } = await twoMemberGroup(gc);
    const r = await gc.joinGroup(joinParams({ memberId: follower, clientId: 'c2' }));
    expect(r.errorCode).toBe(ErrorCode.NONE);
    expect(r.generationId).toBe(generation);
    expect(gc.group('g')!.state).toBe('Stable');
    const s = await gc.syncGroup({ groupId: 'g', generationId: generation, memberId: follower, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
    expect(s.assignment).toEqual(B);
  });

  it('rebalances when the leader rejoins a stable group', async () => {
    const { gc } = await startCoordinator();
    const { leader } = await twoMemberGroup(gc);
    void gc.joinGroup(joinParams({ memberId: leader, clientId: 'c1' }));
    expect(gc.group('g')!.state).toBe('PreparingRebalance');
  });
});

describe('incremental (cooperative) rebalancing', () => {
  it('hands out empty and partial assignments over consecutive generations', async () => {
    const { gc } = await startCoordinator();
    const sync = (memberId: string, generationId: number, assignments: { memberId: string; assignment: Buffer }[] = []) =>
      gc.syncGroup({ groupId: 'g', generationId, memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'cooperative-sticky', assignments });
    const coop = [{ name: 'cooperative-sticky', metadata: subscription(['t']) }];
    const j1 = gc.joinGroup(joinParams({ protocols: coop }));
    await vi.advanceTimersByTimeAsync(100);
    const r1 = await j1;
    // An empty assignment list is legal: every member gets an empty assignment.
    expect((await sync(r1.memberId, 1)).assignment.length).toBe(0);
    const ALL = Buffer.from('p0,p1');
    const HALF = Buffer.from('p0');
    const OTHER = Buffer.from('p1');
    // Generation 2 (same members) gives m1 everything.
    const again = gc.joinGroup(joinParams({ memberId: r1.memberId, protocols: coop }));
    expect((await again).generationId).toBe(2);
    expect((await sync(r1.memberId, 2, [{ memberId: r1.memberId, assignment: ALL }])).assignment).toEqual(ALL);

    // m2 arrives: in the first cooperative round m1 keeps what it may keep and m2 gets nothing yet.
    const j2 = gc.joinGroup(joinParams({ protocols: coop, clientId: 'c2' }));
    const rj1 = gc.joinGroup(joinParams({ memberId: r1.memberId, protocols: coop }));
    const [g3a, g3b] = await Promise.all([rj1, j2]);
    expect(g3a.generationId).toBe(3);
    const s2 = sync(g3b.memberId, 3);
    expect((await sync(r1.memberId, 3, [{ memberId: r1.memberId, assignment: HALF }, { memberId: g3b.memberId, assignment: Buffer.alloc(0) }])).assignment).toEqual(HALF);
    expect((await s2).assignment.length).toBe(0);

    // m1 revoked p1 and rejoins at once; the follow-up round hands p1 to m2, m1 keeps p0.
    const follow1 = gc.joinGroup(joinParams({ memberId: r1.memberId, protocols: coop }));
    expect(hb(gc, g3b.memberId, 3)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const follow2 = gc.joinGroup(joinParams({ memberId: g3b.memberId, protocols: coop, clientId: 'c2' }));
    const [g4a, g4b] = await Promise.all([follow1, follow2]);
    expect([g4a.generationId, g4b.generationId]).toEqual([4, 4]);
    const f2 = sync(g4b.memberId, 4);
    const f1 = await sync(r1.memberId, 4, [{ memberId: r1.memberId, assignment: HALF }, { memberId: g4b.memberId, assignment: OTHER }]);
    expect(f1.assignment).toEqual(HALF);
    expect((await f2).assignment).toEqual(OTHER);
    expect(gc.describeGroup('g').members.map((m) => m.memberAssignment.toString()).sort()).toEqual(['p0', 'p1']);
  });
});

describe('timeouts', () => {
  it('removes a member whose session expires and rebalances the rest', async () => {
    const { gc } = await startCoordinator();
    const { leader, follower, generation } = await twoMemberGroup(gc);
    // Only the leader keeps heartbeating.
    for (let t = 0; t < 6; t++) {
      await vi.advanceTimersByTimeAsync(1000);
      hb(gc, leader, generation);
    }
    expect(gc.group('g')!.has(follower)).toBe(false);
    expect(hb(gc, leader, generation)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    expect(hb(gc, follower, generation)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    const r = await gc.joinGroup(joinParams({ memberId: leader, clientId: 'c1' }));
    expect(r.generationId).toBe(generation + 1);
    expect(r.members.map((m) => m.memberId)).toEqual([leader]);
  });

  it('drops members that do not rejoin within the rebalance timeout', async () => {
    const { gc } = await startCoordinator();
    const { leader, follower, generation } = await twoMemberGroup(gc);
    let done = false;
    const rejoin = gc.joinGroup(joinParams({ memberId: leader, clientId: 'c1', rebalanceTimeoutMs: 3000 })).then((r) => {
      done = true;
      return r;
    });
    // The follower keeps heartbeating (REBALANCE_IN_PROGRESS) but never rejoins; the wait is
    // bounded by the largest rebalance timeout of the members (10 s, the follower's).
    for (let t = 0; t < 11; t++) {
      await vi.advanceTimersByTimeAsync(1000);
      if (!done) expect(hb(gc, follower, generation)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    }
    const r = await rejoin;
    expect(r.errorCode).toBe(ErrorCode.NONE);
    expect(r.members.map((m) => m.memberId)).toEqual([leader]);
    expect(gc.group('g')!.has(follower)).toBe(false);
  });

  it('removes members that never send SyncGroup after the join phase', async () => {
    const { gc } = await startCoordinator();
    const j1 = gc.joinGroup(joinParams({ rebalanceTimeoutMs: 2000 }));
    const j2 = gc.joinGroup(joinParams({ rebalanceTimeoutMs: 2000 }));
    await vi.advanceTimersByTimeAsync(200);
    const [r1, r2] = await Promise.all([j1, j2]);
    const leader = r1.memberId === r1.leader ? r1 : r2;
    const follower = leader === r1 ? r2 : r1;
    await gc.syncGroup({ groupId: 'g', generationId: 1, memberId: leader.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
    expect(gc.group('g')!.state).toBe('Stable');
    // The follower heartbeats but never syncs.
    for (let t = 0; t < 3; t++) {
      await vi.advanceTimersByTimeAsync(700);
      hb(gc, leader.memberId, 1);
      hb(gc, follower.memberId, 1);
    }
    expect(gc.group('g')!.has(follower.memberId)).toBe(false);
    expect(gc.group('g')!.state).toBe('PreparingRebalance');
  });

  it('leaves the group Empty, with a new generation, when the last member expires', async () => {
    const { gc, log } = await startCoordinator();
    const j = gc.joinGroup(joinParams());
    await vi.advanceTimersByTimeAsync(100);
    const r = await j;
    await gc.syncGroup({ groupId: 'g', generationId: 1, memberId: r.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
    const before = log.appends;
    await vi.advanceTimersByTimeAsync(5000);
    const g = gc.group('g')!;
    expect(g.state).toBe('Empty');
    expect(g.generationId).toBe(2);
    expect(g.protocolType).toBe('consumer');
    expect(log.appends).toBe(before + 1); // the Empty generation is persisted
  });
});

describe('fencing and validation errors', () => {
  it('answers UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION and INVALID_GROUP_ID', async () => {
    const { gc } = await startCoordinator();
    const { leader, generation } = await twoMemberGroup(gc);
    expect(hb(gc, 'nobody', generation)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(hb(gc, leader, generation + 1)).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(gc.heartbeat({ groupId: 'other', memberId: leader, generationId: 1, groupInstanceId: null })).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(gc.heartbeat({ groupId: '', memberId: leader, generationId: 1, groupInstanceId: null })).toBe(ErrorCode.INVALID_GROUP_ID);
    const s = await gc.syncGroup({ groupId: 'g', generationId: generation + 5, memberId: leader, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
    expect(s.errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect((await gc.joinGroup(joinParams({ memberId: 'nobody' }))).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect((await gc.joinGroup(joinParams({ groupId: 'missing', memberId: 'nobody' }))).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect((await gc.joinGroup(joinParams({ groupId: '' }))).errorCode).toBe(ErrorCode.INVALID_GROUP_ID);
  });

  it('checks SyncGroup v5 protocol type and name against the group', async () => {
    const { gc } = await startCoordinator();
    const { follower, generation } = await twoMemberGroup(gc);
    const bad = await gc.syncGroup({ groupId: 'g', generationId: generation, memberId: follower, groupInstanceId: null, protocolType: 'consumer', protocolName: 'roundrobin', assignments: [] });
    expect(bad.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const badType = await gc.syncGroup({ groupId: 'g', generationId: generation, memberId: follower, groupInstanceId: null, protocolType: 'connect', protocolName: 'range', assignments: [] });
    expect(badType.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  });

  it('rejects session timeouts outside the configured bounds', async () => {
    const { gc } = await startCoordinator({ minSessionTimeoutMs: 1000, maxSessionTimeoutMs: 10_000 });
    expect((await gc.joinGroup(joinParams({ sessionTimeoutMs: 999 }))).errorCode).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
    expect((await gc.joinGroup(joinParams({ sessionTimeoutMs: 10_001 }))).errorCode).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
    expect(gc.group('g')).toBeUndefined();
  });

  it('enforces group.max.size', async () => {
    const { gc } = await startCoordinator({ maxSize: 1 });
    const j1 = gc.joinGroup(joinParams());
    const r2 = await gc.joinGroup(joinParams());
    expect(r2.errorCode).toBe(ErrorCode.GROUP_MAX_SIZE_REACHED);
    await vi.advanceTimersByTimeAsync(100);
    expect((await j1).errorCode).toBe(ErrorCode.NONE);
    expect((await gc.joinGroup(joinParams())).errorCode).toBe(ErrorCode.GROUP_MAX_SIZE_REACHED);
  });
});

describe('protocol selection', () => {
  it('rejects a member with a different protocol type or no common protocol', async () => {
    const { gc } = await startCoordinator();
    void gc.joinGroup(joinParams());
    expect((await gc.joinGroup(joinParams({ protocolType: 'connect' }))).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const other = await gc.joinGroup(joinParams({ protocols: [{ name: 'roundrobin', metadata: Buffer.alloc(0) }] }));
    expect(other.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect((await gc.joinGroup(joinParams({ groupId: 'h', protocols: [] }))).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  });

  it('picks the protocol most members prefer among those all support', async () => {
    const { gc } = await startCoordinator();
    const meta = subscription(['t']);
    const p = (...names: string[]) => names.map((name) => ({ name, metadata: meta }));
    const joins = [
      gc.joinGroup(joinParams({ protocols: p('range', 'roundrobin', 'sticky') })),
      gc.joinGroup(joinParams({ protocols: p('roundrobin', 'range') })),
      gc.joinGroup(joinParams({ protocols: p('sticky', 'roundrobin', 'range') })),
      gc.joinGroup(joinParams({ protocols: p('roundrobin', 'range') })),
    ];
    await vi.advanceTimersByTimeAsync(200);
    const rs = await Promise.all(joins);
    // sticky is not supported by everyone; roundrobin gets 3 votes, range 1.
    expect(rs.map((r) => r.protocolName)).toEqual(['roundrobin', 'roundrobin', 'roundrobin', 'roundrobin']);
  });
});

describe('leave', () => {
  it('removes members in one batch and rebalances once', async () => {
    const { gc } = await startCoordinator();
    const { leader, follower } = await twoMemberGroup(gc);
    const out = gc.leaveGroup('g', [
      { memberId: follower, groupInstanceId: null },
      { memberId: 'ghost', groupInstanceId: null },
    ]);
    expect(out.errorCode).toBe(ErrorCode.NONE);
    expect(out.members.map((m) => m.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.UNKNOWN_MEMBER_ID]);
    expect(gc.group('g')!.state).toBe('PreparingRebalance');
    const r = await gc.joinGroup(joinParams({ memberId: leader, clientId: 'c1' }));
    expect(r.members.map((m) => m.memberId)).toEqual([leader]);
    // The last member leaving ends the generation at once: nobody is left to wait for.
    gc.leaveGroup('g', [{ memberId: leader, groupInstanceId: null }]);
    expect(gc.group('g')!.state).toBe('Empty');
    expect(gc.group('g')!.generationId).toBe(3);
  });

  it('answers a parked JoinGroup of a member that leaves', async () => {
    const { gc } = await startCoordinator();
    const { leader, follower } = await twoMemberGroup(gc);
    const parked = gc.joinGroup(joinParams({ memberId: leader, clientId: 'c1' }));
    gc.leaveGroup('g', [{ memberId: leader, groupInstanceId: null }]);
    expect((await parked).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(gc.group('g')!.leaderId).toBe(follower);
  });

  it('fails parked requests with an error when the log write of the assignment fails', async () => {
    const log = new MemoryLog();
    const { gc } = await startCoordinator({}, log);
    const j = gc.joinGroup(joinParams());
    await vi.advanceTimersByTimeAsync(100);
    const r = await j;
    log.failWith = ErrorCode.KAFKA_STORAGE_ERROR;
    const s = await gc.syncGroup({ groupId: 'g', generationId: 1, memberId: r.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [{ memberId: r.memberId, assignment: A }] });
    expect(s.errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect(gc.group('g')!.state).toBe('PreparingRebalance');
  });
});

describe('shutdown', () => {
  it('answers parked requests with NOT_COORDINATOR and then refuses work', async () => {
    const { gc } = await startCoordinator();
    const parked = gc.joinGroup(joinParams());
    await gc.shutdown();
    expect((await parked).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect((await gc.joinGroup(joinParams())).errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect(gc.heartbeat({ groupId: 'g', memberId: 'x', generationId: 1, groupInstanceId: null })).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  });
});
