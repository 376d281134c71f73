import { describe, expect, it } from 'vitest';
import { Compression } from '../../../protocol/records/batch-header.js';
import { compress, decompress } from '../../../protocol/records/compression.js';
import { compressLz4, decompressLz4, xxh32 } from '../../../protocol/records/lz4-frame.js';
import { RecordsError } from '../../../protocol/records/records-error.js';
import { compressSnappy, decompressSnappy, isXerialFramed, snappyJsBackend } from '../../../protocol/records/snappy-codec.js';
import { b64, must, runPython, unb64 } from './kafka-python-oracle.js';
import { randomBytes, rng, textBytes } from './random-data.js';

const CODECS = [Compression.None, Compression.Gzip, Compression.Snappy, Compression.Lz4, Compression.Zstd];
const r = rng(42);
const samples = [Buffer.alloc(0), Buffer.from('x'), textBytes(r, 100_000), randomBytes(r, 70_000)];

function errorOf(f: () => unknown): RecordsError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(RecordsError);
    return e as RecordsError;
  }
  throw new Error('expected a RecordsError');
}

describe('compression round trips', () => {
  for (const codec of CODECS) {
    it(`codec ${codec} round-trips empty, tiny, text and random data`, () => {
      for (const data of samples) {
        const c = compress(codec, data);
        expect(decompress(codec, c).equals(data)).toBe(true);
      }
    });
  }

  it('snappy: the native and pure-JS backends read each other', () => {
    const data = samples[2]!;
    expect(decompressSnappy(compressSnappy(data, snappyJsBackend), 1 << 20).equals(data)).toBe(true);
    expect(decompressSnappy(compressSnappy(data), 1 << 20, snappyJsBackend).equals(data)).toBe(true);
  });
});

describe('interop with kafka-python codecs', () => {
  const data = textBytes(rng(7), 150_000); // > 32 KiB so xerial snappy has several blocks
  const encoders = ['gzip', 'snappy_xerial', 'snappy_raw', 'lz4', 'zstd', 'zstd_nosize', 'lz4_old'] as const;
  const pyEncoded = runPython(encoders.map((codec) => ({ op: 'encode' as const, codec, data: b64(data) }))).map(
    (res) => unb64(must(res).data)!,
  );
  const byName = Object.fromEntries(encoders.map((e, i) => [e, pyEncoded[i]!]));

  it('decodes what kafka-python compressed, including xerial-framed snappy', () => {
    expect(isXerialFramed(byName.snappy_xerial)).toBe(true);
    expect(isXerialFramed(byName.snappy_raw)).toBe(false);
    expect(decompress(Compression.Gzip, byName.gzip).equals(data)).toBe(true);
    expect(decompress(Compression.Snappy, byName.snappy_xerial).equals(data)).toBe(true);
    expect(decompress(Compression.Snappy, byName.snappy_raw).equals(data)).toBe(true);
    expect(decompressSnappy(byName.snappy_xerial, 1 << 20, snappyJsBackend).equals(data)).toBe(true);
    expect(decompress(Compression.Lz4, byName.lz4).equals(data)).toBe(true);
    expect(decompress(Compression.Zstd, byName.zstd).equals(data)).toBe(true);
    expect(decompress(Compression.Zstd, byName.zstd_nosize).equals(data)).toBe(true);
  });

  it('tolerates the magic-0 broken LZ4 header checksum (KAFKA-3160) only in legacy mode', () => {
    const old = byName.lz4_old;
    expect(decompressLz4(old, 1 << 20, true).equals(data)).toBe(true);
    // kafka-python's broken HC is xxh32 over magic..BD; check our formula on its own header.
    expect(old[6]).toBe((xxh32(old.subarray(0, 6)) >>> 8) & 0xff);
    expect(errorOf(() => decompress(Compression.Lz4, old)).errorName).toBe('CORRUPT_MESSAGE');
  });

  it('kafka-python decodes what we compressed (and our magic-0 LZ4 variant)', () => {
    const ours = {
      gzip: compress(Compression.Gzip, data),
      snappy: compress(Compression.Snappy, data),
      lz4: compress(Compression.Lz4, data),
      zstd: compress(Compression.Zstd, data),
      lz4_old: compressLz4(data, true),
    };
    const res = runPython(Object.entries(ours).map(([codec, d]) => ({ op: 'decode' as const, codec, data: b64(d) })));
    for (const x of res) expect(unb64(must(x).data)!.equals(data)).toBe(true);
    // Our legacy frame really carries the broken checksum, not the correct one.
    const hc = ours.lz4_old[6];
    expect(hc).toBe((xxh32(ours.lz4_old.subarray(0, 6)) >>> 8) & 0xff);
    expect(hc).not.toBe((xxh32(ours.lz4_old.subarray(4, 6)) >>> 8) & 0xff);
  });
});

describe('xxh32', () => {
  it('matches the reference test vectors and lz4-napi header checksums', () => {
    expect(xxh32(Buffer.alloc(0))).toBe(0x02cc5d05);
    expect(xxh32(Buffer.from('a'))).toBe(0x550d7456);
    expect(xxh32(Buffer.from('abc'))).toBe(0x32d153ff);
    expect(xxh32(Buffer.from('Nobody inspects the spammish repetition'))).toBe(0xe2293b2f);
    const frame = compress(Compression.Lz4, Buffer.from('hello'));
    expect(frame[6]).toBe((xxh32(frame.subarray(4, 6)) >>> 8) & 0xff);
  });
});

describe('decompression bomb limit', () => {
  const zeros = Buffer.alloc(8 * 1024 * 1024);
  const limit = 1024 * 1024;

  for (const codec of [Compression.Gzip, Compression.Snappy, Compression.Lz4, Compression.Zstd]) {
    it(`codec ${codec}: output beyond maxBytes is refused with MESSAGE_TOO_LARGE`, () => {
      const bomb = compress(codec, zeros);
      expect(bomb.length).toBeLessThan(zeros.length / 20);
      expect(errorOf(() => decompress(codec, bomb, limit)).errorName).toBe('MESSAGE_TOO_LARGE');
      expect(decompress(codec, bomb, zeros.length).length).toBe(zeros.length); // exactly at the limit is fine
    });
  }

  it('also for xerial snappy and zstd frames without a content size', () => {
    const res = runPython([
      { op: 'encode', codec: 'snappy_xerial', data: b64(zeros) },
      { op: 'encode', codec: 'zstd_nosize', data: b64(zeros) },
    ]).map((x) => unb64(must(x).data)!);
    expect(errorOf(() => decompress(Compression.Snappy, res[0]!, limit)).errorName).toBe('MESSAGE_TOO_LARGE');
    expect(errorOf(() => decompress(Compression.Zstd, res[1]!, limit)).errorName).toBe('MESSAGE_TOO_LARGE');
    expect(decompress(Compression.Zstd, res[1]!).length).toBe(zeros.length);
  });

  it('uncompressed data larger than the limit is refused too', () => {
    expect(errorOf(() => decompress(Compression.None, Buffer.alloc(10), 5)).errorName).toBe('MESSAGE_TOO_LARGE');
  });
});

describe('corrupt compressed data', () => {
  const data = textBytes(rng(3), 50_000);
  for (const codec of [Compression.Gzip, Compression.Snappy, Compression.Lz4, Compression.Zstd]) {
    it(`codec ${codec}: truncated or garbage input is CORRUPT_MESSAGE`, () => {
      const c = compress(codec, data);
      expect(errorOf(() => decompress(codec, c.subarray(0, c.length - 7))).errorName).toBe('CORRUPT_MESSAGE');
      expect(errorOf(() => decompress(codec, c.subarray(0, 3))).errorName).toBe('CORRUPT_MESSAGE');
      expect(errorOf(() => decompress(codec, Buffer.from('definitely not compressed data'))).errorName).toBe(
        'CORRUPT_MESSAGE',
      );
    });
  }

  it('lz4: trailing garbage after the frame is rejected (lz4-napi alone would ignore it)', () => {
    const c = compress(Compression.Lz4, data);
    expect(errorOf(() => decompress(Compression.Lz4, Buffer.concat([c, Buffer.from([1, 2, 3])]))).errorName).toBe(
      'CORRUPT_MESSAGE',
    );
  });

  it('lz4: concatenated frames decode to the concatenation', () => {
    const a = compress(Compression.Lz4, data);
    expect(decompress(Compression.Lz4, Buffer.concat([a, a])).equals(Buffer.concat([data, data]))).toBe(true);
  });

  it('unknown codec ids are corrupt', () => {
    expect(errorOf(() => decompress(6 as Compression, data)).errorName).toBe('CORRUPT_MESSAGE');
  });
});
