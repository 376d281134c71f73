// ShareFetch (v1-2, KIP-932): acknowledge piggybacked records, then acquire records for the
// member under the share session, long-polling up to MaxWaitMs. Served by the share-partition
// manager (src/coordinator/share/share-partition-manager.ts).
import { ErrorCode } from '../../protocol/errors.js';
import { Api } from '../../protocol/generated/apis.js';
import type { ShareFetchResponse } from '../../protocol/generated/share-fetch.js';
import type { ShareService } from '../coordinator/share/share-service.js';
import { defineHandler } from '../network/request-context.js';
import { renewError, shareErrorResponse, shareResponse } from './share-responses.js';

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
    errorResponse: (_req, errorCode): ShareFetchResponse => shareErrorResponse(errorCode),
    async handle(ctx, req): Promise<ShareFetchResponse> {
      const refused = renewError(ctx.header.apiVersion, req);
      if (refused) return refused;
      // ShareAcquireMode (v2, KIP-1206): 0 batch-optimized, 1 record-limit; Kafka knows no other.
      if (req.shareAcquireMode !== 0 && req.shareAcquireMode !== 1) return shareErrorResponse(ErrorCode.INVALID_REQUEST, `Unknown ShareAcquireMode ${req.shareAcquireMode}.`);
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
        recordLimit: req.shareAcquireMode === 1,
        acquire: !req.isRenewAck,
        topics: req.topics.map((t) => ({ topicId: t.topicId, partitions: t.partitions })),
        forgotten: req.forgottenTopicsData,
      });
      return shareResponse(r, share.leaderHints(ctx.connection.listenerName));
    },
  });
}
