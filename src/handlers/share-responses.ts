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

/** The service's outcome as the wire response: every partition gets the NO_LEADER marker. */
export function shareResponse<P extends object>(r: {
  errorCode: number;
  errorMessage: string | null;
  acquisitionLockTimeoutMs: number;
  responses: { topicId: string; partitions: P[] }[];
}) {
  return {
    throttleTimeMs: 0,
    errorCode: r.errorCode,
    errorMessage: r.errorMessage,
    acquisitionLockTimeoutMs: r.acquisitionLockTimeoutMs,
    responses: r.responses.map((t) => ({ topicId: t.topicId, partitions: t.partitions.map((p) => ({ ...p, currentLeader: NO_LEADER })) })),
    nodeEndpoints: [],
  };
}
