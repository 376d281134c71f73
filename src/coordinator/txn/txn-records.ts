// Keys and values of __transaction_state records, byte-compatible with Kafka's
// TransactionLogKey / TransactionLogValue v0 (transaction-coordinator/.../message/*.json).
// Strings are int16-length UTF-8, arrays int32-count (-1 = null), integers big-endian.
//
//   key (TransactionLogKey v0)          value (TransactionLogValue v0)
//   ┌────────────────────────────┐      ┌──────────────────────────────────────────────┐
//   │ int16  version = 0         │      │ int16  version = 0                           │
//   │ string transactionalId     │      │ int64  producerId                            │
//   └────────────────────────────┘      │ int16  producerEpoch                         │
//                                       │ int32  transactionTimeoutMs                  │
//   A null value (tombstone) removes    │ int8   transactionStatus (txn-states.ts)     │
//   the transactional id.               │ array? partitions: string topic, int32[] ids │
//                                       │ int64  lastUpdateTimestampMs                 │
//                                       │ int64  startTimestampMs                      │
//                                       └──────────────────────────────────────────────┘
// Version 1 (as Kafka's TransactionLogValue.json) is flexible and adds tagged fields:
// 0 PreviousProducerId (int64), 1 NextProducerId (int64), 2 ClientTransactionVersion (int16),
// each left out at its default (-1, -1, 0). Kafka writes v1 for every record once
// transaction.version >= 1 is finalized; here only transactions of version 2 are written as v1,
// so a v0 reader (an older Tributary) still reads every classic one. Both versions are read.
import { Reader } from '../../../protocol/wire/reader.js';
import { Writer } from '../../../protocol/wire/writer.js';
import { TXN_STATE_CODES, txnStateOfCode, type TxnState } from './txn-states.js';

export interface TxnLogValue {
  producerId: number;
  producerEpoch: number;
  timeoutMs: number;
  state: TxnState;
  partitions: { topic: string; partitions: number[] }[];
  lastUpdateTimestamp: number;
  startTimestamp: number;
  /** v1 tagged fields (transaction version 2). */
  previousProducerId?: number;
  nextProducerId?: number;
  clientTransactionVersion?: number;
}

export function encodeTxnLogKey(transactionalId: string): Buffer {
  const w = new Writer(32 + transactionalId.length);
  w.writeInt16(0);
  w.writeString(transactionalId);
  return w.toBuffer();
}

/** The transactional id, or null for a key version this coordinator does not own. */
export function decodeTxnLogKey(key: Buffer): string | null {
  const r = new Reader(key);
  const version = r.readInt16();
  if (version !== 0) return null;
  return r.readString();
}

export function encodeTxnLogValue(v: TxnLogValue): Buffer {
  if ((v.clientTransactionVersion ?? 0) >= 2) return encodeTxnLogValueV1(v);
  const w = new Writer(64);
  w.writeInt16(0);
  w.writeInt64(v.producerId);
  w.writeInt16(v.producerEpoch);
  w.writeInt32(v.timeoutMs);
  w.writeInt8(TXN_STATE_CODES[v.state]);
  w.writeArrayLength(v.partitions.length);
  for (const t of v.partitions) {
    w.writeString(t.topic);
    w.writeArrayLength(t.partitions.length);
    for (const p of t.partitions) w.writeInt32(p);
  }
  w.writeInt64(v.lastUpdateTimestamp);
  w.writeInt64(v.startTimestamp);
  return w.toBuffer();
}

function encodeTxnLogValueV1(v: TxnLogValue): Buffer {
  const w = new Writer(96);
  w.writeInt16(1);
  w.writeInt64(v.producerId);
  w.writeInt16(v.producerEpoch);
  w.writeInt32(v.timeoutMs);
  w.writeInt8(TXN_STATE_CODES[v.state]);
  w.writeCompactArrayLength(v.partitions.length);
  for (const t of v.partitions) {
    w.writeCompactString(t.topic);
    w.writeCompactArrayLength(t.partitions.length);
    for (const p of t.partitions) w.writeInt32(p);
    w.writeUnsignedVarint(0);
  }
  w.writeInt64(v.lastUpdateTimestamp);
  w.writeInt64(v.startTimestamp);
  // Tagged fields hold defaults (-1 / 0) unless set, and a default is left out.
  const tags: [number, number, (x: number) => void][] = [];
  if ((v.previousProducerId ?? -1) !== -1) tags.push([0, 8, (x) => w.writeInt64(x)]);
  if ((v.nextProducerId ?? -1) !== -1) tags.push([1, 8, (x) => w.writeInt64(x)]);
  tags.push([2, 2, (x) => w.writeInt16(x)]);
  const values = [v.previousProducerId ?? -1, v.nextProducerId ?? -1, v.clientTransactionVersion ?? 0];
  w.writeUnsignedVarint(tags.length);
  for (const [tag, size, write] of tags) {
    w.writeUnsignedVarint(tag);
    w.writeUnsignedVarint(size);
    write(values[tag]!);
  }
  return w.toBuffer();
}

export function decodeTxnLogValue(buf: Buffer): TxnLogValue {
  const r = new Reader(buf);
  const version = r.readInt16();
  if (version !== 0 && version !== 1) throw new Error(`unknown TransactionLogValue version ${version}`);
  const flexible = version >= 1;
  const producerId = r.readInt64();
  const producerEpoch = r.readInt16();
  const timeoutMs = r.readInt32();
  const code = r.readInt8();
  const state = txnStateOfCode(code);
  if (!state) throw new Error(`unknown transaction status ${code}`);
  const partitions: TxnLogValue['partitions'] = [];
  const n = flexible ? r.readCompactNullableArrayLength(2) : r.readNullableArrayLength(2);
  for (let i = 0; i < n; i++) {
    const topic = flexible ? r.readCompactString() : r.readString();
    const m = flexible ? r.readCompactArrayLength(4) : r.readArrayLength(4);
    const ids: number[] = [];
    for (let j = 0; j < m; j++) ids.push(r.readInt32());
    if (flexible) r.skipTaggedFields();
    partitions.push({ topic, partitions: ids });
  }
  const lastUpdateTimestamp = r.readInt64();
  const startTimestamp = r.readInt64();
  const out: TxnLogValue = { producerId, producerEpoch, timeoutMs, state, partitions, lastUpdateTimestamp, startTimestamp };
  if (flexible) {
    const n = r.readUnsignedVarint();
    for (let i = 0; i < n; i++) {
      const tag = r.readUnsignedVarint();
      const size = r.readUnsignedVarint();
      if (tag === 0 && size === 8) out.previousProducerId = r.readInt64();
      else if (tag === 1 && size === 8) out.nextProducerId = r.readInt64();
      else if (tag === 2 && size === 2) out.clientTransactionVersion = r.readInt16();
      else r.readRaw(size);
    }
  }
  return out;
}
