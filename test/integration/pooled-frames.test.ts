// Produce frames are read into pooled buffers that are reused once nobody holds them
// (protocol/wire/buffer-pool.ts). A buffer recycled too early would silently corrupt data: an
// acks=0 frame answered before its write, or a tail-cache view still being served. Here three waves
// of pipelined ~1 MB Produce frames (acks=0 and acks=1 mixed, all sent at once so frames follow
// each other within socket reads) go through one broker, ~96 MB in all: more than the tail
// cache's 64 MiB, so it evicts and buffers go back to the pool and round again. Every record
// must then read back intact, CRC included.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRecordBatch } from '../../protocol/records/batch-builder.js';
import { scanBatches } from '../../protocol/records/batch-header.js';
import { decodeRecordBatches } from '../../protocol/records/record-codec.js';
import { framePool } from '../../protocol/wire/buffer-pool.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';

let tb: TestBroker;
let c: RawClient;
let topicId: string;

const FRAMES = 32;
const RECORDS = 1000;

beforeAll(async () => {
  tb = await startTestBroker();
  c = await RawClient.connect(tb.port);
  const r = await c.send(19, 7, { topics: [{ name: 'pooled', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
  expect(r.topics[0].errorCode).toBe(0);
  topicId = r.topics[0].topicId;
});
afterAll(async () => {
  c?.close();
  await tb?.cleanup();
});

const value = (wave: number, frame: number, rec: number) => Buffer.alloc(1000, `${wave}/${frame}/${rec};`);

/** Sends a wave of frames in one write; the last one has acks=1 and its answer proves all were handled. */
async function sendWave(wave: number): Promise<void> {
  const frames: Buffer[] = [];
  let lastCorrelation = -1;
  for (let f = 0; f < FRAMES; f++) {
    const records = buildRecordBatch({ records: Array.from({ length: RECORDS }, (_, r) => ({ key: null, value: value(wave, f, r), timestamp: Date.now() })) });
    const acks = f === FRAMES - 1 ? 1 : f % 2 === 0 ? 0 : 1;
    const { frame, correlationId } = c.encode(0, 9, { transactionalId: null, acks, timeoutMs: 5000, topicData: [{ name: 'pooled', partitionData: [{ index: 0, records }] }] });
    frames.push(frame);
    if (acks !== 0) {
      const p = c.expect(correlationId, 0, 9);
      if (f === FRAMES - 1) lastCorrelation = correlationId;
      void p.then((r) => expect(r.responses[0].partitionResponses[0].errorCode).toBe(0));
      if (f === FRAMES - 1) {
        c.writeRaw(Buffer.concat(frames));
        const r = await p;
        expect(r.responses[0].partitionResponses[0].errorCode).toBe(0);
      }
    }
  }
  expect(lastCorrelation).toBeGreaterThan(0);
}

async function readAll(): Promise<Buffer[]> {
  const values: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const r = await c.send(1, 13, {
      maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 24, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topicId, partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: 4 << 20, currentLeaderEpoch: -1, lastFetchedEpoch: -1, logStartOffset: -1 }] }],
      forgottenTopicsData: [], rackId: '',
    });
    const p = r.responses[0].partitions[0];
    expect(p.errorCode).toBe(0);
    if (p.records.length === 0) return values;
    const scan = scanBatches(p.records); // CRC-checked
    expect(scan.error).toBeNull();
    for (const b of decodeRecordBatches(p.records)) {
      for (const rec of b.records) values.push(rec.value!);
      offset = b.baseOffset + b.lastOffsetDelta + 1;
    }
  }
}

describe('pooled Produce frames', () => {
  it('lose nothing when buffers are reused: acks=0 writes, tail-cache views, a second wave reusing the first wave\'s buffers', async () => {
    const reusedBefore = framePool.reused;
    await sendWave(0);
    const first = await readAll(); // served from the tail cache: views of the wave's pooled buffers
    expect(first).toHaveLength(FRAMES * RECORDS);
    first.forEach((v, k) => expect(v.equals(value(0, Math.floor(k / RECORDS), k % RECORDS))).toBe(true));
    await sendWave(1);
    await sendWave(2);
    expect(framePool.reused).toBeGreaterThan(reusedBefore); // buffers did go round
    const all = await readAll();
    expect(all).toHaveLength(3 * FRAMES * RECORDS);
    let i = 0;
    for (let wave = 0; wave < 3; wave++) {
      for (let f = 0; f < FRAMES; f++) {
        for (let r = 0; r < RECORDS; r++) {
          const ok = all[i++]!.equals(value(wave, f, r));
          if (!ok) expect.fail(`wave ${wave} frame ${f} record ${r} differs`);
        }
      }
    }
  });
});
