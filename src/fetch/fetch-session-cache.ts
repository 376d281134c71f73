// KIP-227 incremental fetch sessions: the cache and the session state machine (the Fetch handler
// only calls beginFetch() and then markSent() per partition of its answer).
//
//   request (sessionId, epoch)   meaning
//   (0, -1)                      full fetch, no session
//   (0,  0)                      full fetch, create a session; response carries its id
//   (S, -1)                      close S, full fetch without a session
//   (S,  0)                      close S, full fetch, create a new session
//   (S,  N>0)                    incremental: S must exist (FETCH_SESSION_ID_NOT_FOUND) and N must be
//                                the epoch we expect (INVALID_FETCH_SESSION_EPOCH), and it must name
//                                topics the way the session was built: by id (v13+) or by name
//                                (FETCH_SESSION_TOPIC_ID_ERROR otherwise, as Kafka's FetchManager);
//                                the request lists only changed partitions, the response only
//                                partitions with news.
//
// A session holds every partition the client fetches, keyed by tpKey(topic id (v13+) or name,
// partition); the keys of one session are all ids or all names, never both: a partition
// keyed both ways would be fetched twice, the stale copy at a position the client left behind
// (answered OFFSET_OUT_OF_RANGE once DeleteRecords passes it, issue 11). A full fetch (epoch 0, or no session) replaces the set; an incremental one updates
// the fetch position and limits of the partitions it lists (keeping what was last sent), adds new
// ones and drops the forgotten ones. After each request the expected epoch moves on by one
// (wrapping to 1 past 2^31-1). An incremental response carries only the partitions with news:
// records, an error, or a high watermark / log start / last stable offset other than last sent.
//
// The cache is bounded (max.incremental.fetch.session.cache.slots); when full, the least recently
// used session is evicted, and a client whose session is gone starts over with a full fetch.

import { ErrorCode } from '../../protocol/errors.js';
import { tpKey } from '../cluster/topic-partition.js';

export const INITIAL_EPOCH = 0;
export const FINAL_EPOCH = -1;

export interface SessionPartition {
  topic: string;
  topicId: string;
  partition: number;
  fetchOffset: number;
  partitionMaxBytes: number;
  currentLeaderEpoch: number;
  /** What the client last saw, to decide whether an incremental response must include it. */
  sentHighWatermark: number;
  sentLogStartOffset: number;
  sentLastStableOffset: number;
}

export class FetchSession {
  /** The epoch the next incremental request must carry. */
  nextEpoch = 1;
  lastUsed = Date.now();
  readonly partitions = new Map<string, SessionPartition>();

  /** Whether its partitions are keyed by topic id (built by a v13+ fetch) or by name. */
  constructor(readonly id: number, readonly usesTopicIds: boolean) {}
}


export class FetchSessionCache {
  private readonly sessions = new Map<number, FetchSession>();
  private lastId = 0;

  constructor(private readonly maxSlots: number) {}

  get size(): number {
    return this.sessions.size;
  }

  /** A new session, or null when sessions are disabled (0 slots). */
  create(usesTopicIds: boolean): FetchSession | null {
    if (this.maxSlots <= 0) return null;
    if (this.sessions.size >= this.maxSlots) this.evictLeastRecentlyUsed();
    let id: number;
    do {
      this.lastId = this.lastId >= 0x7fffffff ? 1 : this.lastId + 1;
      id = this.lastId;
    } while (this.sessions.has(id));
    const s = new FetchSession(id, usesTopicIds);
    this.sessions.set(id, s);
    return s;
  }

  get(id: number): FetchSession | undefined {
    const s = this.sessions.get(id);
    if (s) {
      s.lastUsed = Date.now();
      // Map keeps insertion order: re-insert to mark as most recently used.
      this.sessions.delete(id);
      this.sessions.set(id, s);
    }
    return s;
  }

  remove(id: number): void {
    this.sessions.delete(id);
  }

  private evictLeastRecentlyUsed(): void {
    const oldest = this.sessions.keys().next();
    if (!oldest.done) this.sessions.delete(oldest.value);
  }
}

/** Where a Fetch stands after its session was resolved. */
export type FetchSessionStep =
  | { errorCode: number }
  | {
      /** Null for a sessionless fetch (or when sessions are disabled). */
      session: FetchSession | null;
      /** The response lists only partitions with news (see changed()). */
      incremental: boolean;
      /** Every partition this fetch covers, in session order. */
      fetches: SessionPartition[];
    };

/**
 * Runs the state machine above for one request. `requested` are the request's partitions (their
 * `sent*` fields -2, "never sent"); `forgotten` the (topic id or name, partition) pairs v7+ drops.
 */
export function beginFetch(
  cache: FetchSessionCache,
  sessionId: number,
  sessionEpoch: number,
  requested: SessionPartition[],
  forgotten: { topicKey: string; partition: number }[],
  useIds: boolean,
): FetchSessionStep {
  let session: FetchSession | null = null;
  let incremental = false;
  if (sessionId === 0 && sessionEpoch === INITIAL_EPOCH) {
    session = cache.create(useIds);
  } else if (sessionId !== 0) {
    if (sessionEpoch === FINAL_EPOCH || sessionEpoch === INITIAL_EPOCH) {
      cache.remove(sessionId);
      if (sessionEpoch === INITIAL_EPOCH) session = cache.create(useIds);
    } else {
      const s = cache.get(sessionId);
      if (!s) return { errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND };
      if (s.nextEpoch !== sessionEpoch) return { errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH };
      // The session stays (Kafka keeps it too); the client answers this error with a full fetch.
      if (s.usesTopicIds !== useIds) return { errorCode: ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR };
      session = s;
      incremental = true;
    }
  } else if (sessionEpoch !== FINAL_EPOCH) {
    // sessionId 0 with an epoch other than 0/-1 makes no sense.
    return { errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH };
  }
  if (!session) return { session: null, incremental: false, fetches: requested };
  if (!incremental) session.partitions.clear();
  for (const p of requested) {
    const key = tpKey(useIds ? p.topicId : p.topic, p.partition);
    const prev = session.partitions.get(key);
    if (prev) {
      // Keep what the client was last sent; only its fetch position and limits change.
      prev.fetchOffset = p.fetchOffset;
      prev.partitionMaxBytes = p.partitionMaxBytes;
      prev.currentLeaderEpoch = p.currentLeaderEpoch;
    } else {
      session.partitions.set(key, p);
    }
  }
  for (const f of forgotten) session.partitions.delete(tpKey(f.topicKey, f.partition));
  session.nextEpoch = sessionEpoch === INITIAL_EPOCH || !incremental ? 1 : sessionEpoch + 1;
  if (session.nextEpoch > 0x7fffffff) session.nextEpoch = 1;
  return { session, incremental, fetches: [...session.partitions.values()] };
}

/** What the client sees of a partition in a response. */
export interface SentState {
  errorCode: number;
  records: Buffer;
  highWatermark: number;
  logStartOffset: number;
  lastStableOffset: number;
  preferredReadReplica?: number;
}

/**
 * Whether partition `f` goes into the response (always, unless incremental and nothing changed);
 * when it does, remembers what the client was sent.
 */
export function markSent(f: SessionPartition, r: SentState, incremental: boolean): boolean {
  if (incremental && !changed(f, r)) return false;
  f.sentHighWatermark = r.highWatermark;
  f.sentLogStartOffset = r.logStartOffset;
  f.sentLastStableOffset = r.lastStableOffset;
  return true;
}

function changed(f: SessionPartition, r: SentState): boolean {
  return (
    r.records.length > 0 ||
    // KIP-392: a redirect to a preferred read replica must reach the client even with nothing else new.
    (r.preferredReadReplica ?? -1) >= 0 ||
    r.errorCode !== ErrorCode.NONE ||
    r.highWatermark !== f.sentHighWatermark ||
    r.logStartOffset !== f.sentLogStartOffset ||
    r.lastStableOffset !== f.sentLastStableOffset
  );
}
