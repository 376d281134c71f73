// Snappy for record batches: raw snappy blocks, plus the xerial framing Java and kafka-python send.
//
// Xerial stream (snappy-java SnappyOutputStream), big endian:
//   magic    8   82 53 4E 41 50 50 59 00   ("\x82SNAPPY\0")
//   version  4   int32 (1)
//   compat   4   int32 (1)
//   blocks       [int32 length][raw snappy block] ...
// Raw snappy block: varint uncompressed length, then tagged literals/copies.
//
// We always *write* raw snappy (as librdkafka does): every client we know reads it, including
// snappy-java, which falls back to raw when the xerial magic is absent.
import { createRequire } from 'node:module';
import { RecordsError, corrupt } from './records-error.js';

interface SnappyBackend {
  readonly name: 'snappy' | 'snappyjs';
  compress(data: Buffer): Buffer;
  /** `length` is the already validated uncompressed length from the block's varint. */
  uncompress(block: Buffer, length: number): Buffer;
}

const require = createRequire(import.meta.url);

interface SnappyJs {
  compress(data: Uint8Array): Uint8Array;
  uncompress(data: Uint8Array, maxLength?: number): Uint8Array;
}

function asBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

/** Pure JS snappy: slower, but always loads. Exported so tests can cross-check both backends. */
export const snappyJsBackend: SnappyBackend = (() => {
  const js = require('snappyjs') as SnappyJs;
  return {
    name: 'snappyjs',
    compress: (data) => asBuffer(js.compress(data)),
    uncompress: (block, length) => asBuffer(js.uncompress(block, length)),
  };
})();

// The napi build is 3-5x faster than snappyjs, but only with copyOutputData:true (external buffers
// are slower than pure JS, see TOOLCHAIN.md 3.4). Its prebuilt binary is an optional dependency
// fetched per platform, so it can be missing (unusual libc/arch, --no-optional installs, sandboxed
// CI): in that case fall back to snappyjs rather than fail to start the broker.
function loadNative(): SnappyBackend | null {
  try {
    const native = require('snappy') as typeof import('snappy');
    return {
      name: 'snappy',
      compress: (data) => native.compressSync(data, { copyOutputData: true }),
      uncompress: (block) => native.uncompressSync(block, { asBuffer: true, copyOutputData: true }) as Buffer,
    };
  } catch {
    return null;
  }
}

// Loaded on first use: a broker that never sees snappy never pays for loading the native module.
let loaded: SnappyBackend | null = null;
function defaultBackend(): SnappyBackend {
  return (loaded ??= loadNative() ?? snappyJsBackend);
}

/** Which implementation is in use ('snappy' = native napi); loads it. */
export function snappyBackendName(): 'snappy' | 'snappyjs' {
  return defaultBackend().name;
}

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_SIZE = 16;

export function isXerialFramed(data: Buffer): boolean {
  return data.length >= XERIAL_HEADER_SIZE && data.subarray(0, 8).equals(XERIAL_MAGIC);
}

/** The uncompressed length varint at the start of a raw snappy block (at most 32 bits). */
function rawLength(block: Buffer): number {
  let u = 0;
  for (let i = 0; i < 5 && i < block.length; i++) {
    const b = block[i]!;
    u += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) return u;
  }
  throw corrupt('bad snappy length header');
}

function uncompressBlock(block: Buffer, budget: number, impl: SnappyBackend): Buffer {
  const length = rawLength(block);
  if (length > budget) throw new RecordsError('MESSAGE_TOO_LARGE', `snappy data exceeds the decompression limit`);
  let out: Buffer;
  try {
    out = impl.uncompress(block, length);
  } catch (e) {
    throw corrupt(`snappy decompression failed: ${(e as Error).message}`);
  }
  if (out.length !== length) throw corrupt('snappy output length mismatch');
  return out;
}

export function compressSnappy(data: Buffer, impl: SnappyBackend = defaultBackend()): Buffer {
  return impl.compress(data);
}

/** Decompresses raw or xerial-framed snappy; the output never exceeds `maxBytes`. */
export function decompressSnappy(data: Buffer, maxBytes: number, impl: SnappyBackend = defaultBackend()): Buffer {
  if (!isXerialFramed(data)) return uncompressBlock(data, maxBytes, impl);
  const parts: Buffer[] = [];
  let total = 0;
  let pos = XERIAL_HEADER_SIZE;
  while (pos < data.length) {
    if (data.length - pos < 4) throw corrupt('xerial snappy block length truncated');
    const len = data.readInt32BE(pos);
    pos += 4;
    if (len < 0 || len > data.length - pos) throw corrupt('xerial snappy block truncated');
    const out = uncompressBlock(data.subarray(pos, pos + len), maxBytes - total, impl);
    total += out.length;
    parts.push(out);
    pos += len;
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts, total);
}
