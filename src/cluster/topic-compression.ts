// compression.type on the produce path (Kafka's LogValidator): 'producer' keeps whatever codec
// the producer chose; any other value makes the broker store every batch in that codec,
// recompressing the ones that differ (protocol/records/recompress.ts). Batches already in the
// topic's codec stay on the zero-decode path.
//
// Levels (KIP-390): compression.gzip.level and compression.zstd.level are passed to zlib and
// zstd-napi; compression.lz4.level is accepted and validated but lz4-napi's frame encoder has no
// level parameter, so lz4 output always uses its default (fast) level.
import { ErrorCode } from '../../protocol/errors.js';
import { type BatchInfo, Compression } from '../../protocol/records/batch-header.js';
import { produceInflateLimit } from '../../protocol/records/batch-records.js';
import { needsRecompression, recompressBatches } from '../../protocol/records/recompress.js';
import { RecordsError } from '../../protocol/records/records-error.js';
import type { ResolvedTopicConfig } from '../config/topic-config.js';

const TARGET_CODECS: Readonly<Record<string, Compression>> = {
  uncompressed: Compression.None,
  gzip: Compression.Gzip,
  snappy: Compression.Snappy,
  lz4: Compression.Lz4,
  zstd: Compression.Zstd,
};

export type RecompressOutcome = { data: Buffer; batches: BatchInfo[] } | { errorCode: number; errorMessage: string };

/** The codec the topic stores, or null for compression.type=producer. */
export function topicTargetCodec(cfg: Pick<ResolvedTopicConfig, 'get'>): Compression | null {
  return TARGET_CODECS[cfg.get('compression.type')] ?? null;
}

function levelFor(cfg: Pick<ResolvedTopicConfig, 'get'>, codec: Compression): number | undefined {
  if (codec === Compression.Gzip) {
    const level = cfg.get('compression.gzip.level');
    return level === -1 ? undefined : level; // -1 = Deflater's default (6)
  }
  if (codec === Compression.Zstd) return cfg.get('compression.zstd.level');
  return undefined;
}

/**
 * Brings `batches` to the topic's codec. Returns the input unchanged when nothing needs it; else the
 * rewritten buffer and headers, or the Kafka error for a batch that cannot be recompressed or has
 * grown past max.message.bytes (RecordTooLargeException in Kafka, MESSAGE_TOO_LARGE).
 */
export function applyTopicCompression(cfg: Pick<ResolvedTopicConfig, 'get'>, data: Buffer, batches: BatchInfo[], maxMessageBytes: number): RecompressOutcome {
  const target = topicTargetCodec(cfg);
  if (target === null || !needsRecompression(batches, target)) return { data, batches };
  let out;
  try {
    out = recompressBatches(data, batches, target, { level: levelFor(cfg, target), maxInflatedBytes: produceInflateLimit(maxMessageBytes) });
  } catch (e) {
    if (!(e instanceof RecordsError)) throw e;
    return { errorCode: e.errorCode, errorMessage: e.message };
  }
  for (const b of out.batches) {
    if (b.size > maxMessageBytes) {
      return { errorCode: ErrorCode.MESSAGE_TOO_LARGE, errorMessage: `The record batch size in the append is ${b.size} bytes after recompression, which exceeds the maximum configured value of ${maxMessageBytes}.` };
    }
  }
  return out;
}
