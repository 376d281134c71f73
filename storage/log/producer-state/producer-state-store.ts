// Persistence of a partition's producer state (Kafka's ProducerStateManager snapshot handling and
// LogLoader's rebuildProducerState):
//
//   load:     aborted index file → newest snapshot ≤ log end (corrupt ones are skipped) →
//             replay batch headers from the snapshot offset (or the log start) to the log end
//   roll:     snapshot at the new segment's base offset (encoded in the same tick, written after)
//             straight to its final name, not fsynced: a torn or lost snapshot fails its CRC or is
//             missing at load, and recovery uses an older one (a longer replay, same result). No
//             temporary file appears and vanishes (tools copying a live partition dir stay happy);
//             old snapshots are pruned at load and by the broker's maintenance pass, not per roll
//   close:    snapshot at the log end, so a clean restart replays nothing
//   truncate: state rebuilt from the newest snapshot at or below the new log end
//
// A snapshot at offset X is only written after new aborted-index entries are fsynced, so every
// aborted transaction whose marker is below X is durable whenever the snapshot is; the snapshot
// also records the newest entry, and one whose entry is missing from the index is not used.
// Index entries at or above the replay start are dropped and re-derived by the replay.
import { decodeRecordBatch, decodeControlRecord } from '../../../protocol/records/record-codec.js';
import { ATTR_CONTROL, LOG_OVERHEAD, OFF_BATCH_LENGTH, readBatchHeader } from '../../../protocol/records/batch-header.js';
import { open } from 'node:fs/promises';
import type { ReadResult } from '../log-types.js';
import { SnapshotCorruptError, deleteSnapshot, encodeSnapshot, listSnapshots, readSnapshot, snapshotOffsets, snapshotPath } from './producer-snapshot.js';
import type { ProducerStateManager } from './producer-state-manager.js';

/** What the store needs of a PartitionLog to replay it. */
export interface ReplaySource {
  readonly localLogStartOffset: number;
  readonly logEndOffset: number;
  read(fetchOffset: number, maxBytes: number, maxOffset: number, minOneMessage: boolean): Promise<ReadResult>;
}

/** How the log manager's start-up load reads (see load()). */
export interface StartupRead {
  /** The partition dir's listing taken by the loader. */
  names: readonly string[];
}

const REPLAY_CHUNK_BYTES = 4 * 1024 * 1024;
/** Snapshots kept besides the newest (older ones only matter if recovery cuts several segments). */
const SNAPSHOTS_RETAINED = 3;
const RESOLVED = Promise.resolve();

export class ProducerStateStore {
  private chain: Promise<void> = RESOLVED;
  private lastSnapshot = -1;
  /** How many snapshot files the last rebuild found (load() prunes only when above SNAPSHOTS_RETAINED). */
  private snapshotsSeenAtRebuild = 0;

  constructor(private readonly state: ProducerStateManager) {}

  /** Offset of the newest snapshot taken or loaded (-1: none). */
  get lastSnapshotOffset(): number {
    return this.lastSnapshot;
  }

  /**
   * Startup: index file, snapshot, replay. Returns how many batches were replayed. `startup`: the
   * log manager's load before the broker serves — files are read with synchronous calls, and the
   * loader's listing of the partition dir (`names`) stands in for another readdir.
   */
  async load(src: ReplaySource, startup?: StartupRead): Promise<number> {
    await this.state.txnIndex.load(startup !== undefined);
    const n = await this.rebuild(src, startup);
    // Pruning lists the dir again: only worth it when the rebuild saw more than are kept (a clean
    // start usually finds one snapshot; 1,000 partitions paid a readdir each for nothing).
    if (this.snapshotsSeenAtRebuild > SNAPSHOTS_RETAINED) void this.pruneSnapshots();
    return n;
  }

  /** Rebuilds the in-memory state from the newest usable snapshot plus a replay of the log. */
  async rebuild(src: ReplaySource, startup?: StartupRead): Promise<number> {
    await this.chain;
    const dir = this.state.dir;
    const end = src.logEndOffset;
    const offsets = startup ? snapshotOffsets(startup.names) : await listSnapshots(dir);
    this.snapshotsSeenAtRebuild = offsets.length;
    let from = -1;
    for (let i = offsets.length - 1; i >= 0; i--) {
      const off = offsets[i]!;
      if (off > end) {
        await deleteSnapshot(dir, off); // written before a crash cut the log shorter
        continue;
      }
      try {
        const snap = await readSnapshot(dir, off, startup !== undefined);
        if (snap === null) continue;
        const m = snap.lastAbortedMarker;
        if (m >= src.localLogStartOffset && !this.state.txnIndex.hasEntryAt(m)) {
          // The index lost entries this snapshot relies on (an OS crash before they were synced).
          this.state.logger.warn('producer snapshot ahead of the aborted-transactions index; not used', { dir, offset: off });
          continue;
        }
        this.state.replaceAll(snap.producers);
        from = off;
        break;
      } catch (e) {
        if (!(e instanceof SnapshotCorruptError)) throw e;
        this.state.logger.warn('deleting corrupt producer snapshot', { dir, offset: off, err: e.message });
        await deleteSnapshot(dir, off);
      }
    }
    if (from < 0) this.state.replaceAll([]);
    const replayFrom = Math.max(from < 0 ? src.localLogStartOffset : from, src.localLogStartOffset);
    this.state.txnIndex.truncateFrom(from < 0 ? src.localLogStartOffset : from);
    this.lastSnapshot = from;
    return this.replay(src, replayFrom, end);
  }

  private async replay(src: ReplaySource, from: number, end: number): Promise<number> {
    let offset = from;
    let n = 0;
    while (offset < end) {
      const r = await src.read(offset, REPLAY_CHUNK_BYTES, end, true);
      if (r.error === 'CORRUPT_MESSAGE') {
        // Damage on disk (reads report it to consumers; `tributary log check --repair` cuts it):
        // the state stays what the batches before it built, rather than keeping the log offline.
        this.state.logger.warn('producer state replay stopped at a corrupt batch', { dir: this.state.dir, offset });
        break;
      }
      if (r.error) throw new Error(`producer state replay of ${this.state.dir} at ${offset}: ${r.error}`);
      const buf = r.records;
      if (buf.length === 0) break;
      let pos = 0;
      let next = offset;
      while (pos + LOG_OVERHEAD <= buf.length) {
        const size = LOG_OVERHEAD + buf.readInt32BE(pos + OFF_BATCH_LENGTH);
        const b = readBatchHeader(buf, pos);
        const last = b.baseOffset + b.lastOffsetDelta;
        if (last >= offset && b.producerId >= 0) {
          if ((b.attributes & ATTR_CONTROL) !== 0) {
            const batch = decodeRecordBatch(buf, pos);
            const marker = batch.records.length > 0 ? decodeControlRecord(batch.records[0]!) : null;
            if (marker) this.state.applyMarker(b.producerId, b.producerEpoch, marker.coordinatorEpoch, marker.type === 'ABORT', b.baseOffset, b.maxTimestamp);
          } else {
            this.state.replayDataBatch(b);
          }
          n++;
        }
        next = Math.max(next, last + 1);
        pos += size;
      }
      if (next <= offset) break;
      offset = next;
    }
    return n;
  }

  /** At a segment roll: the state now is the state at `offset`. Encoded now, written in order. */
  takeSnapshot(offset: number): void {
    if (offset === this.lastSnapshot) return;
    const bytes = encodeSnapshot(this.state.producers.values(), this.state.txnIndex.lastOffset());
    this.lastSnapshot = offset;
    const dir = this.state.dir;
    this.enqueue(async () => {
      await this.state.txnIndex.flush();
      const fh = await open(snapshotPath(dir, offset), 'w');
      try {
        await fh.writeFile(bytes);
      } catch (e) {
        // A torn snapshot would be rejected by its CRC anyway; on a full disk it also holds space.
        await fh.close().catch(() => {});
        await deleteSnapshot(dir, offset).catch(() => {});
        throw e;
      }
      await fh.close();
    });
  }

  /**
   * Keeps the newest SNAPSHOTS_RETAINED snapshots, and of the others only those at or above
   * `logStartOffset` (the broker's maintenance pass; also run at load).
   */
  pruneSnapshots(logStartOffset = Number.MAX_SAFE_INTEGER): Promise<void> {
    const dir = this.state.dir;
    return this.enqueue(async () => {
      const all = await listSnapshots(dir);
      for (const off of all.slice(0, Math.max(0, all.length - SNAPSHOTS_RETAINED))) if (off < logStartOffset) await deleteSnapshot(dir, off);
    });
  }

  /** Clean shutdown: a snapshot at the log end, then the index file is closed. */
  async close(logEndOffset: number): Promise<void> {
    this.takeSnapshot(logEndOffset);
    await this.chain;
    await this.state.txnIndex.close();
  }

  /** The log restarted empty at some offset: nothing survives. */
  async reset(): Promise<void> {
    await this.chain;
    this.state.replaceAll([]);
    this.state.txnIndex.clear();
    for (const off of await listSnapshots(this.state.dir)) await deleteSnapshot(this.state.dir, off);
    this.lastSnapshot = -1;
  }

  /** Waits for queued snapshot writes (tests, shutdown). */
  idle(): Promise<void> {
    return this.chain;
  }

  private enqueue(op: () => Promise<void>): Promise<void> {
    const run = this.chain.then(op);
    this.chain = run.catch((e) => this.state.logger.warn('producer snapshot write failed', { dir: this.state.dir, err: String(e) }));
    return run;
  }
}
