// Reusable large buffers for received Produce frames, with reference-counted leases.
//
// Why: a fresh 1 MiB Buffer costs ~0.6 ms of page faults on this kind of VM, and every byte
// received as a fresh ArrayBuffer is external memory that drives V8 into full Mark-Compact
// collections (issue 14: 67 of them while producing 1.5 GB). A frame read into a pooled buffer
// and handed back once nobody needs it any more costs neither.
//
// Who holds a lease (each holder retain()s once and release()s once):
//   the connection      from the frame's first byte until the handler's outcome is sent
//   storage             PartitionLog.append: until the bytes are written (write queue settles),
//                       and the tail cache while it serves the batches
// Code that keeps any part of a request's bytes beyond the response must retain its lease
// (leaseOf) or copy. Buffers that never come back (a holder forgot to release) are simply
// garbage-collected: the pool never tracks what it lent, it only keeps what it gets back, up to
// `maxRetainedBytes`.
//
// Retention goes to the size classes in use. When the budget is full of buffers nobody takes
// (the 1 MiB buffers of a 256 KiB-batch workload, say, once 4 MiB frames arrive), a buffer coming
// back evicts such spare buffers of other classes instead of being refused. Spare: a class's free
// list never went below that many during the previous SPARE_EPOCH acquires. Refusing it left the
// class in use with no free buffers at all: every frame of it was a fresh allocation and every
// one that came back went to the garbage collector, and V8 let a GiB of such dead ArrayBuffers
// pile up before collecting them (issue 14: RSS 0.75-1.2 GiB after large-batch produce). A
// buffer dropped to the collector costs memory until the next GC, so the pool drops as few as it
// can: once the working set fits, none.

/** Smallest and largest pooled size classes (powers of two); other sizes are not pooled. */
export const POOL_MIN_BYTES = 64 * 1024;
export const POOL_MAX_BYTES = 16 * 1024 * 1024;
/** Acquires per epoch of the spare-buffer count (see above): 16 frames of 4 growth steps each. */
export const SPARE_EPOCH = 64;

const leases = new WeakMap<ArrayBuffer, BufferLease>();

export class BufferLease {
  private refs = 1;

  constructor(
    /** The whole pooled buffer (its size class); users work on subarrays of it. */
    readonly buffer: Buffer,
    private readonly pool: BufferPool,
  ) {
    leases.set(buffer.buffer as ArrayBuffer, this);
  }

  get references(): number {
    return this.refs;
  }

  retain(): void {
    if (this.refs <= 0) throw new Error('BufferLease.retain after the last release');
    this.refs++;
  }

  /** Drops one reference; the last one returns the buffer to its pool. */
  release(): void {
    if (this.refs <= 0) return; // a second release of a finished lease: ignore, never double-pool
    if (--this.refs === 0) {
      leases.delete(this.buffer.buffer as ArrayBuffer);
      this.pool.put(this.buffer);
    }
  }
}

/** The live lease of the pooled buffer `b` is a view of, if any. */
export function leaseOf(b: Uint8Array): BufferLease | undefined {
  return leases.get(b.buffer as ArrayBuffer);
}

export class BufferPool {
  /** Free buffers per size class (index = log2(size / POOL_MIN_BYTES)). */
  private readonly free: Buffer[][] = [];
  /** Per class: the fewest free buffers during the current epoch. */
  private readonly lowWater: number[] = [];
  /** Per class: free buffers nobody took during the whole previous epoch (evictable). */
  private readonly spare: number[] = [];
  private epochAcquires = 0;
  private retained = 0;
  /** Counters for tests and the bench: buffers handed out fresh vs reused, dropped to the GC. */
  allocated = 0;
  reused = 0;
  /** Buffers returned but not kept (no room even after evicting spare buffers of other classes). */
  refused = 0;
  /** Spare free buffers dropped to make room for a returning buffer of another class. */
  evicted = 0;

  constructor(public maxRetainedBytes: number) {
    for (let s = POOL_MIN_BYTES; s <= POOL_MAX_BYTES; s *= 2) {
      this.free.push([]);
      this.lowWater.push(0);
      this.spare.push(0);
    }
  }

  get retainedBytes(): number {
    return this.retained;
  }

  /** Size class for `size` bytes, or -1 when it is larger than the largest class. */
  static classOf(size: number): number {
    if (size > POOL_MAX_BYTES) return -1;
    let c = 0;
    for (let s = POOL_MIN_BYTES; s < size; s *= 2) c++;
    return c;
  }

  /** A leased buffer of at least `size` bytes (size <= POOL_MAX_BYTES), one reference held. */
  acquire(size: number): BufferLease {
    const c = BufferPool.classOf(size);
    if (c < 0) throw new Error(`BufferPool.acquire(${size}) above ${POOL_MAX_BYTES}`);
    const list = this.free[c]!;
    if (++this.epochAcquires >= SPARE_EPOCH) this.newEpoch();
    const b = list.pop();
    if (list.length < this.lowWater[c]!) this.lowWater[c] = list.length;
    if (list.length < this.spare[c]!) this.spare[c] = list.length;
    if (b !== undefined) {
      this.retained -= b.length;
      this.reused++;
      return new BufferLease(b, this);
    }
    this.allocated++;
    // allocUnsafeSlow: an ArrayBuffer of its own (never a slice of Node's shared pool), so the
    // lease lookup by ArrayBuffer is exact and returning it frees nothing else.
    return new BufferLease(Buffer.allocUnsafeSlow(POOL_MIN_BYTES << c), this);
  }

  /**
   * A free buffer of the class for `size` bytes, or null when that class has none: never a fresh
   * allocation. For callers that would otherwise start smaller and grow (FrameReader): memory that
   * is resident and idle in the pool costs nothing to take, so a frame can take its whole size at
   * once without committing new memory for bytes that have not arrived yet.
   */
  tryAcquireFree(size: number): BufferLease | null {
    const c = BufferPool.classOf(size);
    if (c < 0 || this.free[c]!.length === 0) return null;
    return this.acquire(size);
  }

  put(b: Buffer): void {
    const c = BufferPool.classOf(b.length);
    if (c < 0 || POOL_MIN_BYTES << c !== b.length) return;
    if (this.retained + b.length > this.maxRetainedBytes && !this.makeRoom(c, b.length)) {
      this.refused++;
      return; // let GC have it
    }
    this.retained += b.length;
    this.free[c]!.push(b);
  }

  /** Evicts spare buffers of other classes, largest first, until `bytes` more fit; false (nothing evicted) when they cannot make room. */
  private makeRoom(c: number, bytes: number): boolean {
    let available = 0;
    for (let k = 0; k < this.free.length; k++) if (k !== c) available += this.spare[k]! * (POOL_MIN_BYTES << k);
    if (this.retained + bytes - available > this.maxRetainedBytes) return false;
    for (let k = this.free.length - 1; k >= 0 && this.retained + bytes > this.maxRetainedBytes; k--) {
      if (k === c) continue;
      const list = this.free[k]!;
      while (this.spare[k]! > 0 && this.retained + bytes > this.maxRetainedBytes) {
        this.retained -= list.pop()!.length;
        this.spare[k]!--;
        if (list.length < this.lowWater[k]!) this.lowWater[k] = list.length;
        this.evicted++;
      }
    }
    return true;
  }

  private newEpoch(): void {
    this.epochAcquires = 0;
    for (let k = 0; k < this.free.length; k++) {
      this.spare[k] = this.lowWater[k]!;
      this.lowWater[k] = this.free[k]!.length;
    }
  }

  /** Drops every free buffer (tests; memory pressure). */
  clear(): void {
    for (const l of this.free) l.length = 0;
    this.lowWater.fill(0);
    this.spare.fill(0);
    this.retained = 0;
  }
}

/**
 * The process-wide pool for request frames: one event loop, so one pool. 64 MiB of free buffers
 * covers every in-flight 1 MiB Produce frame of dozens of connections; beyond that buffers are
 * left to the garbage collector, so memory stays bounded whatever the load.
 */
export const framePool = new BufferPool(64 * 1024 * 1024);

// ---- views lent to a response ----------------------------------------------------------------
// Storage can answer a read with a view of a leased buffer (the tail cache). It takes a reference
// for the view (lendView); the connection that writes that exact Buffer object to a socket takes
// the reference over (takeLentView) and releases it once the write has completed. A view that is
// never written that way (copied by an encoder, dropped by a handler) keeps its reference: the
// buffer is then never reused, only garbage-collected. Losing a reuse is the worst case; a buffer
// is never recycled while a response could still read it.
const lent = new WeakMap<Buffer, BufferLease>();

/** `view` is handed to a reader: its lease (if any) stays referenced until takeLentView. */
export function lendView(view: Buffer): void {
  const lease = leaseOf(view);
  if (lease === undefined || lent.has(view)) return;
  lease.retain();
  lent.set(view, lease);
}

/** The reference lent with `view`, now owned by the caller (who must release it), if any. */
export function takeLentView(view: Buffer): BufferLease | undefined {
  const lease = lent.get(view);
  if (lease !== undefined) lent.delete(view);
  return lease;
}
