// The consumer-group APIs served by the classic group coordinator.
import { AclOperation, CLUSTER_NAME, ResourceType } from '../auth/acl/acl-model.js';
import { authorized, type HasAuthorizer } from '../auth/acl/request-authz.js';
import type { GroupCoordinator } from '../coordinator/group/group-coordinator.js';
import type { ApiHandler } from '../network/request-context.js';
import { deleteGroupsHandler } from './delete-groups.js';
import { describeGroupsHandler } from './describe-groups.js';
import { heartbeatHandler } from './heartbeat.js';
import { joinGroupHandler } from './join-group.js';
import { leaveGroupHandler } from './leave-group.js';
import { listGroupsHandler } from './list-groups.js';
import { offsetCommitHandler } from './offset-commit.js';
import { offsetDeleteHandler } from './offset-delete.js';
import { offsetFetchHandler } from './offset-fetch.js';
import { syncGroupHandler } from './sync-group.js';
import type { PartitionPresence, TopicLookup, TxnCoordinatorRef } from './handler-deps.js';

/** What the group APIs need besides the coordinator: topics, partitions, ACLs, open transactions. */
export type GroupHandlerDeps = TopicLookup & PartitionPresence & HasAuthorizer & TxnCoordinatorRef;

export function groupHandlers(deps: GroupHandlerDeps, coordinator: GroupCoordinator): ApiHandler[] {
  return [
    offsetCommitHandler(deps, coordinator),
    offsetFetchHandler(coordinator, (groupId, fetched) => deps.txnCoordinator?.offsets.markUnstable(groupId, fetched) ?? fetched, {
      nameOf: (topicId) => deps.topics.getById(topicId)?.name,
      idOf: (name) => deps.topics.get(name)?.id,
    }),
    joinGroupHandler(coordinator),
    heartbeatHandler(coordinator),
    leaveGroupHandler(coordinator),
    syncGroupHandler(coordinator),
    describeGroupsHandler(coordinator),
    listGroupsHandler(
      coordinator,
      (ctx, groupId) =>
        authorized(deps, ctx, AclOperation.DESCRIBE, ResourceType.CLUSTER, CLUSTER_NAME) || authorized(deps, ctx, AclOperation.DESCRIBE, ResourceType.GROUP, groupId),
    ),
    deleteGroupsHandler(coordinator),
    offsetDeleteHandler(deps, coordinator),
  ];
}
