// The aborted-transactions index of one partition (Kafka's TransactionIndex, `.txnindex`): one
// entry per aborted transaction that wrote data, appended when its ABORT marker is appended.
// read_committed fetches ask it which aborted transactions overlap the range they return, so the
// consumer can drop those batches.
//
// Kafka keeps one file per segment; we keep one file per partition (fewer files, no coupling to
// segment lifecycle). Entries are appended in marker order, so they are sorted by lastOffset.
// Entries below the log start are dropped by prune(); truncation drops entries past a cut.
//
// File layout: a sequence of 34-byte entries (Kafka's AbortedTxn v0), big endian:
//   0  version           int16  = 0
//   2  producerId        int64
//  10  firstOffset       int64  first offset of the transaction in this partition
//  18  lastOffset        int64  offset of the ABORT marker
//  26  lastStableOffset  int64  the partition's LSO right after the abort
// A torn tail (a partial entry after a crash) is ignored on load.
import { readFileSync } from 'node:fs';
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { readInt64, writeInt64 } from '../../protocol/records/batch-header.js';
import { isNotFound, writeFileAtomic } from './log-files.js';

export const TXN_INDEX_FILE = 'aborted-transactions.txnindex';
export const ABORTED_TXN_ENTRY_SIZE = 34;

export interface AbortedTxn {
  producerId: number;
  firstOffset: number;
  lastOffset: number;
  lastStableOffset: number;
}

export function encodeAbortedTxns(entries: readonly AbortedTxn[]): Buffer {
  const buf = Buffer.alloc(entries.length * ABORTED_TXN_ENTRY_SIZE);
  entries.forEach((e, i) => {
    const p = i * ABORTED_TXN_ENTRY_SIZE;
    buf.writeInt16BE(0, p);
    writeInt64(buf, p + 2, e.producerId);
    writeInt64(buf, p + 10, e.firstOffset);
    writeInt64(buf, p + 18, e.lastOffset);
    writeInt64(buf, p + 26, e.lastStableOffset);
  });
  return buf;
}

/** Decodes whole entries; stops at a torn tail or an entry with an unknown version. */
export function decodeAbortedTxns(buf: Buffer): AbortedTxn[] {
  const out: AbortedTxn[] = [];
  for (let p = 0; p + ABORTED_TXN_ENTRY_SIZE <= buf.length; p += ABORTED_TXN_ENTRY_SIZE) {
    if (buf.readInt16BE(p) !== 0) break;
    out.push({
      producerId: readInt64(buf, p + 2),
      firstOffset: readInt64(buf, p + 10),
      lastOffset: readInt64(buf, p + 18),
      lastStableOffset: readInt64(buf, p + 26),
    });
  }
  return out;
}

export class TxnIndex {
  private entries: AbortedTxn[] = [];
  private fh: FileHandle | null = null;
  private io: Promise<void> = Promise.resolve();
  private failure: unknown = null;
  private closed = false;
  /** Entries appended since the last fsync. */
  private dirty = false;

  constructor(readonly path: string) {}

  /** Reads the file (missing = empty). Entries not in lastOffset order end the usable prefix. */
  async load(sync = false): Promise<void> {
    let buf: Buffer;
    try {
      // sync: the loader at start-up, where the file is usually absent (one failed open).
      buf = sync ? readFileSync(this.path) : await readFile(this.path);
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    const all = decodeAbortedTxns(buf);
    let n = 0;
    while (n < all.length && (n === 0 || all[n]!.lastOffset > all[n - 1]!.lastOffset)) n++;
    this.entries = all.slice(0, n);
    if (n * ABORTED_TXN_ENTRY_SIZE !== buf.length) this.rewrite();
  }

  get size(): number {
    return this.entries.length;
  }

  all(): readonly AbortedTxn[] {
    return this.entries;
  }

  /** Adds an entry (its lastOffset must exceed every existing one) and queues the file append. */
  append(e: AbortedTxn): void {
    this.entries.push(e);
    this.dirty = true;
    const bytes = encodeAbortedTxns([e]);
    this.enqueue(async () => {
      this.fh ??= await open(this.path, 'a');
      await this.fh.write(bytes, 0, bytes.length);
    });
  }

  /**
   * Kafka's collectAbortedTxns: entries whose marker is at or after `fetchOffset` and whose first
   * offset is below `upperBound`. Stops at the first entry whose LSO reaches `upperBound`: every
   * later abort started at or after that LSO, so beyond the range.
   */
  collect(fetchOffset: number, upperBound: number): { producerId: number; firstOffset: number }[] {
    const out: { producerId: number; firstOffset: number }[] = [];
    const es = this.entries;
    let lo = 0;
    let hi = es.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (es[mid]!.lastOffset < fetchOffset) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < es.length; i++) {
      const e = es[i]!;
      if (e.firstOffset < upperBound) out.push({ producerId: e.producerId, firstOffset: e.firstOffset });
      if (e.lastStableOffset >= upperBound) break;
    }
    return out;
  }

  /** Entries whose ABORT marker lies in [from, to): Kafka's per-segment `.txnindex` of that range. */
  entriesWithMarkerIn(from: number, to: number): AbortedTxn[] {
    return this.entries.filter((e) => e.lastOffset >= from && e.lastOffset < to);
  }

  /** Forgets one entry (its ABORT marker is being compacted away, its data already gone). */
  remove(e: AbortedTxn): boolean {
    const i = this.entries.indexOf(e);
    if (i < 0) return false;
    this.entries = [...this.entries.slice(0, i), ...this.entries.slice(i + 1)];
    this.rewrite();
    return true;
  }

  /** Drops entries whose marker is at or after `offset` (log truncation, recovery replay). */
  truncateFrom(offset: number): void {
    const keep = this.entries.filter((e) => e.lastOffset < offset);
    if (keep.length === this.entries.length) return;
    this.entries = keep;
    this.rewrite();
  }

  /** Drops entries wholly below the log start; rewrites the file only when that frees most of it. */
  pruneBefore(logStartOffset: number): number {
    let n = 0;
    while (n < this.entries.length && this.entries[n]!.lastOffset < logStartOffset) n++;
    if (n === 0) return 0;
    this.entries = this.entries.slice(n);
    if (n >= this.entries.length) this.rewrite();
    return n;
  }

  /** Removes everything (the log restarted at a new offset). */
  clear(): void {
    this.entries = [];
    this.rewrite();
  }

  /** Marker offset of the newest entry, -1 when empty (producer snapshots record it). */
  lastOffset(): number {
    return this.entries.length === 0 ? -1 : this.entries[this.entries.length - 1]!.lastOffset;
  }

  /** Whether an entry with this marker offset exists. */
  hasEntryAt(lastOffset: number): boolean {
    return this.entries.some((e) => e.lastOffset === lastOffset);
  }

  /** fsyncs appended entries, if any (before a producer snapshot that relies on them is written). */
  flush(): Promise<void> {
    if (!this.dirty) return this.io;
    this.dirty = false;
    return this.enqueue(async () => {
      if (this.fh) await this.fh.sync();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush().catch(() => {});
    this.closed = true;
    await this.io;
    const fh = this.fh;
    this.fh = null;
    await fh?.close();
  }

  /** The first I/O error, if any (the caller decides whether the log goes offline). */
  get error(): unknown {
    return this.failure;
  }

  private rewrite(): void {
    const snapshot = encodeAbortedTxns(this.entries);
    this.enqueue(async () => {
      const fh = this.fh;
      this.fh = null;
      await fh?.close();
      await writeFileAtomic(this.path, snapshot, dirname(this.path));
    });
  }

  private enqueue(op: () => Promise<void>): Promise<void> {
    const run = this.io.then(() => (this.closed ? undefined : op()));
    this.io = run.catch((e) => {
      this.failure ??= e;
    });
    return run;
  }
}
