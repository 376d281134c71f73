/**
 * Throws random, truncated and mutated bytes at every generated decoder. Each attempt must
 * either decode or throw DecodeError — never RangeError/TypeError, never a runaway allocation.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { MESSAGE_SCHEMAS } from '../../../protocol/generated/schema.js';
import { DecodeError } from '../../../protocol/wire/errors.js';
import { Reader } from '../../../protocol/wire/reader.js';
import { Writer } from '../../../protocol/wire/writer.js';
import { loadCodecs, type MessageCodec } from '../generated/codecs.js';
import { fillMessage, rng, versionsOf } from '../generated/sample-messages.js';

let codecs: Map<string, MessageCodec>;

beforeAll(async () => {
  codecs = await loadCodecs(MESSAGE_SCHEMAS);
});

/** Returns 'ok' | 'decode-error', or rethrows anything else with context. */
function attempt(codec: MessageCodec, v: number, bytes: Buffer, what: string): 'ok' | 'decode-error' {
  try {
    codec.decode(new Reader(bytes), v);
    return 'ok';
  } catch (e) {
    if (e instanceof DecodeError) return 'decode-error';
    throw new Error(`${what}: ${(e as Error).name}: ${(e as Error).message}`);
  }
}

describe('decoder fuzzing', () => {
  it('survives truncations, mutations and random bytes for every message and version', () => {
    const rand = rng(12345);
    const stats = { ok: 0, 'decode-error': 0 };
    for (const schema of MESSAGE_SCHEMAS) {
      const codec = codecs.get(schema.name)!;
      for (const v of versionsOf(schema)) {
        const w = new Writer();
        codec.encode(w, v, fillMessage(schema, v, 99));
        const valid = w.toBuffer();
        const what = `${schema.name} v${v}`;
        // Every proper prefix of a valid encoding (sampled for long ones).
        const step = Math.max(1, Math.floor(valid.length / 64));
        for (let n = 0; n < valid.length; n += step) stats[attempt(codec, v, valid.subarray(0, n), `${what} truncated to ${n}`)]++;
        // Byte mutations, biased towards length-ish values.
        for (let i = 0; i < 12 && valid.length > 0; i++) {
          const m = Buffer.from(valid);
          const flips = 1 + Math.floor(rand() * 3);
          for (let j = 0; j < flips; j++) {
            const choices = [0x00, 0xff, 0x7f, 0x80, Math.floor(rand() * 256)];
            m[Math.floor(rand() * m.length)] = choices[Math.floor(rand() * choices.length)];
          }
          stats[attempt(codec, v, m, `${what} mutated`)]++;
        }
        // Pure noise.
        for (let i = 0; i < 4; i++) {
          const noise = Buffer.alloc(Math.floor(rand() * 48));
          for (let j = 0; j < noise.length; j++) noise[j] = Math.floor(rand() * 256);
          stats[attempt(codec, v, noise, `${what} random`)]++;
        }
      }
    }
    // Both outcomes must actually occur, or the fuzzer is not exercising anything.
    expect(stats.ok).toBeGreaterThan(1000);
    expect(stats['decode-error']).toBeGreaterThan(1000);
  });

  it('rejects a 2^31 array count in a 20-byte frame immediately', () => {
    const codec = codecs.get('ProduceRequest')!;
    const frame = Buffer.alloc(20);
    frame.writeInt16BE(-1, 0); // acks
    frame.writeInt32BE(1000, 2); // timeout
    frame.writeInt32BE(0x7fffffff, 6); // topic count
    expect(() => codec.decode(new Reader(frame), 2)).toThrow(DecodeError);
    const flexible = Buffer.from('00ffff000003e8ffffffff07', 'hex'); // compact count 2^31-1
    expect(() => codec.decode(new Reader(flexible), 9)).toThrow(DecodeError);
  });
});
