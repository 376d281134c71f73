// Batch headers of a fetched record set, read without decoding records (the hot path stays
// zero-decode): base offset, last offset (base + lastOffsetDelta) and the control bit.
import type { BatchSpan } from './share-partition.js';

const BATCH_OVERHEAD = 12; // baseOffset (8) + batchLength (4)
const V2_HEADER = 61;

export function batchSpans(records: Buffer): { span: BatchSpan; start: number; end: number }[] {
  const out: { span: BatchSpan; start: number; end: number }[] = [];
  let pos = 0;
  while (pos + BATCH_OVERHEAD <= records.length) {
    const baseOffset = Number(records.readBigInt64BE(pos));
    const length = records.readInt32BE(pos + 8);
    const end = pos + BATCH_OVERHEAD + length;
    if (length <= 0 || end > records.length) break; // a partial batch at the end of a read
    const magic = records.readInt8(pos + 16);
    if (magic === 2 && length + BATCH_OVERHEAD >= V2_HEADER) {
      const attributes = records.readInt16BE(pos + 21);
      const lastOffsetDelta = records.readInt32BE(pos + 23);
      out.push({ span: { baseOffset, lastOffset: baseOffset + lastOffsetDelta, isControl: (attributes & 0x20) !== 0 }, start: pos, end });
    } else {
      // A legacy (v0/v1) entry: its offset field is the last (inner) offset.
      out.push({ span: { baseOffset, lastOffset: baseOffset, isControl: false }, start: pos, end });
    }
    pos = end;
  }
  return out;
}
