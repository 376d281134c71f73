// LZ4 frame handling around lz4-napi: structural walk (for the decompression-bomb bound and to
// reject trailing garbage, which lz4-napi silently ignores), and the magic-0 header checksum quirk.
//
// Frame layout (lz4_Frame_format.md), all integers little endian:
//   magic      4   04 22 4D 18
//   FLG        1   version(2 bits, =01) | B.Indep | B.Checksum | C.Size | C.Checksum | 0 | DictID
//   BD         1   0 | BlockMaxSize(3 bits: 4=64K 5=256K 6=1M 7=4M) | 0000
//   [size      8]  if C.Size
//   [dictId    4]  if DictID
//   HC         1   (xxh32(FLG .. last descriptor byte) >> 8) & 0xFF
//   blocks         [u32 size, bit 31 = stored uncompressed][data][u32 checksum if B.Checksum]
//   end mark   4   00 00 00 00
//   [checksum  4]  if C.Checksum
// Skippable frames: magic 0x184D2A50..0x184D2A5F, u32 size, data.
//
// KAFKA-3160: Kafka before 0.10 (message format magic 0) computed HC over magic..BD instead of
// FLG..BD. Magic-0 producers (and kafka-python's magic-0 path) still write that broken byte and
// magic-0 consumers expect it, so legacy code fixes it before decoding and breaks it after encoding.
import { lz4Codec } from './optional-codecs.js';
import { RecordsError, corrupt } from './records-error.js';

const FRAME_MAGIC = 0x184d2204;
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;
const BLOCK_MAX_SIZES: Record<number, number> = { 4: 64 << 10, 5: 256 << 10, 6: 1 << 20, 7: 4 << 20 };

interface FrameSpan {
  start: number;
  end: number;
  /** Position of the HC byte. */
  hcPos: number;
}

interface FrameWalk {
  frames: FrameSpan[];
  /** Upper bound of the decompressed size: stored blocks count exactly, compressed ones as full blocks. */
  maxOutput: number;
  /** Largest block max size seen; a legitimate frame's bound exceeds its true size by less than this. */
  blockMax: number;
}

function need(data: Buffer, pos: number, n: number): void {
  if (pos + n > data.length) throw corrupt('lz4 frame truncated');
}

export function walkLz4Frames(data: Buffer): FrameWalk {
  const frames: FrameSpan[] = [];
  let maxOutput = 0;
  let blockMax = 0;
  let pos = 0;
  if (data.length === 0) throw corrupt('empty lz4 data');
  while (pos < data.length) {
    need(data, pos, 8);
    const magic = data.readUInt32LE(pos);
    if (((magic & SKIPPABLE_MASK) >>> 0) === SKIPPABLE_MAGIC) {
      const skip = data.readUInt32LE(pos + 4);
      need(data, pos + 8, skip);
      pos += 8 + skip;
      continue;
    }
    if (magic !== FRAME_MAGIC) throw corrupt('bad lz4 frame magic');
    const start = pos;
    const flg = data[pos + 4]!;
    const bd = data[pos + 5]!;
    if (flg >> 6 !== 1) throw corrupt('unsupported lz4 frame version');
    const blockChecksum = (flg & 0x10) !== 0;
    const contentChecksum = (flg & 0x04) !== 0;
    const max = BLOCK_MAX_SIZES[(bd >> 4) & 0x07];
    if (max === undefined) throw corrupt('bad lz4 block max size');
    blockMax = Math.max(blockMax, max);
    const hcPos = pos + 6 + ((flg & 0x08) !== 0 ? 8 : 0) + ((flg & 0x01) !== 0 ? 4 : 0);
    need(data, hcPos, 1);
    pos = hcPos + 1;
    for (;;) {
      need(data, pos, 4);
      const word = data.readUInt32LE(pos);
      pos += 4;
      if (word === 0) break;
      const len = word & 0x7fffffff;
      if (len > max) throw corrupt('lz4 block larger than the frame block size');
      maxOutput += word & 0x80000000 ? len : max;
      need(data, pos, len + (blockChecksum ? 4 : 0));
      pos += len + (blockChecksum ? 4 : 0);
    }
    if (contentChecksum) {
      need(data, pos, 4);
      pos += 4;
    }
    frames.push({ start, end: pos, hcPos });
  }
  return { frames, maxOutput, blockMax };
}

/**
 * Decompresses LZ4 frames, refusing anything whose output could exceed `maxBytes`.
 * The bound is computed from the block structure before any output is allocated; a frame can be
 * rejected only if it is within one block size (<= 4 MiB) of the limit, as Kafka clients fill blocks.
 */
export function decompressLz4(data: Buffer, maxBytes: number, legacyHeaderChecksum = false): Buffer {
  const walk = walkLz4Frames(data);
  if (walk.maxOutput > maxBytes + walk.blockMax) {
    throw new RecordsError('MESSAGE_TOO_LARGE', `lz4 data may decompress to ${walk.maxOutput} bytes, limit ${maxBytes}`);
  }
  const lz4 = lz4Codec.get(); // UNSUPPORTED_COMPRESSION_TYPE naming lz4 when lz4-napi cannot load
  const parts: Buffer[] = [];
  for (const f of walk.frames) {
    let frame = data.subarray(f.start, f.end);
    if (legacyHeaderChecksum) frame = withHeaderChecksum(frame, f.hcPos - f.start, correctHeaderChecksum);
    try {
      parts.push(lz4.decompressFrameSync(frame));
    } catch (e) {
      throw corrupt(`lz4 decompression failed: ${(e as Error).message}`);
    }
  }
  const out = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  if (out.length > maxBytes) {
    throw new RecordsError('MESSAGE_TOO_LARGE', `lz4 data decompressed to ${out.length} bytes, limit ${maxBytes}`);
  }
  return out;
}

/**
 * One frame, independent 64 KiB blocks, no content size, no checksums: the same header Kafka's
 * Java KafkaLZ4BlockOutputStream writes. `legacyHeaderChecksum` writes the magic-0 broken HC.
 */
export function compressLz4(data: Buffer, legacyHeaderChecksum = false): Buffer {
  const frame = lz4Codec.get().compressFrameSync(data);
  if (!legacyHeaderChecksum) return frame;
  const hcPos = walkLz4Frames(frame).frames[0]!.hcPos;
  return withHeaderChecksum(frame, hcPos, brokenHeaderChecksum);
}

function correctHeaderChecksum(frame: Buffer, hcPos: number): number {
  return (xxh32(frame.subarray(4, hcPos)) >>> 8) & 0xff;
}

/** KAFKA-3160: the pre-0.10 checksum also covered the 4 magic bytes. */
function brokenHeaderChecksum(frame: Buffer, hcPos: number): number {
  return (xxh32(frame.subarray(0, hcPos)) >>> 8) & 0xff;
}

function withHeaderChecksum(frame: Buffer, hcPos: number, hc: (f: Buffer, p: number) => number): Buffer {
  const want = hc(frame, hcPos);
  if (frame[hcPos] === want) return frame;
  const copy = Buffer.from(frame);
  copy[hcPos] = want;
  return copy;
}

const P1 = 2654435761;
const P2 = 2246822519;
const P3 = 3266489917;
const P4 = 668265263;
const P5 = 374761393;

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

/** XXH32, only used for the few bytes of an LZ4 frame descriptor. */
export function xxh32(data: Uint8Array, seed = 0): number {
  const len = data.length;
  const dv = new DataView(data.buffer, data.byteOffset, len);
  let p = 0;
  let h: number;
  if (len >= 16) {
    let v1 = (seed + P1 + P2) | 0;
    let v2 = (seed + P2) | 0;
    let v3 = seed | 0;
    let v4 = (seed - P1) | 0;
    const limit = len - 16;
    while (p <= limit) {
      v1 = Math.imul(rotl((v1 + Math.imul(dv.getUint32(p, true), P2)) | 0, 13), P1);
      v2 = Math.imul(rotl((v2 + Math.imul(dv.getUint32(p + 4, true), P2)) | 0, 13), P1);
      v3 = Math.imul(rotl((v3 + Math.imul(dv.getUint32(p + 8, true), P2)) | 0, 13), P1);
      v4 = Math.imul(rotl((v4 + Math.imul(dv.getUint32(p + 12, true), P2)) | 0, 13), P1);
      p += 16;
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) | 0;
  } else {
    h = (seed + P5) | 0;
  }
  h = (h + len) | 0;
  while (p + 4 <= len) {
    h = Math.imul(rotl((h + Math.imul(dv.getUint32(p, true), P3)) | 0, 17), P4);
    p += 4;
  }
  while (p < len) {
    h = Math.imul(rotl((h + Math.imul(data[p]!, P5)) | 0, 11), P1);
    p++;
  }
  h ^= h >>> 15;
  h = Math.imul(h, P2);
  h ^= h >>> 13;
  h = Math.imul(h, P3);
  h ^= h >>> 16;
  return h >>> 0;
}
