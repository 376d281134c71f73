// Batch headers of a fetched record set, read without decoding records (the hot path stays
// zero-decode): base offset, last offset (base + lastOffsetDelta), the control and transactional
// bits and the producer id (read_committed share groups archive aborted transactions).
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
      const producerId = Number(records.readBigInt64BE(pos + 43));
      out.push({ span: { baseOffset, lastOffset: baseOffset + lastOffsetDelta, isControl: (attributes & 0x20) !== 0, isTransactional: (attributes & 0x10) !== 0, producerId }, start: pos, end });
    } else {
      // A legacy (v0/v1) entry: its offset field is the last (inner) offset.
      out.push({ span: { baseOffset, lastOffset: baseOffset, isControl: false, isTransactional: false, producerId: -1 }, start: pos, end });
    }
    pos = end;
  }
  return out;
}

/**
 * Marks the data batches of aborted transactions (read_committed), as a Kafka consumer skips them:
 * a producer's aborted transaction starts at its FirstOffset and ends at that producer's next
 * control batch (the ABORT marker).
 */
export function markAborted(spans: BatchSpan[], aborted: { producerId: number; firstOffset: number }[] | null): void {
  if (!aborted || aborted.length === 0) return;
  const pending = [...aborted].sort((a, b) => a.firstOffset - b.firstOffset);
  const open = new Set<number>();
  for (const s of spans) {
    while (pending.length > 0 && pending[0]!.firstOffset <= s.lastOffset) open.add(pending.shift()!.producerId);
    const pid = s.producerId ?? -1;
    if (!s.isTransactional || !open.has(pid)) continue;
    if (s.isControl) open.delete(pid);
    else s.aborted = true;
  }
}
