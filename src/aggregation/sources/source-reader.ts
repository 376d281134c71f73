// What every source (a local topic, or a topic on a remote cluster) gives the processor: a
// background loop that fetches committed records ahead of processing into a bounded buffer of
// in-order chunks. Positions belong to the processor: a reader starts from the positions the
// changelog committed and never commits anything itself. A source that fails (cluster down,
// topic missing) backs off and retries on its own without holding up the others.
//
//   idle/ok ──poll error──> unavailable ──backoff, retry──> ok
//      │                                     (500 ms doubling to the max, reset on success)
//      └─ topic missing ──> waiting-for-topic ──topic appears──> ok

export interface InputRecord {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
}

export interface SourceChunk {
  source: string;
  partition: number;
  records: InputRecord[];
  /** The position after this chunk (may be past the last record: control batches, aborted data). */
  nextOffset: number;
  bytes: number;
}

export type SourceHealth = 'starting' | 'ok' | 'unavailable' | 'waiting-for-topic';

export interface SourceSnapshot {
  health: SourceHealth;
  lastError: string | null;
  lastErrorAt: number | null;
  /** partition -> the read_committed end (last stable offset) seen by the latest fetch. */
  endOffsets: Map<number, number>;
}

export interface PollResult {
  chunks: SourceChunk[];
  /** partition -> last stable offset. */
  endOffsets: Map<number, number>;
  /** Fetch positions to move (offset out of range: reset to the log start). */
  resets?: Map<number, number>;
}

export class TopicMissingError extends Error {}

export interface ReaderOptions {
  /** Buffered records above which the reader stops fetching until the processor catches up. */
  maxBufferedRecords: number;
  retryBackoffMs: number;
  retryBackoffMaxMs: number;
  /** Called when new chunks are buffered. */
  onData: () => void;
}

export abstract class BufferedSourceReader {
  protected readonly positions = new Map<number, number>();
  private readonly chunks: SourceChunk[] = [];
  private bufferedRecords = 0;
  private health: SourceHealth = 'starting';
  private lastError: string | null = null;
  private lastErrorAt: number | null = null;
  private endOffsets = new Map<number, number>();
  protected closed = false;
  private loop: Promise<void> | null = null;
  private wakeRoom: (() => void) | null = null;
  private sleepTimer: NodeJS.Timeout | null = null;
  private sleepResolve: (() => void) | null = null;

  constructor(
    readonly name: string,
    protected readonly opts: ReaderOptions,
  ) {}

  /** Fetches whatever is available from `positions` (may wait a little for new data). */
  protected abstract poll(positions: Map<number, number>): Promise<PollResult>;
  protected abstract release(): Promise<void>;

  start(committed: Record<string, number>): void {
    for (const [p, o] of Object.entries(committed)) this.positions.set(Number(p), o);
    this.loop = this.run();
  }

  /**
   * Removes and returns buffered chunks holding at most `maxRecords` records; a chunk larger than
   * what is left is split at a record (its first part ends at the next record's offset).
   */
  take(maxRecords: number): SourceChunk[] {
    const out: SourceChunk[] = [];
    let n = 0;
    while (this.chunks.length > 0 && n < Math.max(1, maxRecords)) {
      let c = this.chunks[0]!;
      const room = Math.max(1, maxRecords) - n;
      if (c.records.length > room) {
        const head: SourceChunk = { source: c.source, partition: c.partition, records: c.records.slice(0, room), nextOffset: c.records[room]!.offset, bytes: 0 };
        this.chunks[0] = { ...c, records: c.records.slice(room) };
        c = head;
      } else this.chunks.shift();
      n += c.records.length;
      this.bufferedRecords -= c.records.length;
      out.push(c);
    }
    if (out.length > 0) {
      const w = this.wakeRoom;
      this.wakeRoom = null;
      w?.();
    }
    return out;
  }

  get hasData(): boolean {
    return this.chunks.length > 0;
  }

  snapshot(): SourceSnapshot {
    return { health: this.health, lastError: this.lastError, lastErrorAt: this.lastErrorAt, endOffsets: new Map(this.endOffsets) };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wakeRoom?.();
    this.interruptSleep();
    await this.release().catch(() => undefined);
    await this.loop?.catch(() => undefined);
  }

  protected noteError(message: string): void {
    this.lastError = message;
    this.lastErrorAt = Date.now();
  }

  /** Sleeps up to `ms`; close() cuts it short. */
  protected sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.sleepResolve = resolve;
      this.sleepTimer = setTimeout(() => {
        this.sleepResolve = null;
        resolve();
      }, ms);
    });
  }

  private interruptSleep(): void {
    if (this.sleepTimer) clearTimeout(this.sleepTimer);
    const r = this.sleepResolve;
    this.sleepResolve = null;
    r?.();
  }

  private async run(): Promise<void> {
    let backoff = this.opts.retryBackoffMs;
    while (!this.closed) {
      if (this.bufferedRecords >= this.opts.maxBufferedRecords) {
        await new Promise<void>((resolve) => (this.wakeRoom = resolve));
        continue;
      }
      try {
        const r = await this.poll(this.positions);
        if (this.closed) return;
        for (const [p, o] of r.resets ?? []) {
          this.positions.set(p, o);
          this.noteError(`partition ${p}: position out of range, reset to ${o}`);
        }
        this.endOffsets = r.endOffsets;
        this.health = 'ok';
        backoff = this.opts.retryBackoffMs;
        let added = false;
        for (const c of r.chunks) {
          if (c.nextOffset <= (this.positions.get(c.partition) ?? 0)) continue;
          this.positions.set(c.partition, c.nextOffset);
          this.chunks.push(c);
          this.bufferedRecords += c.records.length;
          added = true;
        }
        if (added) this.opts.onData();
      } catch (e) {
        if (this.closed) return;
        const missing = e instanceof TopicMissingError;
        this.health = missing ? 'waiting-for-topic' : 'unavailable';
        this.noteError((e as Error).message);
        await this.sleep(missing ? this.opts.retryBackoffMaxMs : backoff);
        backoff = Math.min(backoff * 2, this.opts.retryBackoffMaxMs);
      }
    }
  }
}

export interface BatchView {
  baseOffset: number;
  lastOffset: number;
  producerId: number;
  transactional: boolean;
  control: boolean;
  /** For control batches: true when the marker is an ABORT. */
  abortMarker: boolean;
  records: InputRecord[];
}

/**
 * read_committed filtering, as Kafka's consumer does it (CompletedFetch): the fetch response lists
 * the aborted transactions overlapping it; a transactional batch of a producer with an aborted
 * transaction started at or before the batch is skipped until that producer's ABORT marker.
 * Control batches never yield records. Records below `fetchOffset` (a batch may start earlier)
 * are dropped.
 */
export function committedRecords(batches: BatchView[], aborted: { producerId: number; firstOffset: number }[], fetchOffset: number): InputRecord[] {
  const queue = [...aborted].sort((a, b) => a.firstOffset - b.firstOffset);
  let qi = 0;
  const abortedProducers = new Set<number>();
  const out: InputRecord[] = [];
  for (const b of batches) {
    if (b.transactional) {
      while (qi < queue.length && queue[qi]!.firstOffset <= b.lastOffset) abortedProducers.add(queue[qi++]!.producerId);
      if (b.control) {
        if (b.abortMarker) abortedProducers.delete(b.producerId);
        continue;
      }
      if (abortedProducers.has(b.producerId)) continue;
    } else if (b.control) continue;
    for (const r of b.records) if (r.offset >= fetchOffset) out.push(r);
  }
  return out;
}
