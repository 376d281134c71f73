// KIP-227 incremental fetch sessions.
//
//   request (sessionId, epoch)   meaning
//   (0, -1)                      full fetch, no session
//   (0,  0)                      full fetch, create a session; response carries its id
//   (S, -1)                      close S, full fetch without a session
//   (S,  0)                      close S, full fetch, create a new session
//   (S,  N>0)                    incremental: S must exist (FETCH_SESSION_ID_NOT_FOUND) and N must be
//                                the epoch we expect (INVALID_FETCH_SESSION_EPOCH); the request lists
//                                only changed partitions, the response only partitions with news.
//
// The cache is bounded (max.incremental.fetch.session.cache.slots); when full, the least recently
// used session is evicted, and a client whose session is gone starts over with a full fetch.

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

  constructor(readonly id: number) {}
}

export function sessionPartitionKey(topicIdOrName: string, partition: number): string {
  return `${topicIdOrName}:${partition}`;
}

export class FetchSessionCache {
  private readonly sessions = new Map<number, FetchSession>();
  private lastId = 0;

  constructor(private readonly maxSlots: number) {}

  get size(): number {
    return this.sessions.size;
  }

  /** A new session, or null when sessions are disabled (0 slots). */
  create(): FetchSession | null {
    if (this.maxSlots <= 0) return null;
    if (this.sessions.size >= this.maxSlots) this.evictLeastRecentlyUsed();
    let id: number;
    do {
      this.lastId = this.lastId >= 0x7fffffff ? 1 : this.lastId + 1;
      id = this.lastId;
    } while (this.sessions.has(id));
    const s = new FetchSession(id);
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
