// The group API handlers' version-specific mapping (src/handlers/*group*, offset-*), driven
// directly with decoded requests against a coordinator over an in-memory log.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ErrorCode } from '../../../protocol/errors.js';
import type { Broker } from '../../../src/broker.js';
import { groupHandlers } from '../../../src/handlers/group-handlers.js';
import type { ApiHandler, RequestContext } from '../../../src/network/request-context.js';
import { startCoordinator, subscription } from './helpers.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

// Only topic "t" (partitions 0-1) exists.
const broker = { partition: (topic: string, p: number) => (topic === 't' && p < 2 ? {} : undefined) } as unknown as Broker;

function ctx(apiKey: number, apiVersion: number): RequestContext {
  return {
    header: { apiKey, apiVersion, correlationId: 1, clientId: 'cid' },
    connection: { id: 1, listenerName: 'PLAINTEXT', remoteAddress: '10.0.0.7:5555', socket: { remoteAddress: '10.0.0.7' } as never, principal: 'User:ANONYMOUS' },
    receivedAt: 0,
  };
}

async function setup() {
  const { gc } = await startCoordinator();
  const hs = new Map<number, ApiHandler>(groupHandlers(broker, gc).map((h) => [h.apiKey, h]));
  const call = async (apiKey: number, v: number, req: object) => (await hs.get(apiKey)!.handle(ctx(apiKey, v), req)) as any;
  return { gc, hs, call };
}

const join = (over: object = {}) => ({
  groupId: 'g',
  sessionTimeoutMs: 10_000,
  rebalanceTimeoutMs: -1,
  memberId: '',
  groupInstanceId: null,
  protocolType: 'consumer',
  protocols: [{ name: 'range', metadata: subscription(['t']) }],
  reason: null,
  ...over,
});

describe('group handlers', () => {
  it('advertises the implemented version ranges', async () => {
    const { hs } = await setup();
    const ranges = Object.fromEntries([...hs.values()].map((h) => [h.apiKey, [h.minVersion, h.maxVersion]]));
    expect(ranges).toEqual({ 8: [0, 10], 9: [0, 10], 11: [0, 9], 12: [0, 4], 13: [0, 5], 14: [0, 5], 15: [0, 6], 16: [0, 5], 42: [0, 3], 47: [0, 0] });
  });

  it('JoinGroup: v0 uses the session timeout as rebalance timeout, v4 requires a member id, client identity recorded', async () => {
    const { gc, call } = await setup();
    const p = call(11, 0, join());
    await vi.advanceTimersByTimeAsync(100);
    const r = await p;
    expect(r.errorCode).toBe(ErrorCode.NONE);
    expect(r.protocolName).toBe('range');
    const m = gc.group('g')!.members.get(r.memberId)!;
    expect(m.rebalanceTimeoutMs).toBe(10_000);
    expect(m.clientId).toBe('cid');
    expect(m.clientHost).toBe('/10.0.0.7');
    const v4 = await call(11, 4, join({ groupId: 'g4', rebalanceTimeoutMs: 20_000 }));
    expect(v4.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    // Errors before v7 carry "" rather than null as protocol name.
    expect((await call(11, 6, join({ groupId: '' }))).protocolName).toBe('');
    expect((await call(11, 7, join({ groupId: '' }))).protocolName).toBeNull();
  });

  it('LeaveGroup: v0-2 report the member error at top level, v3+ per member', async () => {
    const { call } = await setup();
    const p = call(11, 3, join());
    await vi.advanceTimersByTimeAsync(100);
    const r = await p;
    expect((await call(13, 0, { groupId: 'g', memberId: 'ghost', members: [] })).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    const v3 = await call(13, 3, { groupId: 'g', memberId: '', members: [{ memberId: r.memberId, groupInstanceId: null, reason: null }, { memberId: 'ghost', groupInstanceId: null, reason: null }] });
    expect(v3.errorCode).toBe(ErrorCode.NONE);
    expect(v3.members.map((x: { errorCode: number }) => x.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.UNKNOWN_MEMBER_ID]);
  });

  it('OffsetCommit/OffsetFetch: unknown partitions, v8 multi-group fetch, v1 group errors per partition', async () => {
    const { gc, call } = await setup();
    const commit = await call(8, 2, {
      groupId: 'g',
      generationIdOrMemberEpoch: -1,
      memberId: '',
      groupInstanceId: null,
      retentionTimeMs: -1,
      topics: [
        { name: 't', partitions: [{ partitionIndex: 0, committedOffset: 5, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: null }, { partitionIndex: 7, committedOffset: 1, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: null }] },
        { name: 'nope', partitions: [{ partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: null }] },
      ],
    });
    expect(commit.topics.map((t: any) => t.partitions.map((x: any) => x.errorCode))).toEqual([[ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION], [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]);
    const v8 = await call(9, 8, { groupId: '', topics: [], requireStable: false, groups: [{ groupId: 'g', memberId: null, memberEpoch: -1, topics: null }, { groupId: 'x', memberId: null, memberEpoch: -1, topics: null }] });
    expect(v8.groups).toEqual([
      { groupId: 'g', errorCode: 0, topics: [{ name: 't', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: [{ partitionIndex: 0, committedOffset: 5, committedLeaderEpoch: -1, metadata: '', errorCode: 0 }] }] },
      { groupId: 'x', errorCode: 0, topics: [] },
    ]);
    await gc.shutdown();
    const v1 = await call(9, 1, { groupId: 'g', topics: [{ name: 't', partitionIndexes: [0] }], groups: [], requireStable: false });
    expect(v1.topics[0].partitions[0].errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  });

  it('DescribeGroups reports authorized operations only when asked; ListGroups filters only from v4', async () => {
    const { call } = await setup();
    const p = call(11, 3, join());
    await vi.advanceTimersByTimeAsync(100);
    await p;
    const d = await call(15, 3, { groups: ['g'], includeAuthorizedOperations: true });
    expect(d.groups[0].authorizedOperations).toBe((1 << 3) | (1 << 6) | (1 << 8));
    expect((await call(15, 3, { groups: ['g'], includeAuthorizedOperations: false })).groups[0].authorizedOperations).toBe(-2147483648);
    expect((await call(16, 3, { statesFilter: ['Empty'], typesFilter: [] })).groups).toHaveLength(1);
    expect((await call(16, 4, { statesFilter: ['Empty'], typesFilter: [] })).groups).toHaveLength(0);
  });

  it('OffsetDelete: unknown topics per partition, group errors at top level', async () => {
    const { call } = await setup();
    await call(8, 8, { groupId: 'g', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, topics: [{ name: 't', partitions: [{ partitionIndex: 1, committedOffset: 5, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: null }] }] });
    const r = await call(47, 0, { groupId: 'g', topics: [{ name: 't', partitions: [{ partitionIndex: 1 }] }, { name: 'nope', partitions: [{ partitionIndex: 0 }] }] });
    expect(r.errorCode).toBe(ErrorCode.NONE);
    expect(r.topics.map((t: any) => t.partitions[0].errorCode)).toEqual([ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
    expect((await call(47, 0, { groupId: 'missing', topics: [] })).errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
  });
});
