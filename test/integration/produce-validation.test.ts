// Record-level produce validation (src/handlers/produce-records.ts) with the raw client:
// decompression bombs, compressed batches whose records disagree with their header, timestamp
// bounds, and that whatever is accepted can be down-converted for Fetch v0-3 consumers.
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { buildRecordBatch } from '../../protocol/records/batch-builder.js';
import {
  BATCH_HEADER_SIZE,
  Compression,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  OFF_ATTRIBUTES,
  OFF_BASE_TIMESTAMP,
  OFF_BATCH_LENGTH,
  OFF_CRC,
  OFF_LAST_OFFSET_DELTA,
  OFF_MAX_TIMESTAMP,
  OFF_PRODUCER_EPOCH,
  OFF_PRODUCER_ID,
  OFF_BASE_SEQUENCE,
  OFF_RECORDS_COUNT,
  computeBatchCrc,
  writeInt64,
} from '../../protocol/records/batch-header.js';
import { readLegacyMessageSet } from '../../protocol/records/legacy-message.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';

let tb: TestBroker;
let c: RawClient;
const MiB = 1024 * 1024;

async function createTopic(name: string, configs: Record<string, string> = {}): Promise<void> {
  const r = await c.send(19, 7, {
    topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: Object.entries(configs).map(([k, v]) => ({ name: k, value: v })) }],
    timeoutMs: 5000,
    validateOnly: false,
  });
  expect(r.topics[0].errorCode).toBe(0);
}

beforeAll(async () => {
  tb = await startTestBroker({ 'auto.create.topics.enable': 'false' });
  c = await RawClient.connect(tb.port);
});
afterAll(async () => {
  c?.close();
  await tb?.cleanup();
});

async function produce(topic: string, records: Buffer, version = 9) {
  const r = await c.send(0, version, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
  return r.responses[0].partitionResponses[0];
}

async function fetchV(version: number, topic: string, offset = 0) {
  const r = await c.send(1, version, {
    replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 8 * MiB, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, forgottenTopicsData: [], rackId: '',
    topics: [{ topic, partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: 8 * MiB, logStartOffset: -1, currentLeaderEpoch: -1 }] }],
  });
  return r.responses[0].partitions[0];
}

/** A v2 batch header around an arbitrary (possibly lying) records section. */
function rawBatch(body: Buffer, codec: Compression, count: number, baseTimestamp = Date.now()): Buffer {
  const size = BATCH_HEADER_SIZE + body.length;
  const buf = Buffer.alloc(size);
  buf.writeInt32BE(size - LOG_OVERHEAD, OFF_BATCH_LENGTH);
  buf.writeInt32BE(-1, 12);
  buf.writeInt8(2, MAGIC_OFFSET);
  buf.writeInt16BE(codec, OFF_ATTRIBUTES);
  buf.writeInt32BE(count - 1, OFF_LAST_OFFSET_DELTA);
  writeInt64(buf, OFF_BASE_TIMESTAMP, baseTimestamp);
  writeInt64(buf, OFF_MAX_TIMESTAMP, baseTimestamp);
  writeInt64(buf, OFF_PRODUCER_ID, -1);
  buf.writeInt16BE(-1, OFF_PRODUCER_EPOCH);
  buf.writeInt32BE(-1, OFF_BASE_SEQUENCE);
  buf.writeInt32BE(count, OFF_RECORDS_COUNT);
  body.copy(buf, BATCH_HEADER_SIZE);
  buf.writeUInt32BE(computeBatchCrc(buf, 0, size), OFF_CRC);
  return buf;
}

/** Rewrites a built batch's record count (and lastOffsetDelta, so the header stays self-consistent). */
function withCount(batch: Buffer, count: number): Buffer {
  const b = Buffer.from(batch);
  b.writeInt32BE(count - 1, OFF_LAST_OFFSET_DELTA);
  b.writeInt32BE(count, OFF_RECORDS_COUNT);
  b.writeUInt32BE(computeBatchCrc(b, 0, b.length), OFF_CRC);
  return b;
}

const records = (n: number, tag: string) =>
  Array.from({ length: n }, (_, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(`${tag}-${i}-${'x'.repeat(200)}`), timestamp: 1_700_000_000_000 + i }));

describe('compressed produce validation', () => {
  it('refuses a gzip bomb (1 GiB of zeros in 1 MB, header count 1) with MESSAGE_TOO_LARGE and stores nothing', async () => {
    await createTopic('pv-bomb', { 'max.message.bytes': String(2 * MiB) });
    // 64 concatenated gzip members of 16 MiB of zeros each: 1 GiB inflated, ~1 MB on the wire.
    const member = gzipSync(Buffer.alloc(16 * MiB), { level: 9 });
    const bomb = Buffer.concat(Array.from({ length: 64 }, () => member));
    expect(bomb.length).toBeLessThan(1.1 * MiB);
    expect(gunzipSync(bomb.subarray(0, member.length * 2)).length).toBe(32 * MiB); // members really concatenate
    const rssBefore = process.memoryUsage().rss;
    const res = await produce('pv-bomb', rawBatch(bomb, Compression.Gzip, 1));
    expect(res.errorCode).toBe(ErrorCode.MESSAGE_TOO_LARGE);
    // Inflation stopped at the bound (64 MiB here), nowhere near the 1 GiB the batch holds.
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(512 * MiB);
    const f = await fetchV(11, 'pv-bomb');
    expect(f.errorCode).toBe(0);
    expect(f.highWatermark).toBe(0);
    expect(f.records?.length ?? 0).toBe(0);
    const ok = await produce('pv-bomb', buildRecordBatch({ compression: Compression.Gzip, records: records(3, 'after-bomb') }));
    expect(ok).toMatchObject({ errorCode: 0, baseOffset: 0 });
  });

  it.each([
    ['gzip', Compression.Gzip],
    ['snappy', Compression.Snappy],
    ['lz4', Compression.Lz4],
    ['zstd', Compression.Zstd],
  ])('refuses a %s batch whose record count disagrees with its header with INVALID_RECORD', async (name, codec) => {
    const topic = `pv-count-${name}`;
    await createTopic(topic);
    const good = buildRecordBatch({ compression: codec, records: records(3, name) });
    for (const lie of [2, 4, 1000]) {
      const res = await produce(topic, withCount(good, lie));
      expect(res.errorCode, `count ${lie}`).toBe(ErrorCode.INVALID_RECORD);
    }
    expect(await produce(topic, good)).toMatchObject({ errorCode: 0, baseOffset: 0 });
  });

  it('refuses an uncompressed batch claiming more records than its bytes can hold (O(1) check, no walk)', async () => {
    await createTopic('pv-count-none');
    const good = buildRecordBatch({ records: records(3, 'none') });
    expect((await produce('pv-count-none', withCount(good, 1000))).errorCode).toBe(ErrorCode.INVALID_RECORD);
    expect(await produce('pv-count-none', good)).toMatchObject({ errorCode: 0, baseOffset: 0 });
    const f = await fetchV(3, 'pv-count-none');
    expect(f.errorCode).toBe(0);
    expect(readLegacyMessageSet(f.records).map((m) => m.offset)).toEqual([0, 1, 2]);
  });

  it('down-converts what decodes of an uncompressed batch whose count is wrong but plausible (not walked on produce)', async () => {
    await createTopic('pv-plausible');
    const good = buildRecordBatch({ records: records(3, 'plausible') });
    // 4 declared, 3 present: within the O(1) bound, so the header-only fast path stores it (offsets 0-3).
    expect(await produce('pv-plausible', withCount(good, 4))).toMatchObject({ errorCode: 0, baseOffset: 0 });
    expect(await produce('pv-plausible', good)).toMatchObject({ errorCode: 0, baseOffset: 4 });
    const f = await fetchV(2, 'pv-plausible');
    expect(f.errorCode).toBe(0);
    expect(readLegacyMessageSet(f.records).map((m) => m.offset)).toEqual([0, 1, 2, 4, 5, 6]);
  });

  it('refuses compressed records whose offset deltas are not sequential', async () => {
    await createTopic('pv-deltas');
    const rs = records(3, 'gap').map((r, i) => ({ ...r, offsetDelta: i === 2 ? 5 : i }));
    const gapped = buildRecordBatch({ compression: Compression.Gzip, records: rs, lastOffsetDelta: 2 });
    expect((await produce('pv-deltas', gapped)).errorCode).toBe(ErrorCode.INVALID_RECORD);
  });

  it('answers CORRUPT_MESSAGE for compressed bytes that do not decompress', async () => {
    await createTopic('pv-garbage');
    const res = await produce('pv-garbage', rawBatch(Buffer.from('definitely not gzip data'), Compression.Gzip, 1));
    expect(res.errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
  });

  it('down-converts every accepted compressed batch for Fetch v2 (magic 1) and v0 (magic 0) consumers', async () => {
    await createTopic('pv-legacy');
    // A lying batch first: before validation it was stored and broke the whole legacy fetch.
    const good = buildRecordBatch({ compression: Compression.Gzip, records: records(3, 'legacy') });
    expect((await produce('pv-legacy', withCount(good, 4))).errorCode).toBe(ErrorCode.INVALID_RECORD);
    expect((await produce('pv-legacy', good)).errorCode).toBe(0);
    expect((await produce('pv-legacy', buildRecordBatch({ compression: Compression.Snappy, records: records(2, 'snappy') }))).errorCode).toBe(0);
    const f = await fetchV(2, 'pv-legacy');
    expect(f.errorCode).toBe(0);
    const wrappers = readLegacyMessageSet(f.records);
    expect(wrappers.map((w) => [w.magic, w.attributes & 7, w.offset])).toEqual([[1, Compression.Gzip, 2], [1, Compression.Snappy, 4]]);
    const inner = readLegacyMessageSet(gunzipSync(wrappers[0]!.value!));
    expect(inner.map((m) => m.value!.toString().split('-').slice(0, 2).join('-'))).toEqual(['legacy-0', 'legacy-1', 'legacy-2']);
    expect(inner.map((m) => m.timestamp)).toEqual([1_700_000_000_000, 1_700_000_000_001, 1_700_000_000_002]);
    // Fetch v0 (magic 0): same wrappers, inner offsets absolute, no timestamps.
    const f0 = await fetchV(0, 'pv-legacy');
    expect(f0.errorCode).toBe(0);
    const w0 = readLegacyMessageSet(f0.records);
    expect(w0.map((w) => [w.magic, w.attributes & 7, w.offset])).toEqual([[0, Compression.Gzip, 2], [0, Compression.Snappy, 4]]);
    expect(readLegacyMessageSet(gunzipSync(w0[0]!.value!)).map((m) => [m.offset, m.key!.toString()])).toEqual([[0, 'k0'], [1, 'k1'], [2, 'k2']]);
  });

  it('writes the true max timestamp into a compressed batch whose header has -1', async () => {
    await createTopic('pv-maxts');
    const b = buildRecordBatch({ compression: Compression.Gzip, records: records(5, 'ts'), maxTimestamp: -1 });
    expect((await produce('pv-maxts', b)).errorCode).toBe(0);
    const f = await fetchV(11, 'pv-maxts');
    expect(Number(f.records.readBigInt64BE(OFF_MAX_TIMESTAMP))).toBe(1_700_000_000_004);
    // ...with a CRC that still checks out (fetchers verify it).
    expect(f.records.readUInt32BE(OFF_CRC)).toBe(computeBatchCrc(f.records, 0, f.records.length));
  });
});

describe('timestamp bounds (message.timestamp.before/after.max.ms)', () => {
  it('refuses records outside the window with INVALID_TIMESTAMP and lists them', async () => {
    await createTopic('pv-window', { 'message.timestamp.before.max.ms': '3600000', 'message.timestamp.after.max.ms': '60000' });
    const now = Date.now();
    const old = buildRecordBatch({ records: [{ key: null, value: Buffer.from('ok'), timestamp: now }, { key: null, value: Buffer.from('old'), timestamp: now - 2 * 3600_000 }] });
    const res = await produce('pv-window', old);
    expect(res.errorCode).toBe(ErrorCode.INVALID_TIMESTAMP);
    expect(res.recordErrors).toEqual([{ batchIndex: 1, batchIndexErrorMessage: expect.stringContaining('is out of range') }]);
    const future = buildRecordBatch({ compression: Compression.Gzip, records: [{ key: null, value: Buffer.from('future'), timestamp: now + 3600_000 }] });
    expect((await produce('pv-window', future)).errorCode).toBe(ErrorCode.INVALID_TIMESTAMP);
    const fine = buildRecordBatch({ records: [{ key: null, value: Buffer.from('now'), timestamp: Date.now() - 1000 }] });
    expect(await produce('pv-window', fine)).toMatchObject({ errorCode: 0, baseOffset: 0 });
  });
});

describe('max timestamp of uncompressed batches whose header disagrees (sarama writes -1)', () => {
  it('finds records by timestamp as Kafka does', async () => {
    await createTopic('pv-sarama-like');
    const t0 = 1_700_000_000_000;
    const rs = Array.from({ length: 100 }, (_, i) => ({ key: null, value: Buffer.from(`ts-${i}`), timestamp: t0 + i * 1000 }));
    expect((await produce('pv-sarama-like', buildRecordBatch({ records: rs, maxTimestamp: -1 }))).errorCode).toBe(0);
    const lookup = async (timestamp: number) => {
      const r = await c.send(2, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'pv-sarama-like', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp }] }] });
      const p = r.topics[0].partitions[0];
      return [p.errorCode, p.offset, p.timestamp];
    };
    expect(await lookup(t0 - 5000)).toEqual([0, 0, t0]);
    expect(await lookup(t0 + 50_500)).toEqual([0, 51, t0 + 51_000]);
    expect(await lookup(-3)).toEqual([0, 99, t0 + 99_000]); // MAX_TIMESTAMP
  });
});
