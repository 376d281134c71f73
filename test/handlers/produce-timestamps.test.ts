// message.timestamp.after.max.ms / before.max.ms on produce (Kafka's LogValidator.validateTimestamp).
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { buildRecordBatch } from '../../protocol/records/batch-builder.js';
import { readBatchHeader } from '../../protocol/records/batch-header.js';
import { checkRecordTimestamps } from '../../src/handlers/produce-timestamps.js';

const NOW = 1_800_000_000_000;
const HOUR = 3_600_000;
const LONG_MAX = 9223372036854775807;

function batch(timestamps: number[]) {
  const data = buildRecordBatch({ records: timestamps.map((timestamp) => ({ key: Buffer.from('k'), value: Buffer.from('v'), timestamp })) });
  return { data, batches: [readBatchHeader(data, 0)] };
}

const defaults = { timestampType: 'CreateTime', beforeMaxMs: LONG_MAX, afterMaxMs: HOUR, now: NOW };

describe('produce timestamp bounds', () => {
  it('accepts timestamps up to now + after.max and any past timestamp by default', () => {
    const { data, batches } = batch([1, NOW - 365 * 24 * HOUR, NOW + HOUR]);
    expect(checkRecordTimestamps(data, batches, defaults)).toBeNull();
  });

  it('refuses a record more than after.max in the future, naming each offending record', () => {
    const { data, batches } = batch([NOW, NOW + 2 * HOUR, NOW, NOW + HOUR + 1]);
    const v = checkRecordTimestamps(data, batches, defaults)!;
    expect(v.errorCode).toBe(ErrorCode.INVALID_TIMESTAMP);
    expect(v.recordErrors.map((e) => e.batchIndex)).toEqual([1, 3]);
    expect(v.errorMessage).toContain(`Timestamp ${NOW + 2 * HOUR}`);
  });

  it('refuses records older than before.max once it is set', () => {
    const { data, batches } = batch([NOW - 61_000, NOW - 1_000]);
    const v = checkRecordTimestamps(data, batches, { ...defaults, beforeMaxMs: 60_000 })!;
    expect(v.errorCode).toBe(ErrorCode.INVALID_TIMESTAMP);
    expect(v.recordErrors.map((e) => e.batchIndex)).toEqual([0]);
  });

  it('does not apply to LogAppendTime topics', () => {
    const { data, batches } = batch([NOW + 10 * HOUR]);
    expect(checkRecordTimestamps(data, batches, { ...defaults, timestampType: 'LogAppendTime' })).toBeNull();
  });
});
