// The share coordinator's RPCs (KIP-932, API keys 83-87): Initialize / Read / Write / Delete
// ShareGroupState and ReadShareGroupStateSummary, sent by share-partition leaders (the persister,
// src/coordinator/share/share-persister.ts) to the broker leading the share partition's
// __share_group_state partition. Per partition: NOT_COORDINATOR when another broker leads it,
// COORDINATOR_LOAD_IN_PROGRESS while it loads, FENCED_LEADER_EPOCH for a deposed leader's write,
// FENCED_STATE_EPOCH for an initialization older than the state.
import { ErrorCode } from '../../protocol/errors.js';
import { Api } from '../../protocol/generated/apis.js';
import type { DeleteShareGroupStateResponse } from '../../protocol/generated/delete-share-group-state.js';
import type { InitializeShareGroupStateResponse } from '../../protocol/generated/initialize-share-group-state.js';
import type { ReadShareGroupStateResponse, ReadShareGroupStateResponsePartitionResult } from '../../protocol/generated/read-share-group-state.js';
import type { ReadShareGroupStateSummaryResponse } from '../../protocol/generated/read-share-group-state-summary.js';
import type { WriteShareGroupStateResponse } from '../../protocol/generated/write-share-group-state.js';
import type { ShareStateStore } from '../coordinator/share/share-state-store.js';
import { defineHandler } from '../network/request-context.js';

/** Kafka's delivery states on the wire; anything else in a write is INVALID_REQUEST. */
const WIRE_STATES = new Set([0, 2, 4]);

type Topics<P> = { topicId: string; partitions: P[] }[];

/** Each partition's answer, topic by topic in request order. */
async function perPartition<P extends { partition: number }, R>(topics: Topics<P>, fn: (topicId: string, p: P) => Promise<R>): Promise<{ topicId: string; partitions: R[] }[]> {
  const out: { topicId: string; partitions: R[] }[] = [];
  for (const t of topics) out.push({ topicId: t.topicId, partitions: await Promise.all(t.partitions.map((p) => fn(t.topicId, p))) });
  return out;
}

function errorsFor<P extends { partition: number }>(topics: Topics<P>, errorCode: number) {
  return topics.map((t) => ({ topicId: t.topicId, partitions: t.partitions.map((p) => ({ partition: p.partition, errorCode, errorMessage: null })) }));
}

export function readShareGroupStateHandler(store: ShareStateStore) {
  return defineHandler(Api.ReadShareGroupState, {
    errorResponse: (req, errorCode): ReadShareGroupStateResponse => ({
      results: req.topics.map((t) => ({ topicId: t.topicId, partitions: t.partitions.map((p) => ({ partition: p.partition, errorCode, errorMessage: null, stateEpoch: 0, startOffset: -1, stateBatches: [] })) })),
    }),
    async handle(_ctx, req): Promise<ReadShareGroupStateResponse> {
      const results = await perPartition(req.topics, async (topicId, p): Promise<ReadShareGroupStateResponsePartitionResult> => {
        const r = await store.readState(req.groupId, topicId, p.partition, p.leaderEpoch);
        if (r.errorCode !== ErrorCode.NONE) return { partition: p.partition, errorCode: r.errorCode, errorMessage: null, stateEpoch: 0, startOffset: -1, stateBatches: [] };
        // No state yet: Kafka's uninitialized share partition (start offset -1).
        const s = r.state;
        return { partition: p.partition, errorCode: ErrorCode.NONE, errorMessage: null, stateEpoch: s?.stateEpoch ?? 0, startOffset: s?.startOffset ?? -1, stateBatches: s?.stateBatches ?? [] };
      });
      return { results };
    },
  });
}

export function writeShareGroupStateHandler(store: ShareStateStore) {
  return defineHandler(Api.WriteShareGroupState, {
    errorResponse: (req, errorCode): WriteShareGroupStateResponse => ({ results: errorsFor(req.topics, errorCode) }),
    async handle(_ctx, req): Promise<WriteShareGroupStateResponse> {
      const results = await perPartition(req.topics, async (topicId, p) => {
        const bad = p.stateBatches.find((b) => b.lastOffset < b.firstOffset || !WIRE_STATES.has(b.deliveryState) || b.deliveryCount < 0);
        if (bad) return { partition: p.partition, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Invalid state batch ${bad.firstOffset}-${bad.lastOffset}.` };
        const code = await store.writeState(req.groupId, topicId, p.partition, { startOffset: p.startOffset, stateBatches: p.stateBatches, leaderEpoch: p.leaderEpoch, stateEpoch: p.stateEpoch });
        return { partition: p.partition, errorCode: code, errorMessage: null };
      });
      return { results };
    },
  });
}

export function initializeShareGroupStateHandler(store: ShareStateStore) {
  return defineHandler(Api.InitializeShareGroupState, {
    errorResponse: (req, errorCode): InitializeShareGroupStateResponse => ({ results: errorsFor(req.topics, errorCode) }),
    async handle(_ctx, req): Promise<InitializeShareGroupStateResponse> {
      const results = await perPartition(req.topics, async (topicId, p) => ({
        partition: p.partition,
        errorCode: await store.initializeState(req.groupId, topicId, p.partition, p.stateEpoch, p.startOffset),
        errorMessage: null,
      }));
      return { results };
    },
  });
}

export function deleteShareGroupStateHandler(store: ShareStateStore) {
  return defineHandler(Api.DeleteShareGroupState, {
    errorResponse: (req, errorCode): DeleteShareGroupStateResponse => ({ results: errorsFor(req.topics, errorCode) }),
    async handle(_ctx, req): Promise<DeleteShareGroupStateResponse> {
      const results = await perPartition(req.topics, async (topicId, p) => ({ partition: p.partition, errorCode: await store.deleteState(req.groupId, topicId, p.partition), errorMessage: null }));
      return { results };
    },
  });
}

export function readShareGroupStateSummaryHandler(store: ShareStateStore) {
  return defineHandler(Api.ReadShareGroupStateSummary, {
    errorResponse: (req, errorCode): ReadShareGroupStateSummaryResponse => ({
      results: req.topics.map((t) => ({ topicId: t.topicId, partitions: t.partitions.map((p) => ({ partition: p.partition, errorCode, errorMessage: null, stateEpoch: 0, leaderEpoch: -1, startOffset: -1, deliveryCompleteCount: -1 })) })),
    }),
    async handle(_ctx, req): Promise<ReadShareGroupStateSummaryResponse> {
      const results = await perPartition(req.topics, async (topicId, p) => {
        const code = store.coordinatorError(req.groupId, topicId, p.partition);
        const s = code === ErrorCode.NONE ? store.get(req.groupId, topicId, p.partition) : undefined;
        const complete = s ? s.stateBatches.reduce((n, b) => n + (b.deliveryState === 0 || b.deliveryState === 1 ? 0 : b.lastOffset - Math.max(b.firstOffset, s.startOffset) + 1), 0) : -1;
        return { partition: p.partition, errorCode: code, errorMessage: null, stateEpoch: s?.stateEpoch ?? 0, leaderEpoch: s?.leaderEpoch ?? -1, startOffset: s?.startOffset ?? -1, deliveryCompleteCount: complete };
      });
      return { results };
    },
  });
}

export function shareStateHandlers(store: ShareStateStore) {
  return [readShareGroupStateHandler(store), writeShareGroupStateHandler(store), initializeShareGroupStateHandler(store), deleteShareGroupStateHandler(store), readShareGroupStateSummaryHandler(store)];
}
