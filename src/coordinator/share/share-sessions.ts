// Share sessions (KIP-932; Kafka's ShareSessionCache): one per (group, member), opened by a
// ShareFetch with ShareSessionEpoch 0, advanced by one per request, closed with -1. The session
// remembers which partitions the member fetches, so later requests only send changes.
import { ErrorCode } from '../../../protocol/errors.js';

export interface ShareSession {
  epoch: number;
  /** "topicId:partition" keys. */
  partitions: Map<string, { topicId: string; partition: number }>;
}

export const FINAL_EPOCH = -1;
export const INITIAL_EPOCH = 0;

export class ShareSessions {
  private readonly sessions = new Map<string, ShareSession>();

  constructor(private readonly maxSessions: () => number) {}

  get(groupId: string, memberId: string): ShareSession | undefined {
    return this.sessions.get(key(groupId, memberId));
  }

  /**
   * Checks and advances the session for a request with `epoch`: 0 opens a new one (replacing any
   * old), -1 is the final request (the caller closes after it), others must match the session.
   */
  advance(groupId: string, memberId: string, epoch: number, opening: boolean): { errorCode: number; session: ShareSession | null } {
    const k = key(groupId, memberId);
    if (epoch === INITIAL_EPOCH) {
      if (!opening) return { errorCode: ErrorCode.INVALID_SHARE_SESSION_EPOCH, session: null };
      if (!this.sessions.has(k) && this.sessions.size >= this.maxSessions()) return { errorCode: ErrorCode.SHARE_SESSION_LIMIT_REACHED, session: null };
      const session: ShareSession = { epoch: 1, partitions: new Map() };
      this.sessions.set(k, session);
      return { errorCode: ErrorCode.NONE, session };
    }
    const session = this.sessions.get(k);
    if (!session) return { errorCode: ErrorCode.SHARE_SESSION_NOT_FOUND, session: null };
    if (epoch === FINAL_EPOCH) return { errorCode: ErrorCode.NONE, session };
    if (epoch !== session.epoch) return { errorCode: ErrorCode.INVALID_SHARE_SESSION_EPOCH, session: null };
    session.epoch = epoch === 2147483647 ? 1 : epoch + 1;
    return { errorCode: ErrorCode.NONE, session };
  }

  close(groupId: string, memberId: string): void {
    this.sessions.delete(key(groupId, memberId));
  }

  /** A topic was deleted: no session fetches it any more. */
  forgetTopic(topicId: string): void {
    for (const s of this.sessions.values()) for (const [k, v] of s.partitions) if (v.topicId === topicId) s.partitions.delete(k);
  }

  clear(): void {
    this.sessions.clear();
  }
}

function key(groupId: string, memberId: string): string {
  return `${groupId}\u0000${memberId}`;
}
