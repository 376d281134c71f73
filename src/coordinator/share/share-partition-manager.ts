// The broker side of share consumption (Kafka's SharePartitionManager): ShareFetch and
// ShareAcknowledge over share sessions and share partitions. Reads go through the Fetch path's
// reader (whole batches, no decoding); acquired ranges go back beside them (AcquiredRecords)
// and the client skips what it did not acquire.
import { ErrorCode } from '../../../protocol/errors.js';
import type { ShareFetchResponseAcquiredRecords, ShareFetchResponsePartitionData } from '../../../protocol/generated/share-fetch.js';
import type { FetchReadOptions, PartitionFetch, PartitionFetchResult } from '../../fetch/fetch-reader.js';
import { batchSpans, markAborted } from './batch-spans.js';
import type { ShareGroupConfig } from './share-config.js';
import { SharePartition, type AcquiredRange, type StateBatch } from './share-partition.js';
import { FINAL_EPOCH, ShareSessions } from './share-sessions.js';

export interface ShareReadDeps {
  /** The settings of a group: the broker's group.share.* with the group's share.* configs over them. */
  config: (groupId: string) => ShareGroupConfig;
  topics: { getById(id: string): { name: string; id: string; partitions: number } | undefined };
  /** The Fetch path's reader (src/fetch/fetch-reader.ts readPartitions), read_uncommitted. */
  readSource(fetches: PartitionFetch[], opts: FetchReadOptions): Promise<{ results: PartitionFetchResult[]; bytes: number }>;
  offsets(topic: string, partition: number): { logStartOffset: number; highWatermark: number } | undefined;
  /** Wakes when any of the partitions gets new data (AppendWaiters.watch). */
  watch(partitions: { topic: string; partition: number }[]): { wait(ms: number): Promise<boolean>; close(): void };
  /** ListOffsets by timestamp (share.auto.offset.reset=by_duration): the first offset at or after `timestamp`, -1 if none. */
  offsetForTimestamp?: (topic: string, partition: number, timestamp: number) => Promise<number>;
  /** Persisted state of a share partition, if any (share-state-store.ts). */
  loadState?: (groupId: string, topicId: string, partition: number) => { startOffset: number; stateBatches: StateBatch[] } | undefined;
  /** Called after a share partition's state changed (persist it). */
  stateChanged?: (groupId: string, topicId: string, partition: number, sp: SharePartition) => void;
  /** Resolves once every state change so far is written: acknowledgements are answered after it, as in Kafka (a code: the first write that failed). */
  persisted?: () => Promise<number | void>;
  /**
   * Cluster mode: the leader epoch of a data partition this broker leads, -1 when it does not
   * lead it (ShareFetch / ShareAcknowledge: NOT_LEADER_OR_FOLLOWER). Unset on a single broker.
   */
  leaderEpoch?: (topic: string, partition: number) => number;
  /** Cluster mode: reads the persisted state for this leader epoch (before loadState); a Kafka error code. */
  prepareState?: (groupId: string, topicId: string, partition: number, leaderEpoch: number) => Promise<number>;
  /** Cluster mode: the share partition left this broker (leadership moved); its state is read again next time. */
  forgetState?: (groupId: string, topicId: string, partition: number) => void;
}

export interface AckBatch {
  firstOffset: number;
  lastOffset: number;
  acknowledgeTypes: number[];
}

export interface SharePartitionRequest {
  partitionIndex: number;
  acknowledgementBatches: AckBatch[];
}

export interface ShareFetchParams {
  groupId: string;
  memberId: string;
  shareSessionEpoch: number;
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  maxRecords: number;
  /** ShareAcquireMode 1 (KIP-1206 record_limit): never acquire more than maxRecords, splitting batches. */
  recordLimit?: boolean;
  /** False for a renew-only request (v2 IsRenewAck): acknowledge, acquire nothing. */
  acquire?: boolean;
  topics: { topicId: string; partitions: SharePartitionRequest[] }[];
  forgotten: { topicId: string; partitions: number[] }[];
}

export type PartitionData = Omit<ShareFetchResponsePartitionData, 'currentLeader'>;

export interface ShareFetchOutcome {
  errorCode: number;
  errorMessage: string | null;
  acquisitionLockTimeoutMs: number;
  responses: { topicId: string; partitions: PartitionData[] }[];
}

export interface ShareAckOutcome {
  errorCode: number;
  errorMessage: string | null;
  acquisitionLockTimeoutMs: number;
  responses: { topicId: string; partitions: { partitionIndex: number; errorCode: number; errorMessage: string | null }[] }[];
}

const MAX_SHARE_SESSIONS = 1000;
const EMPTY = Buffer.alloc(0);

export class SharePartitionManager {
  private readonly partitions = new Map<string, SharePartition>();
  /** Cluster mode: the data partition's leader epoch each share partition was built at. */
  private readonly builtAt = new Map<string, number>();
  /** Cluster mode: the leader epoch whose persisted state ready() read, per share partition not built yet. */
  private readonly readAt = new Map<string, number>();
  readonly sessions = new ShareSessions(() => MAX_SHARE_SESSIONS);
  /** Bytes per record last seen per topic: sizes the log reads to the record budget. */
  private readonly bytesPerRecord = new Map<string, number>();
  /** Fetches parked until records come back (release, lock expiry). */
  private readonly releaseWaiters = new Set<() => void>();

  constructor(private readonly deps: ShareReadDeps) {}

  /**
   * The share partition of (group, topic, partition), created on first use at its persisted state
   * or else where the group's share.auto.offset.reset says (`initialOffset`: the offset a
   * by_duration reset looked up, see initialize()).
   */
  sharePartition(groupId: string, topicId: string, partition: number, initialOffset?: number): SharePartition | undefined {
    const k = spKey(groupId, topicId, partition);
    let sp = this.partitions.get(k);
    if (sp) return sp;
    const topic = this.deps.topics.getById(topicId);
    if (!topic || partition < 0 || partition >= topic.partitions) return undefined;
    const offsets = this.deps.offsets(topic.name, partition);
    if (!offsets) return undefined;
    // Cluster mode: only the data partition's leader builds a share partition, and only from the
    // state ready() read for its current leader epoch (never from nothing: that would persist an
    // auto-offset-reset start over the real state).
    const epoch = this.deps.leaderEpoch?.(topic.name, partition);
    if (epoch !== undefined && (epoch < 0 || this.readAt.get(k) !== epoch)) return undefined;
    const cfg = () => this.deps.config(groupId);
    sp = new SharePartition(0, {
      lockDurationMs: () => cfg().recordLockDurationMs,
      deliveryCountLimit: () => cfg().deliveryCountLimit,
      maxInFlight: () => cfg().partitionMaxRecordLocks,
      renewEnabled: () => cfg().renewAcknowledgeEnabled,
    });
    const saved = this.deps.loadState?.(groupId, topicId, partition);
    if (saved && saved.startOffset >= 0) sp.restore(Math.max(saved.startOffset, offsets.logStartOffset), saved.stateBatches);
    else {
      const reset = cfg().autoOffsetReset;
      const start = reset === 'earliest' ? offsets.logStartOffset : initialOffset !== undefined && initialOffset >= 0 ? initialOffset : offsets.highWatermark;
      sp.reset(Math.min(Math.max(start, offsets.logStartOffset), offsets.highWatermark));
    }
    const s = sp;
    sp.onChange = () => {
      for (const w of [...this.releaseWaiters]) w();
    };
    this.partitions.set(k, sp);
    if (epoch !== undefined) this.builtAt.set(k, epoch);
    this.readAt.delete(k);
    this.deps.stateChanged?.(groupId, topicId, partition, s);
    return sp;
  }

  /**
   * Cluster mode, before a share partition is used: NOT_LEADER_OR_FOLLOWER unless this broker
   * leads the data partition. A share partition built under an older leader epoch (leadership
   * moved away and back) is dropped, and a missing one gets its persisted state read first (a new
   * leader resumes from it: what was acquired on the old leader is available again, delivery
   * counts as persisted). ErrorCode.NONE on a single broker.
   */
  async ready(groupId: string, topicId: string, partition: number): Promise<number> {
    if (!this.deps.leaderEpoch) return ErrorCode.NONE;
    const topic = this.deps.topics.getById(topicId);
    if (!topic) return ErrorCode.UNKNOWN_TOPIC_ID;
    if (partition < 0 || partition >= topic.partitions) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    const k = spKey(groupId, topicId, partition);
    const epoch = this.deps.leaderEpoch(topic.name, partition);
    if (this.partitions.has(k) && this.builtAt.get(k) !== epoch) this.leaderMoved(groupId, topicId, partition);
    if (epoch < 0) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    if (this.partitions.has(k)) return ErrorCode.NONE;
    const code = (await this.deps.prepareState?.(groupId, topicId, partition, epoch)) ?? ErrorCode.NONE;
    // Leadership may have moved during the read: the share partition is built only for the epoch read.
    if (code === ErrorCode.NONE) this.readAt.set(k, epoch);
    return code;
  }

  /** The share partition's state coordinator refused this broker's write as from a deposed leader. */
  fenced(groupId: string, topicId: string, partition: number): void {
    if (this.partitions.has(spKey(groupId, topicId, partition))) this.leaderMoved(groupId, topicId, partition);
  }

  /** Leadership of the data partition moved: the in-memory share partition goes (its acquisitions with it, as in Kafka). */
  private leaderMoved(groupId: string, topicId: string, partition: number): void {
    const k = spKey(groupId, topicId, partition);
    this.partitions.get(k)?.close();
    this.partitions.delete(k);
    this.builtAt.delete(k);
    this.readAt.delete(k);
    this.deps.forgetState?.(groupId, topicId, partition);
    for (const w of [...this.releaseWaiters]) w();
  }

  /** Existing share partitions of a group (admin APIs, member removal). */
  *groupPartitions(groupId: string): Iterable<{ topicId: string; partition: number; sp: SharePartition }> {
    const prefix = `${groupId}\u0000`;
    for (const [k, sp] of this.partitions) {
      if (!k.startsWith(prefix)) continue;
      const [, topicId, p] = k.split('\u0000');
      yield { topicId: topicId!, partition: Number(p), sp };
    }
  }

  /** Forgets a share partition's state (DeleteShareGroupOffsets, group deletion). */
  drop(groupId: string, topicId: string, partition: number): void {
    const k = spKey(groupId, topicId, partition);
    this.partitions.get(k)?.close();
    this.partitions.delete(k);
    this.builtAt.delete(k);
    this.readAt.delete(k);
    this.deps.forgetState?.(groupId, topicId, partition);
  }

  /** The connection that opened the member's share session closed: as a member leaving. */
  connectionClosed(groupId: string, memberId: string): void {
    if (this.sessions.get(groupId, memberId)) this.closeSession(groupId, memberId);
  }

  /** A member left the group: its records go back, its session ends. */
  memberRemoved(groupId: string, memberId: string): void {
    this.sessions.close(groupId, memberId);
    for (const { topicId, partition, sp } of this.groupPartitions(groupId)) {
      if (sp.releaseMember(memberId) > 0) this.deps.stateChanged?.(groupId, topicId, partition, sp);
    }
  }

  async fetch(p: ShareFetchParams): Promise<ShareFetchOutcome> {
    const lockMs = this.deps.config(p.groupId).recordLockDurationMs;
    const fail = (errorCode: number, errorMessage: string): ShareFetchOutcome => ({ errorCode, errorMessage, acquisitionLockTimeoutMs: lockMs, responses: [] });
    if (!p.groupId || !p.memberId) return fail(ErrorCode.INVALID_REQUEST, 'GroupId and MemberId must be set.');
    const final = p.shareSessionEpoch === FINAL_EPOCH;
    // The final request of a session may only acknowledge (Kafka: INVALID_REQUEST otherwise).
    if (final && p.topics.some((t) => t.partitions.some((x) => x.acknowledgementBatches.length === 0))) {
      return fail(ErrorCode.INVALID_REQUEST, 'The final share fetch request of a session can only acknowledge.');
    }
    const { errorCode, session } = this.sessions.advance(p.groupId, p.memberId, p.shareSessionEpoch, true);
    if (errorCode !== ErrorCode.NONE || !session) return fail(errorCode, 'Share session epoch check failed.');
    // Acknowledgements first (piggybacked on the fetch), then the session's partition set.
    const ackErrors = new Map<string, number>();
    for (const t of p.topics) {
      for (const part of t.partitions) {
        if (part.acknowledgementBatches.length === 0) continue;
        const ready = await this.ready(p.groupId, t.topicId, part.partitionIndex);
        ackErrors.set(`${t.topicId}:${part.partitionIndex}`, ready !== ErrorCode.NONE ? ready : this.ack(p.groupId, p.memberId, t.topicId, part.partitionIndex, part.acknowledgementBatches));
      }
    }
    if (ackErrors.size > 0) failUnpersisted(ackErrors, await this.deps.persisted?.());
    if (final || p.acquire === false) {
      if (final) this.closeSession(p.groupId, p.memberId);
      return { errorCode: ErrorCode.NONE, errorMessage: null, acquisitionLockTimeoutMs: lockMs, responses: this.ackOnlyResponses(p, ackErrors) };
    }
    for (const f of p.forgotten) for (const idx of f.partitions) session.partitions.delete(`${f.topicId}:${idx}`);
    for (const t of p.topics) for (const part of t.partitions) session.partitions.set(`${t.topicId}:${part.partitionIndex}`, { topicId: t.topicId, partition: part.partitionIndex });

    const wanted = [...session.partitions.values()];
    const deadline = Date.now() + Math.max(0, p.maxWaitMs);
    const watch = this.deps.watch(wanted.flatMap((w) => {
      const t = this.deps.topics.getById(w.topicId);
      return t ? [{ topic: t.name, partition: w.partition }] : [];
    }));
    try {
      for (;;) {
        const results = await this.acquireAll(p, wanted);
        const bytes = results.reduce((n, r) => n + (r.records?.length ?? 0), 0);
        const acquired = results.some((r) => r.acquiredRecords.length > 0 || r.errorCode !== ErrorCode.NONE);
        const remaining = deadline - Date.now();
        if (acquired && bytes >= Math.min(p.minBytes, 1)) return this.respond(p, results, ackErrors, lockMs);
        if (remaining <= 0 || wanted.length === 0) return this.respond(p, results, ackErrors, lockMs);
        // Park until new data, a release or a lock expiry, or the wait runs out.
        let wake: () => void = () => {};
        const released = new Promise<boolean>((resolve) => {
          wake = () => resolve(true);
          this.releaseWaiters.add(wake);
        });
        await Promise.race([watch.wait(remaining), released]);
        this.releaseWaiters.delete(wake);
      }
    } finally {
      watch.close();
    }
  }

  async acknowledge(p: { groupId: string; memberId: string; shareSessionEpoch: number; topics: { topicId: string; partitions: { partitionIndex: number; acknowledgementBatches: AckBatch[] }[] }[] }): Promise<ShareAckOutcome> {
    const lockMs = this.deps.config(p.groupId).recordLockDurationMs;
    const fail = (errorCode: number, errorMessage: string): ShareAckOutcome => ({ errorCode, errorMessage, acquisitionLockTimeoutMs: lockMs, responses: [] });
    if (!p.groupId || !p.memberId) return fail(ErrorCode.INVALID_REQUEST, 'GroupId and MemberId must be set.');
    // ShareAcknowledge cannot open a session (Kafka: INVALID_SHARE_SESSION_EPOCH for epoch 0).
    const { errorCode } = this.sessions.advance(p.groupId, p.memberId, p.shareSessionEpoch, false);
    if (errorCode !== ErrorCode.NONE) return fail(errorCode, 'Share session epoch check failed.');
    const responses: ShareAckOutcome['responses'] = [];
    for (const t of p.topics) {
      const partitions: ShareAckOutcome['responses'][number]['partitions'] = [];
      for (const part of t.partitions) {
        const ready = await this.ready(p.groupId, t.topicId, part.partitionIndex);
        const code = ready !== ErrorCode.NONE ? ready : this.ack(p.groupId, p.memberId, t.topicId, part.partitionIndex, part.acknowledgementBatches);
        partitions.push({ partitionIndex: part.partitionIndex, errorCode: code, errorMessage: null });
      }
      responses.push({ topicId: t.topicId, partitions });
    }
    if (p.shareSessionEpoch === FINAL_EPOCH) this.closeSession(p.groupId, p.memberId);
    const persisted = await this.deps.persisted?.();
    if (persisted) for (const t of responses) for (const x of t.partitions) if (x.errorCode === ErrorCode.NONE) x.errorCode = persisted;
    return { errorCode: ErrorCode.NONE, errorMessage: null, acquisitionLockTimeoutMs: lockMs, responses };
  }

  shutdown(): void {
    for (const sp of this.partitions.values()) sp.close();
    for (const w of [...this.releaseWaiters]) w();
    this.sessions.clear();
  }

  /** Session closed: what the member still holds is released (Kafka releases on session close). */
  private closeSession(groupId: string, memberId: string): void {
    this.sessions.close(groupId, memberId);
    for (const { topicId, partition, sp } of this.groupPartitions(groupId)) {
      if (sp.releaseMember(memberId) > 0) this.deps.stateChanged?.(groupId, topicId, partition, sp);
    }
  }

  private ack(groupId: string, memberId: string, topicId: string, partition: number, batches: AckBatch[]): number {
    if (!this.deps.topics.getById(topicId)) return ErrorCode.UNKNOWN_TOPIC_ID;
    const sp = this.sharePartition(groupId, topicId, partition);
    if (!sp) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    let code: number = ErrorCode.NONE;
    for (const b of batches) {
      const c = sp.acknowledge(memberId, b.firstOffset, b.lastOffset, b.acknowledgeTypes);
      if (c !== ErrorCode.NONE) code = c;
    }
    this.deps.stateChanged?.(groupId, topicId, partition, sp);
    return code;
  }

  private async acquireAll(p: ShareFetchParams, wanted: { topicId: string; partition: number }[]): Promise<(PartitionData & { topicId: string })[]> {
    const out: (PartitionData & { topicId: string })[] = [];
    let budgetRecords = p.maxRecords > 0 ? p.maxRecords : 500;
    let budgetBytes = p.maxBytes > 0 ? p.maxBytes : 52428800;
    for (const w of wanted) {
      const base: PartitionData & { topicId: string } = { topicId: w.topicId, partitionIndex: w.partition, errorCode: ErrorCode.NONE, errorMessage: null, acknowledgeErrorCode: 0, acknowledgeErrorMessage: null, records: null, acquiredRecords: [] };
      const topic = this.deps.topics.getById(w.topicId);
      if (!topic) {
        out.push({ ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_ID });
        continue;
      }
      const ready = await this.ready(p.groupId, w.topicId, w.partition);
      if (ready !== ErrorCode.NONE) {
        out.push({ ...base, errorCode: ready });
        continue;
      }
      const sp = this.sharePartition(p.groupId, w.topicId, w.partition, await this.initialOffset(p.groupId, topic.name, w.topicId, w.partition));
      if (!sp) {
        out.push({ ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
        continue;
      }
      if (budgetRecords <= 0 || budgetBytes <= 0) {
        out.push(base);
        continue;
      }
      const offsets = this.deps.offsets(topic.name, w.partition);
      // The log start moved past the SPSO (retention, DeleteRecords): those records are gone.
      if (offsets && offsets.logStartOffset > sp.startOffset) sp.restore(offsets.logStartOffset, sp.stateBatches());
      const ranges: AcquiredRange[] = sp.acquireAvailable(p.memberId, budgetRecords);
      const chunks: { base: number; buf: Buffer }[] = [];
      let taken = ranges.reduce((n, r) => n + r.lastOffset - r.firstOffset + 1, 0);
      // Batches of redelivered records, read again from the log.
      for (const r of ranges) {
        let from = r.firstOffset;
        while (from <= r.lastOffset) {
          const res = await this.read(topic.name, w.topicId, w.partition, from, budgetBytes);
          if (res.errorCode !== ErrorCode.NONE || res.records.length === 0) break;
          const spans = batchSpans(res.records);
          if (spans.length === 0) break;
          for (const s of spans) if (s.span.lastOffset >= from && s.span.baseOffset <= r.lastOffset) chunks.push({ base: s.span.baseOffset, buf: res.records.subarray(s.start, s.end) });
          from = spans[spans.length - 1]!.span.lastOffset + 1;
        }
      }
      // New records past the SPEO, bounded by the in-flight window.
      if (taken < budgetRecords && sp.room > 0 && offsets && sp.endOffset < offsets.highWatermark) {
        // Read about what the record budget will take (bytes per record learnt from earlier
        // reads), not the whole byte budget: a fetch capped at 500 records must not read 50 MiB.
        const wantRecords = Math.min(budgetRecords - taken, sp.room);
        const perRecord = this.bytesPerRecord.get(w.topicId) ?? 1024;
        const readBytes = Math.min(budgetBytes, Math.max(16384, Math.ceil(wantRecords * perRecord * 1.1)));
        const readCommitted = this.deps.config(p.groupId).readCommitted;
        const res = await this.read(topic.name, w.topicId, w.partition, sp.endOffset, readBytes, readCommitted);
        if (res.errorCode === ErrorCode.NONE && res.records.length > 0) {
          const spans = batchSpans(res.records);
          // share.isolation.level=read_committed: reads stop at the LSO and aborted transactions are archived.
          if (readCommitted) markAborted(spans.map((s) => s.span), res.abortedTransactions);
          if (spans.length > 0) {
            const n = spans[spans.length - 1]!.span.lastOffset - spans[0]!.span.baseOffset + 1;
            this.bytesPerRecord.set(w.topicId, Math.max(16, spans[spans.length - 1]!.end / n));
          }
          const fresh = sp.acquireNew(p.memberId, spans.map((s) => s.span), budgetRecords - taken, p.recordLimit ?? false);
          for (const r of fresh) {
            ranges.push(r);
            taken += r.lastOffset - r.firstOffset + 1;
          }
          for (const s of spans) {
            if (s.span.isControl) continue;
            if (fresh.some((r) => s.span.lastOffset >= r.firstOffset && s.span.baseOffset <= r.lastOffset)) chunks.push({ base: s.span.baseOffset, buf: res.records.subarray(s.start, s.end) });
          }
        } else if (res.errorCode !== ErrorCode.NONE) {
          out.push({ ...base, errorCode: res.errorCode });
          continue;
        }
      }
      if (ranges.length > 0) this.deps.stateChanged?.(p.groupId, w.topicId, w.partition, sp);
      const seen = new Set<number>();
      const ordered = chunks.sort((a, b) => a.base - b.base).filter((c) => !seen.has(c.base) && seen.add(c.base));
      const records = ordered.length ? Buffer.concat(ordered.map((c) => c.buf)) : EMPTY;
      budgetRecords -= taken;
      budgetBytes -= records.length;
      const acquiredRecords: ShareFetchResponseAcquiredRecords[] = ranges.sort((a, b) => a.firstOffset - b.firstOffset).map((r) => ({ firstOffset: r.firstOffset, lastOffset: r.lastOffset, deliveryCount: r.deliveryCount }));
      out.push({ ...base, records, acquiredRecords });
    }
    return out;
  }

  private async read(topic: string, topicId: string, partition: number, fetchOffset: number, maxBytes: number, readCommitted = false): Promise<PartitionFetchResult> {
    const { results } = await this.deps.readSource(
      [{ topic, topicId, partition, fetchOffset, partitionMaxBytes: maxBytes, currentLeaderEpoch: -1 }],
      { maxBytes, isolationLevel: readCommitted ? 1 : 0, magic: 2, allowZstd: true },
    );
    return results[0]!;
  }

  /**
   * Where a share partition without state starts under share.auto.offset.reset=by_duration:<d>
   * (Kafka: the offset of the first record at or after now - d, else the latest offset). Undefined
   * when the partition exists, has persisted state or the reset is earliest/latest.
   */
  private async initialOffset(groupId: string, topic: string, topicId: string, partition: number): Promise<number | undefined> {
    if (this.partitions.has(spKey(groupId, topicId, partition))) return undefined;
    const reset = this.deps.config(groupId).autoOffsetReset;
    if (typeof reset === 'string' || !this.deps.offsetForTimestamp) return undefined;
    if (this.deps.loadState?.(groupId, topicId, partition)) return undefined;
    return this.deps.offsetForTimestamp(topic, partition, Date.now() - reset.byDurationMs);
  }

  private respond(p: ShareFetchParams, results: (PartitionData & { topicId: string })[], ackErrors: Map<string, number>, lockMs: number): ShareFetchOutcome {
    const byTopic = new Map<string, PartitionData[]>();
    const seen = new Set<string>();
    for (const r of results) {
      const k = `${r.topicId}:${r.partitionIndex}`;
      seen.add(k);
      const { topicId, ...data } = r;
      data.acknowledgeErrorCode = ackErrors.get(k) ?? 0;
      // Kafka answers only partitions with records, errors or acknowledgements in the response.
      if (data.acquiredRecords.length === 0 && data.errorCode === 0 && !ackErrors.has(k)) continue;
      if (!byTopic.has(topicId)) byTopic.set(topicId, []);
      byTopic.get(topicId)!.push(data);
    }
    for (const [k, code] of ackErrors) {
      if (seen.has(k)) continue;
      const [topicId, idx] = k.split(':');
      if (!byTopic.has(topicId!)) byTopic.set(topicId!, []);
      byTopic.get(topicId!)!.push({ partitionIndex: Number(idx), errorCode: 0, errorMessage: null, acknowledgeErrorCode: code, acknowledgeErrorMessage: null, records: null, acquiredRecords: [] });
    }
    void p;
    return { errorCode: ErrorCode.NONE, errorMessage: null, acquisitionLockTimeoutMs: lockMs, responses: [...byTopic].map(([topicId, partitions]) => ({ topicId, partitions })) };
  }

  private ackOnlyResponses(p: ShareFetchParams, ackErrors: Map<string, number>): ShareFetchOutcome['responses'] {
    return p.topics.map((t) => ({
      topicId: t.topicId,
      partitions: t.partitions.map((x) => ({ partitionIndex: x.partitionIndex, errorCode: 0, errorMessage: null, acknowledgeErrorCode: ackErrors.get(`${t.topicId}:${x.partitionIndex}`) ?? 0, acknowledgeErrorMessage: null, records: null, acquiredRecords: [] })),
    }));
  }
}

/** Acknowledgements answered NONE whose state could not be written get the write's error. */
function failUnpersisted(ackErrors: Map<string, number>, code: number | void): void {
  if (!code) return;
  for (const [k, c] of ackErrors) if (c === ErrorCode.NONE) ackErrors.set(k, code);
}

function spKey(groupId: string, topicId: string, partition: number): string {
  return `${groupId}\u0000${topicId}\u0000${partition}`;
}
