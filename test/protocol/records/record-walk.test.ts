import { describe, expect, it } from 'vitest';
import { buildRecordBatch } from '../../../protocol/records/batch-builder.js';
import { BATCH_HEADER_SIZE } from '../../../protocol/records/batch-header.js';
import { walkRecords } from '../../../protocol/records/record-walk.js';
import { RecordsError } from '../../../protocol/records/records-error.js';

const batch = buildRecordBatch({
  records: [
    { key: Buffer.from('a'), value: Buffer.from('1'), timestamp: 1000, headers: [{ key: 'h', value: null }] },
    { key: null, value: null, timestamp: 3000 },
    { key: Buffer.from('c'), value: Buffer.from('3'), timestamp: 500 },
  ],
});
const body = batch.subarray(BATCH_HEADER_SIZE);

function error(fn: () => unknown): RecordsError {
  try {
    fn();
  } catch (e) {
    return e as RecordsError;
  }
  throw new Error('expected a RecordsError');
}

describe('walkRecords', () => {
  it('summarises timestamps and the first keyless record', () => {
    expect(walkRecords(body, 0, body.length, 3, 1000)).toEqual({ maxTimestamp: 3000, maxTimestampIndex: 1, minTimestamp: 500, minTimestampIndex: 2, firstKeylessIndex: 1 });
  });

  it('refuses a count above or below what the bytes hold, with INVALID_RECORD', () => {
    expect(error(() => walkRecords(body, 0, body.length, 4, 1000)).errorName).toBe('INVALID_RECORD');
    expect(error(() => walkRecords(body, 0, body.length, 2, 1000)).errorName).toBe('INVALID_RECORD');
  });

  it('refuses a record cut short and a field that spills into the next record', () => {
    expect(error(() => walkRecords(body, 0, body.length - 1, 3, 1000)).errorName).toBe('INVALID_RECORD');
    const bad = Buffer.from(body);
    bad[0] = bad[0]! - 2; // first record claims 1 byte less than its fields take
    expect(error(() => walkRecords(bad, 0, bad.length, 3, 1000)).errorName).toBe('INVALID_RECORD');
  });

  it('refuses offset deltas that are not 0, 1, 2, ...', () => {
    const gapped = buildRecordBatch({ records: [{ key: null, value: null, timestamp: 1 }, { key: null, value: null, timestamp: 1, offsetDelta: 7 }] });
    const b = gapped.subarray(BATCH_HEADER_SIZE);
    expect(error(() => walkRecords(b, 0, b.length, 2, 1)).message).toMatch(/offset delta 7/);
  });
});
