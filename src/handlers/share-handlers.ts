// The share-group handlers (KIP-932), registered together by registry.ts.
import type { ShareService } from '../coordinator/share/share-service.js';
import type { ApiHandler } from '../network/request-context.js';
import { shareAcknowledgeHandler } from './share-acknowledge.js';
import { shareFetchHandler } from './share-fetch.js';
import { shareGroupDescribeHandler } from './share-group-describe.js';
import { shareGroupHeartbeatHandler } from './share-group-heartbeat.js';
import { shareStateHandlers } from './share-group-state.js';
import { alterShareGroupOffsetsHandler, deleteShareGroupOffsetsHandler, describeShareGroupOffsetsHandler } from './share-group-offsets.js';

export function shareHandlers(share: ShareService): ApiHandler[] {
  return [
    shareGroupHeartbeatHandler(share), shareGroupDescribeHandler(share), shareFetchHandler(share), shareAcknowledgeHandler(share),
    describeShareGroupOffsetsHandler(share),
    alterShareGroupOffsetsHandler(share),
    deleteShareGroupOffsetsHandler(share),
    // The share coordinator's RPCs, between brokers in cluster mode (the persister's requests).
    ...(share.store && share.store.clustered ? shareStateHandlers(share.store) : []),
  ];
}
