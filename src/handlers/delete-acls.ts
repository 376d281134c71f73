// DeleteAcls (31): removes every binding matching each filter, persisted before the answer; each
// filter's result lists what it removed. Needs ALTER on the cluster; without an authorizer Kafka
// answers SECURITY_DISABLED.
import { ErrorCode } from '../../protocol/errors.js';
import { Api } from '../../protocol/generated/apis.js';
import type { DeleteAclsRequest, DeleteAclsResponse, DeleteAclsResponseDeleteAclsFilterResult } from '../../protocol/generated/delete-acls.js';
import { AclOperation, bindingKey, CLUSTER_NAME, filterMatches, invalidFilterReason, ResourceType, type AclBinding } from '../auth/acl/acl-model.js';
import { authorized } from '../auth/acl/request-authz.js';
import { defineHandler } from '../network/request-context.js';
import type { AclDeps } from './handler-deps.js';

export function deleteAclsHandler(deps: AclDeps) {
  const all = (req: DeleteAclsRequest, errorCode: number, errorMessage: string | null): DeleteAclsResponse => ({
    throttleTimeMs: 0,
    filterResults: req.filters.map(() => ({ errorCode, errorMessage, matchingAcls: [] })),
  });
  return defineHandler(Api.DeleteAcls, {
    async handle(ctx, req): Promise<DeleteAclsResponse> {
      if (!deps.authorizer) return all(req, ErrorCode.SECURITY_DISABLED, 'No Authorizer is configured.');
      if (!authorized(deps, ctx, AclOperation.ALTER, ResourceType.CLUSTER, CLUSTER_NAME)) return all(req, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, null);
      const existing = deps.acls.all();
      const removed = new Map<string, AclBinding>();
      const filterResults: DeleteAclsResponseDeleteAclsFilterResult[] = req.filters.map((f) => {
        const filter = {
          resourceType: f.resourceTypeFilter,
          resourceName: f.resourceNameFilter,
          patternType: f.patternTypeFilter,
          principal: f.principalFilter,
          host: f.hostFilter,
          operation: f.operation,
          permissionType: f.permissionType,
        };
        const invalid = invalidFilterReason(filter);
        if (invalid !== null) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: invalid, matchingAcls: [] };
        const matching = existing.filter((b) => filterMatches(filter, b));
        for (const b of matching) removed.set(bindingKey(b), b);
        return {
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          matchingAcls: matching.map((b) => ({ errorCode: ErrorCode.NONE, errorMessage: null, ...b })),
        };
      });
      if (removed.size > 0) await deps.acls.change([], [...removed.values()]);
      return { throttleTimeMs: 0, filterResults };
    },
    errorResponse: (req, errorCode) => all(req, errorCode, null),
  });
}
