// ListOffsets: earliest (-2), latest (-1), max timestamp (-3), earliest local (-4), latest tiered
// (-5), earliest pending upload (-6) and lookups by timestamp, answered by the partition layer
// (src/cluster/offset-lookup.ts); isolation level bounds "latest". Timestamp lookups that may read
// remote storage are bounded by the request's TimeoutMs (v10+, KIP-1075) or
// remote.list.offsets.request.timeout.ms. Here: ACLs, duplicate partitions, the response shape.
import { ErrorCode } from '../../protocol/errors.js';
import type { ListOffsetsRequest, ListOffsetsResponse } from '../../protocol/generated/list-offsets.js';
import { Api } from '../../protocol/generated/apis.js';
import { AclOperation, ResourceType } from '../auth/acl/acl-model.js';
import { authorized, type HasAuthorizer } from '../auth/acl/request-authz.js';
import type { PartitionManager } from '../cluster/partition-manager.js';
import { tpKey } from '../cluster/topic-partition.js';
import type { BrokerConfig } from '../config/broker-config.js';
import { defineHandler } from '../network/request-context.js';

const READ_COMMITTED = 1;

/** What ListOffsets needs: the partition layer's offset lookup, the remote lookup timeout, ACLs. */
export interface ListOffsetsDeps extends HasAuthorizer {
  partitionManager: Pick<PartitionManager, 'fetchOffsetForTimestamp'>;
  config: Pick<BrokerConfig, 'get'>;
}

interface PartitionResult {
  partitionIndex: number;
  errorCode: number;
  oldStyleOffsets: number[];
  timestamp: number;
  offset: number;
  leaderEpoch: number;
}

export function listOffsetsHandler(broker: ListOffsetsDeps) {
  return defineHandler(Api.ListOffsets, {
    errorResponse(req, errorCode): ListOffsetsResponse {
      return {
        throttleTimeMs: 0,
        topics: req.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode, oldStyleOffsets: [], timestamp: -1, offset: -1, leaderEpoch: -1 })),
        })),
      };
    },
    async handle(ctx, req): Promise<ListOffsetsResponse> {
      const v = ctx.header.apiVersion;
      const isolation = v >= 2 ? req.isolationLevel : 0;
      // Kafka (v1+): every entry of a partition named more than once, even under two entries of the
      // same topic, gets INVALID_REQUEST; the other partitions are answered normally.
      const duplicated = v >= 1 ? duplicatePartitions(req) : EMPTY_SET;
      const remoteTimeoutMs = v >= 10 ? req.timeoutMs : broker.config.get('remote.list.offsets.request.timeout.ms');
      const topics = [];
      for (const t of req.topics) {
        const partitions: PartitionResult[] = [];
        // KafkaApis: DESCRIBE on the topic, refused per partition.
        const refused = !authorized(broker, ctx, AclOperation.DESCRIBE, ResourceType.TOPIC, t.name);
        for (const p of t.partitions) {
          const fail = (errorCode: number): PartitionResult => ({ partitionIndex: p.partitionIndex, errorCode, oldStyleOffsets: [], timestamp: -1, offset: -1, leaderEpoch: -1 });
          if (refused) {
            partitions.push(fail(ErrorCode.TOPIC_AUTHORIZATION_FAILED));
            continue;
          }
          if (duplicated.size > 0 && duplicated.has(tpKey(t.name, p.partitionIndex))) {
            partitions.push(fail(ErrorCode.INVALID_REQUEST));
            continue;
          }
          const cur = v >= 4 ? p.currentLeaderEpoch : -1;
          const found = await broker.partitionManager.fetchOffsetForTimestamp(t.name, p.partitionIndex, p.timestamp, isolation === READ_COMMITTED ? 'read_committed' : 'read_uncommitted', cur, remoteTimeoutMs);
          if (found.errorCode !== ErrorCode.NONE) {
            partitions.push(fail(found.errorCode));
            continue;
          }
          const { offset, timestamp, leaderEpoch } = found;
          partitions.push({
            partitionIndex: p.partitionIndex,
            errorCode: ErrorCode.NONE,
            // v0 answers a list ("up to maxNumOffsets offsets"); for latest/earliest that is one offset.
            oldStyleOffsets: v === 0 ? (offset >= 0 && p.maxNumOffsets > 0 ? [offset] : []) : [],
            timestamp,
            offset,
            leaderEpoch,
          });
        }
        topics.push({ name: t.name, partitions });
      }
      return { throttleTimeMs: 0, topics };
    },
  });
}

const EMPTY_SET: ReadonlySet<string> = new Set();

/** Kafka's ListOffsetsRequest.duplicatePartitions: topic-partitions named more than once. */
function duplicatePartitions(req: ListOffsetsRequest): ReadonlySet<string> {
  const seen = new Set<string>();
  const dups = new Set<string>();
  for (const t of req.topics) {
    for (const p of t.partitions) {
      const key = tpKey(t.name, p.partitionIndex);
      if (seen.has(key)) dups.add(key);
      else seen.add(key);
    }
  }
  return dups;
}
