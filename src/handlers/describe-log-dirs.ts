// DescribeLogDirs (v0-4): each log dir with the partitions it holds (size in bytes, offset lag 0
// for a current log, never a "future" log since there is no replica movement between dirs), and
// from v4 the file system's total and usable bytes. Shaped as Kafka's
// ReplicaManager.describeLogDirs: every topic with a log in the dir is listed, its partitions
// filtered to those asked for (so a topic not asked for appears with no partitions); an offline
// dir answers KAFKA_STORAGE_ERROR and nothing else.
import fs from 'node:fs/promises';
import { ErrorCode } from '../../protocol/errors.js';
import type {
  DescribeLogDirsResponse,
  DescribeLogDirsResponseDescribeLogDirsResult as LogDirResult,
} from '../../protocol/generated/describe-log-dirs.js';
import { Api } from '../../protocol/generated/apis.js';
import type { LogDirState, PartitionManager } from '../cluster/partition-manager.js';
import { tpKey } from '../cluster/topic-partition.js';
import type { Logger } from '../logging/logger.js';
import { defineHandler } from '../network/request-context.js';
import type { TierManager } from '../tier/tier-manager.js';

/** What DescribeLogDirs needs: the partition layer's log dirs and the tier's remote sizes. */
export interface DescribeLogDirsDeps {
  partitionManager: Pick<PartitionManager, 'describeLogDirs'>;
  tier: Pick<TierManager, 'status'>;
  logger: Logger;
}

const UNKNOWN_BYTES = -1;

export function describeLogDirsHandler(broker: DescribeLogDirsDeps) {
  return defineHandler(Api.DescribeLogDirs, {
    maxVersion: 4,
    errorResponse(_req, errorCode): DescribeLogDirsResponse {
      return { throttleTimeMs: 0, errorCode, results: [] };
    },
    async handle(_ctx, req): Promise<DescribeLogDirsResponse> {
      let wanted: ((log: { topic: string; partition: number }) => boolean) | null = null;
      if (req.topics !== null) {
        const set = new Set(req.topics.flatMap((t) => t.partitions.map((p) => tpKey(t.topic, p))));
        wanted = (log) => set.has(tpKey(log.topic, log.partition));
      }
      const results: LogDirResult[] = [];
      for (const d of broker.partitionManager.describeLogDirs()) {
        if (!d.online) {
          results.push({ errorCode: ErrorCode.KAFKA_STORAGE_ERROR, logDir: d.dir, topics: [], totalBytes: UNKNOWN_BYTES, usableBytes: UNKNOWN_BYTES, isCordoned: false });
          continue;
        }
        let space;
        try {
          space = await fs.statfs(d.dir);
        } catch (err) {
          broker.logger.warn('statfs failed', { dir: d.dir, error: (err as Error).message });
          results.push({ errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, logDir: d.dir, topics: [], totalBytes: UNKNOWN_BYTES, usableBytes: UNKNOWN_BYTES, isCordoned: false });
          continue;
        }
        const byTopic = new Map<string, LogDirState['partitions']>();
        for (const log of d.partitions) {
          const list = byTopic.get(log.topic);
          if (list) list.push(log);
          else byTopic.set(log.topic, [log]);
        }
        const topics = [...byTopic].map(([name, logs]) => ({
          name,
          partitions: logs
            .filter((log) => wanted === null || wanted(log))
            .sort((a, b) => a.partition - b.partition)
            .map((log) => ({
              partitionIndex: log.partition,
              partitionSize: log.size,
              // Kafka: max(HW - LEO, 0) for a current log, i.e. 0 for a leader.
              offsetLag: Math.max(log.highWatermark - log.logEndOffset, 0),
              isFutureKey: false,
            })),
        }));
        results.push({
          errorCode: ErrorCode.NONE,
          logDir: d.dir,
          topics,
          totalBytes: clampBytes(space.blocks * space.bsize),
          usableBytes: clampBytes(space.bavail * space.bsize),
          isCordoned: false,
        });
      }
      const remote = remoteTierResult(broker, wanted);
      if (remote) results.push(remote);
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, results };
    },
  });
}

/** Byte counts beyond 2^53 cannot be exact in a JS number; cap them like Kafka caps overflow at Long.MAX_VALUE. */
function clampBytes(n: number): number {
  return Number.isSafeInteger(n) ? n : Number.MAX_SAFE_INTEGER;
}

/**
 * Tiered data has no field of its own in DescribeLogDirs, so the object store is listed as one
 * more "log dir" (named `remote:<store>`) whose partition sizes are the bytes held remotely.
 * Admin tools then show local and remote sizes side by side; it appears only when data is tiered.
 */
function remoteTierResult(broker: DescribeLogDirsDeps, wanted: ((log: { topic: string; partition: number }) => boolean) | null): LogDirResult | null {
  const status = broker.tier.status();
  const parts = status.partitions.filter((p) => p.remoteBytes > 0 && (wanted === null || wanted(p)));
  if (parts.length === 0) return null;
  const byTopic = new Map<string, { partitionIndex: number; partitionSize: number; offsetLag: number; isFutureKey: boolean }[]>();
  for (const p of parts) {
    const list = byTopic.get(p.topic) ?? [];
    list.push({ partitionIndex: p.partition, partitionSize: p.remoteBytes, offsetLag: 0, isFutureKey: false });
    byTopic.set(p.topic, list);
  }
  return {
    errorCode: ErrorCode.NONE,
    logDir: `remote:${status.store}`,
    topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
    totalBytes: UNKNOWN_BYTES,
    usableBytes: UNKNOWN_BYTES,
    isCordoned: false,
  };
}
