// Minimal v2 batch builder for storage tests (uncompressed, CRC-32C via @node-rs/crc32), kept
// local so these tests do not depend on protocol/records/batch-builder.ts.
import { crc32c } from '@node-rs/crc32';
import { scanBatches, type BatchInfo } from '../../../protocol/records/batch-header.js';

function varint(n: number): number[] {
  let v = (n << 1) ^ (n >> 31); // zigzag (int32 is enough for test sizes)
  const out: number[] = [];
  v >>>= 0;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return out;
}

export interface TestBatchOptions {
  /** Number of records (default 1). */
  count?: number;
  /** Value bytes per record (default 10). */
  valueSize?: number;
  /** Timestamp of the first record; record i gets timestamp + i (default 1_000). */
  timestamp?: number;
  /** Byte used to fill values, to tell batches apart. */
  fill?: number;
  producerId?: number;
}

/** One uncompressed v2 batch with baseOffset 0 and a valid CRC. */
export function buildTestBatch(opts: TestBatchOptions = {}): Buffer {
  const count = opts.count ?? 1;
  const valueSize = opts.valueSize ?? 10;
  const ts = opts.timestamp ?? 1_000;
  const recs: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const body = Buffer.from([
      0, // attributes
      ...varint(i), // timestampDelta
      ...varint(i), // offsetDelta
      ...varint(-1), // key null
      ...varint(valueSize),
      ...Buffer.alloc(valueSize, opts.fill ?? i & 0xff),
      ...varint(0), // headers
    ]);
    recs.push(Buffer.concat([Buffer.from(varint(body.length)), body]));
  }
  const records = Buffer.concat(recs);
  const buf = Buffer.alloc(61 + records.length);
  buf.writeInt32BE(0, 0);
  buf.writeInt32BE(0, 4); // baseOffset
  buf.writeInt32BE(49 + records.length, 8); // batchLength
  buf.writeInt32BE(-1, 12); // partitionLeaderEpoch
  buf.writeInt8(2, 16); // magic
  buf.writeInt16BE(0, 21); // attributes
  buf.writeInt32BE(count - 1, 23); // lastOffsetDelta
  buf.writeBigInt64BE(BigInt(ts), 27);
  buf.writeBigInt64BE(BigInt(ts + count - 1), 35);
  buf.writeBigInt64BE(BigInt(opts.producerId ?? -1), 43);
  buf.writeInt16BE(-1, 51);
  buf.writeInt32BE(-1, 53);
  buf.writeInt32BE(count, 57);
  records.copy(buf, 61);
  buf.writeUInt32BE(crc32c(buf.subarray(21)) >>> 0, 17);
  return buf;
}

/** A buffer holding several batches plus their headers, as the produce path hands them over. */
export function produceRequest(...batches: Buffer[]): { records: Buffer; batches: BatchInfo[] } {
  const records = Buffer.concat(batches);
  const scan = scanBatches(records);
  if (scan.error) throw new Error(`test batch invalid: ${scan.error}`);
  return { records, batches: scan.batches };
}

/** Parses returned fetch bytes into headers (CRC checked). */
export function parseBatches(records: Buffer): BatchInfo[] {
  const scan = scanBatches(records, 0, records.length, true);
  if (scan.error) throw new Error(`returned records invalid: ${scan.error}`);
  return scan.batches;
}
