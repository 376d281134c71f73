// Share-group membership persisted in __consumer_offsets (Kafka's ShareGroupMetadata,
// ShareGroupMemberMetadata, target and current assignment records): after a restart the group
// epoch, assignment epoch, members and assignments are the same (ShareGroupDescribe matches), and
// members go on heartbeating with their epochs; members that left and deleted groups stay gone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import type { ShareGroupDescribeResponse } from '../../protocol/generated/share-group-describe.js';
import { SHARE_RECORD } from '../../src/coordinator/share/share-group-records.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { DESCRIBE, RawShareMember } from './raw-share-member.js';

let tb: TestBroker;
let client: RawClient;

beforeAll(async () => {
  tb = await startTestBroker({ 'offsets.topic.num.partitions': '1' });
  client = await RawClient.connect(tb.port);
});
afterAll(async () => {
  client?.close();
  await tb?.cleanup();
});

async function describeGroups(...ids: string[]): Promise<ShareGroupDescribeResponse['groups']> {
  const r = await client.send<ShareGroupDescribeResponse>(DESCRIBE, 1, { groupIds: ids, includeAuthorizedOperations: false });
  return r.groups.map((g) => ({ ...g, members: [...g.members].sort((a, b) => (a.memberId < b.memberId ? -1 : 1)) }));
}

async function restart(): Promise<void> {
  client.close();
  tb = await tb.restart();
  client = await RawClient.connect(tb.port);
}

/** The share-group record types in __consumer_offsets, in log order. */
async function recordTypes(): Promise<number[]> {
  const log = (await tb.broker.coordinatorRuntime!.open({ name: '__consumer_offsets', numPartitions: 1, configs: {} }, false))!;
  const types: number[] = [];
  await log.replay(0, (r) => {
    const t = r.key.readInt16BE(0);
    if (t >= SHARE_RECORD.member) types.push(r.value === null ? -t : t);
  });
  return types;
}

describe('share-group membership across a restart', () => {
  it('keeps epochs, members and assignments; members heartbeat on with their epochs', async () => {
    await tb.broker.createTopic('mr-topic', 4, 1, {});
    const a = new RawShareMember(() => client, 'g-mr', 'member-a');
    const b = new RawShareMember(() => client, 'g-mr', 'member-b');
    const c = new RawShareMember(() => client, 'g-mr', 'member-c');
    expect((await a.join(['mr-topic'])).errorCode).toBe(0);
    expect((await b.join(['mr-topic'])).errorCode).toBe(0);
    expect((await c.join(['mr-topic'])).errorCode).toBe(0);
    // c leaves; a and b catch up with the assignment without c.
    expect((await c.leave()).errorCode).toBe(0);
    await a.heartbeat();
    await b.heartbeat();
    const before = await describeGroups('g-mr');
    expect(before[0]!.errorCode).toBe(0);
    expect(before[0]!.members.map((m) => m.memberId)).toEqual(['member-a', 'member-b']);
    expect(before[0]!.members.every((m) => m.memberEpoch === before[0]!.assignmentEpoch)).toBe(true);
    const types = await recordTypes();
    expect(types).toContain(SHARE_RECORD.metadata);
    expect(types).toContain(SHARE_RECORD.currentAssignment);
    expect(types).toContain(-SHARE_RECORD.member); // c's tombstones

    await restart();
    const after = await describeGroups('g-mr');
    // The same epochs, members (client id and host as they joined) and assignments.
    expect(after).toEqual(before);
    // No re-join: the members' next heartbeats are accepted with the epochs they had.
    const epoch = a.epoch;
    const hb = await a.heartbeat();
    expect(hb.errorCode).toBe(0);
    expect(hb.memberEpoch).toBe(epoch);
    expect((await b.heartbeat()).errorCode).toBe(0);
    // A member that was gone before the restart is still unknown.
    c.epoch = before[0]!.groupEpoch;
    expect((await c.heartbeat()).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('a deleted share group does not come back', async () => {
    await tb.broker.createTopic('mr-del', 1, 1, {});
    const m = new RawShareMember(() => client, 'g-mr-del', 'only');
    await m.join(['mr-del']);
    expect((await m.leave()).errorCode).toBe(0);
    const del = await client.send<{ results: { groupId: string; errorCode: number }[] }>(42, 2, { groupsNames: ['g-mr-del'] });
    expect(del.results[0]!.errorCode).toBe(0);
    await restart();
    expect((await describeGroups('g-mr-del'))[0]!.errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
  });
});
