// What the aggregation stage needs of the broker, as narrow interfaces (issue 12): it runs on the
// coordinator runtime (its internal topics — definitions, status, changelogs, outputs, dead
// letters — are found/created, appended and replayed through it, over the partition layer),
// reads local source topics through the Fetch path's reader, and manages its own topics.
import type { TopicRecord } from '../metadata/topic-registry.js';
import type { Logger } from '../logging/logger.js';
import type { AppendWaiters } from '../cluster/append-waiters.js';
import type { FetchReadOptions, PartitionFetch, PartitionFetchResult } from '../fetch/fetch-reader.js';
import type { ConfigGetter } from '../coordinator/common/config-getter.js';
import type { CoordinatorRuntime } from '../coordinator/runtime/coordinator-runtime.js';
import type { ClusterView } from './cluster-routing.js';

export interface AggregationDeps {
  /** Internal-topic access: find/create topics, append, replay (src/coordinator/runtime/). */
  runtime: Pick<CoordinatorRuntime, 'access' | 'ensureTopic' | 'register' | 'unregister'>;
  /** Topic lifecycle the stage drives itself (orphan changelogs, deleted aggregations). */
  topicAdmin: {
    topics: { get(name: string): TopicRecord | undefined; all(): TopicRecord[] };
    deleteTopic(name: string): Promise<void>;
  };
  /** Long-poll wake-ups on appends (definitions tail, local sources). */
  waiters: Pick<AppendWaiters, 'watch' | 'notify'>;
  /** Consumer reads of local source topics (read_committed, through the Fetch path). */
  readSource(fetches: PartitionFetch[], opts: FetchReadOptions): Promise<{ results: PartitionFetchResult[]; bytes: number }>;
  config: ConfigGetter;
  logger: Logger;
  /**
   * Cluster mode: who leads which partition and how to reach it. The stage then runs only on the
   * leader of __tributary_aggregations-0 and reaches partitions led elsewhere over the Kafka
   * protocol (cluster-routing.ts); its topics are created replicated.
   */
  cluster?: ClusterView;
}
