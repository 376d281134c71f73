// The share-group offset admin APIs (KIP-932): DescribeShareGroupOffsets (v0-1; v1 adds Lag),
// AlterShareGroupOffsets and DeleteShareGroupOffsets, served by src/coordinator/share/share-admin.ts.
import { Api } from '../../protocol/generated/apis.js';
import type { AlterShareGroupOffsetsResponse } from '../../protocol/generated/alter-share-group-offsets.js';
import type { DeleteShareGroupOffsetsResponse } from '../../protocol/generated/delete-share-group-offsets.js';
import type { DescribeShareGroupOffsetsResponse } from '../../protocol/generated/describe-share-group-offsets.js';
import type { ShareService } from '../coordinator/share/share-service.js';
import { defineHandler } from '../network/request-context.js';

export function describeShareGroupOffsetsHandler(share: ShareService) {
  return defineHandler(Api.DescribeShareGroupOffsets, {
    errorResponse(req, errorCode): DescribeShareGroupOffsetsResponse {
      return { throttleTimeMs: 0, groups: req.groups.map((g) => ({ groupId: g.groupId, topics: [], errorCode, errorMessage: null })) };
    },
    async handle(_ctx, req): Promise<DescribeShareGroupOffsetsResponse> {
      return { throttleTimeMs: 0, groups: await Promise.all(req.groups.map(async (g) => ({ groupId: g.groupId, ...(await share.admin.describeOffsets(g.groupId, g.topics)) }))) };
    },
  });
}

export function alterShareGroupOffsetsHandler(share: ShareService) {
  return defineHandler(Api.AlterShareGroupOffsets, {
    errorResponse(_req, errorCode): AlterShareGroupOffsetsResponse {
      return { throttleTimeMs: 0, errorCode, errorMessage: null, responses: [] };
    },
    async handle(_ctx, req): Promise<AlterShareGroupOffsetsResponse> {
      return { throttleTimeMs: 0, ...(await share.admin.alterOffsets(req.groupId, req.topics)) };
    },
  });
}

export function deleteShareGroupOffsetsHandler(share: ShareService) {
  return defineHandler(Api.DeleteShareGroupOffsets, {
    errorResponse(_req, errorCode): DeleteShareGroupOffsetsResponse {
      return { throttleTimeMs: 0, errorCode, errorMessage: null, responses: [] };
    },
    async handle(_ctx, req): Promise<DeleteShareGroupOffsetsResponse> {
      return { throttleTimeMs: 0, ...(await share.admin.deleteOffsets(req.groupId, req.topics.map((t) => t.topicName))) };
    },
  });
}
