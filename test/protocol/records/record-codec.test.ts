import { describe, expect, it } from 'vitest';
import { Compression, OFF_CRC, OFF_RECORDS_COUNT, computeBatchCrc } from '../../../protocol/records/batch-header.js';
import { buildControlBatch, buildRecordBatch } from '../../../protocol/records/batch-builder.js';
import {
  type DecodedRecord,
  decodeControlRecord,
  decodeRecordBatch,
  decodeRecordBatches,
} from '../../../protocol/records/record-codec.js';
import { RecordsError } from '../../../protocol/records/records-error.js';
import { validateProduceRecords } from '../../../protocol/records/validate.js';
import { sameBytes, sameHeaders } from './compare.js';
import { type PyRecord, b64, must, runPython, unb64 } from './kafka-python-oracle.js';
import { type RandomRecord, randInt, randomRecords, rng } from './random-data.js';

const CODECS = [Compression.None, Compression.Gzip, Compression.Snappy, Compression.Lz4, Compression.Zstd];

function expectSameRecords(ours: DecodedRecord[], expected: RandomRecord[], baseOffset = 0): void {
  expect(ours.length).toBe(expected.length);
  ours.forEach((rec, i) => {
    const e = expected[i]!;
    expect(rec.offset).toBe(baseOffset + i);
    expect(rec.timestamp).toBe(e.timestamp);
    expect(sameBytes(rec.key, e.key), `key of record ${i}`).toBe(true);
    expect(sameBytes(rec.value, e.value), `value of record ${i}`).toBe(true);
    expect(sameHeaders(rec.headers, e.headers), `headers of record ${i}`).toBe(true);
  });
}

function expectPyRecords(py: PyRecord[], expected: RandomRecord[], baseOffset = 0): void {
  expect(py.length).toBe(expected.length);
  py.forEach((rec, i) => {
    const e = expected[i]!;
    expect(rec.offset).toBe(baseOffset + i);
    expect(rec.timestamp).toBe(e.timestamp);
    expect(sameBytes(unb64(rec.key), e.key), `key of record ${i}`).toBe(true);
    expect(sameBytes(unb64(rec.value), e.value), `value of record ${i}`).toBe(true);
    expect(sameHeaders(rec.headers.map(([k, v]) => ({ key: k, value: unb64(v) })), e.headers)).toBe(true);
  });
}

const toPy = (recs: RandomRecord[]) =>
  recs.map((x) => ({
    key: b64(x.key),
    value: b64(x.value),
    timestamp: x.timestamp,
    headers: x.headers.map((h) => [h.key, b64(h.value)] as [string, string | null]),
  }));

describe('v2 batches against kafka-python', () => {
  const r = rng(1234);
  const sets = CODECS.map(() => randomRecords(r, randInt(r, 20, 60), 1_700_000_000_000, true));

  it('decodes batches kafka-python built, for every codec', () => {
    const res = runPython(
      CODECS.map((codec, i) => ({
        op: 'build_v2' as const,
        codec,
        records: toPy(sets[i]!),
        transactional: i % 2 === 1,
        producer_id: i % 2 === 1 ? 4000 + i : -1,
        producer_epoch: i % 2 === 1 ? 3 : -1,
        base_sequence: i % 2 === 1 ? 17 : -1,
      })),
    );
    res.forEach((x, i) => {
      const buf = unb64(must(x).data)!;
      const batch = decodeRecordBatch(buf);
      const recs = sets[i]!;
      expect(batch.compression).toBe(CODECS[i]);
      expect(batch.recordsCount).toBe(recs.length);
      expect(batch.lastOffsetDelta).toBe(recs.length - 1);
      expect(batch.baseTimestamp).toBe(recs[0]!.timestamp);
      expect(batch.maxTimestamp).toBe(Math.max(...recs.map((x) => x.timestamp)));
      expect(batch.transactional).toBe(i % 2 === 1);
      expect(batch.producerId).toBe(i % 2 === 1 ? 4000 + i : -1);
      expect(batch.baseSequence).toBe(i % 2 === 1 ? 17 : -1);
      expect(batch.timestampType).toBe('CreateTime');
      expectSameRecords(batch.records, recs);
      expect(validateProduceRecords(buf, { maxMessageBytes: 10 << 20 }).ok).toBe(true);
    });
  });

  it('kafka-python validates and decodes batches we built, for every codec', () => {
    const built = CODECS.map((codec, i) =>
      buildRecordBatch({
        baseOffset: 1000 * i,
        compression: codec,
        producerId: 77,
        producerEpoch: 2,
        baseSequence: 5,
        transactional: i === 2,
        records: sets[i]!,
      }),
    );
    const res = runPython(built.map((b) => ({ op: 'parse' as const, data: b64(b) })));
    res.forEach((x, i) => {
      const [batch] = must(x).batches!;
      expect(batch!.crc_ok).toBe(true);
      expect(batch!.magic).toBe(2);
      expect(batch!.compression).toBe(CODECS[i]);
      expect(batch!.base_offset).toBe(1000 * i);
      expect(batch!.is_transactional).toBe(i === 2);
      expect(batch!.max_timestamp).toBe(Math.max(...sets[i]!.map((x) => x.timestamp)));
      expectPyRecords(batch!.records, sets[i]!, 1000 * i);
    });
  });
});

describe('one-record batches (written directly: coordinator records, markers)', () => {
  it('kafka-python validates and decodes them, and they decode back to the same record', () => {
    const r = rng(4242);
    const singles = Array.from({ length: 24 }, (_, i) => {
      const [rec] = randomRecords(r, 1);
      return { ...rec!, headers: [], offsetDelta: i % 3 === 0 ? undefined : randInt(r, 0, 300) };
    });
    const built = singles.map((rec, i) =>
      buildRecordBatch({
        baseOffset: 50 * i,
        producerId: i % 2 === 0 ? -1 : 9000 + i,
        producerEpoch: i % 2 === 0 ? -1 : 4,
        transactional: i % 4 === 1,
        control: false,
        baseTimestamp: i % 3 === 1 ? rec.timestamp - 7 : undefined,
        records: [{ key: rec.key, value: rec.value, timestamp: rec.timestamp, offsetDelta: rec.offsetDelta }],
      }),
    );
    const res = runPython(built.map((b) => ({ op: 'parse' as const, data: b64(b) })));
    res.forEach((x, i) => {
      const rec = singles[i]!;
      const [batch] = must(x).batches!;
      expect(batch!.crc_ok, `batch ${i}`).toBe(true);
      expect(batch!.is_transactional).toBe(i % 4 === 1);
      expect(batch!.max_timestamp).toBe(rec.timestamp);
      const [py] = batch!.records;
      expect(py!.offset).toBe(50 * i + (rec.offsetDelta ?? 0));
      expect(py!.timestamp).toBe(rec.timestamp);
      expect(sameBytes(unb64(py!.key), rec.key)).toBe(true);
      expect(sameBytes(unb64(py!.value), rec.value)).toBe(true);
      const ours = decodeRecordBatch(built[i]!);
      expect(ours.size).toBe(built[i]!.length);
      expect(ours.lastOffsetDelta).toBe(rec.offsetDelta ?? 0);
      expect(ours.baseTimestamp).toBe(i % 3 === 1 ? rec.timestamp - 7 : rec.timestamp);
      expect(ours.records[0]!.timestamp).toBe(rec.timestamp);
      expect(ours.records[0]!.headers).toEqual([]);
    });
  });

  it('a marker built directly is a valid control batch', () => {
    const buf = buildControlBatch({ type: 'COMMIT', producerId: 123, producerEpoch: 7, coordinatorEpoch: 3, timestamp: 1_700_000_000_123 });
    const batch = decodeRecordBatch(buf);
    expect(buf.readUInt32BE(OFF_CRC)).toBe(computeBatchCrc(buf, 0, buf.length));
    expect(batch.control).toBe(true);
    expect(batch.transactional).toBe(true);
    expect(batch.baseSequence).toBe(-1);
    expect(decodeControlRecord(batch.records[0]!)).toMatchObject({ type: 'COMMIT', coordinatorEpoch: 3 });
  });
});

describe('build/decode properties', () => {
  it('random records round-trip through every codec', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const r = rng(seed);
      const recs = randomRecords(r, randInt(r, 1, 30));
      const codec = CODECS[seed % CODECS.length]!;
      const baseOffset = randInt(r, 0, 2 ** 40);
      const buf = buildRecordBatch({ baseOffset, compression: codec, records: recs });
      const batch = decodeRecordBatch(buf);
      expect(batch.size, `seed ${seed}`).toBe(buf.length);
      expectSameRecords(batch.records, recs, baseOffset);
    }
  });

  it('decodes several batches in one buffer', () => {
    const r = rng(99);
    const a = randomRecords(r, 3);
    const b = randomRecords(r, 4);
    const buf = Buffer.concat([
      buildRecordBatch({ baseOffset: 10, records: a }),
      buildRecordBatch({ baseOffset: 13, compression: Compression.Zstd, records: b }),
    ]);
    const batches = decodeRecordBatches(buf);
    expect(batches.map((x) => x.baseOffset)).toEqual([10, 13]);
    expectSameRecords(batches[1]!.records, b, 13);
  });

  it('keeps offset gaps and an explicit lastOffsetDelta (compacted batches), and empty batches', () => {
    const buf = buildRecordBatch({
      baseOffset: 100,
      lastOffsetDelta: 9,
      records: [
        { key: Buffer.from('a'), value: null, offsetDelta: 0, timestamp: 5 },
        { key: Buffer.from('b'), value: Buffer.from('v'), offsetDelta: 7, timestamp: 3 },
      ],
    });
    const batch = decodeRecordBatch(buf);
    expect(batch.records.map((x) => x.offset)).toEqual([100, 107]);
    expect(batch.lastOffsetDelta).toBe(9);
    expect(batch.baseTimestamp).toBe(5);
    expect(batch.maxTimestamp).toBe(5);
    const empty = decodeRecordBatch(buildRecordBatch({ baseOffset: 4, lastOffsetDelta: 2, records: [] }));
    expect(empty.records).toEqual([]);
    expect(empty.lastOffsetDelta).toBe(2);
  });

  it('LogAppendTime batches report the batch maxTimestamp for every record', () => {
    const buf = buildRecordBatch({
      timestampType: 'LogAppendTime',
      maxTimestamp: 999_000,
      records: [
        { key: null, value: Buffer.from('x'), timestamp: 1 },
        { key: null, value: Buffer.from('y'), timestamp: 2 },
      ],
    });
    const batch = decodeRecordBatch(buf);
    expect(batch.timestampType).toBe('LogAppendTime');
    expect(batch.records.map((x) => x.timestamp)).toEqual([999_000, 999_000]);
  });

  it('builds transaction markers that decode as control records, and kafka-python agrees', () => {
    const commit = buildControlBatch({ type: 'COMMIT', producerId: 9, producerEpoch: 1, coordinatorEpoch: 42, timestamp: 1234, baseOffset: 50 });
    const abort = buildControlBatch({ type: 'ABORT', producerId: 9, producerEpoch: 1, coordinatorEpoch: 7, timestamp: 1235 });
    const c = decodeRecordBatch(commit);
    expect(c.control).toBe(true);
    expect(c.transactional).toBe(true);
    expect(c.baseSequence).toBe(-1);
    expect(decodeControlRecord(c.records[0]!)).toEqual({ type: 'COMMIT', coordinatorEpoch: 42 });
    expect(decodeControlRecord(decodeRecordBatch(abort).records[0]!)).toEqual({ type: 'ABORT', coordinatorEpoch: 7 });
    const [py] = runPython([{ op: 'parse', data: b64(commit) }]);
    const pb = must(py!).batches![0]!;
    expect(pb.crc_ok).toBe(true);
    expect(pb.is_control).toBe(true);
    expect(pb.base_offset).toBe(50);
    // Clients may not send control batches.
    expect(validateProduceRecords(abort, { maxMessageBytes: 1 << 20 })).toMatchObject({ ok: false, errorCode: 87 });
  });
});

describe('corrupt batches', () => {
  const r = rng(5);
  const recs = randomRecords(r, 20);

  function errorName(f: () => unknown): string {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(RecordsError);
      return (e as RecordsError).errorName;
    }
    return 'none';
  }

  it('a flipped byte anywhere in the CRC-covered part is a CRC error', () => {
    for (const codec of CODECS) {
      const buf = buildRecordBatch({ compression: codec, records: recs });
      for (let i = 0; i < 20; i++) {
        const pos = randInt(r, 21, buf.length - 1);
        const bad = Buffer.from(buf);
        bad[pos] ^= 1 << randInt(r, 0, 7);
        expect(errorName(() => decodeRecordBatch(bad))).toBe('CORRUPT_MESSAGE');
      }
    }
  });

  it('truncated batches are corrupt', () => {
    const buf = buildRecordBatch({ compression: Compression.Gzip, records: recs });
    for (const len of [0, 10, 60, 61, buf.length - 1]) {
      expect(errorName(() => decodeRecordBatch(buf.subarray(0, len)))).toBe('CORRUPT_MESSAGE');
    }
  });

  it('mutated records with a recomputed CRC never escape as anything but RecordsError', () => {
    for (const codec of [Compression.None, Compression.Snappy]) {
      const small = Array.from({ length: 6 }, (_, i) => ({
        key: i % 3 === 0 ? null : Buffer.from(`k${i}`),
        value: Buffer.from(`value ${i}`),
        headers: i % 2 ? [{ key: 'h', value: Buffer.from('x') }] : [],
      }));
      const buf = buildRecordBatch({ compression: codec, records: small });
      let rejected = 0;
      for (let i = 0; i < 400; i++) {
        const bad = Buffer.from(buf);
        for (let k = randInt(r, 1, 3); k > 0; k--) bad[randInt(r, 57, bad.length - 1)] = randInt(r, 0, 255);
        bad.writeUInt32BE(computeBatchCrc(bad, 0, bad.length), OFF_CRC);
        if (errorName(() => decodeRecordBatch(bad)) !== 'none') rejected++;
      }
      expect(rejected).toBeGreaterThan(100);
    }
  });

  it('a lying record count is rejected without allocating for it', () => {
    const buf = buildRecordBatch({ records: recs.slice(0, 2) });
    buf.writeInt32BE(0x7fffffff, OFF_RECORDS_COUNT);
    buf.writeUInt32BE(computeBatchCrc(buf, 0, buf.length), OFF_CRC);
    expect(errorName(() => decodeRecordBatch(buf))).toBe('CORRUPT_MESSAGE');
  });
});

describe('decodeRecordBatch lenient (down-conversion of header-only-validated batches)', () => {
  const three = buildRecordBatch({ records: [0, 1, 2].map((i) => ({ key: null, value: Buffer.from(`v${i}`), timestamp: 1000 + i })) });
  const withCount = (n: number) => {
    const b = Buffer.from(three);
    b.writeInt32BE(n - 1, 23);
    b.writeInt32BE(n, 57);
    return b;
  };
  it('returns the records that decode when the header declares more, or fewer, than the bytes hold', () => {
    expect(() => decodeRecordBatch(withCount(4), 0, { verifyCrc: false })).toThrow();
    expect(decodeRecordBatch(withCount(4), 0, { verifyCrc: false, lenient: true }).records.map((r) => r.offset)).toEqual([0, 1, 2]);
    expect(() => decodeRecordBatch(withCount(2), 0, { verifyCrc: false })).toThrow();
    expect(decodeRecordBatch(withCount(2), 0, { verifyCrc: false, lenient: true }).records.map((r) => r.offset)).toEqual([0, 1]);
    expect(decodeRecordBatch(withCount(100000), 0, { verifyCrc: false, lenient: true }).records).toHaveLength(3);
  });
});
