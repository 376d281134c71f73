// FrameReader: frames read through reused memory (a shared scratch buffer, pooled Produce frame
// buffers filled directly by the kernel). Driven here the way Node drives it (nextReadBuffer, then
// onRead with the bytes placed in that buffer), with random read sizes, and once over a real
// socket.
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { InvalidFrameSizeError } from '../../src/network/frame-decoder.js';
import { FrameReader } from '../../src/network/frame-reader.js';
import { framePool, leaseOf } from '../../protocol/wire/buffer-pool.js';
import { rng as prng } from '../protocol/records/random-data.js';

/** A request frame: size prefix, apiKey, then `size - 2` pseudo-random bytes. */
function frame(apiKey: number, size: number, seed: number): Buffer {
  const b = Buffer.alloc(4 + size);
  b.writeInt32BE(size, 0);
  b.writeInt16BE(apiKey, 4);
  for (let i = 6; i < b.length; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

/** Feeds `stream` as Node would, each read at most `maxRead()` bytes; returns frames and leases. */
function drive(r: FrameReader, stream: Buffer, maxRead: () => number): { frames: Buffer[]; pooled: number; error: unknown } {
  const frames: Buffer[] = [];
  let pooled = 0;
  let pos = 0;
  try {
    while (pos < stream.length) {
      const into = r.nextReadBuffer();
      const n = Math.min(into.length, stream.length - pos, maxRead());
      stream.copy(into, 0, pos, pos + n);
      pos += n;
      r.onRead(n, into);
      for (let f = r.next(); f !== null; f = r.next()) {
        frames.push(Buffer.from(f)); // copy before the lease goes back
        if (r.lastLease) {
          pooled++;
          r.lastLease.release();
        }
      }
    }
  } catch (error) {
    return { frames, pooled, error };
  }
  return { frames, pooled, error: null };
}

describe('FrameReader', () => {
  const frames = [
    frame(3, 40, 1),
    frame(0, 1_000_000, 2), // a ~1 MB Produce request
    frame(18, 8, 3),
    frame(0, 20_000, 4),
    frame(1, 300_000, 5), // a large non-Produce frame: read the same way, not pooled
    frame(0, 100, 6),
    frame(0, 262_144 + 77, 7),
  ];
  const stream = Buffer.concat(frames);

  for (const [name, maxRead] of [
    ['64 KiB reads', () => 65536],
    ['1-byte reads near nothing: 7-byte reads', () => 7],
    ['random reads up to 300 KB', ((rand) => () => 1 + Math.floor(rand() * 300_000))(prng(42))],
    ['whole-stream reads', () => stream.length],
  ] as const) {
    it(`returns every frame intact with ${name}`, () => {
      const r = new FrameReader(2_000_000);
      const out = drive(r, stream, maxRead);
      expect(out.error).toBeNull();
      expect(out.frames.map((f) => f.length)).toEqual(frames.map((f) => f.length - 4));
      out.frames.forEach((f, i) => expect(f.equals(frames[i]!.subarray(4))).toBe(true));
      // The three Produce frames of 16 KiB and more come in pooled buffers.
      expect(out.pooled).toBe(3);
      expect(r.bufferedBytes).toBe(0);
      expect(r.hasPartialFrame()).toBe(false);
    });
  }

  it('reuses pooled buffers once released: a stream of 1 MB Produce frames allocates a bounded number of buffers', () => {
    framePool.clear();
    const before = framePool.allocated;
    const r = new FrameReader(2_000_000);
    const many = Buffer.concat(Array.from({ length: 30 }, (_, i) => frame(0, 1_000_000, i)));
    const out = drive(r, many, () => 65536);
    expect(out.error).toBeNull();
    expect(out.frames).toHaveLength(30);
    expect(out.pooled).toBe(30);
    // Growth takes a few size classes for the first frame; after that every frame reuses them.
    expect(framePool.allocated - before).toBeLessThanOrEqual(4);
    expect(framePool.reused).toBeGreaterThanOrEqual(26);
  });

  it('reads 1 MB Produce frames without growth copies once the pool has buffers of their size', () => {
    framePool.clear();
    const acquires = () => framePool.allocated + framePool.reused;
    const before = acquires();
    const r = new FrameReader(2_000_000);
    const many = Buffer.concat(Array.from({ length: 30 }, (_, i) => frame(0, 1_000_000, i)));
    const out = drive(r, many, () => 65536);
    expect(out.error).toBeNull();
    expect(out.frames).toHaveLength(30);
    out.frames.forEach((f, i) => expect(f.equals(frame(0, 1_000_000, i).subarray(4))).toBe(true));
    // One buffer per frame once warm (was three: 64 KiB, 256 KiB, 1 MiB, each a copy of the last).
    expect(acquires() - before).toBeLessThanOrEqual(30 + 4);
    // Only the first frames grow (64 KiB -> 256 KiB -> 1 MiB: 320 KiB copied each) while the pool
    // has no free 1 MiB buffer yet; every later frame starts in one (was ~320 KiB per frame).
    expect(r.grownBytes).toBeLessThanOrEqual(2 * 320 * 1024);
  });

  it('gives an incomplete frame its whole size up front only from buffers free in the pool', () => {
    const declared = 4 * 1024 * 1024;
    const head = Buffer.alloc(100, 7); // the first 100 bytes of a 4 MiB Produce frame
    head.writeInt32BE(declared, 0);
    head.writeInt16BE(0, 4);
    framePool.clear();
    const cold = new FrameReader(100 * 1024 * 1024);
    cold.push(head);
    expect(cold.nextReadBuffer().length).toBeLessThanOrEqual(256 * 1024); // nothing free: grow with the bytes
    cold.dispose();
    framePool.clear();
    framePool.acquire(declared).release(); // one idle 4 MiB buffer in the pool
    const allocated = framePool.allocated;
    const warm = new FrameReader(100 * 1024 * 1024);
    warm.push(head);
    expect(warm.nextReadBuffer().length).toBe(declared - 100 + 4); // the rest of the frame, in one buffer
    expect(framePool.allocated).toBe(allocated); // taken from the pool, not allocated
    expect(framePool.retainedBytes).toBe(0);
    warm.dispose();
  });

  it('keeps a pooled frame out of the pool while someone still holds its lease', () => {
    framePool.clear();
    const r = new FrameReader(2_000_000);
    r.push(frame(0, 100_000, 9));
    const f = r.next()!;
    const lease = r.lastLease!;
    expect(leaseOf(f)).toBe(lease);
    const base = framePool.retainedBytes; // smaller buffers the frame grew out of
    lease.retain(); // storage, while the write is pending
    lease.release(); // the connection, once answered
    expect(framePool.retainedBytes).toBe(base);
    lease.release(); // storage, once written
    expect(framePool.retainedBytes).toBe(base + lease.buffer.length);
    expect(leaseOf(f)).toBeUndefined();
  });

  it('carves 4-16 KiB Produce frames from shared pooled slabs, not a fresh buffer each', () => {
    // Issue 14 (16 KiB produce latency): each such frame was a fresh ArrayBuffer from
    // Buffer.allocUnsafe, and that stream of external memory kept V8 in Mark-Compacts.
    framePool.clear();
    const before = framePool.allocated;
    const r = new FrameReader(2_000_000);
    const sent = Array.from({ length: 200 }, (_, i) => frame(0, 4096 + ((i * 997) % 12_000), i));
    const out = drive(r, Buffer.concat(sent), () => 65536);
    expect(out.error).toBeNull();
    out.frames.forEach((f, i) => expect(f.equals(sent[i]!.subarray(4))).toBe(true));
    expect(out.pooled).toBe(200);
    // Released frames give their slab back once it is full, and later slabs reuse it: a few
    // buffers (one 64 KiB read completes frames of up to three slabs before any is released), not 200.
    expect(framePool.allocated - before).toBeLessThanOrEqual(4);
    // Other small frames are not pooled: below 4 KiB Node's own allocation pool serves them.
    const small = drive(new FrameReader(2_000_000), Buffer.concat([frame(0, 4000, 1), frame(3, 8000, 2)]), () => 65536);
    expect(small.pooled).toBe(0);
  });

  it('keeps a slab out of the pool until every frame carved from it is released', () => {
    const r = new FrameReader(2_000_000);
    const take = (n: number, seed: number) => {
      r.push(Buffer.concat(Array.from({ length: n }, (_, i) => frame(0, 15_000, seed + i))));
      return Array.from({ length: n }, () => ({ f: r.next()!, lease: r.lastLease! }));
    };
    const got = take(8, 100);
    for (const { f, lease } of got) {
      expect(leaseOf(f)).toBe(lease);
      expect(lease.buffer.length).toBe(64 * 1024);
    }
    // Frames of one slab never overlap.
    for (const a of got) for (const b of got) if (a !== b && a.lease === b.lease) expect(a.f.byteOffset + a.f.length <= b.f.byteOffset || b.f.byteOffset + b.f.length <= a.f.byteOffset).toBe(true);
    // Keep one frame of a slab shared with others; release every other frame.
    const keptIndex = got.findIndex((g, i) => got.some((h, j) => j !== i && h.lease === g.lease));
    const kept = got[keptIndex]!;
    got.forEach((g, i) => i !== keptIndex && g.lease.release());
    // Many more frames come and go (slabs turn over and are reused): the kept frame's bytes stay.
    for (let k = 0; k < 20; k++) for (const g of take(5, 1000 + k * 5)) g.lease.release();
    expect(kept.f.equals(frame(0, 15_000, 100 + keptIndex).subarray(4))).toBe(true);
    expect(kept.lease.references).toBe(1);
    kept.lease.release();
    expect(leaseOf(kept.f)).toBeUndefined(); // back in the pool
  });

  it('grows an incomplete frame with the bytes received, not to its declared size', () => {
    const r = new FrameReader(100 * 1024 * 1024);
    const head = Buffer.alloc(100, 7); // the first 100 bytes of a 90 MiB Produce frame
    head.writeInt32BE(90 * 1024 * 1024, 0);
    head.writeInt16BE(0, 4);
    r.push(head);
    expect(r.next()).toBeNull();
    expect(r.hasPartialFrame()).toBe(true);
    expect(r.pendingFrameSize()).toBe(90 * 1024 * 1024);
    // The buffer the kernel would read into next is at most 256 KiB, not 90 MiB.
    expect(r.nextReadBuffer().length).toBeLessThanOrEqual(256 * 1024);
  });

  it('reports a bad size after the frames before it, and only then', () => {
    const r = new FrameReader(1000);
    const bad = Buffer.alloc(4);
    bad.writeInt32BE(5000, 0);
    r.push(Buffer.concat([frame(3, 40, 1), frame(3, 50, 2), bad]));
    expect(r.next()!.length).toBe(40);
    expect(r.next()!.length).toBe(50);
    expect(() => r.next()).toThrow(InvalidFrameSizeError);
  });

  it('serves a real socket: bytes that arrived before attach first, then user-buffer reads, then EOF closes', async () => {
    const frames2 = [frame(3, 30, 1), frame(0, 500_000, 2), frame(0, 70_000, 3), frame(18, 10, 4)];
    const got: Buffer[] = [];
    let attached = false;
    const closed = new Promise<void>((resolveClosed) => {
      const server = net.createServer((socket) => {
        // Let the first frame arrive into the stream's own buffer before switching.
        socket.once('readable', () => {
          const r = new FrameReader(1_000_000);
          attached = FrameReader.attach(socket, net, r, () => {
            for (let f = r.next(); f !== null; f = r.next()) {
              got.push(Buffer.from(f));
              r.lastLease?.release();
            }
          });
          socket.on('close', () => {
            server.close();
            resolveClosed();
          });
          client.write(Buffer.concat(frames2.slice(1)), () => client.end());
        });
      });
      let client: net.Socket;
      server.listen(0, '127.0.0.1', () => {
        client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1', () => client.write(frames2[0]!));
      });
    });
    await closed;
    expect(attached).toBe(true);
    expect(got.map((f) => f.length)).toEqual(frames2.map((f) => f.length - 4));
    got.forEach((f, i) => expect(f.equals(frames2[i]!.subarray(4))).toBe(true));
  });
});
