// Client quotas, one JSON file in the first data directory (__tributary_client_quotas.json),
// written atomically like the ACL store: one write at a time, and the in-memory state changes
// only once the write succeeded. `version` moves on every change so resolvers can drop caches.
import path from 'node:path';
import { readJsonFile } from '../metadata/json-file.js';
import { writeFileAtomic } from '../../storage/log/log-files.js';
import { entityFromKey, entityKey, type QuotaEntity } from './quota-entity.js';
import { KeyRevisions, type MirroredStore, type SectionWriter } from '../cluster/security-metadata.js';
import type { SectionChange, SectionEntry } from '../cluster/metadata-store/types.js';

export const QUOTA_FILE = '__tributary_client_quotas.json';

/** One alteration: `null` removes the key. */
export interface QuotaAlteration {
  entity: QuotaEntity;
  values: ReadonlyMap<string, number | null>;
}

interface QuotaDoc {
  version: 1;
  entities: { entity: [string, string | null][]; quotas: Record<string, number> }[];
}

export class QuotaStore implements MirroredStore {
  /** entityKey -> key -> value */
  private readonly entries = new Map<string, Map<string, number>>();
  private chain: Promise<void> = Promise.resolve();
  version = 0;
  /** Cluster mode: one store record per entity (src/cluster/security-metadata.ts), not the file. */
  private cluster: SectionWriter | null = null;
  private readonly revisions = new KeyRevisions();

  constructor(readonly file: string) {}

  static inLogDir(dir: string): QuotaStore {
    return new QuotaStore(path.join(dir, QUOTA_FILE));
  }

  async load(): Promise<void> {
    const doc = await readJsonFile<QuotaDoc>(this.file);
    if (doc === null) return;
    if (doc.version !== 1 || !Array.isArray(doc.entities)) throw new Error(`${this.file}: unsupported format`);
    this.entries.clear();
    for (const e of doc.entities) this.entries.set(entityKey(new Map(e.entity)), new Map(Object.entries(e.quotas)));
    this.version++;
  }

  useCluster(writer: SectionWriter, entries: readonly SectionEntry[]): void {
    this.cluster = writer;
    this.entries.clear();
    this.revisions.clear();
    for (const e of entries) this.applyRemote(e, e.revision);
    this.version++;
  }

  applyRemote(change: SectionChange, revision: number): void {
    if (!this.revisions.advance(change.key, revision)) return;
    if (change.value === null) this.entries.delete(change.key);
    else this.entries.set(change.key, new Map(Object.entries(JSON.parse(change.value) as Record<string, number>)));
    this.version++;
  }

  /** The quotas of exactly this entity (empty when none). */
  get(entity: QuotaEntity): ReadonlyMap<string, number> {
    return this.entries.get(entityKey(entity)) ?? new Map();
  }

  /** Every entity with at least one quota. */
  all(): { entity: QuotaEntity; quotas: ReadonlyMap<string, number> }[] {
    return [...this.entries].map(([k, quotas]) => ({ entity: entityFromKey(k), quotas }));
  }

  get size(): number {
    return this.entries.size;
  }

  /** Applies the alterations in one persisted step. */
  alter(alterations: readonly QuotaAlteration[]): Promise<void> {
    const run = this.chain.then(async () => {
      const next = new Map([...this.entries].map(([k, v]) => [k, new Map(v)]));
      const touched = new Set<string>();
      for (const a of alterations) {
        const k = entityKey(a.entity);
        touched.add(k);
        const quotas = next.get(k) ?? new Map<string, number>();
        for (const [key, value] of a.values) {
          if (value === null) quotas.delete(key);
          else quotas.set(key, value);
        }
        if (quotas.size === 0) next.delete(k);
        else next.set(k, quotas);
      }
      if (this.cluster) {
        // The entity's whole record is replaced (another broker's concurrent change to the same
        // entity may be overwritten: last write wins, as Kafka's znode per entity).
        const changes: SectionChange[] = [...touched].map((k) => {
          const q = next.get(k);
          return { key: k, value: q ? JSON.stringify(Object.fromEntries(q)) : null };
        });
        const rev = await this.cluster.write(changes);
        for (const c of changes) this.applyRemote(c, rev);
        return;
      }
      const doc: QuotaDoc = {
        version: 1,
        entities: [...next].map(([k, q]) => ({ entity: [...entityFromKey(k)], quotas: Object.fromEntries(q) })),
      };
      await writeFileAtomic(this.file, JSON.stringify(doc, null, 1), path.dirname(this.file));
      this.entries.clear();
      for (const [k, v] of next) this.entries.set(k, v);
      this.version++;
    });
    this.chain = run.catch(() => {});
    return run;
  }
}
