// One segment: a .log file of raw v2 batches plus its sparse .index and .timeindex (Kafka's
// LogSegment). The active segment's indexes live in memory and are appended to synchronously by
// PartitionLog.append; a rolled segment is immutable and loads its indexes lazily on first lookup,
// validating them and rebuilding from the log when they are missing or inconsistent.
//
// Two sizes matter: `size` counts bytes queued for the file (offset assignment runs ahead of I/O),
// `writtenSize` counts bytes that reached the OS. Reads never look past `writtenSize`.
import { closeSync, fstatSync, openSync, statSync } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { BATCH_HEADER_SIZE, readInt64, type BatchInfo } from '../../protocol/records/batch-header.js';
import { framePool } from '../../protocol/wire/buffer-pool.js';
import { SegmentReadAheads, sharedReadAheadBudget } from './read-ahead.js';
import { segmentPaths, DELETED_SUFFIX, renameIfExists, unlinkIfExists, isNotFound, isDiskFullError } from './log-files.js';
import { IndexFile } from './index-file.js';
import { OffsetIndex } from './offset-index.js';
import { TimeIndex, TIME_INDEX_ENTRY_SIZE } from './time-index.js';
import { readAt, readIntoSync, scanFile, scanHeadersSync, type FileScanResult } from './segment-scan.js';
import { HeaderCursor, LEND_MIN_BYTES, SegmentCorruptError, walkToOffset, walkRange, walkToTimestamp } from './segment-read.js';

const INT32_MAX = 0x7fffffff;
/** Remembered read positions per segment: one per consumer reading it sequentially, roughly. */
const READ_END_SLOTS = 16;

export interface IndexingConfig {
  indexIntervalBytes: number;
}

export interface SegmentRead {
  records: Buffer;
  /** Offset after the last returned batch (== fetch start when empty). */
  nextOffset: number;
  /** False when no batch at or after the fetch offset exists in the written part of this segment. */
  found: boolean;
}

export class LogSegment {
  logPath: string;
  indexPath: string;
  timeIndexPath: string;
  /** Bytes queued for the file (logical end). */
  size = 0;
  /** Bytes that reached the OS. */
  writtenSize = 0;
  /** Offset after the last batch queued into this segment. */
  nextOffset: number;
  maxTimestamp = -1;
  /** Base offset of the first batch that reached maxTimestamp. */
  offsetOfMaxTimestamp = -1;
  /** Max timestamp of the first batch (Kafka rolls by segment.ms relative to it); -1 if unknown. */
  rollingBasedTimestamp = -1;
  /** segment.jitter.ms drawn for this segment (set by the log on its first roll check). */
  rollJitterMs: number | undefined = undefined;
  created: number;
  lastModified: number;
  bytesSinceLastIndexEntry = 0;
  deleted = false;
  /** Files closed and unlinked: nothing can be read any more. */
  destroyed = false;
  /** An index rebuild met damage in the log file itself (reads fail there; no more rebuilds). */
  damaged = false;

  private offIdx: OffsetIndex | null = null;
  private timeIdx: TimeIndex | null = null;
  private indexLoad: Promise<void> | null = null;
  private fh: FileHandle | null = null;
  private fhOpening: Promise<FileHandle> | null = null;
  private createOnOpen: boolean;
  private readers = 0;
  private idleWaiters: (() => void)[] = [];
  /**
   * Where recent reads ended (offset after the last returned batch → file position of the next
   * batch), READ_END_SLOTS of them, oldest overwritten first. A consumer's next fetch asks for
   * exactly that offset and starts its walk there, as Kafka keeps a fetch's position: from the
   * offset index it would start at the batch *before* (an index entry names a batch by its last
   * offset), i.e. a whole batch earlier with large batches, which cost a second read per fetch.
   * Only bytes below writtenSize are ever remembered, and those change only by truncation or an
   * index rebuild, which forget them all (forgetReadPositions).
   */
  private readonly readEndOffsets: number[] = [];
  private readonly readEndPositions: number[] = [];
  private readEndNext = 0;
  /** Bumped by every forget: a read that began before one (it raced a truncation) remembers nothing. */
  private readEndGeneration = 0;
  /** Ranges read ahead for readers reading on (read-ahead.ts); created on first use. */
  private readAheads: SegmentReadAheads | null = null;
  /** close() has begun: nothing new is read ahead. */
  private closing = false;

  private constructor(readonly dir: string, readonly baseOffset: number, now: number, isNew: boolean) {
    const p = segmentPaths(dir, baseOffset);
    this.logPath = p.log;
    this.indexPath = p.index;
    this.timeIndexPath = p.timeIndex;
    this.nextOffset = baseOffset;
    this.created = now;
    this.lastModified = now;
    this.createOnOpen = isNew;
  }

  /** A new empty segment; its file is created by the first write (so roll stays synchronous). */
  static createNew(dir: string, baseOffset: number, now: number): LogSegment {
    const s = new LogSegment(dir, baseOffset, now, true);
    s.offIdx = new OffsetIndex(s.indexPath, baseOffset);
    s.timeIdx = new TimeIndex(s.timeIndexPath, baseOffset);
    s.indexLoad = Promise.resolve();
    return s;
  }

  /** An existing segment: size from the file, max timestamp from the time index's last entry. */
  static async openExisting(dir: string, baseOffset: number): Promise<LogSegment> {
    const s = new LogSegment(dir, baseOffset, Date.now(), false);
    const st = await stat(s.logPath);
    s.size = s.writtenSize = st.size;
    s.lastModified = st.mtimeMs;
    s.created = st.mtimeMs;
    return s;
  }

  /**
   * The same with a synchronous stat: for the loader at start-up (nothing is served yet, and a
   * thread-pool round trip per segment costs more main-thread time than the stat). The file is not
   * opened: that happens on the first read or append (handle()).
   */
  static openExistingSync(dir: string, baseOffset: number): LogSegment {
    const s = new LogSegment(dir, baseOffset, Date.now(), false);
    const st = statSync(s.logPath);
    s.size = s.writtenSize = st.size;
    s.lastModified = st.mtimeMs;
    s.created = st.mtimeMs;
    return s;
  }

  // ---- file handle & readers -------------------------------------------------------------

  /** The file handle when it is open (the write queue's synchronous path), else null. */
  openHandle(): FileHandle | null {
    return this.fh;
  }

  handle(): Promise<FileHandle> {
    if (this.fh) return Promise.resolve(this.fh);
    if (this.destroyed) return Promise.reject(new Error(`segment ${this.baseOffset} was deleted`));
    if (!this.fhOpening) {
      const flags = this.createOnOpen ? 'w+' : 'r+';
      this.fhOpening = open(this.logPath, flags, 0o644).then(
        (fh) => {
          this.fh = fh;
          this.createOnOpen = false;
          return fh;
        },
        (e) => {
          this.fhOpening = null;
          throw e;
        },
      );
    }
    return this.fhOpening;
  }

  get fileCreated(): boolean {
    return !this.createOnOpen;
  }

  /** Whether the segment holds (or is opening) its file handle: segments loaded at start-up open it on first use. */
  get fileOpen(): boolean {
    return this.fh !== null || this.fhOpening !== null;
  }

  /** Marks a read in progress: physical close/unlink waits for it. */
  acquire(): void {
    this.readers++;
  }

  release(): void {
    if (--this.readers === 0) {
      const w = this.idleWaiters;
      this.idleWaiters = [];
      for (const f of w) f();
    }
  }

  private whenIdle(): Promise<void> {
    if (this.readers === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  // ---- indexes ----------------------------------------------------------------------------

  get indexesLoaded(): boolean {
    return this.offIdx !== null && this.timeIdx !== null;
  }

  /** Synchronous access for the append path; only valid once indexes are loaded (active segment). */
  get offsetIndex(): OffsetIndex {
    if (!this.offIdx) throw new Error(`indexes of segment ${this.baseOffset} not loaded`);
    return this.offIdx;
  }

  get timeIndex(): TimeIndex {
    if (!this.timeIdx) throw new Error(`indexes of segment ${this.baseOffset} not loaded`);
    return this.timeIdx;
  }

  /** Loads and validates the index files, rebuilding them from the log if they do not check out. */
  ensureIndexes(): Promise<void> {
    if (!this.indexLoad) {
      const load = this.loadIndexes().then(
        () => {},
        (e) => {
          this.indexLoad = null;
          throw e;
        },
      );
      this.indexLoad = load;
      return load;
    }
    return this.indexLoad;
  }

  /** True if the files were usable; false if they had to be rebuilt. */
  private async loadIndexes(): Promise<boolean> {
    if (await this.loadIndexesIfValid()) return true;
    await this.rebuildIndexes(false);
    this.onBecomeInactive();
    await this.persistIndexes(false);
    return false;
  }

  /**
   * Loads both index files if they exist and check out against the log file's size; false (and
   * nothing loaded) otherwise. Startup uses it to tell a trustworthy segment from one to recover.
   */
  async loadIndexesIfValid(readSync = false): Promise<boolean> {
    // readSync: the loader at start-up (see IndexFile.readIndexFileSync); reads serving clients stay async.
    const [offData, timeData] = readSync
      ? [IndexFile.readIndexFileSync(this.indexPath), IndexFile.readIndexFileSync(this.timeIndexPath)]
      : await Promise.all([IndexFile.readIndexFile(this.indexPath), IndexFile.readIndexFile(this.timeIndexPath)]);
    const ok =
      offData !== null &&
      timeData !== null &&
      offData.length % 8 === 0 &&
      timeData.length % TIME_INDEX_ENTRY_SIZE === 0;
    if (ok) {
      const off = new OffsetIndex(this.indexPath, this.baseOffset, offData);
      const time = new TimeIndex(this.timeIndexPath, this.baseOffset, timeData);
      const limit = this.nextOffset > this.baseOffset ? this.nextOffset : Number.MAX_SAFE_INTEGER;
      if (off.isValid(this.writtenSize) && time.isValid(limit)) {
        this.offIdx = off;
        this.timeIdx = time;
        this.indexLoad ??= Promise.resolve();
        return true;
      }
    }
    return false;
  }

  /** Reads the last time index entry only (cheap segment max timestamp for retention at startup). */
  async loadMaxTimestampFromTimeIndex(sync = false): Promise<boolean> {
    if (sync) return this.loadMaxTimestampFromTimeIndexSync();
    let fh: FileHandle;
    try {
      fh = await open(this.timeIndexPath, 'r');
    } catch (e) {
      if (isNotFound(e)) return false;
      throw e;
    }
    try {
      const { size } = await fh.stat();
      if (size % TIME_INDEX_ENTRY_SIZE !== 0) return false;
      if (size === 0) return true;
      const last = await readAt(fh, size - TIME_INDEX_ENTRY_SIZE, TIME_INDEX_ENTRY_SIZE);
      if (last.length !== TIME_INDEX_ENTRY_SIZE) return false;
      const rel = last.readInt32BE(8);
      if (rel < 0) return false;
      this.maxTimestamp = readInt64(last, 0);
      this.offsetOfMaxTimestamp = this.baseOffset + rel;
      return true;
    } finally {
      await fh.close();
    }
  }

  /** The same with synchronous calls (the loader at start-up: one open, fstat, read, close per rolled segment). */
  private loadMaxTimestampFromTimeIndexSync(): boolean {
    let fd: number;
    try {
      fd = openSync(this.timeIndexPath, 'r');
    } catch (e) {
      if (isNotFound(e)) return false;
      throw e;
    }
    try {
      const { size } = fstatSync(fd);
      if (size % TIME_INDEX_ENTRY_SIZE !== 0) return false;
      if (size === 0) return true;
      const last = Buffer.allocUnsafe(TIME_INDEX_ENTRY_SIZE);
      if (readIntoSync(fd, last, size - TIME_INDEX_ENTRY_SIZE) !== TIME_INDEX_ENTRY_SIZE) return false;
      const rel = last.readInt32BE(8);
      if (rel < 0) return false;
      this.maxTimestamp = readInt64(last, 0);
      this.offsetOfMaxTimestamp = this.baseOffset + rel;
      return true;
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Scans the whole written file and rebuilds both indexes and the segment's offsets/timestamps.
   * `checkCrc` for recovery. `onBatch` sees each accepted batch (leader epoch cache rebuild).
   * Stops at the first invalid batch; does not truncate (see recover). A rebuild outside recovery
   * (a bad index found at load or by a read) that meets damage keeps the segment's size and next
   * offset: reads then fail at the damage (CORRUPT_MESSAGE) instead of quietly ending the segment
   * early, which used to skip every later batch of it.
   */
  async rebuildIndexes(
    checkCrc: boolean,
    intervalBytes = 4096,
    onBatch?: (epoch: number, baseOffset: number) => void,
  ): Promise<FileScanResult> {
    this.forgetReadPositions();
    const off = this.offIdx ?? new OffsetIndex(this.indexPath, this.baseOffset);
    const time = this.timeIdx ?? new TimeIndex(this.timeIndexPath, this.baseOffset);
    off.reset();
    time.reset();
    this.offIdx = off;
    this.timeIdx = time;
    this.indexLoad = Promise.resolve();
    this.maxTimestamp = -1;
    this.offsetOfMaxTimestamp = -1;
    this.rollingBasedTimestamp = -1;
    this.bytesSinceLastIndexEntry = 0;
    let expected = this.baseOffset;
    let first = true;
    const fh = await this.handle();
    const end = (await fh.stat()).size;
    const result = await scanFile(fh, 0, end, checkCrc, (b, position) => {
      const last = b.baseOffset + b.lastOffsetDelta;
      if (b.baseOffset < expected || b.lastOffsetDelta < 0 || last - this.baseOffset > INT32_MAX) return false;
      if (first) {
        this.rollingBasedTimestamp = b.maxTimestamp;
        first = false;
      }
      this.indexBatch(b.baseOffset, last, position, b.size, b.maxTimestamp, intervalBytes);
      onBatch?.(b.partitionLeaderEpoch, b.baseOffset);
      expected = last + 1;
      return true;
    });
    this.forgetReadPositions();
    if (result.error === null || checkCrc) {
      this.size = this.writtenSize = result.validEnd;
      this.nextOffset = expected;
      this.damaged = false;
    } else {
      this.damaged = true;
    }
    return result;
  }

  /** Recovery (unclean shutdown): CRC-checked rebuild, then cut the file after the last valid batch. */
  async recover(
    intervalBytes: number,
    onBatch?: (epoch: number, baseOffset: number) => void,
  ): Promise<{ truncatedBytes: number; error: FileScanResult['error'] }> {
    const fh = await this.handle();
    const fileSize = (await fh.stat()).size;
    const r = await this.rebuildIndexes(true, intervalBytes, onBatch);
    if (r.validEnd < fileSize) await fh.truncate(r.validEnd);
    this.onBecomeInactive();
    await this.persistIndexesIfSpace(false);
    return { truncatedBytes: fileSize - r.validEnd, error: r.error };
  }

  /**
   * Clean load of the active segment: trust the indexes and scan only the tail (from the last
   * indexed batch) to find the next offset and max timestamp. Returns the scan error, if any.
   */
  async loadActive(sync = false): Promise<FileScanResult['error']> {
    if (!this.indexesLoaded) await this.ensureIndexes();
    if (sync) return this.loadActiveSync();
    const walk = this.tailWalk();
    const fh = await this.handle();
    const r = await scanFile(fh, walk.start, this.writtenSize, false, walk.visit);
    if (r.error !== null) return r.error;
    walk.done();
    if (this.size > 0) {
      const head = await readAt(fh, 0, 61);
      if (head.length === 61) this.rollingBasedTimestamp = readInt64(head, 35);
    }
    return null;
  }

  /**
   * What both loadActive walks share: where the tail after the last index entries starts, the max
   * timestamp taken from the time index, the batch check and timestamp update per header, and the
   * offsets set once the walk ended without error.
   */
  private tailWalk(): { start: number; visit: (b: BatchInfo) => boolean; done: () => void } {
    const off = this.offsetIndex;
    const time = this.timeIndex;
    const lastTime = time.lastEntry();
    const lastOff = off.lastEntry();
    const start = Math.min(lastOff.position, time.entries > 0 ? off.lookup(lastTime.offset).position : lastOff.position);
    this.maxTimestamp = time.entries > 0 ? lastTime.timestamp : -1;
    this.offsetOfMaxTimestamp = time.entries > 0 ? lastTime.offset : -1;
    let next = this.baseOffset;
    const visit = (b: BatchInfo): boolean => {
      if (b.baseOffset < next || b.lastOffsetDelta < 0) return false;
      if (b.maxTimestamp > this.maxTimestamp) {
        this.maxTimestamp = b.maxTimestamp;
        this.offsetOfMaxTimestamp = b.baseOffset;
      }
      next = b.baseOffset + b.lastOffsetDelta + 1;
      return true;
    };
    const done = (): void => {
      this.nextOffset = next;
      this.bytesSinceLastIndexEntry = off.entries > 0 ? this.size - lastOff.position : this.size;
    };
    return { start, visit, done };
  }

  /**
   * loadActive at start-up, after a clean shutdown (indexes loaded and valid): walks only the batch
   * headers after the last index entry, synchronously, on a descriptor closed before returning —
   * the segment's own handle opens on its first read or append, so a partition nobody touches
   * keeps no file open and 1,000 partitions start with no segment descriptors. Same results as
   * the async walk.
   */
  private loadActiveSync(): FileScanResult['error'] {
    const walk = this.tailWalk();
    const fd = openSync(this.logPath, 'r');
    try {
      const r = scanHeadersSync(fd, walk.start, this.writtenSize, walk.visit);
      if (r.error !== null) return r.error;
      walk.done();
      if (this.size > 0) {
        const head = Buffer.allocUnsafe(61);
        if (readIntoSync(fd, head, 0) === 61) this.rollingBasedTimestamp = readInt64(head, 35);
      }
      return null;
    } finally {
      closeSync(fd);
    }
  }

  // ---- append-side bookkeeping (synchronous) ---------------------------------------------

  /** Records one batch queued at `position` (Kafka's LogSegment.append, per batch). */
  indexBatch(baseOffset: number, lastOffset: number, position: number, size: number, maxTimestamp: number, intervalBytes: number): void {
    if (maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = maxTimestamp;
      this.offsetOfMaxTimestamp = baseOffset;
    }
    if (this.bytesSinceLastIndexEntry > intervalBytes) {
      this.offIdx!.append(lastOffset, position);
      this.timeIdx!.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
      this.bytesSinceLastIndexEntry = 0;
    }
    this.bytesSinceLastIndexEntry += size;
    this.size = position + size;
    this.nextOffset = lastOffset + 1;
  }

  /** Rolled or closed: the time index gets the segment's max timestamp as its last entry. */
  onBecomeInactive(): void {
    if (this.timeIdx && this.maxTimestamp >= 0) this.timeIdx.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
  }

  /** Timestamp retention compares against (Kafka: max timestamp, else file mtime). */
  get largestTimestamp(): number {
    return this.maxTimestamp >= 0 ? this.maxTimestamp : this.lastModified;
  }

  // ---- reads -------------------------------------------------------------------------------

  /** Whole batches from the one containing fetchOffset; see PartitionLog.read for the rules. */
  async read(fetchOffset: number, maxBytes: number, maxOffset: number, minOneMessage: boolean, intervalBytes: number): Promise<SegmentRead> {
    await this.ensureIndexes();
    const limit = this.writtenSize;
    const generation = this.readEndGeneration;
    const known = this.readPositionOf(fetchOffset);
    const entry = known < 0 ? this.offIdx!.lookup(fetchOffset) : null;
    const start = entry === null ? known : entry.position;
    if (start >= limit) return { records: EMPTY, nextOffset: fetchOffset, found: false };
    const fh = await this.handle();
    // From a remembered position the byte budget is the whole answer; from an index entry add
    // the gap to the wanted batch (≤ interval + one batch; a whole batch costs a second read).
    const firstChunk = Math.max(16 * 1024, Math.min(maxBytes, 4 * 1024 * 1024) + (entry === null ? 0 : intervalBytes + 2048));
    const cursor = new HeaderCursor(fh, limit, firstChunk, this, framePool);
    try {
      const ahead = entry === null ? (this.readAheads?.take(fetchOffset, start, generation) ?? null) : null;
      if (ahead !== null) {
        const n = await ahead.done;
        if (n >= BATCH_HEADER_SIZE) cursor.adopt(ahead.lease, ahead.lease.buffer.subarray(0, n), start);
        else ahead.lease.release();
      }
      const expectLast = entry !== null && entry.position > 0 ? entry.offset : -1;
      const range = await walkRange(cursor, start, fetchOffset, maxBytes, maxOffset, minOneMessage, expectLast);
      if (!range.found) return { records: EMPTY, nextOffset: fetchOffset, found: false };
      if (range.end === range.start) {
        this.rememberReadPosition(generation, fetchOffset, range.start); // the next poll asks for the same offset
        return { records: EMPTY, nextOffset: fetchOffset, found: true };
      }
      const records = await cursor.take(range.start, range.end);
      if (records.length !== range.end - range.start) throw new SegmentCorruptError(this.baseOffset, range.start, 'short read');
      this.rememberReadPosition(generation, range.nextOffset, range.end);
      // A reader reading on (this read started where one ended): read its next range ahead.
      const rest = this.writtenSize - range.end;
      if (entry === null && rest >= LEND_MIN_BYTES && generation === this.readEndGeneration && !this.deleted) {
        this.readAheads ??= new SegmentReadAheads(sharedReadAheadBudget(framePool), (g) => this.readableEnd(g), LEND_MIN_BYTES);
        this.readAheads.start(fh, range.nextOffset, range.end, Math.min(firstChunk, rest), generation, () => this.acquire(), () => this.release());
      }
      return { records, nextOffset: range.nextOffset, found: true };
    } finally {
      cursor.close();
    }
  }

  /** Where bytes read in `generation` may still be read ahead up to, or -1 (see read-ahead.ts). */
  private readableEnd(generation: number): number {
    return generation === this.readEndGeneration && !this.deleted && !this.closing ? this.writtenSize : -1;
  }

  /** File position a walk for `offset` may start at (a batch boundary, every batch before it ends below `offset`), or -1. */
  private readPositionOf(offset: number): number {
    const offsets = this.readEndOffsets;
    for (let i = 0; i < offsets.length; i++) if (offsets[i] === offset) return this.readEndPositions[i]!;
    return -1;
  }

  private rememberReadPosition(generation: number, offset: number, position: number): void {
    if (generation !== this.readEndGeneration || position > this.writtenSize || this.readPositionOf(offset) >= 0) return;
    const i = this.readEndNext;
    this.readEndOffsets[i] = offset;
    this.readEndPositions[i] = position;
    this.readEndNext = (i + 1) % READ_END_SLOTS;
  }

  /** The file's bytes changed below writtenSize (truncation, rebuild): no remembered position holds. Public for tests. */
  forgetReadPositions(): void {
    this.readAheads?.clear();
    this.readEndGeneration++;
    this.readEndOffsets.length = 0;
    this.readEndPositions.length = 0;
    this.readEndNext = 0;
  }

  /** Read-aheads not yet taken (tests). */
  get pendingReadAheads(): number {
    return this.readAheads?.pending ?? 0;
  }

  /** Read-aheads not yet taken whose read is over (tests). */
  get pendingReadAheadsRead(): number {
    return this.readAheads?.pendingRead ?? 0;
  }

  /** How many read positions are remembered (tests). */
  get rememberedReadPositions(): number {
    return this.readEndOffsets.length;
  }

  /** First batch (at or after startingOffset) whose max timestamp >= target, among written bytes. */
  async findByTimestamp(target: number, startingOffset: number): Promise<{ offset: number; timestamp: number } | null> {
    await this.ensureIndexes();
    const fromOffset = Math.max(this.timeIdx!.lookup(target).offset, startingOffset);
    const start = this.offIdx!.lookup(fromOffset).position;
    if (start >= this.writtenSize) return null;
    const cursor = new HeaderCursor(await this.handle(), this.writtenSize, 64 * 1024, this);
    const hit = await walkToTimestamp(cursor, start, target, startingOffset);
    if (!hit) return null;
    return { offset: Math.max(hit.baseOffset, startingOffset), timestamp: hit.maxTimestamp };
  }

  /** Position and base offset of the first batch whose last offset >= target, or null. */
  async translateOffset(target: number): Promise<{ position: number; baseOffset: number } | null> {
    await this.ensureIndexes();
    const start = this.offIdx!.lookup(target).position;
    if (start >= this.writtenSize) return null;
    const cursor = new HeaderCursor(await this.handle(), this.writtenSize, 64 * 1024, this);
    return walkToOffset(cursor, start, target);
  }

  // ---- mutation (callers serialize these with writes) ------------------------------------

  /** Removes every batch whose last offset >= offset. Returns bytes removed. */
  async truncateTo(offset: number, intervalBytes: number): Promise<number> {
    const t = await this.translateOffset(offset);
    if (!t) return 0;
    const removed = this.size - t.position;
    const fh = await this.handle();
    this.forgetReadPositions();
    await fh.truncate(t.position);
    this.size = this.writtenSize = t.position;
    this.forgetReadPositions(); // again: a read that was walking during the cut
    this.nextOffset = t.position === 0 ? this.baseOffset : t.baseOffset;
    this.offIdx!.truncateToPosition(t.position);
    this.timeIdx!.truncateToOffset(t.baseOffset);
    this.bytesSinceLastIndexEntry = 0;
    await this.recomputeMaxTimestamp(fh);
    void intervalBytes;
    await this.persistIndexes(false);
    return removed;
  }

  /**
   * After a failed write (disk full): forgets every batch from `endOffset` on, written or only
   * queued, and cuts the file back to the last whole batch before it, so a torn partial write never
   * stays behind. Index entries for the dropped batches go too.
   */
  async discardUnwritten(endOffset: number): Promise<void> {
    await this.ensureIndexes();
    // Batches of the failed write group may have reached the file before the error: they go too
    // (their producers were told the write failed), so cut at endOffset's batch if it is written.
    const t = this.writtenSize > 0 ? await this.translateOffset(endOffset) : null;
    this.forgetReadPositions();
    if (t) this.writtenSize = t.position;
    const fh = this.fileCreated ? await this.handle() : null;
    if (fh) await fh.truncate(this.writtenSize); // shrinking needs no free space
    this.forgetReadPositions();
    if (this.size === this.writtenSize && this.nextOffset === endOffset) return;
    this.size = this.writtenSize;
    this.nextOffset = this.writtenSize === 0 ? this.baseOffset : endOffset;
    this.offIdx!.truncateToPosition(this.writtenSize);
    this.timeIdx!.truncateToOffset(this.nextOffset);
    const lastOff = this.offIdx!.lastEntry();
    this.bytesSinceLastIndexEntry = this.offIdx!.entries > 0 ? this.size - lastOff.position : this.size;
    if (fh) await this.recomputeMaxTimestamp(fh);
    else this.maxTimestamp = this.offsetOfMaxTimestamp = this.rollingBasedTimestamp = -1;
  }

  /** Kafka's readLargestTimestamp after a cut: last time index entry + the batches after it. */
  private async recomputeMaxTimestamp(fh: FileHandle): Promise<void> {
    if (this.size === 0) {
      this.maxTimestamp = this.offsetOfMaxTimestamp = this.rollingBasedTimestamp = -1;
      this.created = Date.now();
      return;
    }
    const last = this.timeIdx!.lastEntry();
    this.maxTimestamp = this.timeIdx!.entries > 0 ? last.timestamp : -1;
    this.offsetOfMaxTimestamp = this.timeIdx!.entries > 0 ? last.offset : -1;
    const from = this.timeIdx!.entries > 0 ? this.offIdx!.lookup(last.offset).position : 0;
    await scanFile(fh, from, this.size, false, (b) => {
      if (b.maxTimestamp > this.maxTimestamp) {
        this.maxTimestamp = b.maxTimestamp;
        this.offsetOfMaxTimestamp = b.baseOffset;
      }
      return true;
    });
  }

  persistIndexes(sync: boolean): Promise<void> {
    if (!this.offIdx || !this.timeIdx) return Promise.resolve();
    return Promise.all([this.offIdx.persist(sync), this.timeIdx.persist(sync)]).then(() => {});
  }

  /**
   * Index files are a cache of the log (validated on load, rebuilt when torn or missing), so a full
   * disk while writing them is not an error: the entries stay in memory and are written later.
   */
  private async persistIndexesIfSpace(sync: boolean): Promise<void> {
    try {
      await this.persistIndexes(sync);
    } catch (e) {
      if (!isDiskFullError(e)) throw e;
    }
  }

  /** fsync the log file and write + fsync the indexes. */
  async flush(): Promise<void> {
    if (this.deleted) return;
    if (this.fh) await this.fh.sync();
    await this.persistIndexesIfSpace(true);
  }

  /** Waits for readers, persists indexes, closes the file. */
  async close(sync: boolean): Promise<void> {
    this.closing = true;
    this.readAheads?.clear();
    await this.whenIdle();
    this.readAheads?.clear(); // one started by a read that was still running
    if (this.fh && sync) await this.fh.sync();
    if (!this.deleted) await this.persistIndexesIfSpace(sync);
    const fh = this.fh ?? (this.fhOpening ? await this.fhOpening.catch(() => null) : null);
    this.fh = null;
    this.fhOpening = null;
    if (fh) await fh.close();
  }

  /** Step 1 of Kafka's async delete: rename files to *.deleted (open handles keep working). */
  async markDeleted(): Promise<void> {
    this.deleted = true;
    this.readAheads?.clear();
    // Let in-flight index writes finish under the old names (a later one would recreate the file).
    await Promise.all([this.offIdx?.idle(), this.timeIdx?.idle()]);
    const renames: [string, string][] = [
      [this.logPath, this.logPath + DELETED_SUFFIX],
      [this.indexPath, this.indexPath + DELETED_SUFFIX],
      [this.timeIndexPath, this.timeIndexPath + DELETED_SUFFIX],
    ];
    for (const [from, to] of renames) await renameIfExists(from, to);
    this.logPath += DELETED_SUFFIX;
    this.indexPath += DELETED_SUFFIX;
    this.timeIndexPath += DELETED_SUFFIX;
    this.offIdx?.setPath(this.indexPath);
    this.timeIdx?.setPath(this.timeIndexPath);
  }

  /** Step 2: after file.delete.delay.ms, close (once readers are done) and unlink. */
  async destroy(): Promise<void> {
    this.deleted = true;
    this.readAheads?.clear();
    await this.whenIdle();
    this.destroyed = true;
    await this.close(false);
    await Promise.all([unlinkIfExists(this.logPath), unlinkIfExists(this.indexPath), unlinkIfExists(this.timeIndexPath)]);
  }
}

const EMPTY = Buffer.alloc(0);
