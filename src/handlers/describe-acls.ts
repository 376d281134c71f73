// DescribeAcls (29): the ACL bindings matching one filter, grouped by resource pattern. Needs
// DESCRIBE on the cluster; without an authorizer Kafka answers SECURITY_DISABLED.
import { ErrorCode } from '../../protocol/errors.js';
import { Api } from '../../protocol/generated/apis.js';
import type { DescribeAclsResponse, DescribeAclsResponseDescribeAclsResource } from '../../protocol/generated/describe-acls.js';
import { AclOperation, CLUSTER_NAME, filterMatches, invalidFilterReason, ResourceType, type AclFilter } from '../auth/acl/acl-model.js';
import { authorized } from '../auth/acl/request-authz.js';
import { defineHandler } from '../network/request-context.js';
import type { AclDeps } from './handler-deps.js';

const failure = (errorCode: number, errorMessage: string | null): DescribeAclsResponse => ({ throttleTimeMs: 0, errorCode, errorMessage, resources: [] });

export function describeAclsHandler(deps: AclDeps) {
  return defineHandler(Api.DescribeAcls, {
    handle(ctx, req): DescribeAclsResponse {
      if (!deps.authorizer) return failure(ErrorCode.SECURITY_DISABLED, 'No Authorizer is configured.');
      if (!authorized(deps, ctx, AclOperation.DESCRIBE, ResourceType.CLUSTER, CLUSTER_NAME)) return failure(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, null);
      const filter: AclFilter = {
        resourceType: req.resourceTypeFilter,
        resourceName: req.resourceNameFilter,
        patternType: req.patternTypeFilter,
        principal: req.principalFilter,
        host: req.hostFilter,
        operation: req.operation,
        permissionType: req.permissionType,
      };
      const invalid = invalidFilterReason(filter);
      if (invalid !== null) return failure(ErrorCode.INVALID_REQUEST, invalid);
      const byResource = new Map<string, DescribeAclsResponseDescribeAclsResource>();
      for (const b of deps.acls.all()) {
        if (!filterMatches(filter, b)) continue;
        const key = JSON.stringify([b.resourceType, b.resourceName, b.patternType]);
        let r = byResource.get(key);
        if (!r) byResource.set(key, (r = { resourceType: b.resourceType, resourceName: b.resourceName, patternType: b.patternType, acls: [] }));
        r.acls.push({ principal: b.principal, host: b.host, operation: b.operation, permissionType: b.permissionType });
      }
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, resources: [...byResource.values()] };
    },
    errorResponse: (_req, errorCode) => failure(errorCode, null),
  });
}
