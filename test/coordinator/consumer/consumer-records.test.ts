// Round trips of the KIP-848 record codecs and their layout in __consumer_offsets.
import { describe, expect, it } from 'vitest';
import { encodeGroupMetadataKey, encodeOffsetCommitKey } from '../../../src/coordinator/common/offsets-records.js';
import { decodeKey, decodeRecord, MemberState, toLogRecord, type ConsumerGroupRecord } from '../../../src/coordinator/consumer/consumer-records.js';

const T1 = Buffer.alloc(16, 1).toString('base64url');
const T2 = Buffer.alloc(16, 2).toString('base64url');

const samples: ConsumerGroupRecord[] = [
  { type: 'metadata', groupId: 'g', value: { epoch: 7 } },
  { type: 'partitionMetadata', groupId: 'g', value: { epoch: 7, topics: [{ topicId: T1, topicName: 'orders', numPartitions: 8 }] } },
  {
    type: 'member',
    groupId: 'g',
    memberId: 'm1',
    value: { instanceId: 'i', rackId: null, clientId: 'c', clientHost: '/1.2.3.4', subscribedTopicNames: ['orders', 'é'], subscribedTopicRegex: 'x.*', rebalanceTimeoutMs: 30000, serverAssignor: 'range' },
  },
  { type: 'targetMetadata', groupId: 'g', value: { assignmentEpoch: 7 } },
  { type: 'targetMember', groupId: 'g', memberId: 'm1', value: new Map([[T1, new Set([0, 2])], [T2, new Set([1])]]) },
  {
    type: 'currentAssignment',
    groupId: 'g',
    memberId: 'm1',
    value: { memberEpoch: 7, previousMemberEpoch: 6, state: MemberState.UNREVOKED_PARTITIONS, assignedPartitions: new Map([[T1, new Set([0])]]), partitionsPendingRevocation: new Map([[T2, new Set([3, 4])]]) },
  },
];

describe('consumer group records', () => {
  it.each(samples.map((s) => [s.type, s] as const))('round-trips %s and its tombstone', (_type, rec) => {
    const { key, value } = toLogRecord(rec);
    const k = decodeKey(key)!;
    expect(decodeRecord(k, value)).toEqual(rec);
    expect(decodeRecord(k, null)).toEqual({ ...rec, value: null });
  });

  it('uses Kafka record types 3-8 as key versions, with int16-length strings', () => {
    const key = toLogRecord(samples[2]!).key;
    expect(key.readInt16BE(0)).toBe(5);
    expect(key.readInt16BE(2)).toBe(1);
    expect(key.toString('utf8', 4, 5)).toBe('g');
    expect(key.readInt16BE(5)).toBe(2);
    expect(samples.map((s) => toLogRecord(s).key.readInt16BE(0))).toEqual([3, 4, 5, 6, 7, 8]);
    // Values: version 0, then the flexible struct ending with an empty tagged-field section.
    const v = toLogRecord(samples[0]!).value!;
    expect([...v]).toEqual([0, 0, 0, 0, 0, 7, 0]);
  });

  it('leaves classic keys to the classic coordinator', () => {
    expect(decodeKey(encodeOffsetCommitKey('g', 't', 0))).toBeNull();
    expect(decodeKey(encodeGroupMetadataKey('g'))).toBeNull();
  });

  it('skips tagged fields newer Kafka versions add', () => {
    const v = toLogRecord(samples[0]!).value!;
    // Replace the empty tagged section with one field: tag 0, 8 bytes (Kafka 4.1's MetadataHash).
    const tagged = Buffer.concat([v.subarray(0, v.length - 1), Buffer.from([1, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8])]);
    expect(decodeRecord(decodeKey(toLogRecord(samples[0]!).key)!, tagged)).toEqual(samples[0]);
  });
});
