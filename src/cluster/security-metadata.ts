// Cluster mode: ACLs, SCRAM credentials and client quotas live in the cluster metadata store, as
// Kafka's ZooKeeper-era brokers kept them under /kafka-acl and /config (users, clients) and every
// broker applied them from a watch. Any broker writes a change straight through the store (no
// controller involved: the records are independent of topic placement); every broker, the writer
// included, applies what the watch delivers, so all of them enforce the same thing. A single
// broker (no store) keeps its JSON files, untouched by this file.
import type { ClusterMetadataStore, SectionChange, SectionEntry, SecuritySection, Unwatch } from './metadata-store/types.js';

/** How a store writes through the cluster: resolves with the revision the change committed at. */
export interface SectionWriter {
  write(changes: readonly SectionChange[]): Promise<number>;
}

/** What each local store (AclStore, ScramCredentialStore, QuotaStore) offers to be mirrored. */
export interface MirroredStore {
  /** From now on every change goes through `writer`; the current contents become `entries`. */
  useCluster(writer: SectionWriter, entries: readonly SectionEntry[]): void;
  /** A change seen by the watch (or committed by this broker). Older than what is held: ignored. */
  applyRemote(change: SectionChange, revision: number): void;
}

/**
 * Switches the stores to the metadata store: lists each section, hands the stores its contents,
 * and watches from the listed revision (no gap, no repeat). Returns the watches to end.
 */
export async function mirrorSecurityMetadata(store: ClusterMetadataStore, stores: Record<SecuritySection, MirroredStore>): Promise<Unwatch[]> {
  const unwatches: Unwatch[] = [];
  for (const section of Object.keys(stores) as SecuritySection[]) {
    const local = stores[section];
    const listing = await store.listSection(section);
    local.useCluster({ write: (changes) => store.writeSection(section, changes) }, listing.items);
    unwatches.push(await store.watchSection(section, listing.revision, (ev) => local.applyRemote(ev, ev.revision)));
  }
  return unwatches;
}

/**
 * Per-key revisions of what a mirrored store holds, so that a store applying its own committed
 * write before the watch delivers an earlier one for the same key keeps the newer value.
 */
export class KeyRevisions {
  private readonly revs = new Map<string, number>();

  /** True (and recorded) when `revision` is newer than what `key` holds. */
  advance(key: string, revision: number): boolean {
    if ((this.revs.get(key) ?? 0) >= revision) return false;
    this.revs.set(key, revision);
    return true;
  }

  clear(): void {
    this.revs.clear();
  }
}
