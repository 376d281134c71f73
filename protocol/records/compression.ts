// Compression codecs for record batches (attributes bits 0-2). Pure and synchronous. Callers:
// produce validation of compressed batches (batch-records.ts, with a tighter per-topic bound),
// aggregation, compaction and format conversion; uncompressed produce and all fetches never
// decompress.
//
// Every decompression is bounded by `maxBytes` so a small malicious batch cannot make the broker
// allocate gigabytes ("decompression bomb"). The bound is enforced before allocating where the
// format allows it (snappy length headers, lz4 block structure, zstd content size) and while
// streaming otherwise (gzip via zlib's maxOutputLength, zstd frames without a content size).
import { gunzipSync, gzipSync } from 'node:zlib';
import { Compression } from './batch-header.js';
import { RecordsError, corrupt } from './records-error.js';
import { compressLz4, decompressLz4 } from './lz4-frame.js';
import { compressSnappy, decompressSnappy } from './snappy-codec.js';
import { zstdCodec } from './optional-codecs.js';

/**
 * Default decompression limit: 256 MiB. A produce request is capped by max.message.bytes (1 MiB by
 * default, rarely above 100 MiB) and real data compresses 3-10x (gzip/zstd on very repetitive data
 * maybe 100x), so legitimate batches stay far below this, while a bomb (gzip reaches ~1000x) is cut
 * off before it can exhaust a 2-core/few-GiB machine.
 */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 256 * 1024 * 1024;

export interface CompressOptions {
  /** gzip 1-9 (default 6, Java's Deflater default) or zstd level (default 3). Ignored otherwise. */
  level?: number;
}

type ZstdBinding = ReturnType<typeof zstdCodec.get>['binding'];

export function compress(codec: Compression, data: Buffer, opts: CompressOptions = {}): Buffer {
  switch (codec) {
    case Compression.None:
      return data;
    case Compression.Gzip:
      return gzipSync(data, { level: opts.level ?? 6 });
    case Compression.Snappy:
      return compressSnappy(data);
    case Compression.Lz4:
      return compressLz4(data);
    case Compression.Zstd:
      return zstdCodec.get().simple.compress(data, { compressionLevel: opts.level ?? 3 });
    default:
      throw new RecordsError('CORRUPT_MESSAGE', `unknown compression codec ${codec as number}`);
  }
}

export function decompress(codec: Compression, data: Buffer, maxBytes = DEFAULT_MAX_DECOMPRESSED_BYTES): Buffer {
  switch (codec) {
    case Compression.None:
      if (data.length > maxBytes) throw tooLarge('uncompressed', maxBytes);
      return data;
    case Compression.Gzip:
      return gunzip(data, maxBytes);
    case Compression.Snappy:
      return decompressSnappy(data, maxBytes);
    case Compression.Lz4:
      return decompressLz4(data, maxBytes);
    case Compression.Zstd:
      return decompressZstd(data, maxBytes);
    default:
      throw new RecordsError('CORRUPT_MESSAGE', `unknown compression codec ${codec as number}`);
  }
}

function tooLarge(what: string, maxBytes: number): RecordsError {
  return new RecordsError('MESSAGE_TOO_LARGE', `${what} data exceeds the decompression limit of ${maxBytes} bytes`);
}

function gunzip(data: Buffer, maxBytes: number): Buffer {
  try {
    return gunzipSync(data, { maxOutputLength: Math.max(1, maxBytes) });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge('gzip', maxBytes);
    throw corrupt(`gzip decompression failed: ${(e as Error).message}`);
  }
}

const ZSTD_CHUNK = 128 * 1024;
let zstdCtx: InstanceType<ZstdBinding['DCtx']> | undefined;

function decompressZstd(data: Buffer, maxBytes: number): Buffer {
  // Throws UNSUPPORTED_COMPRESSION_TYPE naming the codec when zstd-napi could not load.
  const zstdBinding = zstdCodec.get().binding;
  zstdCtx ??= new zstdBinding.DCtx();
  const ctx = zstdCtx;
  try {
    const known = knownZstdContentSize(data);
    if (known !== null) {
      if (known > maxBytes) throw tooLarge('zstd', maxBytes);
      const out = Buffer.allocUnsafe(known);
      const n = ctx.decompress(out, data);
      if (n !== known) throw corrupt('zstd output length mismatch');
      return out;
    }
    // No content size in some frame header (streaming compressors such as zstd-jni): stream into
    // chunks, counting as we go. `hint` is 0 exactly when a frame has been fully decoded.
    ctx.reset(zstdBinding.ResetDirective.sessionOnly);
    const parts: Buffer[] = [];
    let total = 0;
    let input = data;
    for (;;) {
      const chunk = Buffer.allocUnsafe(ZSTD_CHUNK);
      const [hint, produced, consumed] = ctx.decompressStream(chunk, input);
      input = input.subarray(consumed);
      if (produced > 0) {
        total += produced;
        if (total > maxBytes) throw tooLarge('zstd', maxBytes);
        parts.push(chunk.subarray(0, produced));
      }
      if (input.length === 0 && hint === 0) break;
      if (produced === 0 && consumed === 0) throw corrupt('zstd data truncated');
    }
    return Buffer.concat(parts, total);
  } catch (e) {
    if (e instanceof RecordsError) throw e;
    ctx.reset(zstdBinding.ResetDirective.sessionOnly);
    throw corrupt(`zstd decompression failed: ${(e as Error).message}`);
  }
}

/** Sum of the frames' declared content sizes, or null if any frame does not declare one. */
function knownZstdContentSize(data: Buffer): number | null {
  const zstdBinding = zstdCodec.get().binding;
  if (data.length === 0) throw corrupt('empty zstd data');
  let total = 0;
  let rest = data;
  while (rest.length > 0) {
    const size = zstdBinding.getFrameContentSize(rest);
    if (size === null) return null;
    total += size;
    rest = rest.subarray(zstdBinding.findFrameCompressedSize(rest));
  }
  return total;
}
