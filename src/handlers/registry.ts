// The handler table: one handler per API key. ApiVersions advertises exactly these ranges.
import type { Broker } from '../broker.js';
import type { HandlerLookup } from '../network/connection.js';
import type { ApiHandler } from '../network/request-context.js';
import { apiVersionsBody, apiVersionsHandler } from './api-versions.js';
import { createPartitionsHandler } from './create-partitions.js';
import { createTopicsHandler } from './create-topics.js';
import { deleteTopicsHandler } from './delete-topics.js';
import { describeClusterHandler } from './describe-cluster.js';
import { describeConfigsHandler } from './describe-configs.js';
import { fetchHandler } from './fetch.js';
import { findCoordinatorHandler } from './find-coordinator.js';
import { listOffsetsHandler } from './list-offsets.js';
import { metadataHandler } from './metadata.js';
import { produceHandler } from './produce.js';

export function buildHandlers(broker: Broker): HandlerLookup {
  const table = new Map<number, ApiHandler>();
  const add = (h: ApiHandler) => table.set(h.apiKey, h);
  add(produceHandler(broker));
  add(fetchHandler(broker));
  add(listOffsetsHandler(broker));
  add(metadataHandler(broker));
  add(findCoordinatorHandler(broker));
  add(apiVersionsHandler(() => table.values()));
  add(createTopicsHandler(broker));
  add(deleteTopicsHandler(broker));
  add(describeConfigsHandler(broker));
  add(createPartitionsHandler(broker));
  add(describeClusterHandler(broker));
  return {
    get: (apiKey) => table.get(apiKey),
    apiVersionsFallback: () => apiVersionsBody(table.values()),
  };
}
