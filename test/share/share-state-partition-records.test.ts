// ShareGroupStatePartitionMetadata (record type 15 in __consumer_offsets) in Kafka's format
// (group-coordinator ShareGroupStatePartitionMetadataKey/Value.json, value v0 flexible), and the
// transitions the share group coordinator records with it.
import { describe, expect, it } from 'vitest';
import { decodeShareGroupRecord, encodeKey, SHARE_RECORD, statePartitionMetadataRecord } from '../../src/coordinator/share/share-group-records.js';
import { ShareStatePartitions } from '../../src/coordinator/share/share-state-partitions.js';

const A = 'AAAAAAAAAAAAAAAAAAAAAQ'; // uuid 00..01
const B = 'AAAAAAAAAAAAAAAAAAAAAg'; // uuid 00..02

describe('ShareGroupStatePartitionMetadata record', () => {
  it('is written in Kafka\'s layout and read back', () => {
    const rec = statePartitionMetadataRecord('g', { initializing: [{ topicId: B, topicName: 'b', partitions: [1] }], initialized: [{ topicId: A, topicName: 'a', partitions: [2, 0] }], deleting: [{ topicId: B, topicName: 'b' }] });
    // Key: int16 type 15, int16-length group id.
    expect(rec.key).toEqual(Buffer.from([0, 15, 0, 1, 0x67]));
    expect(rec.key).toEqual(encodeKey(SHARE_RECORD.statePartitionMetadata, 'g'));
    const uuid = (last: number) => [...Buffer.alloc(15), last];
    // Value v0: compact arrays of {uuid, compact string, compact [int32], tags}, deleting {uuid, name, tags}, tags.
    expect(rec.value).toEqual(
      Buffer.from([
        0, 0,
        2, ...uuid(2), 2, 0x62, 2, 0, 0, 0, 1, 0,
        2, ...uuid(1), 2, 0x61, 3, 0, 0, 0, 0, 0, 0, 0, 2, 0,
        2, ...uuid(2), 2, 0x62, 0,
        0,
      ]),
    );
    expect(decodeShareGroupRecord(rec)).toEqual({
      type: 15,
      key: { type: 15, groupId: 'g', memberId: null },
      value: { initializing: [{ topicId: B, topicName: 'b', partitions: [1] }], initialized: [{ topicId: A, topicName: 'a', partitions: [0, 2] }], deleting: [{ topicId: B, topicName: 'b' }] },
    });
    expect(decodeShareGroupRecord({ key: rec.key, value: null })).toEqual({ type: 15, key: { type: 15, groupId: 'g', memberId: null }, value: null });
  });

  it('records initialization and deletion', () => {
    const s = new ShareStatePartitions();
    expect(s.toValue()).toBeNull();
    expect(s.markInitialized(A, 'a', [0, 1])).toBe(true);
    expect(s.markInitialized(A, 'a', [1])).toBe(false);
    const again = ShareStatePartitions.from({ initializing: [{ topicId: A, topicName: 'a', partitions: [2] }], initialized: s.toValue()!.initialized, deleting: [] });
    expect(again.withState()).toEqual(new Map([[A, [0, 1, 2]]]));
    expect(again.markInitialized(A, 'a', [2])).toBe(true);
    expect(again.initializing.size).toBe(0);
    expect(again.startDeleting(A, 'a')).toEqual([0, 1, 2]);
    expect(again.toValue()).toEqual({ initializing: [], initialized: [], deleting: [{ topicId: A, topicName: 'a' }] });
    expect(again.finishDeleting(A)).toBe(true);
    expect(again.toValue()).toBeNull();
  });
});
