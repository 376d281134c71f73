// A non-allocating walk over the records section of one v2 batch (already decompressed): checks
// the structure Kafka's LogValidator checks while iterating records, and gathers what produce
// needs (timestamp range, first keyless record) without building record objects.
//
// Kafka equivalents: DefaultRecord.readFrom (record lengths and fields), the batch iterator's
// "Incorrect declared batch size" checks (record count against the bytes), and
// LogValidator's expected inner offsets. All failures are INVALID_RECORD, as Kafka's
// InvalidRecordException is. Record layout: see record-codec.ts.
import { RecordsError } from './records-error.js';

export interface RecordsSummary {
  /** Largest record timestamp (baseTimestamp + delta), -1 when there is none. */
  maxTimestamp: number;
  /** Index of the record holding maxTimestamp (first one), -1 when there is none. */
  maxTimestampIndex: number;
  /** Smallest record timestamp other than -1 (NO_TIMESTAMP), or Infinity when there is none. */
  minTimestamp: number;
  minTimestampIndex: number;
  /** Index of the first record with a null key, -1 when every record has one. */
  firstKeylessIndex: number;
}

function invalid(message: string): RecordsError {
  return new RecordsError('INVALID_RECORD', message);
}

// Hand-inlined varint readers over a shared position: this runs for every record of every
// compressed batch on produce, so no cursor objects and no closures.
const EMPTY = Buffer.alloc(0);
let buf: Buffer = EMPTY;
let pos = 0;
let end = 0;

function varint(): number {
  let u = 0;
  for (let shift = 0; shift <= 28; shift += 7) {
    if (pos >= end) throw invalid('Found invalid record structure: varint runs past the end of the record');
    const b = buf[pos++]!;
    u |= (b & 0x7f) << shift;
    if ((b & 0x80) === 0) return (u >>> 1) ^ -(u & 1);
  }
  throw invalid('Found invalid record structure: varint longer than 5 bytes');
}

function varlong(): number {
  let u = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= end) throw invalid('Found invalid record structure: varlong runs past the end of the record');
    const b = buf[pos++]!;
    u += (b & 0x7f) * scale;
    scale *= 128;
    if ((b & 0x80) === 0) {
      if (u >= 2 ** 53) throw invalid('Found invalid record structure: timestamp delta out of range');
      return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
    }
  }
  throw invalid('Found invalid record structure: varlong longer than 10 bytes');
}

/** Skips a length-prefixed field; returns the length read (-1 = null). */
function skipBytes(what: string): number {
  const len = varint();
  if (len < -1) throw invalid(`Invalid ${what} length ${len}`);
  if (len > 0) {
    if (len > end - pos) throw invalid(`Found invalid record structure: ${what} runs past the end of the record`);
    pos += len;
  }
  return len;
}

/**
 * Walks `count` records in `records[start, stop)`. Throws RecordsError INVALID_RECORD when a record
 * is malformed, its offset delta is not its index, or the bytes hold more or fewer records than
 * `count` says.
 */
export function walkRecords(records: Buffer, start: number, stop: number, count: number, baseTimestamp: number): RecordsSummary {
  buf = records;
  pos = start;
  try {
    return walk(stop, count, baseTimestamp);
  } finally {
    buf = EMPTY; // do not keep a decompressed body alive
  }
}

function walk(stop: number, count: number, baseTimestamp: number): RecordsSummary {
  const out: RecordsSummary = { maxTimestamp: -1, maxTimestampIndex: -1, minTimestamp: Infinity, minTimestampIndex: -1, firstKeylessIndex: -1 };
  for (let i = 0; i < count; i++) {
    end = stop;
    if (pos >= stop) throw invalid(`Incorrect declared batch size, premature EOF reached: ${i} of ${count} records`);
    const length = varint();
    if (length < 0 || length > stop - pos) throw invalid(`Invalid record size ${length}`);
    const recordEnd = pos + length;
    end = recordEnd; // no field may spill into the next record
    if (pos >= end) throw invalid('Found invalid record structure: empty record');
    pos++; // attributes
    const timestamp = baseTimestamp + varlong();
    const offsetDelta = varint();
    if (offsetDelta !== i) throw invalid(`Record offset delta ${offsetDelta} is not the expected ${i}`);
    if (skipBytes('key') === -1 && out.firstKeylessIndex < 0) out.firstKeylessIndex = i;
    skipBytes('value');
    const headers = varint();
    if (headers < 0 || headers > end - pos) throw invalid(`Invalid header count ${headers}`);
    for (let h = 0; h < headers; h++) {
      if (skipBytes('header key') < 0) throw invalid('Invalid null header key found in headers');
      skipBytes('header value');
    }
    if (pos !== recordEnd) throw invalid(`Invalid record size: expected to read ${length} bytes in record payload, but instead read ${length - (recordEnd - pos)}`);
    if (timestamp > out.maxTimestamp) {
      out.maxTimestamp = timestamp;
      out.maxTimestampIndex = i;
    }
    if (timestamp !== -1 && timestamp < out.minTimestamp) {
      out.minTimestamp = timestamp;
      out.minTimestampIndex = i;
    }
  }
  if (pos !== stop) throw invalid(`Incorrect declared batch size, records still remaining after ${count} records`);
  return out;
}
