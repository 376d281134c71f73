import { describe, expect, it } from 'vitest';
import {
  BATCH_HEADER_SIZE,
  Compression,
  OFF_ATTRIBUTES,
  OFF_BATCH_LENGTH,
  OFF_CRC,
  OFF_LAST_OFFSET_DELTA,
  computeBatchCrc,
} from '../../../protocol/records/batch-header.js';
import { type BuildBatchOptions, buildRecordBatch } from '../../../protocol/records/batch-builder.js';
import { encodeLegacyMessageSet } from '../../../protocol/records/legacy-message.js';
import { validateProduceRecords } from '../../../protocol/records/validate.js';

const MAX = 1 << 20;
const records = [0, 1, 2].map((i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(`v${i}`), timestamp: 1000 + i }));
const batch = (o: Partial<BuildBatchOptions> = {}) => buildRecordBatch({ records, ...o });

function withCrc(buf: Buffer): Buffer {
  buf.writeUInt32BE(computeBatchCrc(buf, 0, buf.length), OFF_CRC);
  return buf;
}

function code(buf: Buffer, opts: Partial<Parameters<typeof validateProduceRecords>[1]> = {}): number {
  const res = validateProduceRecords(buf, { maxMessageBytes: MAX, ...opts });
  return res.ok ? 0 : res.errorCode;
}

describe('validateProduceRecords', () => {
  it('accepts a well-formed batch and returns its header', () => {
    const buf = batch({ compression: Compression.Lz4, producerId: 5, producerEpoch: 0, baseSequence: 0 });
    const res = validateProduceRecords(buf, { maxMessageBytes: MAX });
    expect(res.ok).toBe(true);
    if (res.ok) {
      expect(res.batches).toHaveLength(1);
      expect(res.batches[0]).toMatchObject({ position: 0, size: buf.length, recordsCount: 3, lastOffsetDelta: 2, producerId: 5 });
    }
  });

  it('checks headers and CRC only, never decompresses', () => {
    // Garbage "gzip" body with a valid CRC passes: decompression is the consumer's problem, as in Kafka's in-place path.
    const buf = Buffer.concat([batch({ compression: Compression.Gzip }).subarray(0, BATCH_HEADER_SIZE), Buffer.from('not gzip at all')]);
    buf.writeInt32BE(buf.length - 12, OFF_BATCH_LENGTH);
    expect(code(withCrc(buf))).toBe(0);
  });

  it('CORRUPT_MESSAGE (2): CRC mismatch, partial trailing batch, bad length, unknown codec', () => {
    const flipped = batch();
    flipped[flipped.length - 1] ^= 1;
    expect(code(flipped)).toBe(2);
    expect(code(batch().subarray(0, 40))).toBe(2);
    expect(code(Buffer.concat([batch(), batch().subarray(0, 30)]), { maxBatches: 2 })).toBe(2);
    expect(code(Buffer.concat([batch(), Buffer.alloc(5)]), { maxBatches: 2 })).toBe(2);
    const shortLen = batch();
    shortLen.writeInt32BE(10, OFF_BATCH_LENGTH);
    expect(code(shortLen)).toBe(2);
    const codec6 = batch();
    codec6.writeInt16BE(6, OFF_ATTRIBUTES);
    expect(code(withCrc(codec6))).toBe(2);
  });

  it('MESSAGE_TOO_LARGE (10): batch above max.message.bytes', () => {
    const buf = batch();
    expect(code(buf, { maxMessageBytes: buf.length })).toBe(0);
    expect(code(buf, { maxMessageBytes: buf.length - 1 })).toBe(10);
  });

  it('INVALID_RECORD (87): empty, magic != 2, several batches, offsets/count, control, sequence', () => {
    expect(code(Buffer.alloc(0))).toBe(87);
    expect(code(encodeLegacyMessageSet([{ offset: 0, magic: 1, attributes: 0, timestamp: 1, key: null, value: null }]))).toBe(87);
    expect(code(Buffer.concat([batch(), batch()]))).toBe(87);
    expect(code(Buffer.concat([batch(), batch()]), { maxBatches: 2 })).toBe(0);
    expect(code(batch({ baseOffset: 7 }))).toBe(87);
    expect(code(batch({ records: [], lastOffsetDelta: 0 }))).toBe(87);
    const delta = batch();
    delta.writeInt32BE(5, OFF_LAST_OFFSET_DELTA);
    expect(code(withCrc(delta))).toBe(87);
    expect(code(batch({ control: true, transactional: true }))).toBe(87);
    expect(code(batch({ producerId: 3, producerEpoch: 0, baseSequence: -1 }))).toBe(87);
  });

  it('INVALID_TIMESTAMP (32): producers may not claim LogAppendTime', () => {
    expect(code(batch({ timestampType: 'LogAppendTime' }))).toBe(32);
  });

  it('UNSUPPORTED_COMPRESSION_TYPE (76): zstd when the produce version forbids it', () => {
    const z = batch({ compression: Compression.Zstd });
    expect(code(z)).toBe(0);
    expect(code(z, { allowZstd: false })).toBe(76);
  });
});
