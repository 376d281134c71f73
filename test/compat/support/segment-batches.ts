// Reads a partition's segment files straight from the broker's data dir, independently of the
// broker's own code: this is the proof that what a client asked for (codec, timestamps, headers)
// is what actually sits on disk. Decompression uses the codec libraries directly, so a batch
// labelled gzip that is not really gzip fails here.
//
// Record batch v2 layout (all big-endian):
//   0  baseOffset int64        8  batchLength int32      12 partitionLeaderEpoch int32
//   16 magic int8              17 crc uint32 (CRC32C of bytes 21..end)
//   21 attributes int16 (bits 0-2 codec, 3 timestampType, 4 transactional, 5 control)
//   23 lastOffsetDelta int32   27 baseTimestamp int64    35 maxTimestamp int64
//   43 producerId int64        51 producerEpoch int16    53 baseSequence int32
//   57 recordCount int32       61 records (compressed as one blob when codec != 0)
// Record: length varint, attributes int8, timestampDelta varlong, offsetDelta varint,
//   keyLength varint (-1 = null), key, valueLength varint, value, headerCount varint,
//   headers: keyLength varint, key, valueLength varint (-1 = null), value.
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import zlib from 'node:zlib';
import { crc32c } from '@node-rs/crc32';
import { decompressFrameSync } from 'lz4-napi';
import { decompress as zstdDecompress } from 'zstd-napi';

// snappyjs ships no types; it is pure JS, so it is independent of the broker's native snappy.
const snappyjs = createRequire(import.meta.url)('snappyjs') as { uncompress(b: Uint8Array): Uint8Array };

export const CODEC_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type CodecName = (typeof CODEC_NAMES)[number];

export interface DiskRecord {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Array<[string, Buffer | null]>;
}

export interface DiskBatch {
  file: string;
  position: number;
  baseOffset: number;
  magic: number;
  codec: CodecName | `unknown(${number})`;
  timestampType: 'create' | 'log-append';
  crcOk: boolean;
  recordCount: number;
  maxTimestamp: number;
  records: DiskRecord[];
  /** Set when the records could not be decompressed or decoded. */
  decodeError?: string;
}

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);

function decompress(codec: number, data: Buffer): Buffer {
  switch (codec) {
    case 0:
      return data;
    case 1:
      return zlib.gunzipSync(data);
    case 2: {
      // Java and kafka-python wrap snappy in xerial framing; librdkafka sends raw snappy.
      if (data.length >= 16 && data.subarray(0, 8).equals(XERIAL_MAGIC)) {
        const parts: Buffer[] = [];
        let p = 16;
        while (p < data.length) {
          const n = data.readInt32BE(p);
          parts.push(Buffer.from(snappyjs.uncompress(data.subarray(p + 4, p + 4 + n))));
          p += 4 + n;
        }
        return Buffer.concat(parts);
      }
      return Buffer.from(snappyjs.uncompress(data));
    }
    case 3:
      return decompressFrameSync(data);
    case 4:
      return zstdDecompress(data);
    default:
      throw new Error(`unknown codec ${codec}`);
  }
}

class Cursor {
  constructor(
    readonly buf: Buffer,
    public pos = 0,
  ) {}
  varlong(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.buf.length) throw new Error('varint past end');
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) break;
      shift += 7n;
      if (shift > 63n) throw new Error('varint too long');
    }
    return (result >> 1n) ^ -(result & 1n);
  }
  varint(): number {
    return Number(this.varlong());
  }
  bytes(n: number): Buffer | null {
    if (n < 0) return null;
    if (this.pos + n > this.buf.length) throw new Error('bytes past end');
    const b = Buffer.from(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return b;
  }
}

function decodeRecords(data: Buffer, count: number, baseOffset: number, baseTimestamp: number): DiskRecord[] {
  const c = new Cursor(data);
  const out: DiskRecord[] = [];
  for (let i = 0; i < count; i++) {
    const len = c.varint();
    const end = c.pos + len;
    c.pos += 1; // record attributes (unused)
    const tsDelta = c.varlong();
    const offDelta = c.varint();
    const key = c.bytes(c.varint());
    const value = c.bytes(c.varint());
    const hc = c.varint();
    const headers: Array<[string, Buffer | null]> = [];
    for (let h = 0; h < hc; h++) {
      const hk = c.bytes(c.varint());
      headers.push([hk === null ? '' : hk.toString('utf8'), c.bytes(c.varint())]);
    }
    if (c.pos !== end) throw new Error(`record ${i} length ${len} but decoded ${len - (end - c.pos)} bytes`);
    out.push({ offset: baseOffset + offDelta, timestamp: baseTimestamp + Number(tsDelta), key, value, headers });
  }
  if (c.pos !== data.length) throw new Error(`${data.length - c.pos} trailing bytes after ${count} records`);
  return out;
}

/** Parses one segment file's bytes into batches (stops at a torn tail). */
export function parseSegment(buf: Buffer, file = ''): DiskBatch[] {
  const out: DiskBatch[] = [];
  let pos = 0;
  while (pos + 17 <= buf.length) {
    const baseOffset = Number(buf.readBigInt64BE(pos));
    const length = buf.readInt32BE(pos + 8);
    const magic = buf.readInt8(pos + 16);
    if (length <= 0 || pos + 12 + length > buf.length) break;
    const batch = buf.subarray(pos, pos + 12 + length);
    if (magic !== 2) {
      out.push({ file, position: pos, baseOffset, magic, codec: 'none', timestampType: 'create', crcOk: false, recordCount: 0, maxTimestamp: -1, records: [], decodeError: `magic ${magic} batch on disk` });
      pos += 12 + length;
      continue;
    }
    const attributes = batch.readInt16BE(21);
    const codecId = attributes & 7;
    const baseTimestamp = Number(batch.readBigInt64BE(27));
    const recordCount = batch.readInt32BE(57);
    const d: DiskBatch = {
      file,
      position: pos,
      baseOffset,
      magic,
      codec: codecId < CODEC_NAMES.length ? CODEC_NAMES[codecId]! : `unknown(${codecId})`,
      timestampType: attributes & 8 ? 'log-append' : 'create',
      crcOk: crc32c(batch.subarray(21)) === batch.readUInt32BE(17),
      recordCount,
      maxTimestamp: Number(batch.readBigInt64BE(35)),
      records: [],
    };
    try {
      d.records = decodeRecords(decompress(codecId, batch.subarray(61)), recordCount, baseOffset, baseTimestamp);
    } catch (err) {
      d.decodeError = (err as Error).message;
    }
    out.push(d);
    pos += 12 + length;
  }
  return out;
}

/** All batches of `<dataDir>/<topic>-<partition>/*.log`, in file (= offset) order. */
export async function readPartitionBatches(dataDir: string, topic: string, partition: number): Promise<DiskBatch[]> {
  const dir = path.join(dataDir, `${topic}-${partition}`);
  const files = (await fs.readdir(dir)).filter((f) => f.endsWith('.log')).sort();
  const out: DiskBatch[] = [];
  for (const f of files) out.push(...parseSegment(await fs.readFile(path.join(dir, f)), f));
  return out;
}

/** One line per batch, for assertion messages. */
export function describeBatches(batches: DiskBatch[]): string {
  return batches
    .map((b) => `@${b.baseOffset} magic=${b.magic} codec=${b.codec} records=${b.recordCount} crc=${b.crcOk ? 'ok' : 'BAD'}${b.decodeError ? ` error=${b.decodeError}` : ''}`)
    .join('\n');
}
