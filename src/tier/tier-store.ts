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
  const attempts = config.get('tributary.tier.request.attempts');
  const jitter = config.get('remote.log.manager.task.retry.jitter');
  return {
    taskIntervalMs: config.get('remote.log.manager.task.interval.ms'),
    copyConcurrency: config.get('remote.log.manager.thread.pool.size'),
    readConcurrency: config.get('remote.log.reader.threads'),
    request: { attempts, baseBackoffMs: 100, maxBackoffMs: 5_000, jitter: 1 },
    // A consumer is waiting: retry quickly, give up sooner (the client retries the fetch).
    readRequest: { attempts, baseBackoffMs: 25, maxBackoffMs: 1_000, jitter: 1 },
    taskBackoff: {
      attempts: Number.MAX_SAFE_INTEGER,
      baseBackoffMs: config.get('remote.log.manager.task.retry.backoff.ms'),
      maxBackoffMs: config.get('remote.log.manager.task.retry.backoff.max.ms'),
      jitter,
    },
    chunkBytes: config.get('tributary.tier.fetch.chunk.bytes'),
    cacheBytes: config.get('tributary.tier.cache.bytes'),
    readAheadChunks: config.get('tributary.tier.fetch.readahead.chunks'),
  };
}

export function localStoreDir(config: BrokerConfig): string {
  return path.resolve(config.get('tributary.tier.local.dir') ?? path.join(config.logDirs[0]!, 'tier'));
}

export async function createObjectStore(config: BrokerConfig): Promise<ObjectStore> {
  if (config.get('tributary.tier.store') !== 's3') return new LocalObjectStore(localStoreDir(config));
  const bucket = config.get('tributary.tier.s3.bucket');
  if (!bucket) throw new ConfigError('tributary.tier.store=s3 needs tributary.tier.s3.bucket', 'tributary.tier.s3.bucket');
  const { S3ObjectStore } = await import('../../storage/tier/s3-store.js');
  const store = new S3ObjectStore({
    bucket,
    prefix: config.get('tributary.tier.s3.prefix'),
    endpoint: config.get('tributary.tier.s3.endpoint') ?? undefined,
    region: config.get('tributary.tier.s3.region'),
    forcePathStyle: config.get('tributary.tier.s3.path.style'),
    accessKeyId: config.get('tributary.tier.s3.access.key.id') ?? undefined,
    secretAccessKey: config.get('tributary.tier.s3.secret.access.key') ?? undefined,
    requestTimeoutMs: config.get('tributary.tier.s3.request.timeout.ms'),
    multipartThresholdBytes: config.get('tributary.tier.s3.multipart.threshold.bytes'),
    partSizeBytes: config.get('tributary.tier.s3.part.size.bytes'),
    uploadBytesPerSecond: copyRate(config.get('remote.log.manager.copy.max.bytes.per.second')),
    maxSockets: Math.max(8, config.get('remote.log.reader.threads') + 2 * config.get('remote.log.manager.thread.pool.size')),
  });
  void store.warmUp();
  return store;
}

/** Kafka's default is Long.MAX_VALUE ("no limit"). */
function copyRate(v: number): number | undefined {
  return v >= Number.MAX_SAFE_INTEGER ? undefined : v;
}
