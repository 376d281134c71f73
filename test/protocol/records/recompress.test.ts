import { describe, expect, it } from 'vitest';
import { buildRecordBatch } from '../../../protocol/records/batch-builder.js';
import { ATTR_TRANSACTIONAL, Compression, batchCompression, batchCrcMatches, readBatchHeader } from '../../../protocol/records/batch-header.js';
import { decodeRecordBatch } from '../../../protocol/records/record-codec.js';
import { recompressBatches } from '../../../protocol/records/recompress.js';
import { RecordsError } from '../../../protocol/records/records-error.js';
import { applyTopicCompression } from '../../../src/cluster/topic-compression.js';

const records = Array.from({ length: 50 }, (_, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(`value ${i} `.repeat(10)), timestamp: 1_700_000_000_000 + i }));

function batch(compression: Compression): Buffer {
  return buildRecordBatch({ compression, producerId: 77, producerEpoch: 3, baseSequence: 12, transactional: true, records });
}

describe('recompressBatches', () => {
  it('rewrites only the codec: header fields, flags and records are kept, the CRC is valid', () => {
    for (const [from, to] of [
      [Compression.None, Compression.Gzip],
      [Compression.Lz4, Compression.None],
      [Compression.Snappy, Compression.Zstd],
    ] as const) {
      const src = batch(from);
      const out = recompressBatches(src, [readBatchHeader(src, 0)], to, { maxInflatedBytes: 1 << 20 });
      const h = out.batches[0]!;
      const before = readBatchHeader(src, 0);
      expect(batchCompression(h.attributes)).toBe(to);
      expect(h.attributes & ATTR_TRANSACTIONAL).toBe(ATTR_TRANSACTIONAL);
      expect({ ...h, attributes: 0, size: 0 }).toEqual({ ...before, attributes: 0, size: 0 });
      expect(h.size).toBe(out.data.length);
      expect(batchCrcMatches(out.data, 0, h.size)).toBe(true);
      expect(decodeRecordBatch(out.data, 0).records.map((r) => [r.key?.toString(), r.value?.toString(), r.timestamp])).toEqual(
        records.map((r) => [r.key.toString(), r.value.toString(), r.timestamp]),
      );
    }
  });

  it('refuses malformed uncompressed records instead of sealing them into a compressed batch', () => {
    const src = batch(Compression.None);
    src.writeInt32BE(51, 57); // records count no longer matches
    expect(() => recompressBatches(src, [readBatchHeader(src, 0)], Compression.Gzip, { maxInflatedBytes: 1 << 20 })).toThrow(RecordsError);
  });

  it('answers MESSAGE_TOO_LARGE when the rewritten batch exceeds max.message.bytes', () => {
    const src = batch(Compression.Gzip);
    const cfg = { get: (k: string) => ({ 'compression.type': 'uncompressed', 'compression.gzip.level': -1, 'compression.zstd.level': 3 })[k] } as never;
    const r = applyTopicCompression(cfg, src, [readBatchHeader(src, 0)], src.length + 10);
    expect(r).toMatchObject({ errorCode: 10 });
  });
});
