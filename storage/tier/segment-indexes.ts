// Preparing a rolled segment for upload, and the `.indexes` object that travels with it.
//
// The uploader scans the segment's batch headers itself instead of trusting the local index files:
// that validates the file it is about to publish (whole batches, increasing offsets, nothing
// after the last batch) and rebuilds the offset and time indexes in Kafka's format at the log's
// index.interval.bytes, whatever state the local index files are in (after a restart they load
// lazily and may not exist yet). The scan reads the file in 1 MiB chunks; the upload then streams
// the file (rolled segments are immutable, so both passes see the same bytes). Nothing reads a
// whole segment into memory: a 16 MiB buffer per upload cost the broker visible GC pauses.
//
// `.indexes` layout (big endian):
//   0   magic    "TRIX"
//   4   version  int16 = 1
//   6   count    int16 = number of sections
//   8   count × { type int8, length int32 }
//   ..  the section bytes, in the same order
//   end crc32c   uint32 over everything before it
// Section types: 1 offset index, 2 time index, 3 transaction index, 4 producer-state snapshot,
// 5 leader-epoch checkpoint (text, Kafka's format). 3 holds the segment's AbortedTxn entries
// (txn-index.ts format), 4 the producer snapshot file taken at the segment's roll (segment-extras.ts).
import { open } from 'node:fs/promises';
import { crc32c } from '@node-rs/crc32';
import type { BatchInfo } from '../../protocol/records/batch-header.js';
import { OffsetIndex } from '../log/offset-index.js';
import { scanFile } from '../log/segment-scan.js';
import { TimeIndex } from '../log/time-index.js';

export const SECTION_OFFSET_INDEX = 1;
export const SECTION_TIME_INDEX = 2;
export const SECTION_TXN_INDEX = 3;
export const SECTION_PRODUCER_SNAPSHOT = 4;
export const SECTION_LEADER_EPOCHS = 5;

const MAGIC = Buffer.from('TRIX');

export interface SegmentIndexes {
  offsetIndex: Buffer;
  timeIndex: Buffer;
  txnIndex: Buffer;
  producerSnapshot: Buffer;
  /** [epoch, startOffset] pairs. */
  leaderEpochs: [number, number][];
}

export function encodeIndexes(ix: SegmentIndexes): Buffer {
  const epochText = `0\n${ix.leaderEpochs.length}\n${ix.leaderEpochs.map(([e, o]) => `${e} ${o}\n`).join('')}`;
  const sections: [number, Buffer][] = [
    [SECTION_OFFSET_INDEX, ix.offsetIndex],
    [SECTION_TIME_INDEX, ix.timeIndex],
    [SECTION_TXN_INDEX, ix.txnIndex],
    [SECTION_PRODUCER_SNAPSHOT, ix.producerSnapshot],
    [SECTION_LEADER_EPOCHS, Buffer.from(epochText)],
  ];
  const head = Buffer.alloc(8 + sections.length * 5);
  MAGIC.copy(head, 0);
  head.writeInt16BE(1, 4);
  head.writeInt16BE(sections.length, 6);
  sections.forEach(([type, b], i) => {
    head.writeInt8(type, 8 + i * 5);
    head.writeInt32BE(b.length, 9 + i * 5);
  });
  const body = Buffer.concat([head, ...sections.map(([, b]) => b)]);
  const out = Buffer.alloc(body.length + 4);
  body.copy(out);
  out.writeUInt32BE(crc32c(body) >>> 0, body.length);
  return out;
}

export class IndexesFormatError extends Error {
  override name = 'IndexesFormatError';
}

export function decodeIndexes(buf: Buffer): SegmentIndexes {
  if (buf.length < 12 || !buf.subarray(0, 4).equals(MAGIC)) throw new IndexesFormatError('not an indexes object');
  if ((crc32c(buf.subarray(0, buf.length - 4)) >>> 0) !== buf.readUInt32BE(buf.length - 4)) throw new IndexesFormatError('indexes checksum mismatch');
  if (buf.readInt16BE(4) !== 1) throw new IndexesFormatError(`unknown indexes version ${buf.readInt16BE(4)}`);
  const count = buf.readInt16BE(6);
  let pos = 8 + count * 5;
  const sections = new Map<number, Buffer>();
  for (let i = 0; i < count; i++) {
    const type = buf.readInt8(8 + i * 5);
    const len = buf.readInt32BE(9 + i * 5);
    if (len < 0 || pos + len > buf.length - 4) throw new IndexesFormatError('section past end');
    sections.set(type, buf.subarray(pos, pos + len));
    pos += len;
  }
  const epochs: [number, number][] = [];
  const lines = (sections.get(SECTION_LEADER_EPOCHS)?.toString('utf8') ?? '').split('\n').slice(2);
  for (const l of lines) {
    const [e, o] = l.trim().split(/\s+/).map(Number);
    if (Number.isSafeInteger(e) && Number.isSafeInteger(o)) epochs.push([e!, o!]);
  }
  const empty = Buffer.alloc(0);
  return {
    offsetIndex: sections.get(SECTION_OFFSET_INDEX) ?? empty,
    timeIndex: sections.get(SECTION_TIME_INDEX) ?? empty,
    txnIndex: sections.get(SECTION_TXN_INDEX) ?? empty,
    producerSnapshot: sections.get(SECTION_PRODUCER_SNAPSHOT) ?? empty,
    leaderEpochs: epochs,
  };
}

export interface PreparedSegment {
  baseOffset: number;
  nextOffset: number;
  size: number;
  maxTimestamp: number;
  offsetOfMaxTimestamp: number;
  offsetIndex: Buffer;
  timeIndex: Buffer;
}

export class SegmentValidationError extends Error {
  override name = 'SegmentValidationError';
}

/**
 * Scans a rolled segment file and rebuilds its indexes (LogSegment.indexBatch's rules). Returns
 * null if the file no longer exists (deleted by retention or truncation meanwhile).
 */
export async function prepareSegment(path: string, baseOffset: number, intervalBytes: number): Promise<PreparedSegment | null> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return null;
    throw e;
  }
  try {
    const size = (await fh.stat()).size;
    const off = new OffsetIndex('', baseOffset);
    const time = new TimeIndex('', baseOffset);
    let maxTs = -1;
    let offMax = -1;
    let sinceEntry = 0;
    let expected = baseOffset;
    let bad: string | null = null;
    const visit = (b: BatchInfo, position: number): boolean => {
      const last = b.baseOffset + b.lastOffsetDelta;
      if (b.baseOffset < expected || b.lastOffsetDelta < 0 || last - baseOffset > 0x7fffffff) {
        bad = `batch at ${position} has offset ${b.baseOffset}, expected >= ${expected}`;
        return false;
      }
      if (b.maxTimestamp > maxTs) {
        maxTs = b.maxTimestamp;
        offMax = b.baseOffset;
      }
      if (sinceEntry > intervalBytes) {
        off.append(last, position);
        time.maybeAppend(maxTs, offMax);
        sinceEntry = 0;
      }
      sinceEntry += b.size;
      expected = last + 1;
      return true;
    };
    const validEnd = (await scanFile(fh, 0, size, false, visit)).validEnd;
    if (bad) throw new SegmentValidationError(`${path}: ${bad}`);
    if (validEnd !== size) throw new SegmentValidationError(`${path}: ${size - validEnd} bytes after the last valid batch`);
    if (expected === baseOffset) throw new SegmentValidationError(`${path}: no batches`);
    if (maxTs >= 0) time.maybeAppend(maxTs, offMax);
    return {
      baseOffset,
      nextOffset: expected,
      size,
      maxTimestamp: maxTs,
      offsetOfMaxTimestamp: offMax,
      offsetIndex: Buffer.from(off.bytes()),
      timeIndex: Buffer.from(time.bytes()),
    };
  } finally {
    await fh.close();
  }
}

/** Leader epochs in effect in [base, next): the one at `base` (clamped to it) and later starts. */
export function epochsIn(entries: { epoch: number; startOffset: number }[], base: number, next: number): [number, number][] {
  const out: [number, number][] = [];
  for (const e of entries) {
    if (e.startOffset >= next) break;
    if (e.startOffset <= base) {
      out.length = 0;
      out.push([e.epoch, base]);
    } else out.push([e.epoch, e.startOffset]);
  }
  return out;
}
