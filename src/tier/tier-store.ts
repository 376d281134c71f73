// Builds the tiered-storage object store and the tuning knobs from the broker configuration.
// The S3 implementation (and the AWS SDK it pulls in) is imported only when configured, so a
// broker that never tiers does not pay for loading it.
import path from 'node:path';
import { LocalObjectStore } from '../../storage/tier/local-store.js';
import type { ObjectStore } from '../../storage/tier/object-store.js';
import type { RetryPolicy } from '../../storage/tier/retry.js';
import type { BrokerConfig } from '../config/broker-config.js';
import { ConfigError } from '../config/errors.js';

export interface TierSettings {
  taskIntervalMs: number;
  copyConcurrency: number;
  readConcurrency: number;
  request: RetryPolicy;
  readRequest: RetryPolicy;
  taskBackoff: RetryPolicy;
  chunkBytes: number;
  cacheBytes: number;
  readAheadChunks: number;
}

export function tierSettings(config: BrokerConfig): TierSettings {
  const attempts = config.get('tributary.tier.request.attempts') as number;
  const jitter = config.get('remote.log.manager.task.retry.jitter') as number;
  return {
    taskIntervalMs: config.get('remote.log.manager.task.interval.ms') as number,
    copyConcurrency: config.get('remote.log.manager.thread.pool.size') as number,
    readConcurrency: config.get('remote.log.reader.threads') as number,
    request: { attempts, baseBackoffMs: 100, maxBackoffMs: 5_000, jitter: 1 },
    // A consumer is waiting: retry quickly, give up sooner (the client retries the fetch).
    readRequest: { attempts, baseBackoffMs: 25, maxBackoffMs: 1_000, jitter: 1 },
    taskBackoff: {
      attempts: Number.MAX_SAFE_INTEGER,
      baseBackoffMs: config.get('remote.log.manager.task.retry.backoff.ms') as number,
      maxBackoffMs: config.get('remote.log.manager.task.retry.backoff.max.ms') as number,
      jitter,
    },
    chunkBytes: config.get('tributary.tier.fetch.chunk.bytes') as number,
    cacheBytes: config.get('tributary.tier.cache.bytes') as number,
    readAheadChunks: config.get('tributary.tier.fetch.readahead.chunks') as number,
  };
}

export function localStoreDir(config: BrokerConfig): string {
  return path.resolve((config.get('tributary.tier.local.dir') as string | null) ?? path.join(config.logDirs[0]!, 'tier'));
}

export async function createObjectStore(config: BrokerConfig): Promise<ObjectStore> {
  if (config.get('tributary.tier.store') !== 's3') return new LocalObjectStore(localStoreDir(config));
  const bucket = config.get('tributary.tier.s3.bucket') as string | null;
  if (!bucket) throw new ConfigError('tributary.tier.store=s3 needs tributary.tier.s3.bucket', 'tributary.tier.s3.bucket');
  const { S3ObjectStore } = await import('../../storage/tier/s3-store.js');
  const store = new S3ObjectStore({
    bucket,
    prefix: config.get('tributary.tier.s3.prefix') as string,
    endpoint: (config.get('tributary.tier.s3.endpoint') as string | null) ?? undefined,
    region: config.get('tributary.tier.s3.region') as string,
    forcePathStyle: config.get('tributary.tier.s3.path.style') as boolean,
    accessKeyId: (config.get('tributary.tier.s3.access.key.id') as string | null) ?? undefined,
    secretAccessKey: (config.get('tributary.tier.s3.secret.access.key') as string | null) ?? undefined,
    requestTimeoutMs: config.get('tributary.tier.s3.request.timeout.ms') as number,
    multipartThresholdBytes: config.get('tributary.tier.s3.multipart.threshold.bytes') as number,
    partSizeBytes: config.get('tributary.tier.s3.part.size.bytes') as number,
    uploadBytesPerSecond: copyRate(config.get('remote.log.manager.copy.max.bytes.per.second') as number),
    maxSockets: Math.max(8, (config.get('remote.log.reader.threads') as number) + 2 * (config.get('remote.log.manager.thread.pool.size') as number)),
  });
  void store.warmUp();
  return store;
}

/** Kafka's default is Long.MAX_VALUE ("no limit"). */
function copyRate(v: number): number | undefined {
  return v >= Number.MAX_SAFE_INTEGER ? undefined : v;
}
