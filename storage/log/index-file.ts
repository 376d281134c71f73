// Common part of the offset and time indexes: fixed-size big-endian entries kept in a Buffer in
// memory (Node has no mmap) and written to the file lazily — on flush, roll and close — instead of
// on every append. Kafka preallocates and mmaps index files and trims them on roll; we never
// preallocate, so the file is always exactly `entries * entrySize` bytes ("trimmed") once persisted.
//
// Crash safety does not depend on these writes: after an unclean shutdown every segment at or past
// the recovery point has its indexes rebuilt from the log, and segments below it were flushed
// (indexes included) before the recovery point moved past them.
import { open, readFile } from 'node:fs/promises';
import { constants, readFileSync } from 'node:fs';
import { isNotFound } from './log-files.js';

const INITIAL_CAPACITY_ENTRIES = 64;

export abstract class IndexFile {
  protected buf: Buffer;
  protected count: number;
  /** Leading entries known to be identical on disk. */
  private persisted: number;
  /** Bumped when entries are removed or replaced, so an in-flight persist does not over-claim. */
  private generation = 0;
  private chain: Promise<void> = Promise.resolve();

  protected constructor(
    public path: string,
    readonly baseOffset: number,
    readonly entrySize: number,
    data: Buffer | null,
  ) {
    if (data && data.length > 0) {
      this.buf = data;
      this.count = Math.floor(data.length / entrySize);
      this.persisted = this.count;
    } else {
      this.buf = Buffer.allocUnsafe(INITIAL_CAPACITY_ENTRIES * entrySize);
      this.count = 0;
      this.persisted = 0;
    }
  }

  /** Reads an index file; null if it does not exist. */
  static async readIndexFile(path: string): Promise<Buffer | null> {
    try {
      return await readFile(path);
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
  }

  /**
   * The same, synchronously: for start-up only (the loader, before the broker serves), where an
   * index of the active segment is small and the five thread-pool round trips of an async
   * readFile (open, fstat, read, read, close) cost more main-thread time than the read itself.
   */
  static readIndexFileSync(path: string): Buffer | null {
    try {
      return readFileSync(path);
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
  }

  get entries(): number {
    return this.count;
  }

  get sizeInBytes(): number {
    return this.count * this.entrySize;
  }

  /** The in-use bytes, exactly what the file holds once persisted (used by tiered upload later). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.count * this.entrySize);
  }

  /** Whether `n` more entries would push the file past `maxBytes` (segment.index.bytes). */
  wouldExceed(n: number, maxBytes: number): boolean {
    return (this.count + n) * this.entrySize > maxBytes;
  }

  protected reserveEntry(): number {
    const at = this.count * this.entrySize;
    if (at + this.entrySize > this.buf.length) {
      const bigger = Buffer.allocUnsafe(this.buf.length * 2);
      this.buf.copy(bigger, 0, 0, at);
      this.buf = bigger;
    }
    this.count++;
    return at;
  }

  /** Drops entries from index `n` on. */
  protected truncateEntries(n: number): void {
    if (n >= this.count) return;
    this.count = Math.max(0, n);
    if (this.persisted > this.count) this.persisted = this.count;
    this.generation++;
  }

  reset(): void {
    this.truncateEntries(0);
  }

  /** Writes entries not yet on disk, trims the file to the used size, optionally fsyncs. Serialized. */
  persist(sync: boolean): Promise<void> {
    const run = this.chain.then(() => this.persistNow(sync));
    this.chain = run.catch(() => {});
    return run;
  }

  private async persistNow(sync: boolean): Promise<void> {
    const gen = this.generation;
    const from = this.persisted;
    const to = this.count;
    const fh = await open(this.path, constants.O_RDWR | constants.O_CREAT, 0o644);
    try {
      if (to > from) {
        const bytes = this.buf.subarray(from * this.entrySize, to * this.entrySize);
        let done = 0;
        while (done < bytes.length) {
          const { bytesWritten } = await fh.write(bytes, done, bytes.length - done, from * this.entrySize + done);
          done += bytesWritten;
        }
      }
      await fh.truncate(to * this.entrySize);
      if (sync) await fh.sync();
    } finally {
      await fh.close();
    }
    if (gen === this.generation && this.persisted < to) this.persisted = to;
  }

  /** Resolves when no persist is in flight. */
  idle(): Promise<void> {
    return this.chain;
  }

  /** Renames the backing file path (deleted segments); the caller renames the file itself. */
  setPath(path: string): void {
    this.path = path;
  }
}
