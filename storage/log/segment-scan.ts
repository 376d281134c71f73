// Walking the batches of a segment file without trusting it: used by recovery (CRC on), index
// rebuilds and the tail scan at load (CRC off). Reads in 1 MiB chunks; a batch straddling a chunk
// boundary is re-read from its start. A length field is only believed when the batch it announces
// fits in the file, so corrupt lengths never drive an allocation bigger than the file itself.
import { readSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import {
  BATCH_HEADER_SIZE,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  OFF_BATCH_LENGTH,
  readBatchHeader,
  scanBatches,
  type BatchInfo,
} from '../../protocol/records/batch-header.js';

export const SCAN_CHUNK_BYTES = 1024 * 1024;

export type ScanError = null | 'truncated' | 'bad-magic' | 'bad-length' | 'bad-crc' | 'bad-offset';

export interface FileScanResult {
  /** File position just after the last accepted batch. */
  validEnd: number;
  error: ScanError;
}

/** Reads exactly `length` bytes at `position` unless the file ends first (then returns fewer). */
export async function readAt(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  const done = await readInto(fh, buf, position);
  return done === length ? buf : buf.subarray(0, done);
}

/** Fills `buf` from the file at `position` unless the file ends first; returns the bytes read. */
export async function readInto(fh: FileHandle, buf: Buffer, position: number): Promise<number> {
  const length = buf.length;
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

/**
 * Visits each batch in [start, end). `visit` gets the header (with `position` relative to the
 * buffer it was parsed from) and the batch's absolute file position; returning false stops the
 * scan with error 'bad-offset' at that batch (the caller judged it inconsistent).
 */
export async function scanFile(
  fh: FileHandle,
  start: number,
  end: number,
  checkCrc: boolean,
  visit: (batch: BatchInfo, filePosition: number) => boolean,
): Promise<FileScanResult> {
  let pos = start;
  while (pos < end) {
    const want = Math.min(SCAN_CHUNK_BYTES, end - pos);
    const buf = await readAt(fh, pos, want);
    const atFileEnd = pos + buf.length >= end || buf.length < want;
    const scan = scanBatches(buf, 0, buf.length, checkCrc);
    for (const b of scan.batches) {
      if (!visit(b, pos + b.position)) return { validEnd: pos + b.position, error: 'bad-offset' };
    }
    pos += scan.validBytes;
    if (scan.error === null) {
      if (buf.length < want) return { validEnd: pos, error: 'truncated' };
      continue;
    }
    if (scan.error !== 'truncated' || atFileEnd) return { validEnd: pos, error: scan.error };
    // A batch straddles the chunk boundary. If it is bigger than a chunk, read it whole.
    const rest = buf.length - scan.validBytes;
    if (rest >= MAGIC_OFFSET + 1) {
      if (buf.readInt8(scan.validBytes + MAGIC_OFFSET) !== 2) return { validEnd: pos, error: 'bad-magic' };
      const batchLength = buf.readInt32BE(scan.validBytes + OFF_BATCH_LENGTH);
      if (batchLength < BATCH_HEADER_SIZE - LOG_OVERHEAD) return { validEnd: pos, error: 'bad-length' };
      const size = LOG_OVERHEAD + batchLength;
      if (size > end - pos) return { validEnd: pos, error: 'truncated' };
      if (size > SCAN_CHUNK_BYTES) {
        const whole = await readAt(fh, pos, size);
        const one = scanBatches(whole, 0, whole.length, checkCrc);
        if (one.error !== null || one.batches.length !== 1) return { validEnd: pos, error: one.error ?? 'bad-length' };
        if (!visit(one.batches[0]!, pos)) return { validEnd: pos, error: 'bad-offset' };
        pos += size;
      }
    }
    // Otherwise the next chunk starts at the straddling batch and holds it entirely.
  }
  return { validEnd: pos, error: null };
}

/** Bytes read at a time by scanHeadersSync: the tail after the last index entry is about one index interval (4 KiB) plus a batch, so this holds its small batches in one read, and of a large batch only its header is needed. */
export const HEADER_SCAN_CHUNK_BYTES = 8 * 1024;

/** Reads up to `buf.length` bytes at `position` synchronously (fewer only at the file's end). */
export function readIntoSync(fd: number, buf: Buffer, position: number): number {
  let done = 0;
  while (done < buf.length) {
    const n = readSync(fd, buf, done, buf.length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

/**
 * The clean-shutdown tail scan (no CRC): visits each batch in [start, end) reading only batch
 * headers, synchronously (start-up only, before the broker serves). Checks what scanFile without
 * CRC checks — magic, a length that holds a header, the batch ending inside `end` — but never
 * reads a batch's records: a 1 MiB batch after the last index entry costs one 8 KiB read of its
 * header instead of two 1 MiB reads (scanFile re-reads a batch larger than its chunk whole), as
 * Kafka walks batch headers through FileLogInputStream. The BatchInfo's `position` is relative to
 * an internal buffer; the file position is passed separately.
 */
export function scanHeadersSync(fd: number, start: number, end: number, visit: (batch: BatchInfo, filePosition: number) => boolean): FileScanResult {
  const buf = Buffer.allocUnsafe(Math.max(0, Math.min(HEADER_SCAN_CHUNK_BYTES, end - start)));
  let bufStart = 0;
  let bufLen = 0; // bytes of buf holding the file from bufStart
  let pos = start;
  while (pos < end) {
    const want = Math.min(BATCH_HEADER_SIZE, end - pos);
    if (pos < bufStart || pos + want > bufStart + bufLen) {
      bufStart = pos;
      bufLen = readIntoSync(fd, buf.subarray(0, Math.min(buf.length, end - pos)), pos);
    }
    const at = pos - bufStart;
    const have = bufLen - at;
    if (have < LOG_OVERHEAD + 5) return { validEnd: pos, error: 'truncated' };
    if (buf.readInt8(at + MAGIC_OFFSET) !== 2) return { validEnd: pos, error: 'bad-magic' };
    const batchLength = buf.readInt32BE(at + OFF_BATCH_LENGTH);
    if (batchLength < BATCH_HEADER_SIZE - LOG_OVERHEAD) return { validEnd: pos, error: 'bad-length' };
    const size = LOG_OVERHEAD + batchLength;
    if (size > end - pos || have < BATCH_HEADER_SIZE) return { validEnd: pos, error: 'truncated' };
    if (!visit(readBatchHeader(buf, at), pos)) return { validEnd: pos, error: 'bad-offset' };
    pos += size;
  }
  return { validEnd: pos, error: null };
}
