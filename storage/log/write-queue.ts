// The per-partition append queue. PartitionLog.append assigns offsets synchronously and hands the
// bytes here; everything appended while a write is in flight is coalesced into the next group,
// written with one writev per segment (at most one outstanding file write per partition, order
// preserved). A group's promise — shared by all its appends — resolves once its bytes are in the
// OS and the owner has advanced the high watermark.
//
//   append ─┐   pending group ──(writer idle)──▶ in-flight group ──writev──▶ resolve ─▶ next group
//   append ─┤   [data seg A][rolled A][data seg B][task]
//   append ─┘
//
// Items: `data` (bytes for a segment at a position), `rolled` (the segment before it will get no
// more bytes: flush it in the background), `task` (a barrier that runs between writes).
import fs from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import type { LogSegment } from './log-segment.js';

const IOV_MAX = 1024;

interface DataItem {
  kind: 'data';
  seg: LogSegment;
  bufs: Buffer[];
  pos: number;
  bytes: number;
  endOffset: number;
}
interface RolledItem {
  kind: 'rolled';
  seg: LogSegment;
}
interface TaskItem {
  kind: 'task';
  run: () => Promise<void>;
  cancel: (e: unknown) => void;
}
type Item = DataItem | RolledItem | TaskItem;

interface Group {
  items: Item[];
  flush: boolean;
  promise: Promise<void>;
  resolve: () => void;
  reject: (e: unknown) => void;
}

export interface WriteQueueHooks {
  /** Bytes of `seg` up to `endPos` (offsets below endOffset) are in the OS. */
  written(seg: LogSegment, endPos: number, endOffset: number): void;
  /** `seg` was rolled and all its bytes are written. */
  rolled(seg: LogSegment): void;
  /**
   * After a group: fsync if asked (flush.messages), advance the high watermark. Returns a promise
   * only when it has to wait (an fsync); otherwise it is done when it returns, and the group
   * resolves without another microtask hop.
   */
  groupDone(flush: boolean): Promise<void> | void;
  failed(e: unknown): void;
}

const IGNORE = (): void => {};

/**
 * Rejects a group. Callers may ignore `written`, so a rejection must not become an unhandled
 * rejection: the handler is attached only here, not to every group (a promise, a reaction and a
 * closure per group at 40,000 small Produce requests/s: issue 14, per-request garbage).
 */
function rejectGroup(g: Group, e: unknown): void {
  g.promise.catch(IGNORE);
  g.reject(e);
}

function newGroup(): Group {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { items: [], flush: false, promise, resolve, reject };
}

/**
 * The synchronous case of writevFully, without a promise: all of `bufs` (`total` bytes, at most
 * SYNC_WRITE_MAX_BYTES in at most IOV_MAX buffers) written at `position`, partial writes
 * continued. The group's common case (one small Produce per group at 40,000 requests/s) then
 * costs no `await`s: each was a promise and a microtask hop before the acknowledgement (issue 14).
 */
function writevSyncAll(fd: number, bufs: Buffer[], position: number, total: number): void {
  let done = fs.writevSync(fd, bufs, position);
  while (done < total) {
    // Rare (a regular file takes the whole write unless the disk fills): the rest, as views.
    const rest: Buffer[] = [];
    let skip = done;
    for (const b of bufs) {
      if (skip >= b.length) {
        skip -= b.length;
        continue;
      }
      rest.push(skip > 0 ? b.subarray(skip) : b);
      skip = 0;
    }
    const n = fs.writevSync(fd, rest, position + done);
    if (n <= 0) throw new Error(`writev wrote ${n} of ${total - done} bytes`);
    done += n;
  }
}

/** writev with partial-write handling and IOV_MAX chunking. */
/**
 * Writes up to this size are issued synchronously (see writevFully). 4 MiB covers a coalesced
 * group of ~1 MB Produce requests: measured with bench:rdkafka against 256 KiB in the same run
 * (bench/README.md change log), the thread-pool round trip cost more than the loop time of a
 * synchronous copy into the page cache (~0.3 ms per MiB here).
 */
const SYNC_WRITE_MAX_BYTES = 4 * 1024 * 1024;

export async function writevFully(fh: FileHandle, bufs: Buffer[], position: number): Promise<void> {
  let pos = position;
  let i = 0;
  let pending = bufs;
  while (i < pending.length) {
    const slice = pending.slice(i, i + IOV_MAX);
    let total = 0;
    for (const b of slice) total += b.length;
    // Hot path: a write into the page cache of up to a few hundred KiB costs a few µs when done
    // synchronously, but 25-40 µs of CPU when handed to the libuv thread pool and back (measured
    // on 2-vCPU machines). Kafka also appends on its request thread. Larger writes stay async so
    // the event loop is never held for more than a few ms.
    const bytesWritten =
      total <= SYNC_WRITE_MAX_BYTES
        ? fs.writevSync(fh.fd, slice, pos)
        : (slice.length === 1 ? await fh.write(slice[0]!, 0, total, pos) : await fh.writev(slice, pos)).bytesWritten;
    pos += bytesWritten;
    if (bytesWritten === total) {
      i += slice.length;
      continue;
    }
    if (pending === bufs) pending = bufs.slice();
    let w = bytesWritten;
    while (w >= pending[i]!.length) w -= pending[i++]!.length;
    pending[i] = pending[i]!.subarray(w);
  }
}

export class WriteQueue {
  private pending: Group | null = null;
  private writing = false;
  private idleWaiters: (() => void)[] = [];
  failure: unknown = null;

  /** The microtask that runs the queue: one function per queue, not a closure per group. */
  private readonly runSoon = (): void => void this.run();

  constructor(private readonly hooks: WriteQueueHooks) {}

  private group(): Group {
    if (!this.pending) {
      this.pending = newGroup();
      this.kick();
    }
    return this.pending;
  }

  enqueueData(seg: LogSegment, buf: Buffer, pos: number, endOffset: number): Promise<void> {
    const g = this.group();
    const last = g.items[g.items.length - 1];
    if (last && last.kind === 'data' && last.seg === seg && last.pos + last.bytes === pos) {
      last.bufs.push(buf);
      last.bytes += buf.length;
      last.endOffset = endOffset;
    } else {
      const item: DataItem = { kind: 'data', seg, bufs: [buf], pos, bytes: buf.length, endOffset };
      // A group's first item: a one-slot array, not `push`'s 16-slot backing store (the usual group
      // at 40,000 small Produce requests/s has one item: issue 14, per-request garbage).
      if (g.items.length === 0) g.items = [item];
      else g.items.push(item);
    }
    return g.promise;
  }

  markRolled(seg: LogSegment): void {
    this.group().items.push({ kind: 'rolled', seg });
  }

  /** The current pending group fsyncs before resolving (flush.messages reached). */
  requestFlush(): void {
    this.group().flush = true;
  }

  /** Runs `fn` after every write queued so far and before any queued later. */
  runTask<T>(fn: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.group().items.push({
        kind: 'task',
        run: async () => {
          try {
            resolve(await fn());
          } catch (e) {
            reject(e);
            throw e;
          }
        },
        cancel: reject,
      });
    });
  }

  /**
   * Accepts writes again after a failure the owner recovered from (a full disk: the owner cut the
   * log back to what was written). Only while idle, so no group of the failed run is left.
   */
  clearFailure(): void {
    if (!this.idle) throw new Error('WriteQueue.clearFailure while writes are queued');
    this.failure = null;
  }

  get idle(): boolean {
    return !this.writing && !this.pending;
  }

  whenIdle(): Promise<void> {
    if (this.idle) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private kick(): void {
    if (this.writing) return;
    this.writing = true;
    // A microtask, so that every append made in the current synchronous run joins the group.
    queueMicrotask(this.runSoon);
  }

  private async run(): Promise<void> {
    while (this.pending) {
      const g = this.pending;
      this.pending = null;
      if (this.failure) {
        rejectGroup(g, this.failure);
        for (const it of g.items) if (it.kind === 'task') it.cancel(this.failure);
        continue;
      }
      try {
        for (const it of g.items) {
          if (it.kind === 'data') {
            // An open segment and a small write: no await (see writevSyncAll).
            const fh = it.seg.openHandle() ?? (await it.seg.handle());
            if (it.bytes <= SYNC_WRITE_MAX_BYTES && it.bufs.length <= IOV_MAX) writevSyncAll(fh.fd, it.bufs, it.pos, it.bytes);
            else await writevFully(fh, it.bufs, it.pos);
            this.hooks.written(it.seg, it.pos + it.bytes, it.endOffset);
          } else if (it.kind === 'rolled') {
            this.hooks.rolled(it.seg);
          } else {
            await it.run();
          }
        }
        const done = this.hooks.groupDone(g.flush);
        if (done !== undefined) await done;
        g.resolve();
      } catch (e) {
        if (!this.failure) {
          this.failure = e;
          this.hooks.failed(e);
        }
        rejectGroup(g, e);
        for (const it of g.items) if (it.kind === 'task') it.cancel(e);
      }
    }
    this.writing = false;
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const f of w) f();
  }
}
