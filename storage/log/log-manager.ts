// All partition logs of the broker across its log dirs (Kafka's LogManager): loading and recovery
// at startup, creation (in the dir with the fewest partitions), deletion, the background timers
// (retention + segment.ms rolls, flush.ms, recovery-point checkpoints), the log cleaner for
// compacted topics (cleaner/log-cleaner.ts) and clean shutdown.
//
// Per log dir:
//   recovery-point-offset-checkpoint   topic partition offset  (everything below is fsynced)
//   log-start-offset-checkpoint        topic partition offset
//   .kafka_cleanshutdown               present only between a clean shutdown and the next startup
//   cleaner-offset-checkpoint          topic partition offset  (below it the log is compacted)
//   <topic>-<p>/                       one PartitionLog
//   <topic>-<p>.<uuid>-delete/         deleted logs, removed in the background
import { DEFAULT_TAIL_CACHE_BYTES, TailCacheBudget } from './tail-cache.js';
import { access, mkdir, readdir, statfs, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { readOffsetCheckpoint, writeOffsetCheckpoint, type TopicPartitionOffset } from './checkpoint-file.js';
import { LogCleaner, type LogCleanerOptions } from './cleaner/log-cleaner.js';
import type { LogConfig } from './log-config.js';
import {
  CLEAN_SHUTDOWN_FILE,
  HIGH_WATERMARK_FILE,
  LOG_START_OFFSET_FILE,
  RECOVERY_POINT_FILE,
  fsyncDir,
  isDeleteDirName,
  isDiskFullError,
  parsePartitionDirName,
  partitionDirName,
  removeDir,
  writeFileAtomic,
} from './log-files.js';
import { SILENT_LOGGER, type StorageLogger } from './logger.js';
import { PartitionLog } from './partition-log.js';

export interface LogManagerOptions {
  logDirs: string[];
  defaultConfig: LogConfig;
  retentionCheckIntervalMs: number;
  /** How often flush.ms is checked (default 1000). */
  flushSchedulerIntervalMs?: number;
  /** How often recovery points and log start offsets are checkpointed (default 60000). */
  recoveryPointCheckpointIntervalMs?: number;
  /** With replicated logs: how often high watermarks are checkpointed (default 5000). */
  highWatermarkCheckpointIntervalMs?: number;
  logger?: StorageLogger;
  /** Topic-level config overrides applied to logs loaded at startup (defaults otherwise). */
  topicConfig?: (topic: string) => LogConfig | undefined;
  /**
   * Passed to every PartitionLog (default true: single replica). A function decides per topic
   * (replicated topics leave the HW to the replication layer, local internal topics do not).
   */
  autoAdvanceHighWatermark?: boolean | ((topic: string) => boolean);
  /** Called when a log dir goes offline after an I/O error. */
  onLogDirFailure?: (dir: string, err: unknown) => void;
  /** How often a full log dir is checked for free space again (default 1000 ms). */
  diskFullProbeIntervalMs?: number;
  /** Free bytes below which a log dir counts as full: read-only (default 1 MiB). */
  minFreeBytes?: number;
  /**
   * Validate every batch of every segment at startup even after a clean shutdown, cutting each log
   * at its first bad batch (tributary.log.recover.on.start; default false).
   */
  validateAllOnStart?: boolean;
  /** Logs loaded concurrently per dir at startup (default 4). */
  recoveryConcurrency?: number;
  /**
   * Memory for the tail cache of recent appends shared by all partitions (tail-cache.ts;
   * tributary.log.tail.cache.bytes, default 64 MiB); 0 disables it.
   */
  tailCacheBytes?: number;
  /** The log cleaner (log.cleaner.enable, default on) and its settings. */
  cleaner?: { enabled?: boolean } & Omit<LogCleanerOptions, 'logDirs' | 'logs' | 'logger'>;
}

export interface LogDirDescription {
  dir: string;
  online: boolean;
  logs: PartitionLog[];
}

const key = (topic: string, partition: number) => `${partition}:${topic}`;

export class LogManager {
  private readonly logDirs: string[];
  private readonly logs = new Map<string, PartitionLog>();
  private readonly creating = new Map<string, Promise<PartitionLog>>();
  private readonly offline = new Set<string>();
  /** Dirs out of space: their logs are read-only until the probe finds room again. */
  private readonly full = new Map<string, { since: number }>();
  private probingFull = false;
  private readonly removals = new Set<Promise<void>>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly logger: StorageLogger;
  private checkpointChain: Promise<void> = Promise.resolve();
  private retentionRunning = false;
  private flushRunning = false;
  private started = false;
  private stopped = false;
  private cleanerInstance: LogCleaner | null = null;
  /** Shared by every log of this manager (tail-cache.ts). */
  readonly tailCache: TailCacheBudget;

  constructor(private readonly opts: LogManagerOptions) {
    if (opts.logDirs.length === 0) throw new Error('LogManager needs at least one log dir');
    this.logDirs = opts.logDirs.map((d) => resolve(d));
    this.logger = opts.logger ?? SILENT_LOGGER;
    this.tailCache = new TailCacheBudget(opts.tailCacheBytes ?? DEFAULT_TAIL_CACHE_BYTES);
  }

  // ---- startup ---------------------------------------------------------------------------------

  async startup(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await Promise.all(this.logDirs.map((d) => this.loadDir(d)));
    await this.checkpoint();
    this.startTimers();
    if (this.opts.cleaner?.enabled ?? true) {
      const { enabled: _enabled, ...cleanerOpts } = this.opts.cleaner ?? {};
      const cleaner = new LogCleaner({
        ...cleanerOpts,
        logDirs: this.logDirs.filter((d) => !this.offline.has(d)),
        logs: () => this.logs.values(),
        logger: this.logger,
      });
      await cleaner.loadCheckpoints();
      cleaner.start();
      this.cleanerInstance = cleaner;
    }
  }

  /** The log cleaner, null when log.cleaner.enable=false or before startup. */
  get cleaner(): LogCleaner | null {
    return this.cleanerInstance;
  }

  private async loadDir(dir: string): Promise<void> {
    try {
      await mkdir(dir, { recursive: true });
      const marker = join(dir, CLEAN_SHUTDOWN_FILE);
      const hadCleanShutdown = await exists(marker);
      const recoveryPoints = toMap(await readOffsetCheckpoint(join(dir, RECOVERY_POINT_FILE)));
      const startOffsets = toMap(await readOffsetCheckpoint(join(dir, LOG_START_OFFSET_FILE)));
      const highWatermarks = toMap(await readOffsetCheckpoint(join(dir, HIGH_WATERMARK_FILE)));
      const entries = await readdir(dir, { withFileTypes: true });
      const toLoad: { name: string; topic: string; partition: number }[] = [];
      for (const e of entries) {
        if (!e.isDirectory()) continue;
        if (isDeleteDirName(e.name)) {
          this.trackRemoval(removeDir(join(dir, e.name)));
          continue;
        }
        const tp = parsePartitionDirName(e.name);
        if (tp) toLoad.push({ name: e.name, ...tp });
      }
      const started = Date.now();
      // One config per topic, not per partition: resolving a topic's config cost ~0.1 ms, 0.1 s
      // for 1,000 partitions of one topic at start-up (a log never mutates its config object).
      const configs = new Map<string, LogConfig>();
      const configOf = (topic: string) => {
        let c = configs.get(topic);
        if (!c) configs.set(topic, (c = this.configFor(topic)));
        return c;
      };
      await runLimited(toLoad, this.opts.recoveryConcurrency ?? 4, async ({ name, topic, partition }) => {
        const k = key(topic, partition);
        const log = await PartitionLog.open(join(dir, name), topic, partition, configOf(topic), {
          hadCleanShutdown,
          recoveryPoint: recoveryPoints.get(k),
          logStartOffset: startOffsets.get(k),
          // Replicated logs: the HW as checkpointed (not the log start), until the leader moves it.
          highWatermark: highWatermarks.get(k),
          validateAll: this.opts.validateAllOnStart ?? false,
          // Nothing is served before the load finishes: synchronous reads (log-loader.ts).
          startupSync: true,
          autoAdvanceHighWatermark: this.autoAdvanceFor(topic),
          logger: this.logger,
          tailCache: this.tailCache,
        });
        if (this.logs.has(k)) {
          this.logger.error('duplicate log directory; ignoring the second copy', { topic, partition, dir: log.dir });
          await log.close().catch(() => {});
          return;
        }
        this.register(log);
      });
      if (hadCleanShutdown) await unlink(marker);
      this.logger.info('loaded log dir', { dir, logs: toLoad.length, hadCleanShutdown, ms: Date.now() - started });
      const free = await freeBytes(dir);
      if (free !== null && free < this.minFreeBytes) this.markFull(dir, `only ${free} bytes free at startup`);
    } catch (e) {
      this.markOffline(dir, e);
    }
  }

  /** Some logs leave their HW to replication (cluster mode): their HWs are checkpointed. */
  private get replicated(): boolean {
    const a = this.opts.autoAdvanceHighWatermark;
    return a !== undefined && a !== true;
  }

  private autoAdvanceFor(topic: string): boolean | undefined {
    const a = this.opts.autoAdvanceHighWatermark;
    return typeof a === 'function' ? a(topic) : a;
  }

  private configFor(topic: string): LogConfig {
    return this.opts.topicConfig?.(topic) ?? this.opts.defaultConfig;
  }

  private register(log: PartitionLog): void {
    this.logs.set(key(log.topic, log.partition), log);
    const dir = dirname(log.dir);
    log.onFailure = (e) => this.markOffline(dir, e);
    log.onDiskFull = (e) => this.markFull(dir, String(e));
    if (this.full.has(dir)) log.blockWrites(`log dir ${dir} is full`);
  }

  private get minFreeBytes(): number {
    return this.opts.minFreeBytes ?? 1024 * 1024;
  }

  /**
   * A dir out of space stays online for reads: every log in it refuses appends (produce answers
   * KAFKA_STORAGE_ERROR at once, not after a timeout) until the probe sees minFreeBytes free.
   * Kafka takes such a dir offline, which also stops reads of the data already acknowledged.
   */
  private markFull(dir: string, reason: string): void {
    if (this.offline.has(dir) || this.full.has(dir)) return;
    this.full.set(dir, { since: Date.now() });
    this.logger.error('log dir full: its partitions are read-only (produce answers KAFKA_STORAGE_ERROR) until space is freed', {
      dir,
      reason,
      resumesAtFreeBytes: this.minFreeBytes,
    });
    for (const l of this.logs.values()) if (dirname(l.dir) === dir) l.blockWrites(`log dir ${dir} is full`);
  }

  /** Full dirs with room again resume writes (timer; also callable directly). */
  async probeFullDirs(): Promise<void> {
    if (this.probingFull || this.full.size === 0 || this.stopped) return;
    this.probingFull = true;
    try {
      for (const [dir, { since }] of this.full) {
        const free = await freeBytes(dir);
        if (free === null || free < this.minFreeBytes) continue;
        this.full.delete(dir);
        const logs = [...this.logs.values()].filter((l) => dirname(l.dir) === dir);
        await Promise.all(logs.map((l) => l.resumeWrites()));
        this.logger.info('log dir has space again: writes resumed', { dir, freeBytes: free, readOnlyMs: Date.now() - since });
      }
    } finally {
      this.probingFull = false;
    }
  }

  /** Dirs currently read-only for lack of space. */
  fullLogDirs(): string[] {
    return [...this.full.keys()];
  }

  private markOffline(dir: string, err: unknown): void {
    if (this.offline.has(dir)) return;
    this.offline.add(dir);
    this.logger.error('log dir offline', { dir, err: String(err) });
    try {
      this.opts.onLogDirFailure?.(dir, err);
    } catch {
      // listener errors do not change the outcome
    }
  }

  private trackRemoval(p: Promise<void>): void {
    const tracked = p.catch((e) => this.logger.warn('failed to remove deleted log', { err: String(e) }));
    this.removals.add(tracked);
    void tracked.finally(() => this.removals.delete(tracked));
  }

  // ---- timers ----------------------------------------------------------------------------------

  private startTimers(): void {
    const every = (ms: number, fn: () => Promise<void>) => {
      const t = setInterval(() => void fn().catch((e) => this.logger.error('log maintenance failed', { err: String(e) })), ms);
      t.unref();
      this.timers.push(t);
    };
    every(this.opts.retentionCheckIntervalMs, async () => void (await this.runRetention(Date.now())));
    every(this.opts.flushSchedulerIntervalMs ?? 1000, () => this.runFlush(Date.now()));
    every(this.opts.recoveryPointCheckpointIntervalMs ?? 60_000, () => this.checkpoint());
    // Kafka's replica.high.watermark.checkpoint.interval.ms (5 s): replicated logs only.
    if (this.replicated) {
      every(this.opts.highWatermarkCheckpointIntervalMs ?? 5_000, () => this.checkpoint());
    }
    every(this.opts.diskFullProbeIntervalMs ?? 1000, () => this.probeFullDirs());
  }

  /** segment.ms rolls and retention for every log (also called by the timer). */
  async runRetention(now: number): Promise<number> {
    if (this.retentionRunning || this.stopped) return 0;
    this.retentionRunning = true;
    let deleted = 0;
    try {
      for (const log of this.logs.values()) {
        if (log.failed) continue;
        log.maybeRoll(now);
        deleted += (await log.enforceRetention(now)).deletedSegments;
      }
    } finally {
      this.retentionRunning = false;
    }
    return deleted;
  }

  private async runFlush(now: number): Promise<void> {
    if (this.flushRunning || this.stopped) return;
    this.flushRunning = true;
    try {
      for (const log of this.logs.values()) await log.maybeFlush(now).catch(() => {});
    } finally {
      this.flushRunning = false;
    }
  }

  /** Writes recovery-point and log-start-offset checkpoints of every online dir. Serialized. */
  checkpoint(): Promise<void> {
    const run = this.checkpointChain.then(() => this.writeCheckpoints());
    this.checkpointChain = run.catch(() => {});
    return run;
  }

  private async writeCheckpoints(): Promise<void> {
    for (const dir of this.logDirs) {
      if (this.offline.has(dir)) continue;
      const logs = [...this.logs.values()].filter((l) => dirname(l.dir) === dir && !l.failed);
      const rp: TopicPartitionOffset[] = logs.map((l) => ({ topic: l.topic, partition: l.partition, offset: l.recoveryPoint }));
      const lso: TopicPartitionOffset[] = logs.map((l) => ({ topic: l.topic, partition: l.partition, offset: l.localLogStartOffset }));
      const hw: TopicPartitionOffset[] = logs.map((l) => ({ topic: l.topic, partition: l.partition, offset: l.highWatermark }));
      try {
        await writeOffsetCheckpoint(join(dir, RECOVERY_POINT_FILE), rp);
        await writeOffsetCheckpoint(join(dir, LOG_START_OFFSET_FILE), lso);
        if (this.replicated) await writeOffsetCheckpoint(join(dir, HIGH_WATERMARK_FILE), hw);
      } catch (e) {
        // Checkpoints are replaced atomically: on a full disk the previous ones stay, which only
        // means a longer recovery after a crash.
        if (isDiskFullError(e)) this.markFull(dir, String(e));
        else this.markOffline(dir, e);
      }
    }
  }

  // ---- logs --------------------------------------------------------------------------------------

  getLog(topic: string, partition: number): PartitionLog | undefined {
    return this.logs.get(key(topic, partition));
  }

  allLogs(): PartitionLog[] {
    return [...this.logs.values()];
  }

  /** For DescribeLogDirs. */
  describeLogDirs(): LogDirDescription[] {
    return this.logDirs.map((dir) => ({
      dir,
      online: !this.offline.has(dir),
      logs: [...this.logs.values()].filter((l) => dirname(l.dir) === dir),
    }));
  }

  offlineLogDirs(): string[] {
    return [...this.offline];
  }

  /** Creates (or returns the existing) log, in the online dir holding the fewest partitions. */
  createLog(topic: string, partition: number, topicId: string, config: LogConfig): Promise<PartitionLog> {
    const k = key(topic, partition);
    const existing = this.logs.get(k);
    if (existing) return Promise.resolve(existing);
    const inFlight = this.creating.get(k);
    if (inFlight) return inFlight;
    const p = this.doCreate(topic, partition, topicId, config).finally(() => this.creating.delete(k));
    this.creating.set(k, p);
    return p;
  }

  private async doCreate(topic: string, partition: number, topicId: string, config: LogConfig): Promise<PartitionLog> {
    if (this.stopped) throw new Error('LogManager is shut down');
    const online = this.logDirs.filter((d) => !this.offline.has(d));
    if (online.length === 0) throw new Error('no online log dir');
    const counts = new Map(online.map((d) => [d, 0]));
    for (const l of this.logs.values()) {
      const d = dirname(l.dir);
      if (counts.has(d)) counts.set(d, counts.get(d)! + 1);
    }
    let dir = online[0]!;
    for (const d of online) if (counts.get(d)! < counts.get(dir)!) dir = d;
    const log = await PartitionLog.open(join(dir, partitionDirName(topic, partition)), topic, partition, config, {
      topicId,
      hadCleanShutdown: true,
      autoAdvanceHighWatermark: this.autoAdvanceFor(topic),
      logger: this.logger,
      tailCache: this.tailCache,
    });
    await fsyncDir(dir);
    this.register(log);
    return log;
  }

  /** Closes the log, renames its dir to *-delete and removes it in the background. */
  async deleteLog(topic: string, partition: number): Promise<void> {
    const k = key(topic, partition);
    const log = this.logs.get(k);
    if (!log) return;
    this.logs.delete(k);
    await this.cleanerInstance?.forget(log);
    await log.delete();
    if (log.removal) this.trackRemoval(log.removal);
  }

  // ---- shutdown ----------------------------------------------------------------------------------

  /** Stops timers, closes every log (flush + trimmed indexes), checkpoints, writes clean markers. */
  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    await this.cleanerInstance?.stop();
    await Promise.allSettled([...this.creating.values()]);
    for (const dir of this.logDirs) {
      const logs = [...this.logs.values()].filter((l) => dirname(l.dir) === dir);
      const results = await Promise.allSettled(logs.map((l) => l.close()));
      const failed = results.some((r) => r.status === 'rejected');
      if (failed) this.markOffline(dir, (results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason);
    }
    await this.checkpoint();
    for (const dir of this.logDirs) {
      if (this.offline.has(dir)) continue;
      try {
        await writeFileAtomic(join(dir, CLEAN_SHUTDOWN_FILE), '', dir);
      } catch (e) {
        this.logger.error('could not write clean shutdown marker', { dir, err: String(e) });
      }
    }
    await Promise.all([...this.removals]);
    this.logs.clear();
  }
}

function toMap(entries: TopicPartitionOffset[] | null): Map<string, number> {
  const m = new Map<string, number>();
  for (const e of entries ?? []) m.set(key(e.topic, e.partition), e.offset);
  return m;
}

/** Bytes an unprivileged writer can still use in the filesystem of `dir`; null if unknown. */
async function freeBytes(dir: string): Promise<number | null> {
  try {
    const s = await statfs(dir);
    // root may also use the blocks reserved for it (ext4's 5%), and brokers often run as root.
    return (process.getuid?.() === 0 ? s.bfree : s.bavail) * s.bsize;
  } catch {
    return null;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

async function runLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (e) {
        errors.push(e);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (errors.length) throw errors[0];
}
