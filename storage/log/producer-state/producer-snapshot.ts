// Producer state snapshots: `<20-digit offset>.snapshot` in the partition directory holds the
// state of every producer as of that offset (everything below it applied). Written at each
// segment roll and at clean shutdown; recovery loads the newest snapshot at or below the log end
// and replays batch headers from its offset, so deduplication survives restarts and crashes.
//
// Layout (big endian). Unlike Kafka's format, which keeps only each producer's last batch, all
// retained batches are kept, so a retry of any of the last 5 batches is still recognised after
// a restart.
//   0  version                int16  = 2
//   2  crc                    uint32 CRC-32C of bytes [6, end)
//   6  lastAbortedMarker      int64  marker offset of the newest aborted-index entry then (-1)
//  14  producer count         int32
//   per producer:
//      producerId             int64
//      producerEpoch          int16
//      coordinatorEpoch       int32
//      lastTimestamp          int64
//      currentTxnFirstOffset  int64  (-1: no open transaction)
//      batch count            int8   (0..5)
//      per batch:
//         firstSeq            int32
//         lastSeq             int32
//         lastOffset          int64
//         offsetDelta         int32
//         timestamp           int64
import { readdirSync, readFileSync } from 'node:fs';
import { readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32c } from '@node-rs/crc32';
import { readInt64, writeInt64 } from '../../../protocol/records/batch-header.js';
import { isNotFound, offsetFileStem } from '../log-files.js';
import { NUM_BATCHES_TO_RETAIN, ProducerEntry } from './producer-entry.js';

export const SNAPSHOT_SUFFIX = '.snapshot';
const VERSION = 2;
const HEADER = 18;
const PRODUCER_FIXED = 8 + 2 + 4 + 8 + 8 + 1;
const BATCH_SIZE = 4 + 4 + 8 + 4 + 8;

export function snapshotPath(dir: string, offset: number): string {
  return join(dir, offsetFileStem(offset) + SNAPSHOT_SUFFIX);
}

export interface Snapshot {
  /** Marker offset of the newest aborted-transactions index entry when it was taken (-1: none). */
  lastAbortedMarker: number;
  producers: ProducerEntry[];
}

export function encodeSnapshot(entries: Iterable<ProducerEntry>, lastAbortedMarker = -1): Buffer {
  const list = [...entries];
  let size = HEADER;
  for (const e of list) size += PRODUCER_FIXED + e.batches.length * BATCH_SIZE;
  const buf = Buffer.alloc(size);
  buf.writeInt16BE(VERSION, 0);
  writeInt64(buf, 6, lastAbortedMarker);
  buf.writeInt32BE(list.length, 14);
  let p = HEADER;
  for (const e of list) {
    writeInt64(buf, p, e.producerId);
    buf.writeInt16BE(e.epoch, p + 8);
    buf.writeInt32BE(e.coordinatorEpoch, p + 10);
    writeInt64(buf, p + 14, e.lastTimestamp);
    writeInt64(buf, p + 22, e.currentTxnFirstOffset);
    buf.writeInt8(e.batches.length, p + 30);
    p += PRODUCER_FIXED;
    for (const b of e.batches) {
      buf.writeInt32BE(b.firstSeq, p);
      buf.writeInt32BE(b.lastSeq, p + 4);
      writeInt64(buf, p + 8, b.lastOffset);
      buf.writeInt32BE(b.offsetDelta, p + 16);
      writeInt64(buf, p + 20, b.timestamp);
      p += BATCH_SIZE;
    }
  }
  buf.writeUInt32BE(crc32c(buf.subarray(6)) >>> 0, 2);
  return buf;
}

export class SnapshotCorruptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SnapshotCorruptError';
  }
}

/** Throws SnapshotCorruptError on a bad version, CRC or length. */
export function decodeSnapshot(buf: Buffer): Snapshot {
  if (buf.length < HEADER) throw new SnapshotCorruptError('snapshot shorter than its header');
  if (buf.readInt16BE(0) !== VERSION) throw new SnapshotCorruptError(`unknown snapshot version ${buf.readInt16BE(0)}`);
  if (buf.readUInt32BE(2) !== crc32c(buf.subarray(6)) >>> 0) throw new SnapshotCorruptError('snapshot CRC mismatch');
  const lastAbortedMarker = readInt64(buf, 6);
  const count = buf.readInt32BE(14);
  const out: ProducerEntry[] = [];
  let p = HEADER;
  for (let i = 0; i < count; i++) {
    if (p + PRODUCER_FIXED > buf.length) throw new SnapshotCorruptError('snapshot truncated');
    const e = new ProducerEntry(readInt64(buf, p));
    e.epoch = buf.readInt16BE(p + 8);
    e.coordinatorEpoch = buf.readInt32BE(p + 10);
    e.lastTimestamp = readInt64(buf, p + 14);
    e.currentTxnFirstOffset = readInt64(buf, p + 22);
    const n = buf.readInt8(p + 30);
    if (n < 0 || n > NUM_BATCHES_TO_RETAIN) throw new SnapshotCorruptError(`bad batch count ${n}`);
    p += PRODUCER_FIXED;
    if (p + n * BATCH_SIZE > buf.length) throw new SnapshotCorruptError('snapshot truncated');
    for (let j = 0; j < n; j++) {
      e.batches.push({
        firstSeq: buf.readInt32BE(p),
        lastSeq: buf.readInt32BE(p + 4),
        lastOffset: readInt64(buf, p + 8),
        offsetDelta: buf.readInt32BE(p + 16),
        timestamp: readInt64(buf, p + 20),
      });
      p += BATCH_SIZE;
    }
    out.push(e);
  }
  if (p !== buf.length) throw new SnapshotCorruptError('trailing bytes after the last producer');
  return { lastAbortedMarker, producers: out };
}

/** Offsets of the snapshot files in `dir`, ascending. */
export async function listSnapshots(dir: string, sync = false): Promise<number[]> {
  return snapshotOffsets(sync ? readdirSync(dir) : await readdir(dir));
}

/** Snapshot offsets among the names of a directory listing, ascending. */
export function snapshotOffsets(names: readonly string[]): number[] {
  const out: number[] = [];
  for (const n of names) {
    if (!n.endsWith(SNAPSHOT_SUFFIX)) continue;
    const stem = n.slice(0, -SNAPSHOT_SUFFIX.length);
    if (!/^\d{20}$/.test(stem)) continue;
    const off = Number(stem);
    if (Number.isSafeInteger(off)) out.push(off);
  }
  return out.sort((a, b) => a - b);
}

export async function readSnapshot(dir: string, offset: number, sync = false): Promise<Snapshot | null> {
  try {
    const p = snapshotPath(dir, offset);
    return decodeSnapshot(sync ? readFileSync(p) : await readFile(p));
  } catch (e) {
    if (isNotFound(e)) return null;
    throw e;
  }
}

export async function deleteSnapshot(dir: string, offset: number): Promise<void> {
  try {
    await unlink(snapshotPath(dir, offset));
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
}
