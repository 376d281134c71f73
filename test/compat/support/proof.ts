// Assertions that compare what a client sent with what the broker stored on disk. Used by every
// lane's compression-proof test: the codec in the batch attributes must be the one the client
// asked for, the CRC must hold, and the decompressed records must be exactly the ones produced.
import { expect } from 'vitest';
import { describeBatches, readPartitionBatches, type CodecName, type DiskBatch } from './segment-batches.js';

export interface ExpectedRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers?: Array<[string, Buffer | null]>;
  /** CreateTime timestamp the client set explicitly (omit when the client stamped "now"). */
  timestamp?: number;
}

const show = (b: Buffer | null) => (b === null ? null : b.toString('latin1'));

/**
 * Asserts that partition `topic-partition` holds exactly `expected` (from offset `firstOffset`) in
 * magic-2 batches compressed with `codec`. Returns the batches for further checks.
 */
export async function expectStoredAs(
  dataDir: string,
  topic: string,
  partition: number,
  codec: CodecName,
  expected: ExpectedRecord[],
  firstOffset = 0,
): Promise<DiskBatch[]> {
  const batches = await readPartitionBatches(dataDir, topic, partition);
  const desc = `${topic}-${partition} on disk:\n${describeBatches(batches)}`;
  expect(batches.length, desc).toBeGreaterThan(0);
  for (const b of batches) {
    expect(b.magic, desc).toBe(2);
    expect(b.crcOk, `CRC32C mismatch\n${desc}`).toBe(true);
    expect(b.decodeError, desc).toBeUndefined();
    expect(b.codec, `batch @${b.baseOffset} codec (client asked for ${codec})\n${desc}`).toBe(codec);
  }
  const records = batches.flatMap((b) => b.records).filter((r) => r.offset >= firstOffset);
  expect(
    records.map((r) => r.offset),
    desc,
  ).toEqual(expected.map((_, i) => firstOffset + i));
  expect(records.map((r) => [show(r.key), show(r.value)])).toEqual(expected.map((e) => [show(e.key), show(e.value)]));
  if (expected.some((e) => e.headers)) {
    expect(records.map((r) => r.headers.map(([k, v]) => [k, show(v)]))).toEqual(
      expected.map((e) => (e.headers ?? []).map(([k, v]) => [k, show(v)])),
    );
  }
  expected.forEach((e, i) => {
    if (e.timestamp !== undefined) expect(records[i]!.timestamp, `timestamp of offset ${firstOffset + i}`).toBe(e.timestamp);
  });
  return batches;
}
