import { describe, expect, it } from 'vitest';
import { Compression } from '../../../protocol/records/batch-header.js';
import { buildControlBatch, buildRecordBatch } from '../../../protocol/records/batch-builder.js';
import { compress, decompress } from '../../../protocol/records/compression.js';
import { downConvertBatches, isLegacyMessageSet, upConvertMessageSet } from '../../../protocol/records/legacy.js';
import { type LegacyMessage, encodeLegacyMessageSet, readLegacyMessageSet } from '../../../protocol/records/legacy-message.js';
import { decompressLz4, xxh32 } from '../../../protocol/records/lz4-frame.js';
import { decodeRecordBatch } from '../../../protocol/records/record-codec.js';
import { RecordsError } from '../../../protocol/records/records-error.js';
import { validateProduceRecords } from '../../../protocol/records/validate.js';
import { sameBytes } from './compare.js';
import { type PyBatch, b64, must, runPython, unb64 } from './kafka-python-oracle.js';
import { type RandomRecord, randInt, randomRecords, rng } from './random-data.js';

const LEGACY_CODECS = [Compression.None, Compression.Gzip, Compression.Snappy, Compression.Lz4];
const NOW = 1_750_000_000_000;

function upOk(buf: Buffer, opts: Parameters<typeof upConvertMessageSet>[1] = { now: NOW }) {
  const res = upConvertMessageSet(buf, opts);
  if ('error' in res) throw new Error(`unexpected ${res.error}: ${res.message}`);
  return res;
}

function upError(buf: Buffer, opts: Parameters<typeof upConvertMessageSet>[1] = { now: NOW }): string {
  const res = upConvertMessageSet(buf, opts);
  if (!('error' in res)) return 'none';
  expect(res.errorCode).toBeGreaterThan(0);
  return res.error;
}

const noHeaders = (recs: RandomRecord[]) => recs.map((x) => ({ ...x, headers: [] }));

describe('up-conversion of kafka-python message sets', () => {
  const r = rng(2024);
  const cases = [0, 1].flatMap((magic) =>
    LEGACY_CODECS.map((codec) => ({ magic: magic as 0 | 1, codec, recs: noHeaders(randomRecords(r, randInt(r, 1, 25), NOW, true)) })),
  );
  const built = runPython(
    cases.map((c) => ({
      op: 'build_legacy' as const,
      magic: c.magic,
      codec: c.codec,
      records: c.recs.map((x) => ({ key: b64(x.key), value: b64(x.value), timestamp: x.timestamp })),
    })),
  ).map((x) => unb64(must(x).data)!);

  it('keeps records, timestamps (magic 1) and the client codec, for magic 0/1 x every codec', () => {
    const converted: Buffer[] = [];
    cases.forEach((c, i) => {
      const label = `magic ${c.magic} codec ${c.codec}`;
      expect(isLegacyMessageSet(built[i]!), label).toBe(true);
      const res = upOk(built[i]!);
      expect(res.compression, label).toBe(c.codec);
      expect(res.recordCount).toBe(c.recs.length);
      const batch = decodeRecordBatch(res.records);
      expect(batch.compression, label).toBe(c.codec);
      expect(batch.producerId).toBe(-1);
      expect(batch.records.map((x) => x.offset)).toEqual(c.recs.map((_, j) => j));
      batch.records.forEach((rec, j) => {
        expect(sameBytes(rec.key, c.recs[j]!.key), label).toBe(true);
        expect(sameBytes(rec.value, c.recs[j]!.value), label).toBe(true);
        expect(rec.timestamp, label).toBe(c.magic === 0 ? -1 : c.recs[j]!.timestamp);
      });
      expect(batch.maxTimestamp).toBe(c.magic === 0 ? -1 : Math.max(...c.recs.map((x) => x.timestamp)));
      expect(validateProduceRecords(res.records, { maxMessageBytes: 10 << 20 }).ok, label).toBe(true);
      converted.push(res.records);
    });
    // kafka-python accepts the converted batches too.
    runPython(converted.map((data) => ({ op: 'parse' as const, data: b64(data) }))).forEach((x, i) => {
      const pb = must(x).batches![0]!;
      expect(pb.crc_ok).toBe(true);
      expect(pb.compression).toBe(cases[i]!.codec);
      expect(pb.records.length).toBe(cases[i]!.recs.length);
    });
  });

  it('rejects a flipped byte (CRC) and truncation with CORRUPT_MESSAGE', () => {
    for (const buf of built) {
      const bad = Buffer.from(buf);
      bad[randInt(r, 17, bad.length - 1)] ^= 0x10;
      expect(upError(bad)).toBe('CORRUPT_MESSAGE');
      expect(upError(buf.subarray(0, buf.length - 1))).toBe('CORRUPT_MESSAGE');
    }
  });
});

function msg(m: Partial<LegacyMessage>): LegacyMessage {
  return { offset: 0, magic: 1, attributes: 0, timestamp: NOW, key: null, value: Buffer.from('v'), ...m };
}

describe('up-conversion rules', () => {
  it('empty input converts to nothing; a v2 batch is not a legacy set', () => {
    expect(upOk(Buffer.alloc(0))).toMatchObject({ recordCount: 0 });
    expect(isLegacyMessageSet(buildRecordBatch({ records: [{ key: null, value: null }] }))).toBe(false);
  });

  it('rejects structural violations with Kafka’s error codes', () => {
    const inner = encodeLegacyMessageSet([msg({ offset: 0 }), msg({ offset: 1 })]);
    const wrapper = (codec: number, value: Buffer, magic: 0 | 1 = 1) => msg({ magic, attributes: codec, value });
    const gz = compress(Compression.Gzip, inner);
    expect(upError(encodeLegacyMessageSet([wrapper(1, gz), wrapper(1, gz)]))).toBe('INVALID_RECORD');
    expect(upError(encodeLegacyMessageSet([msg({ magic: 0 }), msg({ magic: 1 })]))).toBe('INVALID_RECORD');
    const doubly = compress(Compression.Gzip, encodeLegacyMessageSet([wrapper(1, gz)]));
    expect(upError(encodeLegacyMessageSet([wrapper(1, doubly)]))).toBe('INVALID_RECORD');
    expect(upError(encodeLegacyMessageSet([wrapper(1, compress(Compression.Gzip, encodeLegacyMessageSet([msg({ magic: 0 })])))]))).toBe(
      'INVALID_RECORD',
    );
    expect(upError(encodeLegacyMessageSet([wrapper(4, compress(Compression.Zstd, inner))]))).toBe('UNSUPPORTED_COMPRESSION_TYPE');
    expect(upError(encodeLegacyMessageSet([msg({ attributes: 1, value: null })]))).toBe('CORRUPT_MESSAGE');
    expect(upError(encodeLegacyMessageSet([wrapper(1, Buffer.from('not gzip'))]))).toBe('CORRUPT_MESSAGE');
    const big = encodeLegacyMessageSet([msg({ value: Buffer.alloc(5000) })]);
    expect(upError(big, { now: NOW, maxMessageBytes: 4000 })).toBe('MESSAGE_TOO_LARGE');
    expect(upError(big, { now: NOW, maxMessageBytes: 6000 })).toBe('none');
  });

  it('enforces the decompression limit on compressed wrappers', () => {
    const many = encodeLegacyMessageSet(Array.from({ length: 200 }, (_, i) => msg({ offset: i, value: Buffer.alloc(10_000) })));
    const bomb = encodeLegacyMessageSet([msg({ attributes: Compression.Gzip, value: compress(Compression.Gzip, many) })]);
    expect(bomb.length).toBeLessThan(20_000);
    expect(upError(bomb, { now: NOW, maxDecompressedBytes: 1 << 20 })).toBe('MESSAGE_TOO_LARGE');
    expect(upOk(bomb, { now: NOW, maxDecompressedBytes: 4 << 20 }).recordCount).toBe(200);
  });

  it('preserves a producer LogAppendTime wrapper (which produce validation then rejects)', () => {
    const inner = encodeLegacyMessageSet([msg({ offset: 0, timestamp: 5 }), msg({ offset: 1, timestamp: 6 })]);
    const set = encodeLegacyMessageSet([msg({ attributes: Compression.Snappy | 0x08, timestamp: 777, value: compress(Compression.Snappy, inner) })]);
    const batch = decodeRecordBatch(upOk(set).records);
    expect(batch.timestampType).toBe('LogAppendTime');
    expect(batch.maxTimestamp).toBe(777);
    expect(batch.records.map((x) => x.timestamp)).toEqual([777, 777]);
    expect(validateProduceRecords(upOk(set).records, { maxMessageBytes: 1 << 20 })).toMatchObject({ ok: false, errorCode: 32 });
  });

  it('a LogAppendTime topic stamps the batch with `now`', () => {
    const set = encodeLegacyMessageSet([msg({ timestamp: 5 })]);
    const batch = decodeRecordBatch(upOk(set, { now: NOW, timestampType: 'LogAppendTime' }).records);
    expect(batch.timestampType).toBe('LogAppendTime');
    expect(batch.records[0]!.timestamp).toBe(NOW);
  });
});

describe('down-conversion for Fetch v0-3', () => {
  const r = rng(77);
  // A log slice: batches of every legacy codec, a transaction marker and a LogAppendTime batch.
  const sets = LEGACY_CODECS.map(() => randomRecords(r, randInt(r, 1, 12), NOW, true));
  let next = 1000;
  const expected: { offset: number; rec: RandomRecord; logAppend: number | null }[] = [];
  const parts: Buffer[] = [];
  LEGACY_CODECS.forEach((codec, i) => {
    parts.push(buildRecordBatch({ baseOffset: next, compression: codec, records: sets[i]! }));
    sets[i]!.forEach((rec, j) => expected.push({ offset: next + j, rec, logAppend: null }));
    next += sets[i]!.length;
    if (i === 1) parts.push(buildControlBatch({ type: 'COMMIT', producerId: 1, producerEpoch: 0, coordinatorEpoch: 0, timestamp: NOW, baseOffset: next++ }));
  });
  const lat = randomRecords(r, 3, NOW, true);
  parts.push(buildRecordBatch({ baseOffset: next, compression: Compression.Lz4, timestampType: 'LogAppendTime', maxTimestamp: NOW + 1, records: lat }));
  lat.forEach((rec, j) => expected.push({ offset: next + j, rec, logAppend: NOW + 1 }));
  const log = Buffer.concat(parts);

  const converted = [0, 1].map((magic) => downConvertBatches(log, magic));
  const parsed = runPython(converted.map((data) => ({ op: 'parse' as const, data: b64(data) }))).map((x) => must(x).batches!);

  for (const magic of [0, 1]) {
    it(`kafka-python reads magic ${magic} with absolute offsets, codecs kept, control batch skipped`, () => {
      const batches: PyBatch[] = parsed[magic]!;
      expect(batches.every((b) => b.crc_ok && b.magic === magic)).toBe(true);
      // Uncompressed batch -> one message per record; compressed -> one wrapper per batch.
      expect(batches.map((b) => b.compression)).toEqual([...sets[0]!.map(() => 0), 1, 2, 3, 3]);
      const recs = batches.flatMap((b) => b.records);
      expect(recs.map((x) => x.offset)).toEqual(expected.map((e) => e.offset));
      recs.forEach((x, i) => {
        const e = expected[i]!;
        expect(sameBytes(unb64(x.key), e.rec.key)).toBe(true);
        expect(sameBytes(unb64(x.value), e.rec.value)).toBe(true);
        if (magic === 0) expect(x.timestamp).toBe(null); // kafka-python's "no timestamp"
        else expect(x.timestamp).toBe(e.logAppend ?? e.rec.timestamp);
        if (magic === 1) expect(x.timestamp_type).toBe(e.logAppend === null ? 0 : 1);
      });
    });
  }

  it('LZ4 wrappers carry the broken header checksum for magic 0 only, and up-convert back', () => {
    for (const magic of [0, 1]) {
      const set = converted[magic]!;
      const wrappers: Buffer[] = [];
      for (let pos = 0; pos < set.length; pos += 12 + set.readInt32BE(pos + 8)) {
        wrappers.push(set.subarray(pos, pos + 12 + set.readInt32BE(pos + 8)));
      }
      const lz4Wrapper = wrappers[wrappers.length - 2]!; // the batch built from sets[3]
      const frame = lz4Wrapper.subarray(magic === 0 ? 26 : 34);
      const broken = (xxh32(frame.subarray(0, 6)) >>> 8) & 0xff;
      const correct = (xxh32(frame.subarray(4, 6)) >>> 8) & 0xff;
      expect(frame[6]).toBe(magic === 0 ? broken : correct);
      const batch = decodeRecordBatch(upOk(lz4Wrapper).records);
      expect(batch.compression).toBe(Compression.Lz4);
      expect(batch.records.length).toBe(sets[3]!.length);
      batch.records.forEach((x, j) => expect(sameBytes(x.value, sets[3]![j]!.value)).toBe(true));
    }
  });

  it('inner offsets of compressed wrappers: relative for magic 1, absolute for magic 0', () => {
    for (const magic of [0, 1]) {
      const wrappers = readLegacyMessageSet(converted[magic]!).filter((m) => (m.attributes & 7) !== 0);
      expect(wrappers.length).toBe(4);
      for (const w of wrappers) {
        const codec = (w.attributes & 7) as Compression;
        const inner = readLegacyMessageSet(codec === Compression.Lz4 ? decompressLz4(w.value!, 1 << 24, true) : decompress(codec, w.value!));
        const last = inner[inner.length - 1]!.offset;
        const base = w.offset - (inner.length - 1);
        expect(inner.map((m) => m.offset)).toEqual(inner.map((_, j) => (magic === 1 ? j : base + j)));
        expect(magic === 1 ? base + last : last).toBe(w.offset);
      }
    }
  });

  it('drops records below firstOffset only for uncompressed batches', () => {
    const offsetsFrom = (first: number) => {
      const [res] = runPython([{ op: 'parse', data: b64(downConvertBatches(log, 1, { firstOffset: first })) }]);
      return must(res!).batches!.flatMap((b) => b.records.map((x) => x.offset));
    };
    const fromSecond = offsetsFrom(1001); // inside (or just after) the uncompressed first batch
    expect(fromSecond[0]).toBe(1001);
    expect(fromSecond.length).toBe(expected.length - 1);
    const gzipStart = 1000 + sets[0]!.length;
    const insideGzip = offsetsFrom(gzipStart + 1); // a compressed batch is returned whole
    expect(insideGzip[0]).toBe(gzipStart);
  });

  it('zstd batches cannot be down-converted (Kafka answers UNSUPPORTED_COMPRESSION_TYPE)', () => {
    const z = buildRecordBatch({ compression: Compression.Zstd, records: [{ key: null, value: Buffer.from('x') }] });
    try {
      downConvertBatches(z, 1);
      expect.unreachable();
    } catch (e) {
      expect((e as RecordsError).errorName).toBe('UNSUPPORTED_COMPRESSION_TYPE');
    }
  });

  it('ignores a torn tail', () => {
    const cut = log.subarray(0, log.length - 5);
    const full = downConvertBatches(log, 1);
    const part = downConvertBatches(cut, 1);
    expect(part.length).toBeGreaterThan(0);
    expect(part.equals(full.subarray(0, part.length))).toBe(true);
  });
});
