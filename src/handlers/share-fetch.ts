// ShareFetch (v1-2, KIP-932): acknowledge piggybacked records, then acquire records for the
// member under the share session, long-polling up to MaxWaitMs. Served by the share-partition
// manager (src/coordinator/share/share-partition-manager.ts).
import { ErrorCode } from '../../protocol/errors.js';
import { Api } from '../../protocol/generated/apis.js';
import type { ShareFetchResponse } from '../../protocol/generated/share-fetch.js';
import type { ShareService } from '../coordinator/share/share-service.js';
import { defineHandler } from '../network/request-context.js';

/** Leader id/epoch are only meaningful with NOT_LEADER_OR_FOLLOWER; -1 otherwise, as Kafka. */
export const NO_LEADER = { leaderId: -1, leaderEpoch: -1 };

const watched = new WeakMap<object, Set<string>>();

function watchConnection(socket: { once(event: 'close', fn: () => void): unknown }, share: ShareService, groupId: string, memberId: string): void {
  let keys = watched.get(socket);
  if (!keys) watched.set(socket, (keys = new Set()));
  const key = `${groupId}\u0000${memberId}`;
  if (keys.has(key)) return;
  keys.add(key);
  socket.once('close', () => share.partitions.connectionClosed(groupId, memberId));
}

export function shareFetchHandler(share: ShareService) {
  return defineHandler(Api.ShareFetch, {
    errorResponse(_req, errorCode): ShareFetchResponse {
      return { throttleTimeMs: 0, errorCode, errorMessage: null, acquisitionLockTimeoutMs: 0, responses: [], nodeEndpoints: [] };
    },
    async handle(ctx, req): Promise<ShareFetchResponse> {
      // Renew acknowledgements (v2) only come with IsRenewAck; otherwise type 4 is invalid.
      const renewAllowed = ctx.header.apiVersion >= 2 && req.isRenewAck;
      const hasRenew = req.topics.some((t) => t.partitions.some((p) => p.acknowledgementBatches.some((b) => b.acknowledgeTypes.includes(4))));
      if (hasRenew && !renewAllowed) {
        return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Renew acknowledgements need IsRenewAck.', acquisitionLockTimeoutMs: 0, responses: [], nodeEndpoints: [] };
      }
      // Kafka drops a member's share session when its connection closes, releasing what it holds
      // (ShareSessionCache's connection-disconnect listener): watch the socket that opened it.
      if (req.shareSessionEpoch === 0 && req.groupId && req.memberId) watchConnection(ctx.connection.socket, share, req.groupId, req.memberId);
      const r = await share.partitions.fetch({
        groupId: req.groupId ?? '',
        memberId: req.memberId ?? '',
        shareSessionEpoch: req.shareSessionEpoch,
        // A renew-only request does not fetch (KIP-1222): answer at once.
        maxWaitMs: req.isRenewAck ? 0 : req.maxWaitMs,
        minBytes: req.minBytes,
        maxBytes: req.maxBytes,
        maxRecords: req.maxRecords,
        acquire: !req.isRenewAck,
        topics: req.topics.map((t) => ({ topicId: t.topicId, partitions: t.partitions })),
        forgotten: req.forgottenTopicsData,
      });
      return {
        throttleTimeMs: 0,
        errorCode: r.errorCode,
        errorMessage: r.errorMessage,
        acquisitionLockTimeoutMs: r.acquisitionLockTimeoutMs,
        responses: r.responses.map((t) => ({ topicId: t.topicId, partitions: t.partitions.map((p) => ({ ...p, currentLeader: NO_LEADER })) })),
        nodeEndpoints: [],
      };
    },
  });
}
