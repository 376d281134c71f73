// Static membership (group.instance.id, KIP-345): rejoin without rebalance, fencing, leave by
// instance id, static members surviving a rebalance they miss.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ErrorCode } from '../../../protocol/errors.js';
import type { GroupCoordinator } from '../../../src/coordinator/group/group-coordinator.js';
import { joinParams, startCoordinator, subscription } from './helpers.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const ASSIGN = { a: Buffer.from('for-a'), b: Buffer.from('for-b') };

/** Static members a and b, synced with ASSIGN. Returns member ids by instance. */
async function staticGroup(gc: GroupCoordinator) {
  const ja = gc.joinGroup(joinParams({ groupInstanceId: 'a', clientId: 'ca' }));
  const jb = gc.joinGroup(joinParams({ groupInstanceId: 'b', clientId: 'cb' }));
  await vi.advanceTimersByTimeAsync(200);
  const [ra, rb] = await Promise.all([ja, jb]);
  expect(ra.memberId).toMatch(/^a-/);
  expect(rb.memberId).toMatch(/^b-/);
  const ids = { a: ra.memberId, b: rb.memberId };
  const leader = ra.leader;
  const sync = (id: string, inst: string) =>
    gc.syncGroup({
      groupId: 'g',
      generationId: 1,
      memberId: id,
      groupInstanceId: inst,
      protocolType: 'consumer',
      protocolName: 'range',
      assignments: id === leader ? [{ memberId: ids.a, assignment: ASSIGN.a }, { memberId: ids.b, assignment: ASSIGN.b }] : [],
    });
  const [sa, sb] = await Promise.all([sync(ids.a, 'a'), sync(ids.b, 'b')]);
  expect(sa.assignment).toEqual(ASSIGN.a);
  expect(sb.assignment).toEqual(ASSIGN.b);
  return { ids, leader };
}

describe('static membership', () => {
  it('lets a restarted static member take its old place and assignment without a rebalance', async () => {
    const { gc, log } = await startCoordinator();
    const { ids } = await staticGroup(gc);
    const appends = log.appends;
    const r = await gc.joinGroup(joinParams({ groupInstanceId: 'b', clientId: 'cb' }));
    expect(r.errorCode).toBe(ErrorCode.NONE);
    expect(r.memberId).not.toBe(ids.b);
    expect(r.generationId).toBe(1);
    expect(r.members).toEqual([]);
    expect(gc.group('g')!.state).toBe('Stable');
    expect(log.appends).toBe(appends + 1); // the new member id is persisted
    const s = await gc.syncGroup({ groupId: 'g', generationId: 1, memberId: r.memberId, groupInstanceId: 'b', protocolType: 'consumer', protocolName: 'range', assignments: [] });
    expect(s.assignment).toEqual(ASSIGN.b);
    // The old incarnation is fenced.
    expect(gc.heartbeat({ groupId: 'g', memberId: ids.b, generationId: 1, groupInstanceId: 'b' })).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect(gc.heartbeat({ groupId: 'g', memberId: ids.b, generationId: 1, groupInstanceId: null })).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(gc.heartbeat({ groupId: 'g', memberId: r.memberId, generationId: 1, groupInstanceId: 'b' })).toBe(ErrorCode.NONE);
    const c = await gc.commitOffsets({ groupId: 'g', generationId: 1, memberId: ids.b, groupInstanceId: 'b', retentionTimeMs: -1, apiVersion: 8, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: null, commitTimestamp: -1 }] }] });
    expect(c[0]!.partitions[0]!.errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
  });

  it('tells a rejoining static leader (v9) to skip the assignment, and older clients the old leader id', async () => {
    const { gc } = await startCoordinator();
    const { ids, leader } = await staticGroup(gc);
    const inst = leader === ids.a ? 'a' : 'b';
    const old = await gc.joinGroup(joinParams({ groupInstanceId: inst }));
    expect(old.leader).toBe(leader); // not the new id: an old client must not think it leads
    expect(old.skipAssignment).toBe(false);
    const v9 = await gc.joinGroup(joinParams({ groupInstanceId: inst, supportsSkipAssignment: true }));
    expect(v9.leader).toBe(v9.memberId);
    expect(v9.skipAssignment).toBe(true);
    expect(v9.members).toHaveLength(2);
    expect(gc.group('g')!.state).toBe('Stable');
  });

  it('rebalances when the rejoining static member would change the selected protocol', async () => {
    const { gc } = await startCoordinator();
    const j = gc.joinGroup(joinParams({ groupInstanceId: 'a' }));
    await vi.advanceTimersByTimeAsync(100);
    const r = await j;
    await gc.syncGroup({ groupId: 'g', generationId: 1, memberId: r.memberId, groupInstanceId: 'a', protocolType: null, protocolName: null, assignments: [] });
    // It now prefers roundrobin (still supporting range, else it could not join at all).
    const protocols = ['roundrobin', 'range'].map((name) => ({ name, metadata: subscription(['t']) }));
    const r2 = await gc.joinGroup(joinParams({ groupInstanceId: 'a', protocols }));
    // The only member has rejoined: the new generation starts at once.
    expect(gc.group('g')!.state).toBe('CompletingRebalance');
    expect(r2.generationId).toBe(2);
    expect(r2.protocolName).toBe('roundrobin');
  });

  it('fences the old incarnation parked in JoinGroup', async () => {
    const { gc } = await startCoordinator();
    const { ids } = await staticGroup(gc);
    // a triggers a rebalance by changing its metadata, and stays parked waiting for b.
    const parked = gc.joinGroup(joinParams({ memberId: ids.a, groupInstanceId: 'a', protocols: [{ name: 'range', metadata: subscription(['t', 'u']) }] }));
    expect(gc.group('g')!.state).toBe('PreparingRebalance');
    const restarted = gc.joinGroup(joinParams({ groupInstanceId: 'a' }));
    expect((await parked).errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
    const rb = gc.joinGroup(joinParams({ memberId: ids.b, groupInstanceId: 'b' }));
    const [ra, rbr] = await Promise.all([restarted, rb]);
    expect(ra.errorCode).toBe(ErrorCode.NONE);
    expect(ra.generationId).toBe(2);
    expect(rbr.generationId).toBe(2);
  });

  it('answers FENCED_INSTANCE_ID and UNKNOWN_MEMBER_ID for mismatched identities', async () => {
    const { gc } = await startCoordinator();
    const { ids } = await staticGroup(gc);
    expect((await gc.joinGroup(joinParams({ memberId: ids.b, groupInstanceId: 'a' }))).errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect((await gc.joinGroup(joinParams({ memberId: ids.a, groupInstanceId: 'zzz' }))).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    const s = await gc.syncGroup({ groupId: 'g', generationId: 1, memberId: ids.b, groupInstanceId: 'a', protocolType: null, protocolName: null, assignments: [] });
    expect(s.errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
  });

  it('removes static members by instance id on LeaveGroup', async () => {
    const { gc } = await startCoordinator();
    const { ids } = await staticGroup(gc);
    const out = gc.leaveGroup('g', [
      { memberId: 'wrong', groupInstanceId: 'a' },
      { memberId: '', groupInstanceId: 'b' },
      { memberId: '', groupInstanceId: 'nobody' },
    ]);
    expect(out.members.map((m) => m.errorCode)).toEqual([ErrorCode.FENCED_INSTANCE_ID, ErrorCode.NONE, ErrorCode.UNKNOWN_MEMBER_ID]);
    expect(gc.group('g')!.has(ids.b)).toBe(false);
    expect(gc.group('g')!.has(ids.a)).toBe(true);
    expect(gc.group('g')!.staticMembers.has('b')).toBe(false);
  });

  it('keeps a static member that misses a rebalance, and expires it when its session runs out', async () => {
    const { gc } = await startCoordinator();
    const { ids } = await staticGroup(gc);
    const jc = gc.joinGroup(joinParams({ clientId: 'dyn', rebalanceTimeoutMs: 10_000 }));
    const ja = gc.joinGroup(joinParams({ memberId: ids.a, groupInstanceId: 'a' }));
    // b neither rejoins nor heartbeats. Its session (5 s) ends first: removed, then the join
    // phase completes because everyone left has rejoined.
    await vi.advanceTimersByTimeAsync(5000);
    const [rc, ra] = await Promise.all([jc, ja]);
    expect(ra.generationId).toBe(2);
    expect(gc.group('g')!.has(ids.b)).toBe(false);
    expect([rc, ra].find((r) => r.memberId === r.leader)!.members).toHaveLength(2);
  });

  it('completes the join phase without a static member that still heartbeats, keeping it in the group', async () => {
    const { gc } = await startCoordinator();
    const { ids } = await staticGroup(gc);
    const ja = gc.joinGroup(joinParams({ memberId: ids.a, groupInstanceId: 'a', protocols: [{ name: 'range', metadata: subscription(['t', 'u']) }] }));
    for (let t = 0; t < 10; t++) {
      await vi.advanceTimersByTimeAsync(1000);
      gc.heartbeat({ groupId: 'g', memberId: ids.b, generationId: 1, groupInstanceId: 'b' });
    }
    const ra = await ja;
    expect(ra.generationId).toBe(2);
    // Unlike a dynamic member, b is not dropped: it is part of generation 2 and gets to rejoin.
    expect(gc.group('g')!.has(ids.b)).toBe(true);
    expect(ra.members.map((m) => m.memberId).sort()).toEqual([ids.a, ids.b].sort());
    expect(gc.heartbeat({ groupId: 'g', memberId: ids.b, generationId: 1, groupInstanceId: 'b' })).toBe(ErrorCode.ILLEGAL_GENERATION);
  });
});
