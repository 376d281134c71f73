// Reads Kafka request frames straight from a plain TCP socket into memory that is reused, instead
// of a fresh 64 KiB Buffer per socket read plus a fresh copy of every frame that spans reads
// (FrameDecoder's input; issue 14: that churn drove most of the broker's GC time).
//
//   kernel ──read──▶ scratch (64 KiB, shared by all connections, reused every read)
//                       │ complete small frames: copied out (Node's 8 KiB slab for tiny ones)
//                       ▼ start of a large frame: copied into a pooled buffer (framePool) ...
//   kernel ──read──▶ pooled frame buffer (the rest of that frame lands there directly: no copy)
//
// Uses Node's user-buffer reads (the `onread` option of net.Socket, which server sockets cannot
// pass, so it is attached through the same socket fields Node sets for it; see attach()). The
// frame handed out owns its bytes: it stays valid after the next read. Produce frames live in
// pooled buffers with a lease (protocol/wire/buffer-pool.ts) the connection holds until the
// request is answered; any other frame is a plain allocation.
//
// Memory: an incomplete frame's buffer grows with the bytes actually received (at most 4x those
// plus 64 KiB), never to a freshly allocated buffer of the declared size up front, so a client
// that declares a large frame and sends slowly costs what it sent, as with FrameDecoder. The one
// exception costs no new memory: a pooled Produce frame takes a buffer of its whole size when the
// pool has one free (resident and idle already; the pool keeps at most 64 MiB of them), so a 1 MB
// request is read into one buffer instead of growing 64 KiB -> 256 KiB -> 1 MiB, which copied
// ~0.3 bytes per byte received (issue 14, large-request produce). Sizes are checked as soon as the 4
// prefix bytes are in; a bad one is reported by next() after the frames before it
// (InvalidFrameSizeError, as FrameDecoder).
//
// Produce frames of 4 KiB up to DIRECT_READ_MIN are carved from a shared pooled 64 KiB slab, each
// frame holding a reference to the slab's lease. Below 4 KiB Buffer.allocUnsafe takes them from
// Node's own 8 KiB slab; from 4 KiB on it made every frame a fresh ArrayBuffer, and at 2,048
// requests/s of 15.6 KB (the bench's "16 KiB" latency rows) those 32 MB/s of short-lived external
// memory kept V8 in incremental marking with 5-10 ms steps and a Mark-Compact every ~0.7 s: the
// broker's p99 was 5.5-7.8 ms against the null sink's 0.4-1 ms (issue 14, bench/README.md).
import type { Socket } from 'node:net';
import { framePool, POOL_MAX_BYTES, POOL_MIN_BYTES, type BufferLease } from '../../protocol/wire/buffer-pool.js';
import { InvalidFrameSizeError, MIN_REQUEST_FRAME_BYTES } from './frame-decoder.js';

const SCRATCH_BYTES = 64 * 1024;
/** Below this many missing bytes, reading into the scratch buffer and copying is cheaper. */
const DIRECT_READ_MIN = 16 * 1024;
const PRODUCE_KEY = 0;
/** Produce frames from this size up to DIRECT_READ_MIN are carved from the slab (below it Node's allocation pool serves them). */
const SLAB_FRAME_MIN = Buffer.poolSize >>> 1;

/** Shared by every connection: one event loop, and bytes never stay in it past a read callback. */
const scratch = Buffer.allocUnsafeSlow(SCRATCH_BYTES);

/**
 * The slab small Produce frames are carved from (shared by every connection), and the next free
 * byte in it. The module holds one reference while it carves; each frame holds one more, so the
 * slab goes back to the pool once its last frame is answered and nothing (tail cache) keeps it.
 */
let slab: BufferLease | null = null;
let slabPos = 0;

/** `size` bytes of the slab, one reference taken for them (the lease is `slab`); a new slab when it is full. */
function carveSlab(size: number): Buffer {
  if (slab === null || slabPos + size > slab.buffer.length) {
    slab?.release();
    slab = framePool.acquire(POOL_MIN_BYTES);
    slabPos = 0;
  }
  const view = slab.buffer.subarray(slabPos, slabPos + size);
  slabPos += size;
  slab.retain();
  return view;
}

interface ReadyFrame {
  frame: Buffer;
  lease: BufferLease | null;
}

/** Node's private socket fields for user-buffer reads, found once on a probe socket. */
let userBufferFields: { buffer: symbol; callback: symbol; generator: symbol } | null | undefined;

function findUserBufferFields(net: typeof import('node:net')): typeof userBufferFields {
  if (userBufferFields !== undefined) return userBufferFields;
  try {
    const opts = { onread: { buffer: Buffer.alloc(1), callback: () => true } } as ConstructorParameters<typeof net.Socket>[0];
    const probe = new net.Socket(opts);
    const byName = new Map(Object.getOwnPropertySymbols(probe).map((s) => [s.description, s]));
    const buffer = byName.get('kBuffer');
    const callback = byName.get('kBufferCb');
    const generator = byName.get('kBufferGen');
    userBufferFields = buffer && callback && generator ? { buffer, callback, generator } : null;
    probe.destroy();
  } catch {
    userBufferFields = null;
  }
  return userBufferFields;
}

export class FrameReader {
  private ready: ReadyFrame[] = [];
  private readyHead = 0;
  /** Size prefix and api key of the frame being assembled (6 bytes; every frame has them). */
  private readonly header = Buffer.alloc(6);
  private headerLen = 0;
  private size = -1;
  /** The frame being assembled (capacity may be below `size` while it grows) and its lease. */
  private cur: Buffer | null = null;
  private curLease: BufferLease | null = null;
  private filled = 0;
  /** The view of `cur` the kernel reads into next, or null for the scratch buffer. */
  private direct: Buffer | null = null;
  private buffered = 0;
  private decoded = 0;
  private error: InvalidFrameSizeError | null = null;
  /** Bytes copied from a frame buffer into a larger one as frames grew (tests, bench). */
  grownBytes = 0;
  /** Lease of the frame next() returned last (null when it is not pooled). */
  lastLease: BufferLease | null = null;

  /** Mutable: SASL listeners bound frames tighter until the client has authenticated. */
  constructor(public maxFrameBytes: number) {}

  /**
   * Switches `socket` to user-buffer reads feeding this reader; `onBytes` runs after each read.
   * Returns false (nothing changed) when this Node does not expose them or the socket is not a
   * plain TCP socket; the caller then uses 'data' events and FrameDecoder.
   */
  static attach(socket: Socket, net: typeof import('node:net'), reader: FrameReader, onBytes: () => void): boolean {
    const f = findUserBufferFields(net);
    const handle = (socket as unknown as { _handle?: { useUserBuffer?: (b: Uint8Array) => void } })._handle;
    if (!f || !handle || typeof handle.useUserBuffer !== 'function' || (socket as { encrypted?: boolean }).encrypted) return false;
    // Bytes that arrived before this (a connection held while the broker was starting) sit in the
    // stream's buffer: take them first, in order.
    for (let c = socket.read() as Buffer | null; c !== null; c = socket.read() as Buffer | null) reader.push(c);
    const s = socket as unknown as Record<symbol, unknown>;
    s[f.buffer] = scratch;
    s[f.callback] = (n: number, buf: Buffer) => {
      reader.onRead(n, buf);
      onBytes();
    };
    s[f.generator] = () => reader.nextReadBuffer();
    handle.useUserBuffer(scratch);
    // Flowing mode: no 'data' events come any more, but it is what lets EOF end the stream.
    socket.resume();
    if (reader.bufferedBytes > 0) queueMicrotask(onBytes);
    return true;
  }

  get bufferedBytes(): number {
    return this.buffered;
  }

  get framesDecoded(): number {
    return this.decoded;
  }

  /** Bytes from elsewhere (the stream's buffer before attach); copied, like a read. */
  push(chunk: Buffer): void {
    for (let pos = 0; pos < chunk.length; ) {
      const n = Math.min(SCRATCH_BYTES, chunk.length - pos);
      chunk.copy(scratch, 0, pos, pos + n);
      this.onRead(n, scratch);
      pos += n;
    }
  }

  /** A read of `n` bytes into `buf` (the scratch buffer or the direct view handed out last). */
  onRead(n: number, buf: Buffer): void {
    if (this.error !== null || n <= 0) return;
    if (this.direct !== null && buf === this.direct) {
      this.direct = null;
      this.filled += n;
      this.buffered += n;
      if (this.filled === this.size) this.complete();
      return;
    }
    this.direct = null;
    let pos = 0;
    while (pos < n && this.error === null) {
      if (this.cur !== null) {
        const take = Math.min(n - pos, this.size - this.filled);
        this.ensureCapacity(this.filled + take);
        buf.copy(this.cur, this.filled, pos, pos + take);
        this.filled += take;
        this.buffered += take;
        pos += take;
        if (this.filled === this.size) this.complete();
        continue;
      }
      const take = Math.min(n - pos, 6 - this.headerLen);
      buf.copy(this.header, this.headerLen, pos, pos + take);
      this.headerLen += take;
      this.buffered += take;
      pos += take;
      if (this.headerLen >= 4 && this.size < 0) {
        const size = this.header.readInt32BE(0);
        if (size < MIN_REQUEST_FRAME_BYTES || size > this.maxFrameBytes) {
          this.error = new InvalidFrameSizeError(
            `frame size ${size} outside [${MIN_REQUEST_FRAME_BYTES}, ${this.maxFrameBytes}] (request header, socket.request.max.bytes)`,
          );
          return;
        }
        this.size = size;
      }
      if (this.headerLen === 6) this.begin(n - pos);
    }
  }

  /** Where the kernel should put the next read: the rest of a large frame, else the scratch. */
  nextReadBuffer(): Buffer {
    const cur = this.cur;
    if (cur === null || this.error !== null) return scratch;
    const missing = this.size - this.filled;
    if (missing < DIRECT_READ_MIN) return scratch;
    if (cur.length - this.filled < Math.min(missing, SCRATCH_BYTES)) this.ensureCapacity(Math.min(this.size, this.filled + Math.max(SCRATCH_BYTES, this.filled * 3)));
    const view = this.cur!.subarray(this.filled, Math.min(this.cur!.length, this.size));
    this.direct = view;
    return view;
  }

  /** Next complete frame body (without the size prefix), or null when more bytes are needed. */
  next(): Buffer | null {
    if (this.readyHead < this.ready.length) {
      const r = this.ready[this.readyHead]!;
      this.ready[this.readyHead++] = EMPTY_READY;
      if (this.readyHead === this.ready.length) {
        this.ready.length = 0;
        this.readyHead = 0;
      }
      this.buffered -= r.frame.length + 4;
      this.decoded++;
      this.lastLease = r.lease;
      return r.frame;
    }
    if (this.error !== null) throw this.error;
    return null;
  }

  /** True when bytes of a frame that is not complete yet are buffered (call after next() returned null). */
  hasPartialFrame(): boolean {
    return this.headerLen > 0;
  }

  /** Declared size of the frame being received, -1 while its prefix is incomplete. */
  pendingFrameSize(): number {
    return this.size;
  }

  /** Releases every frame not handed out yet (the connection closed). */
  dispose(): void {
    for (let i = this.readyHead; i < this.ready.length; i++) this.ready[i]!.lease?.release();
    this.ready.length = 0;
    this.readyHead = 0;
    this.curLease?.release();
    this.curLease = null;
    this.cur = null;
    this.direct = null;
    this.error ??= new InvalidFrameSizeError('connection closed');
  }

  /** The 6 header bytes are in; `available` more bytes of this read follow. */
  private begin(available: number): void {
    const size = this.size;
    const pooled = this.header.readInt16BE(4) === PRODUCE_KEY && size >= DIRECT_READ_MIN && size <= POOL_MAX_BYTES;
    // The first buffer covers what has arrived (at least 64 KiB), not the declared size.
    const capacity = Math.min(size, Math.max(POOL_MIN_BYTES, available + 2));
    if (pooled) {
      this.curLease = framePool.tryAcquireFree(size) ?? framePool.acquire(capacity);
      this.cur = this.curLease.buffer;
    } else if (size >= SLAB_FRAME_MIN && size < DIRECT_READ_MIN && this.header.readInt16BE(4) === PRODUCE_KEY) {
      // Its whole size at once (at most 16 KiB, never grown): the slab has no room to grow into.
      this.cur = carveSlab(size);
      this.curLease = slab;
    } else {
      this.curLease = null;
      this.cur = Buffer.allocUnsafe(capacity);
    }
    this.header.copy(this.cur, 0, 4, 6);
    this.filled = 2;
  }

  /** Grows the frame buffer to hold `need` bytes (copying what is in); at least 4x when it grows. */
  private ensureCapacity(need: number): void {
    const cur = this.cur!;
    if (cur.length >= need) return;
    const want = Math.min(this.size, Math.max(need, cur.length * 4));
    let next: Buffer;
    let lease: BufferLease | null = null;
    if (this.curLease !== null) {
      // A free buffer of the whole frame's size if the pool has one (no new memory, no later growth).
      lease = framePool.tryAcquireFree(this.size) ?? framePool.acquire(want);
      next = lease.buffer;
    } else {
      next = Buffer.allocUnsafe(want);
    }
    cur.copy(next, 0, 0, this.filled);
    this.grownBytes += this.filled;
    this.curLease?.release();
    this.curLease = lease;
    this.cur = next;
  }

  private complete(): void {
    const frame = this.cur!.length === this.size ? this.cur! : this.cur!.subarray(0, this.size);
    this.ready.push({ frame, lease: this.curLease });
    this.cur = null;
    this.curLease = null;
    this.size = -1;
    this.headerLen = 0;
    this.filled = 0;
  }
}

const EMPTY_READY: ReadyFrame = { frame: Buffer.alloc(0), lease: null };
