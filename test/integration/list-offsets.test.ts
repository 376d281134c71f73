// ListOffsets edge cases with the raw client.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { buildRecordBatch } from '../../protocol/records/batch-builder.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';

let tb: TestBroker;
let c: RawClient;

beforeAll(async () => {
  tb = await startTestBroker({ 'auto.create.topics.enable': 'false' });
  c = await RawClient.connect(tb.port);
  const r = await c.send(19, 7, { topics: [{ name: 'lo', numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
  expect(r.topics[0].errorCode).toBe(0);
  for (const index of [0, 1]) {
    const records = buildRecordBatch({ records: Array.from({ length: 3 + index }, (_, i) => ({ key: null, value: Buffer.from(`v${i}`), timestamp: 1_700_000_000_000 + i })) });
    const p = await c.send(0, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'lo', partitionData: [{ index, records }] }] });
    expect(p.responses[0].partitionResponses[0].errorCode).toBe(0);
  }
});
afterAll(async () => {
  c?.close();
  await tb?.cleanup();
});

const entry = (partitionIndex: number, timestamp: number) => ({ partitionIndex, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 });

describe('ListOffsets with a partition named twice', () => {
  it.each([1, 5, 7, 9])('v%i: every entry of the duplicated partition gets INVALID_REQUEST, the others are answered', async (v) => {
    const r = await c.send(2, v, {
      replicaId: -1, isolationLevel: 0, timeoutMs: 0,
      topics: [
        { name: 'lo', partitions: [entry(0, -1), entry(1, -1), entry(0, -2)] },
        { name: 'lo', partitions: [entry(0, 1_700_000_000_001)] }, // same partition under a second topic entry
      ],
    });
    const answers = r.topics.flatMap((t: any) => t.partitions.map((p: any) => [t.name, p.partitionIndex, p.errorCode, p.offset]));
    expect(answers).toEqual([
      ['lo', 0, ErrorCode.INVALID_REQUEST, -1],
      ['lo', 1, ErrorCode.NONE, 4],
      ['lo', 0, ErrorCode.INVALID_REQUEST, -1],
      ['lo', 0, ErrorCode.INVALID_REQUEST, -1],
    ]);
  });

  it('answers each partition normally when none repeats', async () => {
    const r = await c.send(2, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'lo', partitions: [entry(0, -1), entry(1, -2)] }] });
    expect(r.topics[0].partitions.map((p: any) => [p.errorCode, p.offset])).toEqual([[0, 3], [0, 0]]);
  });
});
