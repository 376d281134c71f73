// ShareAcknowledge (v1-2, KIP-932): accept / release / reject (and renew, v2) of acquired records
// under the member's share session; epoch -1 closes the session after acknowledging.
import { ErrorCode } from '../../protocol/errors.js';
import { Api } from '../../protocol/generated/apis.js';
import type { ShareAcknowledgeResponse } from '../../protocol/generated/share-acknowledge.js';
import type { ShareService } from '../coordinator/share/share-service.js';
import { defineHandler } from '../network/request-context.js';
import { NO_LEADER } from './share-fetch.js';

export function shareAcknowledgeHandler(share: ShareService) {
  return defineHandler(Api.ShareAcknowledge, {
    errorResponse(_req, errorCode): ShareAcknowledgeResponse {
      return { throttleTimeMs: 0, errorCode, errorMessage: null, acquisitionLockTimeoutMs: 0, responses: [], nodeEndpoints: [] };
    },
    async handle(ctx, req): Promise<ShareAcknowledgeResponse> {
      const renewAllowed = ctx.header.apiVersion >= 2 && req.isRenewAck;
      const hasRenew = req.topics.some((t) => t.partitions.some((p) => p.acknowledgementBatches.some((b) => b.acknowledgeTypes.includes(4))));
      if (hasRenew && !renewAllowed) {
        return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Renew acknowledgements need IsRenewAck.', acquisitionLockTimeoutMs: 0, responses: [], nodeEndpoints: [] };
      }
      const r = await share.partitions.acknowledge({ groupId: req.groupId ?? '', memberId: req.memberId ?? '', shareSessionEpoch: req.shareSessionEpoch, topics: req.topics });
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
