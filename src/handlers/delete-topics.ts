// DeleteTopics: by name (v0-5) or by name-or-id (v6+).
import { ErrorCode } from '../../protocol/errors.js';
import type { DeleteTopicsRequest, DeleteTopicsResponse } from '../../protocol/generated/delete-topics.js';
import { Api } from '../../protocol/generated/apis.js';
import type { TopicLookup } from '../cluster/cluster-view.js';
import type { BrokerConfig } from '../config/broker-config.js';
import type { Logger } from '../logging/logger.js';
import type { HasAuthorizer } from '../auth/acl/request-authz.js';

/** What DeleteTopics needs: topics, their deletion, delete.topic.enable, ACLs. */
export interface DeleteTopicsDeps extends TopicLookup, HasAuthorizer, Partial<HasClusterControl> {
  config: Pick<BrokerConfig, 'get'>;
  deleteTopic(name: string): Promise<void>;
  logger: Logger;
}
import { isBrokerOwnedTopic } from '../metadata/topic-name.js';
import { ZERO_UUID } from '../metadata/uuid.js';
import { defineHandler } from '../network/request-context.js';
import { onController, type HasClusterControl } from '../cluster/controller/cluster-control.js';
import type { Controller } from '../cluster/controller/controller.js';

interface Result {
  name: string | null;
  topicId: string;
  errorCode: number;
  errorMessage: string | null;
}

export function deleteTopicsHandler(broker: DeleteTopicsDeps) {
  return defineHandler(Api.DeleteTopics, {
    errorResponse: refusal,
    async handle(ctx, req): Promise<DeleteTopicsResponse> {
      const v = ctx.header.apiVersion;
      // Cluster mode: deletion is the controller's (it removes the topic from the store; every
      // broker deletes its replicas when the store's watch tells it).
      const cluster = broker.cluster;
      if (cluster && !cluster.controller) {
        return onController(cluster, Api.DeleteTopics.apiKey, v, req, () => Promise.reject(new Error('unreachable')), (errorCode) => refusal(req, errorCode, v));
      }
      const controller = cluster?.controller;
      const wanted = v >= 6 ? req.topics.map((t) => ({ name: t.name, topicId: t.topicId })) : req.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));
      const enabled = broker.config.get('delete.topic.enable');
      const results: Result[] = [];
      for (const w of wanted) {
        const byId = w.topicId !== ZERO_UUID;
        if (byId && w.name !== null) {
          results.push({ name: w.name, topicId: w.topicId, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Both topic name and id were set' });
          continue;
        }
        let t: { name: string; id: string } | undefined = byId ? broker.topics.getById(w.topicId) : w.name !== null ? broker.topics.get(w.name) : undefined;
        // The controller's own view may not have caught up with a topic just created: the store decides.
        if (!t && controller && w.name !== null) t = { name: w.name, id: ZERO_UUID };
        if (!t) {
          results.push({
            name: w.name,
            topicId: w.topicId,
            errorCode: byId ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
            errorMessage: byId ? `Topic id ${w.topicId} not found` : 'This server does not host this topic-partition.',
          });
          continue;
        }
        if (!enabled) {
          results.push({ name: t.name, topicId: t.id, errorCode: ErrorCode.TOPIC_DELETION_DISABLED, errorMessage: 'Topic deletion is disabled.' });
          continue;
        }
        if (isBrokerOwnedTopic(t.name)) {
          results.push({ name: t.name, topicId: t.id, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: 'Internal topics cannot be deleted' });
          continue;
        }
        try {
          if (controller) {
            const r = await deleteInCluster(controller, t.name);
            results.push({ name: t.name, topicId: t.id, errorCode: r.errorCode, errorMessage: r.errorCode === ErrorCode.NONE ? null : (r.errorMessage ?? null) });
            continue;
          }
          await broker.deleteTopic(t.name);
          results.push({ name: t.name, topicId: t.id, errorCode: ErrorCode.NONE, errorMessage: null });
        } catch (err) {
          broker.logger.error('delete topic failed', { topic: t.name, error: (err as Error).message });
          results.push({ name: t.name, topicId: t.id, errorCode: ErrorCode.KAFKA_STORAGE_ERROR, errorMessage: (err as Error).message });
        }
      }
      return { throttleTimeMs: 0, responses: results };
    },
  });
}

function deleteInCluster(controller: Controller, name: string): Promise<{ errorCode: number; errorMessage?: string }> {
  return controller.deleteTopic(name);
}

function refusal(req: DeleteTopicsRequest, errorCode: number, version: number): DeleteTopicsResponse {
  const named = version >= 6 ? req.topics : req.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));
  return { throttleTimeMs: 0, responses: named.map((t) => ({ name: t.name, topicId: t.topicId, errorCode, errorMessage: null })) };
}
