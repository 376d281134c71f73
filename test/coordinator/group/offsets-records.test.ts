// __consumer_offsets record formats (Kafka's classic layouts) and the group → partition hash.
import { describe, expect, it } from 'vitest';
import { Writer } from '../../../protocol/wire/writer.js';
import {
  decodeGroupMetadataValue,
  decodeOffsetCommitValue,
  decodeOffsetsRecordKey,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
  type GroupMetadataValue,
} from '../../../src/coordinator/common/offsets-records.js';
import { javaStringHashCode, partitionForGroup } from '../../../src/coordinator/common/partition-for.js';

describe('record keys', () => {
  it('lays out OffsetCommitKey v1 and GroupMetadataKey v2 like Kafka', () => {
    expect(encodeOffsetCommitKey('g', 't', 5).toString('hex')).toBe('0001' + '000167' + '000174' + '00000005');
    expect(encodeGroupMetadataKey('ab').toString('hex')).toBe('0002' + '00026162');
    expect(decodeOffsetsRecordKey(encodeOffsetCommitKey('grp', 'topic', 7))).toEqual({ type: 'offset', group: 'grp', topic: 'topic', partition: 7 });
    expect(decodeOffsetsRecordKey(encodeGroupMetadataKey('grp'))).toEqual({ type: 'group', group: 'grp' });
    // Key version 0 has the same layout as 1.
    const v0 = encodeOffsetCommitKey('g', 't', 1);
    v0.writeInt16BE(0, 0);
    expect(decodeOffsetsRecordKey(v0)).toEqual({ type: 'offset', group: 'g', topic: 't', partition: 1 });
    // KIP-848 record types belong to another coordinator.
    expect(decodeOffsetsRecordKey(Buffer.from('0003000167', 'hex'))).toBeNull();
  });
});

describe('OffsetCommitValue', () => {
  it('writes v3 normally and v1 when an expire timestamp is given', () => {
    const v3 = encodeOffsetCommitValue({ offset: 42, leaderEpoch: 7, metadata: 'md', commitTimestamp: 1000, expireTimestamp: null });
    expect(v3.toString('hex')).toBe('0003' + '000000000000002a' + '00000007' + '00026d64' + '00000000000003e8');
    expect(decodeOffsetCommitValue(v3)).toEqual({ offset: 42, leaderEpoch: 7, metadata: 'md', commitTimestamp: 1000, expireTimestamp: null });
    const v1 = encodeOffsetCommitValue({ offset: 1, leaderEpoch: 7, metadata: '', commitTimestamp: 5, expireTimestamp: 9 });
    expect(v1.readInt16BE(0)).toBe(1);
    expect(decodeOffsetCommitValue(v1)).toEqual({ offset: 1, leaderEpoch: -1, metadata: '', commitTimestamp: 5, expireTimestamp: 9 });
  });

  it('reads v0 (offset, metadata, timestamp)', () => {
    const w = new Writer();
    w.writeInt16(0);
    w.writeInt64(3);
    w.writeString('x');
    w.writeInt64(77);
    expect(decodeOffsetCommitValue(w.toBuffer())).toEqual({ offset: 3, leaderEpoch: -1, metadata: 'x', commitTimestamp: 77, expireTimestamp: null });
  });
});

describe('GroupMetadataValue', () => {
  const value: GroupMetadataValue = {
    protocolType: 'consumer',
    generation: 4,
    protocol: 'range',
    leader: 'm1',
    currentStateTimestamp: 123456,
    members: [
      { memberId: 'm1', groupInstanceId: 'i1', clientId: 'c', clientHost: '/127.0.0.1', rebalanceTimeoutMs: 300000, sessionTimeoutMs: 10000, subscription: Buffer.from([1, 2]), assignment: Buffer.from([3]) },
      { memberId: 'm2', groupInstanceId: null, clientId: 'c2', clientHost: '/::1', rebalanceTimeoutMs: 1, sessionTimeoutMs: 2, subscription: Buffer.alloc(0), assignment: Buffer.alloc(0) },
    ],
  };

  it('round-trips v3', () => {
    const buf = encodeGroupMetadataValue(value);
    expect(buf.readInt16BE(0)).toBe(3);
    expect(decodeGroupMetadataValue(buf)).toEqual(value);
  });

  it('encodes an empty group with null protocol and leader', () => {
    const empty = { protocolType: 'consumer', generation: 9, protocol: null, leader: null, currentStateTimestamp: 5, members: [] };
    const buf = encodeGroupMetadataValue(empty);
    // version, "consumer", generation 9, null, null, timestamp 5, 0 members
    expect(buf.toString('hex')).toBe('0003' + '0008' + Buffer.from('consumer').toString('hex') + '00000009' + 'ffff' + 'ffff' + '0000000000000005' + '00000000');
    expect(decodeGroupMetadataValue(buf)).toEqual(empty);
  });

  it('reads v0 (no rebalance timeout, state timestamp or instance id)', () => {
    const w = new Writer();
    w.writeInt16(0);
    w.writeString('consumer');
    w.writeInt32(2);
    w.writeNullableString('range');
    w.writeNullableString('m');
    w.writeInt32(1);
    w.writeString('m');
    w.writeString('cid');
    w.writeString('/h');
    w.writeInt32(6000);
    w.writeBytes(Buffer.from([9]));
    w.writeBytes(Buffer.from([8]));
    const v = decodeGroupMetadataValue(w.toBuffer());
    expect(v.currentStateTimestamp).toBe(-1);
    expect(v.members).toEqual([
      { memberId: 'm', groupInstanceId: null, clientId: 'cid', clientHost: '/h', rebalanceTimeoutMs: 6000, sessionTimeoutMs: 6000, subscription: Buffer.from([9]), assignment: Buffer.from([8]) },
    ]);
  });
});

describe('partitionForGroup', () => {
  it("uses Java's String.hashCode and Kafka's abs", () => {
    expect(javaStringHashCode('hello')).toBe(99162322);
    expect(javaStringHashCode('')).toBe(0);
    // The classic string whose hashCode is Integer.MIN_VALUE: Kafka's Utils.abs maps it to 0.
    expect(javaStringHashCode('polygenelubricants')).toBe(-2147483648);
    expect(partitionForGroup('polygenelubricants', 50)).toBe(0);
    expect(partitionForGroup('hello', 50)).toBe(99162322 % 50);
    // A negative hash: abs, not a negative modulo.
    const neg = 'my-group'; // hashCode -1906497762
    expect(javaStringHashCode(neg)).toBeLessThan(0);
    expect(partitionForGroup(neg, 50)).toBe(12);
    // Non-ASCII hashes over UTF-16 code units.
    expect(javaStringHashCode('é')).toBe(0xe9);
  });
});
