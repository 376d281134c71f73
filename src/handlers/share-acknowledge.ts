// ShareAcknowledge (v1-2, KIP-932): accept / release / reject (and renew, v2) of acquired records
// under the member's share session; epoch -1 closes the session after acknowledging.
import { Api } from '../../protocol/generated/apis.js';
import type { ShareAcknowledgeResponse } from '../../protocol/generated/share-acknowledge.js';
import type { ShareService } from '../coordinator/share/share-service.js';
import { defineHandler } from '../network/request-context.js';
import { renewError, shareErrorResponse, shareResponse } from './share-responses.js';

export function shareAcknowledgeHandler(share: ShareService) {
  return defineHandler(Api.ShareAcknowledge, {
    errorResponse: (_req, errorCode): ShareAcknowledgeResponse => shareErrorResponse(errorCode),
    async handle(ctx, req): Promise<ShareAcknowledgeResponse> {
      const refused = renewError(ctx.header.apiVersion, req);
      if (refused) return refused;
      const r = await share.partitions.acknowledge({ groupId: req.groupId ?? '', memberId: req.memberId ?? '', shareSessionEpoch: req.shareSessionEpoch, topics: req.topics });
      return shareResponse(r, share.leaderHints(ctx.connection.listenerName));
    },
  });
}
