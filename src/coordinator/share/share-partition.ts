// One share partition (KIP-932; Kafka's SharePartition): the records of one topic-partition as a
// share group consumes them. Offsets below the share-partition start offset (SPSO) are done;
// offsets from SPSO up to the end offset (SPEO, the next offset to acquire) are in flight, each
// AVAILABLE, ACQUIRED (locked to one member until the acquisition lock expires), ACKNOWLEDGED or
// ARCHIVED. The SPSO advances over leading ACKNOWLEDGED/ARCHIVED records.
//
// Kept per offset rather than per batch (Kafka keeps batches and splits them on demand): the
// in-flight window is bounded by group.share.partition.max.record.locks, so a map of at most that
// many entries is cheap, and acknowledgements of any sub-range need no splitting logic.
import { ErrorCode } from '../../../protocol/errors.js';

export const enum RecordState {
  AVAILABLE = 0,
  ACQUIRED = 1,
  ACKNOWLEDGED = 2,
  ARCHIVED = 4,
}

/** AcknowledgeType of ShareFetch/ShareAcknowledge: 0 gap, 1 accept, 2 release, 3 reject, 4 renew. */
export const AckType = { GAP: 0, ACCEPT: 1, RELEASE: 2, REJECT: 3, RENEW: 4 } as const;

interface Lock {
  timer: NodeJS.Timeout;
  first: number;
  last: number;
  /** Offsets still held by this lock: its timer stops at 0. */
  held: number;
}

interface InFlight {
  state: RecordState;
  deliveryCount: number;
  memberId: string | null;
  lock: Lock | null;
}

export interface AcquiredRange {
  firstOffset: number;
  lastOffset: number;
  deliveryCount: number;
}

/** A batch header as read off the wire, without decoding its records. */
export interface BatchSpan {
  baseOffset: number;
  lastOffset: number;
  isControl: boolean;
  isTransactional?: boolean;
  producerId?: number;
  /** A batch of an aborted transaction, read under read_committed: archived like a control batch. */
  aborted?: boolean;
}

export interface SharePartitionLimits {
  lockDurationMs: () => number;
  deliveryCountLimit: () => number;
  maxInFlight: () => number;
  /** share.renew.acknowledge.enable of the group. */
  renewEnabled: () => boolean;
}

/** The persisted form (ShareSnapshot/ShareUpdate state batches): runs of equal state from SPSO. */
export interface StateBatch {
  firstOffset: number;
  lastOffset: number;
  deliveryState: number;
  deliveryCount: number;
}

export class SharePartition {
  startOffset: number;
  endOffset: number;
  private readonly inFlight = new Map<number, InFlight>();
  /** Called when records become available again (release, lock expiry) or state changes. */
  onChange: (() => void) | null = null;

  constructor(
    startOffset: number,
    private readonly limits: SharePartitionLimits,
  ) {
    this.startOffset = startOffset;
    this.endOffset = startOffset;
  }

  /** Restores persisted in-flight state (ACQUIRED records come back AVAILABLE, as in Kafka). */
  restore(startOffset: number, batches: StateBatch[]): void {
    this.reset(startOffset);
    for (const b of batches) {
      for (let o = Math.max(b.firstOffset, startOffset); o <= b.lastOffset; o++) {
        const state = b.deliveryState === RecordState.ACQUIRED ? RecordState.AVAILABLE : (b.deliveryState as RecordState);
        this.inFlight.set(o, { state, deliveryCount: b.deliveryCount, memberId: null, lock: null });
        if (o + 1 > this.endOffset) this.endOffset = o + 1;
      }
    }
    this.advanceStart();
  }

  /** Moves the SPSO (AlterShareGroupOffsets, log start moved past it): everything in flight is forgotten. */
  reset(startOffset: number): void {
    for (const r of this.inFlight.values()) if (r.lock) clearTimeout(r.lock.timer);
    this.inFlight.clear();
    this.startOffset = startOffset;
    this.endOffset = startOffset;
  }

  /** Records in flight (SPSO..SPEO), what partition.max.record.locks bounds. */
  get inFlightCount(): number {
    return this.endOffset - this.startOffset;
  }

  /** In-flight records already done (acknowledged or archived) above the SPSO: not part of the lag. */
  get completedInFlight(): number {
    let n = 0;
    for (const r of this.inFlight.values()) if (r.state === RecordState.ACKNOWLEDGED || r.state === RecordState.ARCHIVED) n++;
    return n;
  }

  /** Room for new records before the in-flight limit. */
  get room(): number {
    return Math.max(0, this.limits.maxInFlight() - this.inFlightCount);
  }

  /** Acquires AVAILABLE in-flight records (redeliveries) for `memberId`, at most `max`. */
  acquireAvailable(memberId: string, max: number): AcquiredRange[] {
    const out: AcquiredRange[] = [];
    let taken = 0;
    for (let o = this.startOffset; o < this.endOffset && taken < max; o++) {
      const r = this.inFlight.get(o);
      if (!r || r.state !== RecordState.AVAILABLE) continue;
      r.state = RecordState.ACQUIRED;
      r.deliveryCount++;
      r.memberId = memberId;
      push(out, o, r.deliveryCount);
      taken++;
    }
    this.lockRanges(out);
    return out;
  }

  /**
   * Acquires new records from the log, given the batch headers read at `endOffset`. In
   * batch-optimized mode (ShareAcquireMode 0) whole batches, which may exceed `max` to keep batch
   * boundaries; in record-limit mode (1, KIP-1206) exactly up to `max` records, ending inside a
   * batch if need be (the SPEO stops there; the rest of the batch is acquired later). Control
   * batches are archived at once (consumers never see them).
   */
  acquireNew(memberId: string, batches: BatchSpan[], max: number, recordLimit = false): AcquiredRange[] {
    const out: AcquiredRange[] = [];
    let taken = 0;
    for (const b of batches) {
      if (taken >= max || this.room === 0) break;
      if (b.lastOffset < this.endOffset) continue;
      const from = Math.max(b.baseOffset, this.endOffset);
      let o = from;
      for (; o <= b.lastOffset; o++) {
        if (b.isControl || b.aborted) {
          this.inFlight.set(o, { state: RecordState.ARCHIVED, deliveryCount: 0, memberId: null, lock: null });
        } else {
          if (recordLimit && taken >= max) break;
          this.inFlight.set(o, { state: RecordState.ACQUIRED, deliveryCount: 1, memberId, lock: null });
          push(out, o, 1);
          taken++;
        }
      }
      this.endOffset = o;
    }
    this.lockRanges(out);
    this.advanceStart();
    return out;
  }

  /**
   * Applies one acknowledgement batch of `memberId`. Every offset must be ACQUIRED by that member
   * (Kafka: INVALID_RECORD_STATE otherwise, and nothing of the batch is applied).
   */
  acknowledge(memberId: string, firstOffset: number, lastOffset: number, types: number[]): number {
    if (lastOffset < firstOffset || (types.length !== 1 && types.length !== lastOffset - firstOffset + 1)) return ErrorCode.INVALID_REQUEST;
    if (types.some((t) => t < AckType.GAP || t > AckType.RENEW)) return ErrorCode.INVALID_REQUEST;
    // Kafka: "Renewing acquisition locks is not enabled for the group." (share.renew.acknowledge.enable=false).
    if (types.includes(AckType.RENEW) && !this.limits.renewEnabled()) return ErrorCode.INVALID_RECORD_STATE;
    for (let o = firstOffset; o <= lastOffset; o++) {
      const r = this.inFlight.get(o);
      if (!r || r.state !== RecordState.ACQUIRED || r.memberId !== memberId) return ErrorCode.INVALID_RECORD_STATE;
    }
    const renewed: AcquiredRange[] = [];
    let released = false;
    for (let o = firstOffset; o <= lastOffset; o++) {
      const r = this.inFlight.get(o)!;
      const t = types.length === 1 ? types[0]! : types[o - firstOffset]!;
      if (t === AckType.RENEW) {
        push(renewed, o, r.deliveryCount);
        continue;
      }
      this.unlock(r);
      if (t === AckType.ACCEPT) r.state = RecordState.ACKNOWLEDGED;
      else if (t === AckType.REJECT || t === AckType.GAP) r.state = RecordState.ARCHIVED;
      else {
        released = true;
        this.makeAvailable(r);
      }
    }
    this.lockRanges(renewed);
    this.advanceStart();
    if (released) this.onChange?.();
    return ErrorCode.NONE;
  }

  /** Releases everything `memberId` holds (member left the group or closed its share session). */
  releaseMember(memberId: string): number {
    let n = 0;
    for (const r of this.inFlight.values()) {
      if (r.state !== RecordState.ACQUIRED || r.memberId !== memberId) continue;
      this.unlock(r);
      this.makeAvailable(r);
      n++;
    }
    if (n > 0) {
      this.advanceStart();
      this.onChange?.();
    }
    return n;
  }

  /** In-flight state as runs of equal (state, deliveryCount), for ShareSnapshot records. */
  stateBatches(): StateBatch[] {
    const out: StateBatch[] = [];
    for (let o = this.startOffset; o < this.endOffset; o++) {
      const r = this.inFlight.get(o);
      if (!r) continue;
      const last = out[out.length - 1];
      if (last && last.lastOffset === o - 1 && last.deliveryState === r.state && last.deliveryCount === r.deliveryCount) last.lastOffset = o;
      else out.push({ firstOffset: o, lastOffset: o, deliveryState: r.state, deliveryCount: r.deliveryCount });
    }
    return out;
  }

  /** For describe/tests: the state of one offset, undefined when not in flight. */
  stateOf(offset: number): { state: RecordState; deliveryCount: number; memberId: string | null } | undefined {
    const r = this.inFlight.get(offset);
    return r && { state: r.state, deliveryCount: r.deliveryCount, memberId: r.memberId };
  }

  /** Stops every lock timer (shutdown). */
  close(): void {
    for (const r of this.inFlight.values()) this.unlock(r);
  }

  private makeAvailable(r: InFlight): void {
    r.memberId = null;
    // A record delivered delivery.count.limit times is archived instead of offered again.
    r.state = r.deliveryCount >= this.limits.deliveryCountLimit() ? RecordState.ARCHIVED : RecordState.AVAILABLE;
  }

  private lockRanges(ranges: AcquiredRange[]): void {
    for (const range of ranges) {
      const lock: Lock = { first: range.firstOffset, last: range.lastOffset, held: 0, timer: null as unknown as NodeJS.Timeout };
      lock.timer = setTimeout(() => this.expire(lock), this.limits.lockDurationMs());
      lock.timer.unref?.();
      for (let o = range.firstOffset; o <= range.lastOffset; o++) {
        const r = this.inFlight.get(o)!;
        if (r.lock) this.unlock(r);
        r.lock = lock;
        lock.held++;
      }
    }
  }

  /** The acquisition lock ran out: the records it still holds go back (or to the archive). */
  private expire(lock: Lock): void {
    let n = 0;
    for (let o = lock.first; o <= lock.last; o++) {
      const r = this.inFlight.get(o);
      if (!r || r.lock !== lock || r.state !== RecordState.ACQUIRED) continue;
      r.lock = null;
      this.makeAvailable(r);
      n++;
    }
    if (n > 0) {
      this.advanceStart();
      this.onChange?.();
    }
  }

  /** Detaches a record from its lock; the timer stops once the lock holds nothing. */
  private unlock(r: InFlight): void {
    const lock = r.lock;
    if (!lock) return;
    r.lock = null;
    if (--lock.held === 0) clearTimeout(lock.timer);
  }

  private advanceStart(): void {
    while (this.startOffset < this.endOffset) {
      const r = this.inFlight.get(this.startOffset);
      if (r && r.state !== RecordState.ACKNOWLEDGED && r.state !== RecordState.ARCHIVED) break;
      this.inFlight.delete(this.startOffset);
      this.startOffset++;
    }
  }
}

function push(out: AcquiredRange[], offset: number, deliveryCount: number): void {
  const last = out[out.length - 1];
  if (last && last.lastOffset === offset - 1 && last.deliveryCount === deliveryCount) last.lastOffset = offset;
  else out.push({ firstOffset: offset, lastOffset: offset, deliveryCount });
}
