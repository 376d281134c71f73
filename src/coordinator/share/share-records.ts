// The records of __share_group_state in Kafka's share-coordinator format
// (share-coordinator/src/main/resources/common/message/Share{Snapshot,Update}{Key,Value}.json):
//   key   = int16 record type (0 ShareSnapshot, 1 ShareUpdate), then GroupId (string),
//           TopicId (uuid), Partition (int32)                       (non-flexible, version 0)
//   value = int16 version 0, then (flexible) SnapshotEpoch (uint16), [StateEpoch (int32), for
//           snapshots only], LeaderEpoch (int32), StartOffset (int64), StateBatches compact array
//           of FirstOffset (int64), LastOffset (int64), DeliveryState (int8), DeliveryCount (int16)
// A null value is a tombstone (the share partition's state was deleted).
import { Reader } from '../../../protocol/wire/reader.js';
import { Writer } from '../../../protocol/wire/writer.js';
import type { CoordinatorRecord } from '../runtime/record-log.js';
import type { StateBatch } from './share-partition.js';

export const SHARE_SNAPSHOT = 0;
export const SHARE_UPDATE = 1;

export interface ShareStateKey {
  type: number;
  groupId: string;
  topicId: string;
  partition: number;
}

export interface ShareStateValue {
  snapshotEpoch: number;
  stateEpoch: number;
  leaderEpoch: number;
  startOffset: number;
  stateBatches: StateBatch[];
}

export function encodeShareKey(k: ShareStateKey): Buffer {
  const w = new Writer(64);
  w.writeInt16(k.type);
  w.writeString(k.groupId);
  w.writeUuid(k.topicId);
  w.writeInt32(k.partition);
  return w.toBuffer();
}

export function encodeShareValue(type: number, v: ShareStateValue): Buffer {
  const w = new Writer(64 + v.stateBatches.length * 19);
  w.writeInt16(0);
  w.writeUInt16(v.snapshotEpoch & 0xffff);
  if (type === SHARE_SNAPSHOT) w.writeInt32(v.stateEpoch);
  w.writeInt32(v.leaderEpoch);
  w.writeInt64(v.startOffset);
  w.writeCompactArrayLength(v.stateBatches.length);
  for (const b of v.stateBatches) {
    w.writeInt64(b.firstOffset);
    w.writeInt64(b.lastOffset);
    w.writeInt8(b.deliveryState);
    w.writeInt16(b.deliveryCount);
    w.writeUnsignedVarint(0);
  }
  w.writeUnsignedVarint(0);
  return w.toBuffer();
}

/** The key, or null for a record type this coordinator does not own. Throws on damaged bytes. */
export function decodeShareKey(buf: Buffer): ShareStateKey | null {
  const r = new Reader(buf);
  const type = r.readInt16();
  if (type !== SHARE_SNAPSHOT && type !== SHARE_UPDATE) return null;
  return { type, groupId: r.readString(), topicId: r.readUuid(), partition: r.readInt32() };
}

export function decodeShareValue(type: number, buf: Buffer): ShareStateValue {
  const r = new Reader(buf);
  r.readInt16(); // version 0
  const snapshotEpoch = r.readUInt16();
  const stateEpoch = type === SHARE_SNAPSHOT ? r.readInt32() : 0;
  const leaderEpoch = r.readInt32();
  const startOffset = r.readInt64();
  const n = r.readCompactArrayLength(19);
  const stateBatches: StateBatch[] = [];
  for (let i = 0; i < n; i++) {
    const firstOffset = r.readInt64();
    const lastOffset = r.readInt64();
    const deliveryState = r.readInt8();
    const deliveryCount = r.readInt16();
    r.skipTaggedFields();
    stateBatches.push({ firstOffset, lastOffset, deliveryState, deliveryCount });
  }
  r.skipTaggedFields();
  return { snapshotEpoch, stateEpoch, leaderEpoch, startOffset, stateBatches };
}

export function snapshotRecord(key: Omit<ShareStateKey, 'type'>, v: ShareStateValue): CoordinatorRecord {
  return { key: encodeShareKey({ ...key, type: SHARE_SNAPSHOT }), value: encodeShareValue(SHARE_SNAPSHOT, v) };
}

export function tombstone(key: Omit<ShareStateKey, 'type'>): CoordinatorRecord {
  return { key: encodeShareKey({ ...key, type: SHARE_SNAPSHOT }), value: null };
}

export function updateRecord(key: Omit<ShareStateKey, 'type'>, v: ShareStateValue): CoordinatorRecord {
  return { key: encodeShareKey({ ...key, type: SHARE_UPDATE }), value: encodeShareValue(SHARE_UPDATE, v) };
}

export function updateTombstone(key: Omit<ShareStateKey, 'type'>): CoordinatorRecord {
  return { key: encodeShareKey({ ...key, type: SHARE_UPDATE }), value: null };
}
