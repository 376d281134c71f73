// Follower side of replication (Kafka's ReplicaFetcherManager / ReplicaFetcherThread): one fetcher
// per leader broker, over one TCP connection, sending Fetch with this broker's node id as replica
// id. Before fetching a partition under a new leader epoch it asks the leader, with
// OffsetForLeaderEpoch, where its own latest epoch ends there and truncates to that (KIP-101), so
// a follower never keeps records the new leader does not have. Fetched batches are appended as
// they are (offsets and epochs from the leader: PartitionLog.appendAsFollower), their producer
// state applied (follower-producer-state.ts), and the follower's high watermark follows the leader's.
import { ErrorCode } from '../../../protocol/errors.js';
import type { FetchResponse } from '../../../protocol/generated/fetch.js';
import type { OffsetForLeaderEpochResponse } from '../../../protocol/generated/offset-for-leader-epoch.js';
import { scanBatches } from '../../../protocol/records/batch-header.js';
import type { Logger } from '../../logging/logger.js';
import type { Partition } from '../partition.js';
import { tpKey } from '../topic-partition.js';
import type { InterBrokerEndpoint } from '../inter-broker-security.js';
import { BrokerConnection, InterBrokerAuthError } from './broker-connection.js';
import { applyReplicatedBatches } from './follower-producer-state.js';
import type { ReplicationQuotaManager } from './replication-quota.js';

const FETCH_VERSION = 12; // topic names, replica id in the request, currentLeaderEpoch / lastFetchedEpoch
const OFFSET_FOR_LEADER_EPOCH_VERSION = 4;

export interface ReplicaFetcherOptions {
  nodeId: number;
  /** Where a broker is (from the live registrations). */
  endpointOf(brokerId: number): InterBrokerEndpoint | undefined;
  /** replica.fetch.max.bytes: per partition. */
  partitionMaxBytes: number;
  /** replica.fetch.response.max.bytes */
  responseMaxBytes: number;
  /** replica.fetch.wait.max.ms */
  maxWaitMs: number;
  /** replica.fetch.backoff.ms: after an error. */
  backoffMs: number;
  logger: Logger;
  /** KIP-73 follower-side replication quota (replication-quota.ts). */
  quota?: ReplicationQuotaManager;
}

interface Followed {
  partition: Partition;
  /** The leader epoch this entry follows; a new epoch means truncating first. */
  epoch: number;
  truncated: boolean;
  removed: boolean;
  /** KIP-73: the last response brought the log end up to the leader's high watermark (never throttled then). */
  inSync?: boolean;
}

/** Failed inter-broker logins (TLS or SASL refused by a leader): a misconfiguration to surface. */
export interface InterBrokerAuthStats {
  failures: number;
  lastError: string | null;
}

export class ReplicaFetchers {
  private readonly fetchers = new Map<number, LeaderFetcher>();
  readonly authStats: InterBrokerAuthStats = { failures: 0, lastError: null };
  private readonly followed = new Map<string, { leaderId: number; entry: Followed; fetcher: LeaderFetcher }>();
  private stopped = false;

  constructor(private readonly opts: ReplicaFetcherOptions) {}

  /** Follow `p` from its current leader (a new leader or epoch starts with truncation). */
  follow(p: Partition): void {
    if (this.stopped) return;
    const key = tpKey(p.topic, p.index);
    const cur = this.followed.get(key);
    if (cur && cur.leaderId === p.leaderId && cur.entry.epoch === p.leaderEpoch) return;
    if (cur) this.remove(key, cur);
    const entry: Followed = { partition: p, epoch: p.leaderEpoch, truncated: false, removed: false };
    const leaderId = p.leaderId;
    let f = this.fetchers.get(leaderId);
    if (!f) {
      // The fetcher's own leader id, captured now: `p.leaderId` changes with the partition, and a
      // fetcher going idle must not drop another leader's fetcher from the map (that one would
      // then never be stopped, and a second fetcher would be started for its leader).
      const created: LeaderFetcher = new LeaderFetcher(leaderId, this.opts, this.authStats, () => {
        if (this.fetchers.get(leaderId) === created) this.fetchers.delete(leaderId);
      });
      f = created;
      this.fetchers.set(leaderId, f);
    }
    this.followed.set(key, { leaderId, entry, fetcher: f });
    f.add(key, entry);
  }

  unfollow(p: Partition): void {
    const key = tpKey(p.topic, p.index);
    const cur = this.followed.get(key);
    if (cur) this.remove(key, cur);
  }

  private remove(key: string, cur: { leaderId: number; entry: Followed; fetcher: LeaderFetcher }): void {
    cur.entry.removed = true;
    this.followed.delete(key);
    // From the fetcher that holds the entry (not whichever is mapped to the leader id now).
    cur.fetcher.delete(key, cur.entry);
  }

  stop(): void {
    this.stopped = true;
    for (const f of this.fetchers.values()) f.stop();
    this.fetchers.clear();
    this.followed.clear();
  }
}

class LeaderFetcher {
  private readonly entries = new Map<string, Followed>();
  private conn: BrokerConnection | null = null;
  private running = false;
  private stopped = false;

  constructor(
    private readonly leaderId: number,
    private readonly opts: ReplicaFetcherOptions,
    private readonly authStats: InterBrokerAuthStats,
    private readonly onIdle: () => void,
  ) {}

  add(key: string, e: Followed): void {
    this.entries.set(key, e);
    if (!this.running) void this.run();
  }

  delete(key: string, e: Followed): void {
    if (this.entries.get(key) === e) this.entries.delete(key);
  }

  stop(): void {
    this.stopped = true;
    this.conn?.close();
  }

  private async run(): Promise<void> {
    this.running = true;
    let authFailuresInARow = 0;
    let lastAuthWarn = 0;
    try {
      while (!this.stopped && this.entries.size > 0) {
        try {
          const conn = await this.connection();
          authFailuresInARow = 0;
          await this.truncatePending(conn);
          // Nothing to fetch (every entry removed or awaiting truncation): wait instead of looping
          // on already-resolved promises, which would starve timers and I/O (a busy microtask loop).
          if (!(await this.fetchOnce(conn))) await delay(this.opts.backoffMs);
        } catch (err) {
          if (this.stopped) break;
          this.conn?.close();
          this.conn = null;
          if (err instanceof InterBrokerAuthError) {
            // Retrying cannot help until an operator fixes the credentials or certificates: say
            // so at warn level (once, then every 30 s) and back off up to 5 s; never crash.
            this.authStats.failures++;
            this.authStats.lastError = err.message;
            authFailuresInARow++;
            if (Date.now() - lastAuthWarn >= 30_000) {
              lastAuthWarn = Date.now();
              this.opts.logger.warn('inter-broker authentication failed; replication from this leader is stalled until it succeeds', { leader: this.leaderId, error: err.message, failures: this.authStats.failures });
            }
            await delay(Math.min(5_000, this.opts.backoffMs * 2 ** Math.min(authFailuresInARow, 6)));
            continue;
          }
          this.opts.logger.debug('replica fetch failed', { leader: this.leaderId, error: (err as Error).message });
          await delay(this.opts.backoffMs);
        }
      }
    } finally {
      this.running = false;
      this.conn?.close();
      this.conn = null;
      if (this.entries.size === 0 || this.stopped) this.onIdle();
    }
  }

  private async connection(): Promise<BrokerConnection> {
    if (this.conn && !this.conn.closed) return this.conn;
    const ep = this.opts.endpointOf(this.leaderId);
    if (!ep) throw new Error(`leader ${this.leaderId} is not registered`);
    this.conn = await BrokerConnection.connect(ep.host, ep.port, `tributary-replica-fetcher-${this.opts.nodeId}`, undefined, ep.security);
    return this.conn;
  }

  /** KIP-101: truncate to where the follower's latest epoch ends on the leader. */
  private async truncatePending(conn: BrokerConnection): Promise<void> {
    const pending = [...this.entries.values()].filter((e) => !e.truncated);
    if (pending.length === 0) return;
    const byTopic = new Map<string, { partition: number; currentLeaderEpoch: number; leaderEpoch: number }[]>();
    const skip: Followed[] = [];
    for (const e of pending) {
      const latest = e.partition.log.latestEpoch();
      if (latest < 0 || e.partition.log.logEndOffset === 0) {
        skip.push(e);
        continue;
      }
      let list = byTopic.get(e.partition.topic);
      if (!list) byTopic.set(e.partition.topic, (list = []));
      list.push({ partition: e.partition.index, currentLeaderEpoch: e.epoch, leaderEpoch: latest });
    }
    for (const e of skip) e.truncated = true;
    if (byTopic.size === 0) return;
    const r = await conn.send<OffsetForLeaderEpochResponse>(23, OFFSET_FOR_LEADER_EPOCH_VERSION, {
      replicaId: this.opts.nodeId,
      topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
    });
    for (const t of r.topics) {
      for (const p of t.partitions) {
        const e = this.entries.get(tpKey(t.topic, p.partition));
        if (!e || e.removed) continue;
        if (p.errorCode !== ErrorCode.NONE) continue; // the leader has not caught up with the new epoch yet: retried
        const log = e.partition.log;
        const step = truncationFor(log, p.leaderEpoch, p.endOffset);
        if (step.offset < log.logEndOffset) {
          this.opts.logger.info('follower truncating to the leader epoch end offset', {
            topic: t.topic,
            partition: p.partition,
            from: log.logEndOffset,
            to: step.offset,
            leaderEpoch: p.leaderEpoch,
            leaderEndOffset: p.endOffset,
            final: step.completed,
            leader: this.leaderId,
          });
          await truncateInTurn(e, step.offset);
        }
        // Not completed: asked again next round, for the epoch the log now ends in.
        if (step.completed) e.truncated = true;
      }
    }
    if (pending.some((e) => !e.truncated && !e.removed)) await delay(this.opts.backoffMs);
  }

  /** One Fetch to the leader for every ready partition; false when none was ready (nothing sent). */
  private async fetchOnce(conn: BrokerConnection): Promise<boolean> {
    const quota = this.opts.quota;
    // KIP-73: a throttled partition not in sync sits out while the follower's rate is above its bound.
    const ready = [...this.entries.values()].filter((e) => e.truncated && !e.removed && !quota?.shouldThrottle(e.partition.topic, e.partition.index, e.inSync === true));
    if (ready.length === 0) return false;
    const byTopic = new Map<string, object[]>();
    // What each entry asked for: a response is only appended to the log it was asked for, at the
    // offset it was asked at (Kafka's processPartitionData "offset mismatch" check).
    const asked = new Map<Followed, number>();
    for (const e of ready) {
      const log = e.partition.log;
      let list = byTopic.get(e.partition.topic);
      if (!list) byTopic.set(e.partition.topic, (list = []));
      asked.set(e, log.logEndOffset);
      list.push({ partition: e.partition.index, currentLeaderEpoch: e.epoch, fetchOffset: log.logEndOffset, lastFetchedEpoch: -1, logStartOffset: log.logStartOffset, partitionMaxBytes: this.opts.partitionMaxBytes });
    }
    const r = await conn.send<FetchResponse>(1, FETCH_VERSION, {
      replicaId: this.opts.nodeId,
      maxWaitMs: this.opts.maxWaitMs,
      minBytes: 1,
      maxBytes: this.opts.responseMaxBytes,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
      forgottenTopicsData: [],
      rackId: '',
    });
    let failed = false;
    for (const t of r.responses) {
      for (const p of t.partitions) {
        const e = this.entries.get(tpKey(t.topic, p.partitionIndex));
        if (!e || e.removed) continue;
        const fetchOffset = asked.get(e);
        // An entry replaced while the request was out (a new leader epoch, not yet truncated
        // under) or a log that moved meanwhile: this answer is for another state; fetch again.
        if (fetchOffset === undefined || fetchOffset !== e.partition.log.logEndOffset) {
          this.opts.logger.debug('replica fetch answer dropped: the log changed while it was out', { topic: t.topic, partition: p.partitionIndex, asked: fetchOffset ?? null, logEndOffset: e.partition.log.logEndOffset });
          continue;
        }
        if (p.errorCode !== ErrorCode.NONE) {
          // NOT_LEADER_OR_FOLLOWER / FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH: the store's next
          // state moves this partition; until then, back off.
          failed = true;
          continue;
        }
        const log = e.partition.log;
        const records = p.records;
        if (records && records.length > 0 && quota?.isThrottled(t.topic, p.partitionIndex)) quota.record(records.length);
        if (records && records.length > 0) {
          const scan = scanBatches(records, 0, records.length, true);
          // A fetch may end in a partial batch (byte budget): keep the whole ones.
          if (scan.batches.length > 0) {
            const result = log.appendAsFollower(records, scan.batches);
            if (result.error) {
              this.opts.logger.warn('follower append failed', { topic: t.topic, partition: p.partitionIndex, error: result.error });
              failed = true;
              continue;
            }
            // Same tick as the append: producer state (idempotence, open transactions, LSO) follows the log.
            applyReplicatedBatches(log.producers, records, scan.batches);
            await result.written;
          }
        }
        log.setHighWatermark(Math.min(p.highWatermark, log.writtenEndOffset));
        e.inSync = log.logEndOffset >= p.highWatermark;
      }
    }
    if (failed) await delay(this.opts.backoffMs);
    return true;
  }
}

/**
 * Truncations of one log, one at a time. PartitionLog.truncateTo leaves that to its caller: two
 * at once clear its "truncating" guard when the first ends, while the second is still cutting
 * and rebuilding the producer state — an append then slips in and its producer state (a COMMIT
 * marker closing a transaction) is lost to the rebuild. Two fetchers can hold the same log: the
 * old leader's may still be truncating when the partition moves to a new leader's.
 */
const truncations = new WeakMap<object, Promise<unknown>>();

function truncateInTurn(e: Followed, offset: number): Promise<void> {
  const log = e.partition.log;
  const before = truncations.get(log) ?? Promise.resolve();
  // An entry removed while it waited no longer speaks for the partition: its leader's answer is stale.
  const run = before.then(() => (e.removed ? undefined : log.truncateTo(offset)));
  truncations.set(log, run.catch(() => undefined));
  return run;
}

const UNDEFINED_EPOCH = -1;
const UNDEFINED_OFFSET = -1;

/**
 * Where a follower truncates given the leader's OffsetForLeaderEpoch answer (leaderEpoch,
 * endOffset) for the follower's latest epoch — Kafka's AbstractFetcherThread.getOffsetTruncationState
 * (KIP-101 with KIP-279). The leader answers the largest epoch it has at or below the one asked
 * for; when that is a LOWER epoch, the leader never had the follower's latest epoch, and the
 * follower's own records of that lower epoch may end earlier than the leader's (the leader's
 * end offset is where ITS next epoch starts). The follower then truncates to where that epoch
 * ends in its own log and asks again (not completed); when both know the epoch, to the lower of
 * the two end offsets.
 */
export function truncationFor(
  log: { logEndOffset: number; highWatermark: number; endOffsetForEpoch(epoch: number): { epoch: number; endOffset: number } },
  leaderEpoch: number,
  leaderEndOffset: number,
): { offset: number; completed: boolean } {
  const leo = log.logEndOffset;
  // The leader knows no epoch at or below ours: keep what is below the high watermark.
  if (leaderEndOffset === UNDEFINED_OFFSET) return { offset: Math.min(log.highWatermark, leo), completed: true };
  if (leaderEpoch === UNDEFINED_EPOCH) return { offset: Math.min(leaderEndOffset, leo), completed: true };
  const own = log.endOffsetForEpoch(leaderEpoch);
  // The follower has no epoch at or below the leader's: the leader's end offset decides.
  if (own.endOffset === UNDEFINED_OFFSET) return { offset: Math.min(leaderEndOffset, leo), completed: true };
  // (An epoch entry with no records after it cannot shorten the log: nothing to ask again about.)
  if (own.epoch !== leaderEpoch) return own.endOffset < leo ? { offset: own.endOffset, completed: false } : { offset: Math.min(leaderEndOffset, leo), completed: true };
  return { offset: Math.min(leaderEndOffset, own.endOffset, leo), completed: true };
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
