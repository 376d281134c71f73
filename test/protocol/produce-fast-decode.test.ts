/**
 * Differential test of the hand-written Produce request decoder (protocol/fast/produce-request.ts)
 * against the generated one: for every version, the one-topic one-partition shape it decodes
 * itself (names, topic ids, null / empty / large records, transactional ids, unknown tagged
 * fields at every level), the shapes it hands over (several topics or partitions, none), and
 * thousands of truncated and byte-flipped variants, both must give the same object (deep, with
 * the same record bytes), leave the reader at the same position, or throw the same error.
 */
import { describe, expect, it } from 'vitest';
import { decodeProduceRequest, encodeProduceRequest, type ProduceRequest } from '../../protocol/generated/produce.js';
import { decodeProduceRequestFast } from '../../protocol/fast/produce-request.js';
import { Reader } from '../../protocol/wire/reader.js';
import { Writer } from '../../protocol/wire/writer.js';
import { rng } from './records/random-data.js';

const VERSIONS = Array.from({ length: 14 }, (_, v) => v);
const TOPIC_ID = 'AAECAwQFBgcICQoLDA0ODw';

function records(n: number, fill: number): Buffer {
  return Buffer.alloc(n, fill);
}

function request(v: number, topics: { name: string; parts: { index: number; records: Buffer | null }[] }[], txn: string | null = null): ProduceRequest {
  return {
    transactionalId: v >= 3 ? txn : null,
    acks: -1,
    timeoutMs: 30_000,
    topicData: topics.map((t) => ({
      name: v >= 13 ? '' : t.name,
      topicId: v >= 13 ? TOPIC_ID : 'AAAAAAAAAAAAAAAAAAAAAA',
      partitionData: t.parts.map((p) => ({ index: p.index, records: p.records })),
    })),
  };
}

function encoded(v: number, m: ProduceRequest, prefix = 0): Buffer {
  const w = new Writer(64);
  for (let i = 0; i < prefix; i++) w.writeInt8(0x55);
  encodeProduceRequest(w, v, m);
  return w.toBuffer();
}

/** One topic, one partition, written by hand with unknown tagged fields at each flexible level. */
function withTags(v: number, name: string, index: number, recs: Buffer | null, tags: [number, number, number]): Buffer {
  const w = new Writer(64);
  const tagged = (n: number): void => {
    w.writeUnsignedVarint(n);
    for (let t = 0; t < n; t++) {
      w.writeUnsignedVarint(100 + t);
      const body = new Writer(8);
      for (let i = 0; i <= t; i++) body.writeInt8(i);
      w.writeUnsignedVarint(body.length);
      w.writeWriter(body);
    }
  };
  w.writeCompactNullableString(v % 2 === 0 ? 'txn-1' : null);
  w.writeInt16(1);
  w.writeInt32(1500);
  w.writeCompactArrayLength(1);
  if (v >= 13) w.writeUuid(TOPIC_ID);
  else w.writeCompactString(name);
  w.writeCompactArrayLength(1);
  w.writeInt32(index);
  w.writeCompactNullableBytes(recs);
  tagged(tags[0]);
  tagged(tags[1]);
  tagged(tags[2]);
  return w.toBuffer();
}

type Outcome = { ok: true; value: ProduceRequest; offset: number } | { ok: false; error: string; type: string };

function run(decode: (r: Reader, v: number) => ProduceRequest, buf: Buffer, v: number, start = 0): Outcome {
  const r = new Reader(buf, start);
  try {
    const value = decode(r, v);
    return { ok: true, value, offset: r.offset };
  } catch (e) {
    return { ok: false, error: (e as Error).message, type: (e as Error).constructor.name };
  }
}

/** Same outcome from both decoders; returns whether it decoded. */
function same(buf: Buffer, v: number, start = 0): boolean {
  const fast = run(decodeProduceRequestFast, buf, v, start);
  const generated = run(decodeProduceRequest, buf, v, start);
  expect(fast).toEqual(generated);
  if (fast.ok && generated.ok) {
    // toEqual compares Buffers by content; also the same key order (the handler's shapes).
    expect(JSON.stringify(Object.keys(fast.value))).toBe(JSON.stringify(Object.keys(generated.value)));
    for (let t = 0; t < fast.value.topicData.length; t++) {
      expect(Object.keys(fast.value.topicData[t]!)).toEqual(Object.keys(generated.value.topicData[t]!));
      for (let p = 0; p < fast.value.topicData[t]!.partitionData.length; p++) {
        expect(Object.keys(fast.value.topicData[t]!.partitionData[p]!)).toEqual(Object.keys(generated.value.topicData[t]!.partitionData[p]!));
      }
    }
  }
  return fast.ok;
}

describe('Produce request fast decoder vs the generated decoder', () => {
  it('decodes one topic and one partition as the generated decoder does, every version', () => {
    let decoded = 0;
    for (const v of VERSIONS) {
      for (const recs of [records(1100, 7), records(0, 0), null, records(17_000, 3)]) {
        for (const txn of [null, 'tx', 'a-transactional-id-longer-than-the-intern-limit']) {
          for (const name of ['t', 'rdk-latency', 'naïve-ünïcode-topic']) {
            const buf = encoded(v, request(v, [{ name, parts: [{ index: 3, records: recs }] }], txn), 5);
            if (same(buf, v, 5)) decoded++;
          }
        }
      }
    }
    expect(decoded).toBe(VERSIONS.length * 4 * 3 * 3);
  });

  it('skips unknown tagged fields at the request, topic and partition levels (v9+)', () => {
    for (let v = 9; v <= 13; v++) {
      for (const tags of [[0, 0, 0], [1, 0, 0], [0, 2, 0], [0, 0, 3], [2, 1, 2]] as [number, number, number][]) {
        const buf = withTags(v, 'tagged', 0, records(33, 1), tags);
        expect(same(buf, v)).toBe(true);
        const r = new Reader(buf);
        decodeProduceRequestFast(r, v);
        expect(r.offset).toBe(buf.length);
      }
    }
  });

  it('leaves other shapes to the generated decoder with the same result', () => {
    for (const v of VERSIONS) {
      const shapes = [
        [],
        [{ name: 'a', parts: [] }],
        [{ name: 'a', parts: [{ index: 0, records: records(10, 1) }, { index: 1, records: records(20, 2) }] }],
        [
          { name: 'a', parts: [{ index: 0, records: records(10, 1) }] },
          { name: 'b', parts: [{ index: 5, records: null }] },
        ],
      ];
      for (const topics of shapes) expect(same(encoded(v, request(v, topics, 'x')), v)).toBe(true);
    }
  });

  it('fails on truncated and corrupted input exactly as the generated decoder does', () => {
    const next = rng(14);
    let failures = 0;
    for (const v of VERSIONS) {
      const good = [encoded(v, request(v, [{ name: 'trunc', parts: [{ index: 1, records: records(40, 9) }] }], 'txn')), withTagsOrPlain(v)];
      for (const buf of good) {
        for (let cut = 0; cut < buf.length; cut++) if (!same(buf.subarray(0, cut), v)) failures++;
        for (let i = 0; i < 300; i++) {
          const bad = Buffer.from(buf);
          const flips = 1 + Math.floor(next() * 3);
          for (let f = 0; f < flips; f++) bad[Math.floor(next() * bad.length)] = Math.floor(next() * 256);
          if (!same(bad, v)) failures++;
        }
      }
    }
    // Every truncation fails, and so do many corruptions: the error paths were compared, not skipped.
    expect(failures).toBeGreaterThan(1000);
  });

  it('rejects versions outside 0-13 as the generated decoder does', () => {
    const buf = encoded(3, request(3, [{ name: 'x', parts: [{ index: 0, records: null }] }]));
    for (const v of [-1, 14]) expect(same(buf, v)).toBe(false);
  });
});

function withTagsOrPlain(v: number): Buffer {
  return v >= 9 ? withTags(v, 'tagged', 2, records(25, 4), [1, 1, 1]) : encoded(v, request(v, [{ name: 'plain', parts: [{ index: 2, records: null }] }]));
}
