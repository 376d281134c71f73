// Broker-side wiring of tiered storage (Kafka's RemoteLogManager): attaches a RemotePartition to
// every log whose topic has remote.storage.enable=true, and runs one background task every
// remote.log.manager.task.interval.ms that
//   - attaches logs whose topic turned tiering on (existing data is copied from the oldest segment),
//   - copies rolled segments (remote.log.manager.thread.pool.size partitions at a time),
//   - enforces retention.ms / retention.bytes on remote data,
//   - deletes the remote data of deleted topics (persisted queue, retried until done),
//   - writes `tier-status.json` for `tributary tier status`.
//
// Cluster mode (`role` given): only each partition's leader copies and enforces remote retention
// (fenced by leader epoch, see remote-partition.ts); followers re-read the leader's manifest every
// round so their local retention deletes only what is uploaded. Remote data of a deleted topic is
// deleted by the controller; the other brokers drop their queued deletion once the data is gone.
//
// Reads of remote data never wait for this task: a Fetch below the local log start goes from
// PartitionLog.read straight to RemotePartition.read, which is plain async I/O (ranged GETs
// through a shared chunk cache, bounded by remote.log.reader.threads). It holds no lock that local
// reads or appends use, so hot fetches on other connections run meanwhile, and on the same
// connection the next requests are already being handled (only their responses wait, in order,
// as Kafka requires).
import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { LogManager } from '../../storage/log/log-manager.js';
import type { PartitionLog } from '../../storage/log/partition-log.js';
import { framePool } from '../../protocol/wire/buffer-pool.js';
import { ChunkCache } from '../../storage/tier/chunk-cache.js';
import type { ObjectStore } from '../../storage/tier/object-store.js';
import { topicPrefix } from '../../storage/tier/remote-keys.js';
import { RemotePartition, type TierRole } from '../../storage/tier/remote-partition.js';
import { deleteRemoteData } from '../../storage/tier/remote-retention.js';
import { RemoteReader } from '../../storage/tier/remote-reader.js';
import { Semaphore, delay } from '../../storage/tier/retry.js';
import type { PartitionTierStatus, TierStatus } from '../../storage/tier/tier-status.js';
import type { BrokerConfig } from '../config/broker-config.js';
import { tpKey } from '../cluster/topic-partition.js';
import type { Logger } from '../logging/logger.js';
import { PendingDeletes, type PendingDelete } from './pending-deletes.js';
import { TIER_STATUS_FILE } from './status-file.js';
import { createObjectStore, tierSettings, type TierSettings } from './tier-store.js';

export interface TierManagerDeps {
  config: BrokerConfig;
  logManager: LogManager;
  /** The topic id the broker knows for a topic (falls back to the log's partition.metadata). */
  topicIdOf(topic: string): string | undefined;
  logger: Logger;
  /** Tests inject a store (e.g. one behind a fault proxy). */
  store?: ObjectStore;
  /** Cluster mode: this broker's role for a partition (undefined: not hosted / not known yet = follower). */
  role?: (topic: string, partition: number) => TierRole | undefined;
  /** Cluster mode: whether this broker is the controller (it deletes the remote data of deleted topics). */
  isController?: () => boolean;
}

const FOLLOWER: TierRole = { leader: false };

/** A hosted partition's role for tiering: the leader at its epoch, else a follower. */
export function tierRole(p: { leaderId: number; leaderEpoch: number } | undefined, nodeId: number): TierRole {
  return p && p.leaderId === nodeId ? { leader: true, leaderEpoch: p.leaderEpoch } : FOLLOWER;
}

export interface TierMetric {
  name: string;
  labels: Record<string, string>;
  value: number;
}


export class TierManager {
  readonly settings: TierSettings;
  private store: ObjectStore | null = null;
  private storeOpening: Promise<ObjectStore> | null = null;
  private readonly cache: ChunkCache;
  private reader: RemoteReader | null = null;
  private readonly readLimiter: Semaphore;
  private readonly copyLimiter: Semaphore;
  private readonly partitions = new Map<string, RemotePartition>();
  private readonly pending: PendingDeletes;
  private readonly deleting = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private readonly abort = new AbortController();
  private stopped = false;
  private lastStatusWrite = '';

  constructor(private readonly deps: TierManagerDeps) {
    this.settings = tierSettings(deps.config);
    this.cache = new ChunkCache(this.settings.cacheBytes);
    this.readLimiter = new Semaphore(this.settings.readConcurrency);
    this.copyLimiter = new Semaphore(this.settings.copyConcurrency);
    this.pending = new PendingDeletes(deps.config.logDirs[0]!);
    if (deps.store) this.store = deps.store;
  }

  private get logger(): Logger {
    return this.deps.logger;
  }

  private async openStore(): Promise<ObjectStore> {
    if (this.store) return this.store;
    this.storeOpening ??= createObjectStore(this.deps.config).then((s) => {
      this.store = s;
      this.logger.info('tiered storage store opened', { store: s.description });
      return s;
    });
    return this.storeOpening;
  }

  private readerFor(store: ObjectStore): RemoteReader {
    this.reader ??= new RemoteReader(store, this.cache, {
      chunkBytes: this.settings.chunkBytes,
      readAheadChunks: this.settings.readAheadChunks,
      retry: this.settings.readRequest,
      limiter: this.readLimiter,
      readAhead: readAheadLimits(this.settings.chunkBytes, this.settings.cacheBytes),
    });
    return this.reader;
  }

  /**
   * Attaches tiered logs and waits (at most `maxWaitMs`) for their manifests, so that the broker's
   * first ListOffsets/Fetch already see the remote log start. Called before listeners open.
   */
  async start(maxWaitMs = 10_000): Promise<void> {
    await this.pending.load();
    // A configured S3 store is opened now, before listeners open: loading the AWS SDK compiles
    // ~200 ms of modules synchronously, which would otherwise stall every connection the moment
    // the first topic turns tiering on. (The local-directory default costs nothing to open.)
    if (this.deps.config.get('tributary.tier.store') === 's3' && !this.store) await this.openStore();
    await this.attachEnabled();
    const loads = [...this.partitions.values()].map((p) => p.ensureLoaded().catch(() => {}));
    if (loads.length) await Promise.race([Promise.all(loads), delay(maxWaitMs)]);
    this.timer = setInterval(() => void this.runOnce().catch((e) => this.logger.error('tiered storage task failed', { err: String(e) })), this.settings.taskIntervalMs);
    this.timer.unref();
    if (this.pending.all().length) void this.runOnce().catch(() => {});
  }

  private async attachEnabled(): Promise<void> {
    // A topic whose earlier remote data is still being deleted (tiering turned off, then on again)
    // attaches once that deletion is done, so the deletion cannot remove new copies.
    const deleting = new Set(this.pending.all().map((p) => p.topic));
    const logs = this.deps.logManager
      .allLogs()
      .filter((l) => l.config.remoteStorageEnable === true && !this.partitions.has(tpKey(l.topic, l.partition)) && !deleting.has(l.topic));
    if (logs.length === 0) return;
    const store = await this.openStore();
    for (const log of logs) this.attach(log, store);
  }

  private attach(log: PartitionLog, store: ObjectStore): RemotePartition {
    const topicId = this.deps.topicIdOf(log.topic) ?? log.topicId;
    const rp = new RemotePartition(log, topicId, {
      store,
      reader: this.readerFor(store),
      retry: this.settings.request,
      taskBackoff: this.settings.taskBackoff,
      logger: this.logger.child({ component: 'tier', topic: log.topic, partition: log.partition }),
      ...(this.deps.role ? { role: () => this.deps.role!(log.topic, log.partition) ?? FOLLOWER } : {}),
    });
    log.remoteTier = rp;
    this.partitions.set(tpKey(log.topic, log.partition), rp);
    return rp;
  }

  /** The RemotePartition of a log (tests, status). */
  partition(topic: string, partition: number): RemotePartition | undefined {
    return this.partitions.get(tpKey(topic, partition));
  }

  /** One round of the background task (also what tests call instead of waiting for the timer). */
  runOnce(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.running ??= this.round().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async round(): Promise<void> {
    await this.attachEnabled();
    // Logs deleted or closed since the last round.
    const live = new Set(this.deps.logManager.allLogs());
    for (const [k, rp] of this.partitions) {
      if (!live.has(rp.log)) {
        this.partitions.delete(k);
        void rp.close();
      }
    }
    // Cluster mode: leadership moved since the last round -> load again for the new role.
    if (this.deps.role) for (const rp of this.partitions.values()) rp.syncRole();
    const now = Date.now();
    const rps = [...this.partitions.values()].filter((rp) => rp.due(now));
    await Promise.all(
      rps.map((rp) =>
        this.copyLimiter.run(async () => {
          if (this.stopped) return;
          if (!rp.isWriter) return rp.refreshAsFollower();
          // remote.log.copy.disable (KIP-950): the tier turns read-only; retention still runs.
          if (rp.log.config.remoteStorageEnable === true && rp.log.config.remoteLogCopyDisable !== true) await rp.copyEligible(this.abort.signal);
          if (rp.isReady && !this.stopped) await rp.enforceRetention(Date.now());
        }),
      ),
    );
    await this.processPendingDeletes();
    await this.writeStatusFile();
  }

  // ---- topic deletion ------------------------------------------------------------------------------

  /**
   * The topic's logs are gone; its remote data is deleted in the background (persisted, retried).
   * `topicConfigs` are the topic's overrides (remote.storage.enable is topic-level only).
   */
  async onTopicDeleted(topic: string, topicId: string, topicConfigs: Record<string, string> = {}): Promise<void> {
    let tiered = String(topicConfigs['remote.storage.enable'] ?? '').toLowerCase() === 'true';
    const closing: Promise<void>[] = [];
    for (const [k, rp] of this.partitions) {
      if (rp.log.topic === topic) {
        tiered = true;
        this.partitions.delete(k);
        closing.push(rp.close());
      }
    }
    // A copy still running would otherwise add objects after the deletion pass listed the prefix.
    await Promise.all(closing);
    if (!tiered || this.stopped) return;
    await this.pending.add({ topic, topicId, since: Date.now() });
    void this.processPendingDeletes().catch(() => {});
  }

  /**
   * remote.storage.enable went true -> false with remote.log.delete.on.disable=true (KIP-950): the
   * topic's partitions stop reading from and copying to the store, their log start offset becomes
   * the local one, and the remote data is deleted in the background (persisted, retried), as for
   * a deleted topic.
   */
  async onRemoteStorageDisabled(topic: string, topicId: string): Promise<void> {
    const closing: Promise<void>[] = [];
    for (const [k, rp] of this.partitions) {
      if (rp.log.topic !== topic) continue;
      this.partitions.delete(k);
      rp.log.remoteTier = null;
      closing.push(rp.close());
    }
    await Promise.all(closing);
    if (this.stopped) return;
    await this.pending.add({ topic, topicId, since: Date.now() });
    this.logger.info('tiered storage disabled for topic; deleting its remote data', { topic, topicId });
    void this.processPendingDeletes().catch(() => {});
  }

  private async processPendingDeletes(): Promise<void> {
    for (const item of this.pending.all()) {
      const id = `${item.topic}/${item.topicId}`;
      if (this.deleting.has(id) || this.stopped) continue;
      this.deleting.add(id);
      try {
        const store = await this.openStore();
        const prefix = topicPrefix(item.topic, item.topicId);
        if (this.deps.isController && !this.deps.isController()) {
          // Cluster mode: the controller deletes (once); this broker keeps the entry until the
          // data is gone, so a controller change before the deletion finished still deletes it.
          const left = await store.list(prefix, { maxKeys: 1 });
          if (left.objects.length === 0) await this.pending.remove(item);
          continue;
        }
        const n = await deleteRemoteData(store, prefix, this.settings.request);
        await this.pending.remove(item);
        this.logger.info('deleted remote data of deleted topic', { topic: item.topic, topicId: item.topicId, objects: n });
      } catch (e) {
        this.logger.warn('remote data of deleted topic not deleted yet; will retry', { topic: item.topic, err: String(e) });
      } finally {
        this.deleting.delete(id);
      }
    }
  }

  // ---- visibility ------------------------------------------------------------------------------------

  status(): TierStatus {
    const partitions: PartitionTierStatus[] = [...this.partitions.values()].map((p) => p.status());
    partitions.sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
    const c = this.cache.stats();
    const r = this.reader?.stats ?? { reads: 0, bytesServed: 0, getRequests: 0, bytesFetched: 0, crcFailures: 0 };
    return {
      store: this.store?.description ?? '(not opened)',
      updatedAt: Date.now(),
      partitions,
      cache: { ...c, maxBytes: this.cache.maxBytes },
      reads: { ...r },
      pool: { allocated: framePool.allocated, reused: framePool.reused, refused: framePool.refused, retainedBytes: framePool.retainedBytes },
      pendingTopicDeletes: this.pending.all().map((p: PendingDelete) => p.topic),
    };
  }

  /** Local and remote bytes of one partition (DescribeLogDirs / DescribeConfigs). */
  partitionSizes(topic: string, partition: number): { localBytes: number; remoteBytes: number } | undefined {
    const rp = this.partitions.get(tpKey(topic, partition));
    if (!rp) return undefined;
    const s = rp.status();
    return { localBytes: s.localBytes, remoteBytes: s.remoteBytes };
  }

  /** Gauges and counters for a metrics exporter (names follow Kafka's RemoteLogManager metrics loosely). */
  metrics(): TierMetric[] {
    const out: TierMetric[] = [];
    const st = this.status();
    for (const p of st.partitions) {
      const labels = { topic: p.topic, partition: String(p.partition) };
      out.push(
        { name: 'tributary_tier_remote_bytes', labels, value: p.remoteBytes },
        { name: 'tributary_tier_remote_segments', labels, value: p.remoteSegments },
        { name: 'tributary_tier_copied_end_offset', labels, value: p.copiedEndOffset },
        { name: 'tributary_tier_lag_segments', labels, value: p.lagSegments },
        { name: 'tributary_tier_lag_bytes', labels, value: p.lagBytes },
        { name: 'tributary_tier_copied_bytes_total', labels, value: p.copiedBytesTotal },
        { name: 'tributary_tier_errors', labels, value: p.lastError ? 1 : 0 },
      );
    }
    out.push(
      { name: 'tributary_tier_cache_bytes', labels: {}, value: st.cache.bytes },
      { name: 'tributary_tier_cache_hits_total', labels: {}, value: st.cache.hits },
      { name: 'tributary_tier_cache_misses_total', labels: {}, value: st.cache.misses },
      { name: 'tributary_tier_remote_read_bytes_total', labels: {}, value: st.reads.bytesServed },
      { name: 'tributary_tier_remote_get_requests_total', labels: {}, value: st.reads.getRequests },
    );
    return out;
  }

  private async writeStatusFile(force = false): Promise<void> {
    if (this.partitions.size === 0 && this.pending.all().length === 0 && !force) return;
    const st = this.status();
    const text = JSON.stringify({ ...st, updatedAt: 0 });
    if (!force && text === this.lastStatusWrite) return;
    this.lastStatusWrite = text;
    const file = path.join(this.deps.config.logDirs[0]!, TIER_STATUS_FILE);
    await writeFile(file + '.tmp', JSON.stringify(st, null, 2))
      .then(() => rename(file + '.tmp', file))
      .catch((e) => this.logger.warn('could not write tier status file', { err: String(e) }));
  }

  /** Stops the task, lets a running copy finish (bounded), writes the final status, closes the store. */
  async stop(maxWaitMs = 5_000): Promise<void> {
    if (this.stopped) return;
    if (this.timer) clearInterval(this.timer);
    this.abort.abort();
    const running = this.running;
    this.stopped = true;
    if (running) await Promise.race([running, delay(maxWaitMs)]);
    await Promise.all([...this.partitions.values()].map((p) => p.close(maxWaitMs)));
    if (this.partitions.size > 0) await this.writeStatusFile(true);
    for (const p of this.partitions.values()) p.log.remoteTier = null;
    this.partitions.clear();
    this.reader?.close();
    await this.store?.close().catch(() => {});
  }
}

/**
 * Read-ahead may hold at most half the chunk cache in prefetched, unread chunks (so it cannot
 * evict what it fetched before the consumer gets there), and one sequential consumer may use all
 * of that: with 1 MiB chunks and the 64 MiB default cache, a window of up to 32 MiB.
 */
export function readAheadLimits(chunkBytes: number, cacheBytes: number): { budgetBytes: number; maxChunks: number } {
  const budgetBytes = Math.floor(cacheBytes / 2);
  return { budgetBytes, maxChunks: Math.max(0, Math.floor(budgetBytes / chunkBytes)) };
}
