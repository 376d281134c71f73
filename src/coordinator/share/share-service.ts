// Share groups (KIP-932) as one service the broker creates and the share handlers take: the
// membership coordinator, the share-partition manager (ShareFetch/ShareAcknowledge) and the
// persisted share-partition state, wired so a member leaving releases its records.
import type { CoordinatorRuntime } from '../runtime/coordinator-runtime.js';
import type { CoordinatorLogger } from '../group/coordinator-core.js';
import type { ConfigGetter } from '../common/config-getter.js';
import { readShareGroupConfig, type ShareGroupConfig } from './share-config.js';
import { ShareAdmin } from './share-admin.js';
import { ShareGroupConfigs, type BrokerSettings } from './share-group-configs.js';
import type { ShareGroupLog } from './share-group-log.js';
import { ShareGroupCoordinator, type ShareTopicsView } from './share-group-coordinator.js';
import { SharePartitionManager, type ShareReadDeps } from './share-partition-manager.js';
import { ShareStateStore } from './share-state-store.js';

export interface ShareServiceDeps {
  config: ConfigGetter;
  /** Broker values and whether they were set (DescribeConfigs of GROUP resources, group config bounds). */
  brokerSettings: BrokerSettings;
  /** Where the per-group configs are persisted (the first log dir); null: memory only. */
  groupConfigDir: string | null;
  offsetForTimestamp?: ShareReadDeps['offsetForTimestamp'];
  topics: ShareTopicsView;
  otherGroupExists: (groupId: string) => boolean;
  readSource: ShareReadDeps['readSource'];
  offsets: ShareReadDeps['offsets'];
  watch: ShareReadDeps['watch'];
  /** Null: state kept in memory only (unit tests). */
  runtime: CoordinatorRuntime | null;
  /** Membership records in __consumer_offsets (replayed by the group coordinator's load); null: memory only. */
  groupLog?: ShareGroupLog | null;
  logger: CoordinatorLogger;
}

export class ShareService {
  readonly groups: ShareGroupCoordinator;
  readonly partitions: SharePartitionManager;
  readonly store: ShareStateStore | null;
  readonly admin: ShareAdmin;
  /** Per-group share.* configs (IncrementalAlterConfigs / DescribeConfigs on GROUP resources). */
  readonly groupConfigs: ShareGroupConfigs;
  private cfg: ShareGroupConfig;

  private constructor(deps: ShareServiceDeps, store: ShareStateStore | null, groupConfigs: ShareGroupConfigs) {
    this.cfg = readShareGroupConfig(deps.config);
    this.groupConfigs = groupConfigs;
    // Re-read per use so dynamic broker config changes and group configs apply to live groups;
    // cheap (a handful of lookups).
    const config = (groupId: string) => groupConfigs.effective(groupId, (this.cfg = readShareGroupConfig(deps.config)));
    this.store = store;
    this.partitions = new SharePartitionManager({
      config,
      offsetForTimestamp: deps.offsetForTimestamp,
      topics: deps.topics,
      readSource: deps.readSource,
      offsets: deps.offsets,
      watch: deps.watch,
      loadState: store ? (g, t, p) => store.get(g, t, p) : undefined,
      stateChanged: store ? (g, t, p, sp) => store.changed(g, t, p, sp) : undefined,
      persisted: store ? () => store.flush() : undefined,
    });
    this.groups = new ShareGroupCoordinator({
      config,
      topics: deps.topics,
      otherGroupExists: deps.otherGroupExists,
      onMemberRemoved: (g, m) => this.partitions.memberRemoved(g, m),
      log: deps.groupLog ?? null,
      warn: (msg, fields) => deps.logger.warn(msg, fields),
    });
    if (deps.groupLog) this.groups.restore(deps.groupLog.restore());
    this.admin = new ShareAdmin({ groups: this.groups, partitions: this.partitions, store, topics: deps.topics, offsets: deps.offsets });
    // Groups with share-partition state but no membership records (emptied, or written before
    // membership was persisted) come back empty, so the admin APIs and ListGroups see them.
    for (const id of store?.groupIds() ?? []) this.groups.ensureEmptyOrNew(id);
  }

  static async start(deps: ShareServiceDeps): Promise<ShareService> {
    const store = deps.runtime ? await ShareStateStore.open(deps.runtime, deps.logger, () => readShareGroupConfig(deps.config).updatesPerSnapshot) : null;
    const groupConfigs = await ShareGroupConfigs.open(deps.groupConfigDir, deps.brokerSettings);
    return new ShareService(deps, store, groupConfigs);
  }

  get config(): ShareGroupConfig {
    return this.cfg;
  }

  async shutdown(): Promise<void> {
    this.groups.shutdown();
    this.partitions.shutdown();
    await this.store?.flush();
  }
}
