// What ShareFetch and ShareAcknowledge answer alike: the top-level error response (same shape in
// both APIs), the v2 renew check (KIP-1222), and the per-partition leader field.
import { ErrorCode } from '../../protocol/errors.js';

/** Leader id/epoch are only meaningful with NOT_LEADER_OR_FOLLOWER; -1 otherwise, as Kafka. */
export const NO_LEADER = { leaderId: -1, leaderEpoch: -1 };

/** The top-level answer of a failed ShareFetch / ShareAcknowledge (no partitions, no endpoints). */
export function shareErrorResponse(errorCode: number, errorMessage: string | null = null) {
  return { throttleTimeMs: 0, errorCode, errorMessage, acquisitionLockTimeoutMs: 0, responses: [], nodeEndpoints: [] };
}

interface AckRequest {
  isRenewAck: boolean;
  topics: { partitions: { acknowledgementBatches: { acknowledgeTypes: number[] }[] }[] }[];
}

/** Renew acknowledgements (type 4, v2) only come with IsRenewAck: INVALID_REQUEST otherwise. */
export function renewError(apiVersion: number, req: AckRequest) {
  const renewAllowed = apiVersion >= 2 && req.isRenewAck;
  const hasRenew = req.topics.some((t) => t.partitions.some((p) => p.acknowledgementBatches.some((b) => b.acknowledgeTypes.includes(4))));
  return hasRenew && !renewAllowed ? shareErrorResponse(ErrorCode.INVALID_REQUEST, 'Renew acknowledgements need IsRenewAck.') : null;
}

/** Cluster mode: where a partition's leader is, for NOT_LEADER_OR_FOLLOWER answers (Kafka's CurrentLeader and NodeEndpoints). */
export interface LeaderHints {
  leader(topicId: string, partition: number): { leaderId: number; leaderEpoch: number } | null;
  endpoints(): { nodeId: number; host: string; port: number; rack: string | null }[];
}

/**
 * The service's outcome as the wire response: every partition gets the NO_LEADER marker, except
 * one answered NOT_LEADER_OR_FOLLOWER, which names the leader this broker knows, its endpoint in
 * NodeEndpoints (as Kafka, so the client goes there without a metadata round trip).
 */
export function shareResponse<P extends { partitionIndex: number; errorCode: number }>(
  r: {
    errorCode: number;
    errorMessage: string | null;
    acquisitionLockTimeoutMs: number;
    responses: { topicId: string; partitions: P[] }[];
  },
  hints?: LeaderHints | null,
) {
  const leaders = new Set<number>();
  const currentLeader = (topicId: string, p: P) => {
    if (!hints || p.errorCode !== ErrorCode.NOT_LEADER_OR_FOLLOWER) return NO_LEADER;
    const l = hints.leader(topicId, p.partitionIndex);
    if (!l || l.leaderId < 0) return NO_LEADER;
    leaders.add(l.leaderId);
    return l;
  };
  const responses = r.responses.map((t) => ({ topicId: t.topicId, partitions: t.partitions.map((p) => ({ ...p, currentLeader: currentLeader(t.topicId, p) })) }));
  return {
    throttleTimeMs: 0,
    errorCode: r.errorCode,
    errorMessage: r.errorMessage,
    acquisitionLockTimeoutMs: r.acquisitionLockTimeoutMs,
    responses,
    nodeEndpoints: leaders.size > 0 && hints ? hints.endpoints().filter((e) => leaders.has(e.nodeId)) : [],
  };
}
