// Share groups (KIP-932) as one service the broker creates and the share handlers take: the
// membership coordinator, the share-partition manager (ShareFetch/ShareAcknowledge) and the
// persisted share-partition state, wired so a member leaving releases its records.
import type { CoordinatorRuntime } from '../runtime/coordinator-runtime.js';
import type { CoordinatorLogger } from '../group/coordinator-core.js';
import type { ConfigGetter } from '../common/config-getter.js';
import { readShareGroupConfig, type ShareGroupConfig } from './share-config.js';
import { ShareAdmin } from './share-admin.js';
import { ShareGroupCoordinator, type ShareTopicsView } from './share-group-coordinator.js';
import { SharePartitionManager, type ShareReadDeps } from './share-partition-manager.js';
import { ShareStateStore } from './share-state-store.js';

export interface ShareServiceDeps {
  config: ConfigGetter;
  topics: ShareTopicsView;
  otherGroupExists: (groupId: string) => boolean;
  readSource: ShareReadDeps['readSource'];
  offsets: ShareReadDeps['offsets'];
  watch: ShareReadDeps['watch'];
  /** Null: state kept in memory only (unit tests). */
  runtime: CoordinatorRuntime | null;
  logger: CoordinatorLogger;
}

export class ShareService {
  readonly groups: ShareGroupCoordinator;
  readonly partitions: SharePartitionManager;
  readonly store: ShareStateStore | null;
  readonly admin: ShareAdmin;
  private cfg: ShareGroupConfig;

  private constructor(deps: ShareServiceDeps, store: ShareStateStore | null) {
    this.cfg = readShareGroupConfig(deps.config);
    // Re-read per use so dynamic config changes apply; cheap (a handful of lookups).
    const config = () => (this.cfg = readShareGroupConfig(deps.config));
    this.store = store;
    this.partitions = new SharePartitionManager({
      config,
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
    });
    this.admin = new ShareAdmin({ groups: this.groups, partitions: this.partitions, store, topics: deps.topics, offsets: deps.offsets });
    // Membership is not persisted: groups with persisted share-partition state come back empty
    // (so the admin APIs and ListGroups see them until their members re-join).
    for (const id of store?.groupIds() ?? []) this.groups.ensureEmptyOrNew(id);
  }

  static async start(deps: ShareServiceDeps): Promise<ShareService> {
    const store = deps.runtime ? await ShareStateStore.open(deps.runtime, deps.logger) : null;
    return new ShareService(deps, store);
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
