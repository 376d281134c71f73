// ListGroups (v0-5): every live group; v4 filters by state, v5 by type (all groups are "classic").
import type { ListGroupsResponse } from '../../protocol/generated/list-groups.js';
import { Api } from '../../protocol/generated/apis.js';
import type { GroupCoordinator } from '../coordinator/group/group-coordinator.js';
import { defineHandler, type RequestContext } from '../network/request-context.js';

/** Which groups the caller may see: Kafka lists all with DESCRIBE on the cluster, else those with DESCRIBE on the group. */
export type GroupVisibility = (ctx: RequestContext, groupId: string) => boolean;

export function listGroupsHandler(coordinator: GroupCoordinator, visible: GroupVisibility = () => true) {
  return defineHandler(Api.ListGroups, {
    errorResponse(_req, errorCode): ListGroupsResponse {
      return { throttleTimeMs: 0, errorCode, groups: [] };
    },
    handle(ctx, req): ListGroupsResponse {
      const v = ctx.header.apiVersion;
      const r = coordinator.listGroups(v >= 4 ? req.statesFilter : [], v >= 5 ? req.typesFilter : []);
      return { throttleTimeMs: 0, errorCode: r.errorCode, groups: r.groups.filter((g) => visible(ctx, g.groupId)) };
    },
  });
}
