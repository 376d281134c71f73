// One partition's tiered storage (Kafka's RemoteLogManager tasks + RemoteStorageManager for one
// partition): the manifest, copying rolled segments, remote retention, and reads below the local log
// start. It is the PartitionLog's RemoteLogTier.
//
// Copy of one segment (see manifest.ts for the states):
//   1. scan the local file, rebuild its indexes            (nothing written yet)
//   2. manifest += entry COPY_STARTED, persisted           (every object is known before it exists)
//   3. PUT <base>-<id>.log, PUT <base>-<id>.indexes        (fresh id: never overwrites a live object)
//   4. entry COPY_FINISHED, copiedEndOffset = its end, persisted → local retention may delete it
// Remote deletion: entries DELETE_STARTED + log start moved past them, persisted → wait for readers
// → delete objects → entries removed, persisted. A restart at any point: load() deletes the objects
// of every unfinished entry and any object no entry names (orphans), then carries on.
//
// All manifest mutations run one at a time on `chain`; reads never take it (they use the manifest
// object current when they start and count themselves in `readers` so deletes wait for them).
//
// Cluster mode (`deps.role` given; Kafka's RemoteLogManager with leader epochs): only the
// partition's leader writes. Each leader epoch has its own manifest key (remote-keys.ts), so a
// deposed leader can never overwrite its successor's manifest, and before every manifest write the
// writer checks that it still leads at its epoch and that the store holds no manifest of a newer
// epoch (else TierFencedError: the write is not made). A new leader loads the newest manifest,
// claims it under its own epoch, cleans up what the old leader left unfinished and carries on from
// its copiedEndOffset (its own rolled segments need not start there: a segment straddling it is
// uploaded whole, overlapping the previous one, as Kafka does). A follower never writes: it re-reads
// the newest manifest each task round, so its local retention deletes only below what is uploaded.
import type { StorageLogger } from '../log/logger.js';
import type { PartitionLog, ReadResult, RemoteLogTier, SegmentInfo } from '../log/partition-log.js';
import {
  decodeManifest,
  emptyManifest,
  encodeManifest,
  logStartAfterDeleting,
  readableSegments,
  remoteBytes,
  segmentFor,
  type Manifest,
  type RemoteSegment,
} from './manifest.js';
import { isNotFound, listAll, type ObjectStore } from './object-store.js';
import {
  epochManifestKey,
  manifestEpochOfKey,
  manifestKey,
  manifestKeysPrefix,
  newSegmentId,
  partitionPrefix,
  segmentIdOfKey,
  segmentKeys,
  type SegmentKeys,
} from './remote-keys.js';
import type { RemoteReader } from './remote-reader.js';
import { backoffMs, delay, withRetry, type RetryPolicy } from './retry.js';
import { segmentExtras } from './segment-extras.js';
import { encodeIndexes, epochsIn, prepareSegment } from './segment-indexes.js';
import { retentionVictims } from './remote-retention.js';
import type { PartitionTierStatus } from './tier-status.js';

const EMPTY = Buffer.alloc(0);

/** Cluster mode: this broker's role for the partition now (the metadata store's view). */
export type TierRole = { leader: true; leaderEpoch: number } | { leader: false };

/** A manifest write refused because this broker no longer leads the partition at its epoch. */
export class TierFencedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TierFencedError';
  }
}

export interface RemotePartitionDeps {
  store: ObjectStore;
  reader: RemoteReader;
  /** Policy for each store request of copies, deletes and manifest writes. */
  retry: RetryPolicy;
  /** Backoff between failed copy/retention runs of this partition. */
  taskBackoff: RetryPolicy;
  logger: StorageLogger;
  /** Transaction index and producer snapshot to upload with a segment (default: segment-extras.ts). */
  segmentExtras?: (log: PartitionLog, seg: SegmentInfo) => Promise<{ txnIndex?: Buffer; producerSnapshot?: Buffer }>;
  now?: () => number;
  /** Cluster mode: the role now (leader at an epoch, or follower). Absent: a single broker, always the writer. */
  role?: () => TierRole;
}

export class RemotePartition implements RemoteLogTier {
  readonly prefix: string;
  private manifestKey: string;
  private manifest: Manifest;
  /** The role the loaded state belongs to: 'single', 'L<epoch>' or 'F' (see syncRole). */
  private roleKey: string;
  /** Bumped on every role change: a load started under an older role does not mark this one ready. */
  private generation = 0;
  /** Cluster leader: the epoch whose manifest key this broker writes. */
  private writerEpoch = -1;
  /** copiedEndOffset of the last manifest known to be stored: local retention stays below it. */
  private persistedCopiedEnd = -1;
  private dirty = false;
  private ready = false;
  private loading: Promise<void> | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private readonly readers = new Map<string, number>();
  /** Derived from the manifest on every change (read on the fetch path: no allocation there). */
  private readable: RemoteSegment[] = [];
  private closed = false;
  private readonly now: () => number;
  // status
  private lastError: string | null = null;
  private lastErrorAt = 0;
  private failures = 0;
  private nextAttemptAt = 0;
  private copiedSegments = 0;
  private copiedBytes = 0;
  private deletedSegments = 0;
  private orphansDeleted = 0;
  private lastCopyAt = 0;

  constructor(
    readonly log: PartitionLog,
    readonly topicId: string,
    private readonly deps: RemotePartitionDeps,
  ) {
    this.prefix = partitionPrefix(log.topic, topicId, log.partition);
    this.manifestKey = manifestKey(log.topic, topicId, log.partition);
    this.manifest = emptyManifest(log.topic, topicId, log.partition);
    this.now = deps.now ?? Date.now;
    this.roleKey = this.currentRoleKey();
  }

  private currentRoleKey(): string {
    const r = this.deps.role?.();
    if (!r) return 'single';
    return r.leader ? `L${r.leaderEpoch}` : 'F';
  }

  /** Whether this broker writes to the store for the partition (single broker, or the cluster leader). */
  get isWriter(): boolean {
    return this.roleKey !== 'F';
  }

  /**
   * Cluster mode, called by the tier task before its work: when leadership moved (to or from this
   * broker, or to a new epoch) the state is loaded again for the new role. True when it changed.
   */
  syncRole(): boolean {
    const key = this.currentRoleKey();
    if (key === this.roleKey) return false;
    this.deps.logger.info('tiered storage role changed', { topic: this.log.topic, partition: this.log.partition, from: this.roleKey, to: key });
    this.roleKey = key;
    this.generation++;
    this.ready = false;
    this.loading = null;
    this.failures = 0;
    this.nextAttemptAt = 0;
    return true;
  }

  /** Throws TierFencedError unless this broker may write the manifest now (cluster: still the leader at its epoch). */
  private checkWriter(): void {
    const r = this.deps.role?.();
    if (!r) return;
    if (!r.leader || r.leaderEpoch !== this.writerEpoch || this.roleKey !== `L${this.writerEpoch}`) {
      throw new TierFencedError(`${this.log.topic}-${this.log.partition}: not the leader at epoch ${this.writerEpoch} any more; manifest not written`);
    }
  }

  /** The partition's manifest keys in the store with their leader epochs, oldest first. */
  private async manifestKeys(): Promise<{ key: string; epoch: number }[]> {
    const objects = await this.req(() => listAll(this.deps.store, manifestKeysPrefix(this.prefix)));
    const out: { key: string; epoch: number }[] = [];
    for (const o of objects) {
      const epoch = manifestEpochOfKey(o.key);
      if (epoch !== null) out.push({ key: o.key, epoch });
    }
    return out.sort((a, b) => a.epoch - b.epoch);
  }

  private async readManifest(key: string | undefined): Promise<Manifest> {
    if (key === undefined) return emptyManifest(this.log.topic, this.topicId, this.log.partition);
    try {
      return decodeManifest(await this.req(() => this.deps.store.get(key)), key);
    } catch (e) {
      if (!isNotFound(e)) throw e;
      // Deleted between the listing and the GET: a newer leader superseded it.
      throw new TierFencedError(`${key} disappeared while loading`);
    }
  }

  get isReady(): boolean {
    return this.ready;
  }

  /** A copy of the in-memory manifest (tests, status tools). */
  manifestSnapshot(): Manifest {
    return structuredClone(this.manifest);
  }

  keysOf(seg: RemoteSegment): SegmentKeys {
    return segmentKeys(this.prefix, seg.baseOffset, seg.id);
  }

  private mutate<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn);
    this.chain = run.catch(() => {});
    return run;
  }

  private req<T>(fn: () => Promise<T>): Promise<T> {
    return withRetry(fn, this.deps.retry);
  }

  private noteError(e: unknown): void {
    this.lastError = (e as Error)?.message ?? String(e);
    this.lastErrorAt = this.now();
    this.failures++;
    this.nextAttemptAt = this.now() + backoffMs(this.deps.taskBackoff, this.failures);
    const fields = { topic: this.log.topic, partition: this.log.partition, err: this.lastError };
    // Losing leadership mid-task is expected in a cluster, not a fault.
    if (e instanceof TierFencedError) this.deps.logger.info('tiered storage task fenced', fields);
    else this.deps.logger.warn('tiered storage task failed', fields);
  }

  private noteSuccess(): void {
    this.failures = 0;
    this.nextAttemptAt = 0;
  }

  /** False while backing off after a failure. */
  due(now = this.now()): boolean {
    return now >= this.nextAttemptAt;
  }

  // ---- load & recovery ---------------------------------------------------------------------------

  /** Loads the manifest and finishes whatever a previous run left half done (shared, retried on failure). */
  ensureLoaded(): Promise<void> {
    if (this.ready) return Promise.resolve();
    const generation = this.generation;
    const roleKey = this.roleKey;
    this.loading ??= this.mutate(() => this.load(roleKey)).then(
      () => {
        if (generation === this.generation) this.ready = true;
      },
      (e) => {
        if (generation === this.generation) this.loading = null;
        this.noteError(e);
        throw e;
      },
    );
    return this.loading;
  }

  private async load(roleKey: string): Promise<void> {
    if (roleKey === 'F') return this.loadAsFollower();
    if (roleKey !== 'single') return this.loadAsLeader(Number(roleKey.slice(1)));
    let m: Manifest;
    try {
      m = decodeManifest(await this.req(() => this.deps.store.get(this.manifestKey)), this.manifestKey);
    } catch (e) {
      if (!isNotFound(e)) throw e;
      m = emptyManifest(this.log.topic, this.topicId, this.log.partition);
    }
    this.manifest = m;
    this.persistedCopiedEnd = m.copiedEndOffset;
    this.refresh();
    await this.finishUnfinished();
    await this.deleteOrphans();
  }

  /**
   * A new leader at `epoch`: takes the newest manifest over under its own epoch's key (refused if
   * the store already has a newer epoch's), then finishes what the previous leader left half done,
   * deletes its orphans and the superseded manifests. Copying resumes from its copiedEndOffset.
   */
  private async loadAsLeader(epoch: number): Promise<void> {
    const keys = await this.manifestKeys();
    const newest = keys[keys.length - 1];
    if (newest && newest.epoch > epoch) throw new TierFencedError(`${this.prefix}: the store has the manifest of leader epoch ${newest.epoch} > ${epoch}`);
    const m = await this.readManifest(newest?.key);
    this.writerEpoch = epoch;
    this.manifestKey = epochManifestKey(this.prefix, epoch);
    m.leaderEpoch = epoch;
    this.manifest = m;
    this.persistedCopiedEnd = m.copiedEndOffset;
    this.dirty = true; // claim the epoch before anything else is written or deleted
    await this.finishUnfinished();
    await this.deleteOrphans();
    const superseded = keys.filter((k) => k.key !== this.manifestKey).map((k) => k.key);
    if (superseded.length) await this.req(() => this.deps.store.deleteMany(superseded));
    this.deps.logger.info('tiered storage: leading partition', { topic: this.log.topic, partition: this.log.partition, leaderEpoch: epoch, copiedEndOffset: m.copiedEndOffset, segments: m.segments.length });
  }

  /** A follower: the newest manifest, read-only (it tells local retention what is uploaded). */
  private async loadAsFollower(): Promise<void> {
    const keys = await this.manifestKeys();
    const m = await this.readManifest(keys[keys.length - 1]?.key);
    this.manifest = m;
    this.persistedCopiedEnd = m.copiedEndOffset;
    this.refresh();
  }

  /** Cluster follower, every task round: re-reads the newest manifest the leader wrote. */
  async refreshAsFollower(): Promise<void> {
    if (this.isWriter) return;
    try {
      if (!this.ready) return await this.ensureLoaded();
      const generation = this.generation;
      await this.mutate(async () => {
        if (generation === this.generation) await this.loadAsFollower();
      });
      this.noteSuccess();
    } catch (e) {
      this.noteError(e);
    }
  }

  /** Deletes the objects of COPY_STARTED / DELETE_STARTED entries and drops the entries. */
  private async finishUnfinished(): Promise<void> {
    if (this.dirty) await this.save(); // a state change must be stored before its objects go
    const unfinished = this.manifest.segments.filter((s) => s.state !== 'COPY_FINISHED');
    if (unfinished.length === 0) return;
    await this.waitForReaders(unfinished);
    const keys = unfinished.flatMap((s) => Object.values(this.keysOf(s)));
    await this.req(() => this.deps.store.deleteMany(keys));
    const gone = new Set(unfinished);
    this.manifest.segments = this.manifest.segments.filter((s) => !gone.has(s));
    for (const s of unfinished) this.deps.reader.forget(s);
    await this.save();
  }

  /** Segment objects under this partition that no manifest entry names (lost manifest writes). */
  private async deleteOrphans(): Promise<void> {
    const known = new Set(this.manifest.segments.map((s) => s.id));
    const objects = await this.req(() => listAll(this.deps.store, this.prefix));
    const orphans = objects.map((o) => o.key).filter((k) => {
      const id = segmentIdOfKey(k);
      return id !== null && !known.has(id);
    });
    if (orphans.length === 0) return;
    await this.req(() => this.deps.store.deleteMany(orphans));
    this.orphansDeleted += orphans.length;
    this.deps.logger.info('deleted orphaned remote objects', { topic: this.log.topic, partition: this.log.partition, count: orphans.length });
  }

  private refresh(): void {
    this.readable = readableSegments(this.manifest);
  }

  private async save(): Promise<void> {
    this.checkWriter();
    if (this.deps.role) {
      // Epoch fencing against the store as well as the local view of leadership (which may lag).
      const keys = await this.manifestKeys();
      const newest = keys[keys.length - 1];
      if (newest && newest.epoch > this.writerEpoch) throw new TierFencedError(`${this.prefix}: leader epoch ${newest.epoch} wrote a manifest; epoch ${this.writerEpoch} is fenced`);
      this.checkWriter();
    }
    this.refresh();
    const m = this.manifest;
    m.seq++;
    m.updatedAt = this.now();
    const copiedEnd = m.copiedEndOffset;
    const body = encodeManifest(m);
    this.dirty = true;
    await this.req(() => this.deps.store.put(this.manifestKey, body));
    this.dirty = false;
    if (copiedEnd > this.persistedCopiedEnd) this.persistedCopiedEnd = copiedEnd;
  }

  // ---- copy ------------------------------------------------------------------------------------------

  /** The next rolled local segment to copy: below HW, LSO and the fsynced recovery point. */
  private nextToCopy(): SegmentInfo | null {
    const log = this.log;
    if (log.config.remoteStorageEnable !== true) return null;
    const bound = Math.min(log.highWatermark, log.lastStableOffset, log.recoveryPoint);
    const end = this.manifest.copiedEndOffset;
    for (const s of log.segmentInfos()) {
      if (s.active || s.nextOffset > bound) return null;
      if (s.nextOffset > end) return s;
    }
    return null;
  }

  /** Copies every eligible segment in order; returns how many were copied. Errors back the partition off. */
  async copyEligible(signal?: AbortSignal): Promise<number> {
    if (!this.isWriter) return 0;
    try {
      await this.ensureLoaded();
      const n = await this.mutate(async () => {
        await this.finishUnfinished();
        let copied = 0;
        for (let seg = this.nextToCopy(); seg && !this.closed && !signal?.aborted && this.isWriter; seg = this.nextToCopy()) {
          if (!(await this.copySegment(seg))) break;
          copied++;
        }
        return copied;
      });
      this.noteSuccess();
      return n;
    } catch (e) {
      this.noteError(e);
      return 0;
    }
  }

  /** False when the segment disappeared locally before it could be read. */
  private async copySegment(info: SegmentInfo): Promise<boolean> {
    const m = this.manifest;
    if (info.size === 0) {
      // An empty rolled segment holds no offsets: just move the copied end past it.
      m.copiedEndOffset = Math.max(m.copiedEndOffset, info.nextOffset);
      await this.save();
      return true;
    }
    const prepared = await prepareSegment(info.path, info.baseOffset, this.log.config.indexIntervalBytes);
    if (!prepared) return false;
    if (prepared.nextOffset > info.nextOffset) throw new Error(`segment ${info.path} holds offsets up to ${prepared.nextOffset}, past the next segment`);
    const extras = await (this.deps.segmentExtras ?? segmentExtras)(this.log, info);
    const indexes = encodeIndexes({
      offsetIndex: prepared.offsetIndex,
      timeIndex: prepared.timeIndex,
      txnIndex: extras.txnIndex ?? EMPTY,
      producerSnapshot: extras.producerSnapshot ?? EMPTY,
      leaderEpochs: epochsIn(this.log.epochEntries(), info.baseOffset, info.nextOffset),
    });
    const entry: RemoteSegment = {
      id: newSegmentId(),
      baseOffset: info.baseOffset,
      nextOffset: info.nextOffset,
      size: prepared.size,
      indexesSize: indexes.length,
      maxTimestamp: prepared.maxTimestamp,
      offsetOfMaxTimestamp: prepared.offsetOfMaxTimestamp,
      epochs: epochsIn(this.log.epochEntries(), info.baseOffset, info.nextOffset),
      state: 'COPY_STARTED',
      createdAt: this.now(),
    };
    const keys = this.keysOf(entry);
    m.segments = [...m.segments, entry].sort((a, b) => a.baseOffset - b.baseOffset);
    try {
      await this.save();
    } catch (e) {
      // Nothing was uploaded for this entry: forgetting it is safe whatever the store holds.
      m.segments = m.segments.filter((s) => s !== entry);
      this.refresh();
      throw e;
    }
    // A failure from here leaves the entry COPY_STARTED; finishUnfinished() removes its objects.
    await this.req(() => this.deps.store.put(keys.log, { path: info.path, size: prepared.size }));
    await this.req(() => this.deps.store.put(keys.indexes, indexes));
    entry.state = 'COPY_FINISHED';
    m.copiedEndOffset = Math.max(m.copiedEndOffset, entry.nextOffset);
    if (m.logStartOffset < 0) m.logStartOffset = Math.max(entry.baseOffset, this.log.localLogStartOffset);
    await this.save();
    this.copiedSegments++;
    this.copiedBytes += prepared.size;
    this.lastCopyAt = this.now();
    return true;
  }

  // ---- remote retention ------------------------------------------------------------------------------

  /** retention.ms / retention.bytes over the whole log, applied to remote segments. */
  async enforceRetention(now = this.now()): Promise<number> {
    if (!this.isWriter) return 0;
    try {
      await this.ensureLoaded();
      const n = await this.mutate(async () => {
        await this.finishUnfinished();
        const doomed = retentionVictims(this.manifest, this.log.config, this.log.localLogStartOffset, this.log.size(), now);
        if (doomed.length > 0) await this.deleteSegments(doomed);
        return doomed.length;
      });
      return n;
    } catch (e) {
      this.noteError(e);
      return 0;
    }
  }

  private async deleteSegments(doomed: RemoteSegment[]): Promise<void> {
    const m = this.manifest;
    const set = new Set(doomed);
    m.logStartOffset = logStartAfterDeleting(m, set);
    for (const s of doomed) s.state = 'DELETE_STARTED';
    await this.save();
    await this.finishUnfinished();
    this.deletedSegments += doomed.length;
  }

  /** DeleteRecords below the local log start: moves the remote log start (segments go at the next retention pass). */
  advanceLogStartOffset(offset: number): void {
    if (offset > this.manifest.logStartOffset && this.manifest.logStartOffset >= 0) {
      this.manifest.logStartOffset = Math.min(offset, this.manifest.copiedEndOffset);
      this.dirty = true;
      this.refresh();
    }
  }

  private async waitForReaders(segs: RemoteSegment[], maxMs = 10_000): Promise<void> {
    const deadline = this.now() + maxMs;
    while (segs.some((s) => (this.readers.get(s.id) ?? 0) > 0) && this.now() < deadline) await delay(20);
  }

  // ---- reads (RemoteLogTier) ----------------------------------------------------------------------------

  remoteLogStartOffset(): number {
    return this.ready && this.readable.length > 0 ? this.manifest.logStartOffset : -1;
  }

  copiedEndOffset(): number {
    return this.ready ? this.persistedCopiedEnd : -1;
  }

  async read(fetchOffset: number, maxBytes: number, maxOffset: number, minOneMessage: boolean): Promise<ReadResult> {
    const log = this.log;
    const answer = (records: Buffer, error?: ReadResult['error']): ReadResult => ({
      records,
      highWatermark: log.highWatermark,
      logStartOffset: log.logStartOffset,
      ...(error ? { error } : {}),
    });
    try {
      await this.ensureLoaded();
    } catch {
      return answer(EMPTY, 'KAFKA_STORAGE_ERROR');
    }
    // Two passes: a segment deleted by retention between lookup and GET sends us round again.
    for (let pass = 0; pass < 2; pass++) {
      const m = this.manifest;
      if (m.logStartOffset < 0 || fetchOffset < m.logStartOffset) return answer(EMPTY, 'OFFSET_OUT_OF_RANGE');
      const localStart = log.localLogStartOffset;
      if (fetchOffset >= localStart) return log.read(fetchOffset, maxBytes, maxOffset, minOneMessage);
      const segs = this.readable;
      let i = segmentFor(segs, fetchOffset);
      if (i < 0) return answer(EMPTY, 'OFFSET_OUT_OF_RANGE');
      let raced = false;
      for (; i < segs.length && segs[i]!.baseOffset < localStart; i++) {
        const seg = segs[i]!;
        const keys = this.keysOf(seg);
        this.readers.set(seg.id, (this.readers.get(seg.id) ?? 0) + 1);
        try {
          // The read-ahead stream of this partition may continue into the next remote segment.
          const after = segs[i + 1];
          const next = () => (after && after.baseOffset < localStart ? { seg: after, keys: this.keysOf(after) } : null);
          const r = await this.deps.reader.read(seg, keys, fetchOffset, maxBytes, maxOffset, minOneMessage, { stream: this.prefix, next });
          if (!r.found) continue;
          return answer(r.records);
        } catch (e) {
          if (isNotFound(e) && seg.state !== 'COPY_FINISHED') {
            raced = true;
            break;
          }
          this.lastError = `read: ${(e as Error).message}`;
          this.lastErrorAt = this.now();
          return answer(EMPTY, 'KAFKA_STORAGE_ERROR');
        } finally {
          const n = (this.readers.get(seg.id) ?? 1) - 1;
          if (n === 0) this.readers.delete(seg.id);
          else this.readers.set(seg.id, n);
        }
      }
      if (!raced) return localStart < log.logEndOffset ? log.read(localStart, maxBytes, maxOffset, minOneMessage) : answer(EMPTY);
    }
    return answer(EMPTY, 'OFFSET_OUT_OF_RANGE');
  }

  async offsetForTimestamp(timestamp: number, localLogStartOffset: number): Promise<{ offset: number; timestamp: number } | null> {
    await this.ensureLoaded();
    const m = this.manifest;
    for (const seg of this.readable) {
      if (seg.baseOffset >= localLogStartOffset) break;
      if (seg.maxTimestamp < timestamp) continue;
      const r = await this.deps.reader.findByTimestamp(seg, this.keysOf(seg), timestamp, Math.max(m.logStartOffset, seg.baseOffset));
      if (r) return r;
    }
    return null;
  }

  maxTimestampAndOffset(): { timestamp: number; offset: number } {
    let best = { timestamp: -1, offset: -1 };
    if (!this.ready) return best;
    for (const s of this.readable) {
      if (s.maxTimestamp > best.timestamp) best = { timestamp: s.maxTimestamp, offset: s.offsetOfMaxTimestamp };
    }
    return best;
  }

  // ---- status & lifecycle ------------------------------------------------------------------------------

  status(): PartitionTierStatus {
    const log = this.log;
    const m = this.manifest;
    const end = this.persistedCopiedEnd;
    let lagSegments = 0;
    let lagBytes = 0;
    for (const s of log.segmentInfos()) {
      if (!s.active && s.nextOffset > end && s.size > 0) {
        lagSegments++;
        lagBytes += s.size;
      }
    }
    const readable = this.ready ? this.readable : [];
    return {
      topic: log.topic,
      partition: log.partition,
      topicId: this.topicId,
      enabled: log.config.remoteStorageEnable === true,
      state: this.ready ? 'ready' : this.lastError ? 'error' : 'loading',
      remoteLogStartOffset: this.remoteLogStartOffset(),
      copiedEndOffset: end,
      localLogStartOffset: log.localLogStartOffset,
      logEndOffset: log.logEndOffset,
      remoteSegments: readable.length,
      remoteBytes: this.ready ? remoteBytes(m) : 0,
      localBytes: log.size(),
      lagSegments,
      lagBytes,
      copiedSegmentsTotal: this.copiedSegments,
      copiedBytesTotal: this.copiedBytes,
      deletedSegmentsTotal: this.deletedSegments,
      orphansDeletedTotal: this.orphansDeleted,
      lastCopyAt: this.lastCopyAt,
      lastError: this.lastError,
      lastErrorAt: this.lastErrorAt,
    };
  }

  /** Stops new work; waits (bounded) for the running task. */
  async close(maxWaitMs = 5_000): Promise<void> {
    this.closed = true;
    this.deps.reader.readAhead.forget(this.prefix);
    await Promise.race([this.chain, delay(maxWaitMs)]);
  }
}
