// The framing layer on its own: every size class Kafka's 4-byte prefix can carry (0, below the
// request header, negative, exactly the maximum, beyond it), every split of a byte stream into
// chunks, and seeded random streams. The decoder may return frames or throw InvalidFrameSizeError;
// anything else (TypeError, RangeError) is a bug that used to take the whole broker down.
import { describe, expect, it } from 'vitest';
import { FrameDecoder, InvalidFrameSizeError, MIN_REQUEST_FRAME_BYTES } from '../../src/network/frame-decoder.js';
import { rng as prng } from '../protocol/records/random-data.js';

const MAX = 4096;

function frame(size: number, fill = size & 0xff): Buffer {
  const b = Buffer.alloc(4 + size, fill);
  b.writeInt32BE(size, 0);
  return b;
}

function prefix(size: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(size, 0);
  return b;
}

/** Feeds `chunks` one by one, collecting frames; returns the frames and the error that stopped it, if any. */
function feed(d: FrameDecoder, chunks: Buffer[]): { frames: Buffer[]; error: unknown } {
  const frames: Buffer[] = [];
  try {
    for (const c of chunks) {
      d.push(c);
      for (let f = d.next(); f !== null; f = d.next()) frames.push(Buffer.from(f));
    }
  } catch (error) {
    return { frames, error };
  }
  return { frames, error: null };
}

function splitAt(b: Buffer, cuts: number[]): Buffer[] {
  const out: Buffer[] = [];
  let prev = 0;
  for (const c of [...cuts, b.length]) {
    out.push(b.subarray(prev, c));
    prev = c;
  }
  return out;
}

describe('FrameDecoder sizes', () => {
  it('rejects a zero size as soon as the prefix is complete (it used to throw a TypeError)', () => {
    const d = new FrameDecoder(MAX);
    d.push(prefix(0));
    expect(() => d.next()).toThrow(InvalidFrameSizeError);
  });

  for (const size of [1, 2, 3, MIN_REQUEST_FRAME_BYTES - 1]) {
    it(`rejects size ${size}, shorter than a request header, without waiting for the body`, () => {
      const d = new FrameDecoder(MAX);
      d.push(prefix(size));
      expect(() => d.next()).toThrow(InvalidFrameSizeError);
    });
  }

  for (const size of [-1, -5, -0x80000000]) {
    it(`rejects negative size ${size}`, () => {
      const d = new FrameDecoder(MAX);
      d.push(prefix(size));
      expect(() => d.next()).toThrow(InvalidFrameSizeError);
    });
  }

  it('rejects max + 1 and 0x7fffffff before allocating anything', () => {
    for (const size of [MAX + 1, 0x7fffffff]) {
      const d = new FrameDecoder(MAX);
      d.push(prefix(size));
      expect(() => d.next()).toThrow(InvalidFrameSizeError);
    }
  });

  it('accepts exactly the minimum and exactly the maximum', () => {
    for (const size of [MIN_REQUEST_FRAME_BYTES, MAX]) {
      const d = new FrameDecoder(MAX);
      d.push(frame(size));
      const f = d.next();
      expect(f?.length).toBe(size);
      expect(d.next()).toBeNull();
      expect(d.bufferedBytes).toBe(0);
    }
  });

  it('reports a partial frame and its declared size while it is incomplete', () => {
    const d = new FrameDecoder(MAX);
    expect(d.hasPartialFrame()).toBe(false);
    d.push(Buffer.from([0, 0]));
    expect(d.hasPartialFrame()).toBe(true);
    expect(d.pendingFrameSize()).toBe(-1);
    d.push(frame(100).subarray(2, 50));
    expect(d.next()).toBeNull();
    expect(d.pendingFrameSize()).toBe(100);
    d.push(frame(100).subarray(50));
    expect(d.next()?.length).toBe(100);
    expect(d.hasPartialFrame()).toBe(false);
    expect(d.framesDecoded).toBe(1);
  });
});

describe('FrameDecoder splits', () => {
  const sizes = [MIN_REQUEST_FRAME_BYTES, 9, 13, 64, 300, MAX];
  const stream = Buffer.concat(sizes.map((s, i) => frame(s, i + 1)));

  it('decodes the same frames for a split at every byte boundary', () => {
    const expected = sizes.map((s, i) => Buffer.alloc(s, i + 1));
    const wrong: number[] = [];
    for (let cut = 0; cut <= stream.length; cut++) {
      const { frames, error } = feed(new FrameDecoder(MAX), splitAt(stream, [cut]));
      const ok = error === null && frames.length === sizes.length && frames.every((f, i) => f.equals(expected[i]!));
      if (!ok) wrong.push(cut);
    }
    expect(wrong).toEqual([]);
  });

  it('decodes the same frames fed one byte at a time', () => {
    const chunks = [...stream].map((b) => Buffer.from([b]));
    const { frames, error } = feed(new FrameDecoder(MAX), chunks);
    expect(error).toBeNull();
    expect(frames.map((f) => f.length)).toEqual(sizes);
  });

  it('rejects an invalid size split at every boundary of its prefix, after the valid frames before it', () => {
    for (const bad of [0, 1, 2, 3, -1, MAX + 1]) {
      const s = Buffer.concat([frame(20, 7), prefix(bad), Buffer.alloc(8)]);
      const wrong: string[] = [];
      for (let cut = 0; cut <= s.length; cut++) {
        for (let cut2 = cut; cut2 <= s.length; cut2 += 3) {
          const { frames, error } = feed(new FrameDecoder(MAX), splitAt(s, [cut, cut2]));
          if (frames.length !== 1 || frames[0]!.length !== 20 || !(error instanceof InvalidFrameSizeError)) wrong.push(`${bad}@${cut},${cut2}`);
        }
      }
      expect(wrong).toEqual([]);
    }
  });
});

describe('FrameDecoder random streams', () => {
  it('valid frames in random chunks decode exactly (2000 seeded streams)', () => {
    const failing: number[] = [];
    for (let seed = 1; seed <= 2000; seed++) {
      const rnd = prng(seed);
      const sizes = Array.from({ length: 1 + Math.floor(rnd() * 8) }, () => {
        const r = rnd();
        if (r < 0.1) return MAX;
        if (r < 0.2) return MIN_REQUEST_FRAME_BYTES;
        return MIN_REQUEST_FRAME_BYTES + Math.floor(rnd() * 600);
      });
      const s = Buffer.concat(sizes.map((sz, i) => frame(sz, i)));
      const cuts = Array.from({ length: Math.floor(rnd() * 10) }, () => Math.floor(rnd() * (s.length + 1))).sort((a, b) => a - b);
      const { frames, error } = feed(new FrameDecoder(MAX), splitAt(s, cuts));
      if (error !== null || frames.length !== sizes.length || frames.some((f, i) => f.length !== sizes[i])) failing.push(seed);
    }
    expect(failing).toEqual([]);
  });

  it('garbage never throws anything but InvalidFrameSizeError, and never returns an out-of-bounds frame (3000 seeded streams)', () => {
    const failing: number[] = [];
    for (let seed = 1; seed <= 3000; seed++) {
      const rnd = prng(seed * 7919);
      const parts: Buffer[] = [];
      for (let i = 0; i < 4; i++) {
        const r = rnd();
        if (r < 0.3) parts.push(frame(MIN_REQUEST_FRAME_BYTES + Math.floor(rnd() * 100)));
        else if (r < 0.5) parts.push(prefix([0, 1, 2, 3, -1, MAX, MAX + 1, 0x7fffffff, -0x80000000][Math.floor(rnd() * 9)]!));
        else parts.push(Buffer.from(Array.from({ length: Math.floor(rnd() * 40) }, () => Math.floor(rnd() * 256))));
      }
      const s = Buffer.concat(parts);
      const cuts = Array.from({ length: Math.floor(rnd() * 6) }, () => Math.floor(rnd() * (s.length + 1))).sort((a, b) => a - b);
      const d = new FrameDecoder(MAX);
      const { frames, error } = feed(d, splitAt(s, cuts));
      const ok =
        (error === null || error instanceof InvalidFrameSizeError) &&
        frames.every((f) => f.length >= MIN_REQUEST_FRAME_BYTES && f.length <= MAX) &&
        d.bufferedBytes >= 0;
      if (!ok) failing.push(seed);
    }
    expect(failing).toEqual([]);
  });
});
