// The broker's ACLs, one JSON file in the first data directory (__tributary_acls.json), written
// atomically; one write at a time, the in-memory set changes only once the write succeeded.
import path from 'node:path';
import { readJsonFile } from '../../metadata/json-file.js';
import { writeFileAtomic } from '../../../storage/log/log-files.js';
import { bindingKey, type AclBinding } from './acl-model.js';
import { KeyRevisions, type MirroredStore, type SectionWriter } from '../../cluster/security-metadata.js';
import type { SectionChange, SectionEntry } from '../../cluster/metadata-store/types.js';

export const ACL_FILE = '__tributary_acls.json';

export class AclStore implements MirroredStore {
  private readonly bindings = new Map<string, AclBinding>();
  private chain: Promise<void> = Promise.resolve();
  /** Cluster mode: changes go through the metadata store, not the file (src/cluster/security-metadata.ts). */
  private cluster: SectionWriter | null = null;
  private readonly revisions = new KeyRevisions();
  /** Bumped on every change; the authorizer rebuilds its index when it moves. */
  version = 0;

  constructor(readonly file: string) {}

  static inLogDir(dir: string): AclStore {
    return new AclStore(path.join(dir, ACL_FILE));
  }

  async load(): Promise<void> {
    const doc = await readJsonFile<{ version: number; acls: AclBinding[] }>(this.file);
    if (doc === null) return;
    if (doc.version !== 1 || !Array.isArray(doc.acls)) throw new Error(`${this.file}: unsupported format`);
    this.bindings.clear();
    for (const b of doc.acls) this.bindings.set(bindingKey(b), b);
    this.version++;
  }

  all(): AclBinding[] {
    return [...this.bindings.values()];
  }

  useCluster(writer: SectionWriter, entries: readonly SectionEntry[]): void {
    this.cluster = writer;
    this.bindings.clear();
    this.revisions.clear();
    for (const e of entries) this.applyRemote(e, e.revision);
    this.version++;
  }

  applyRemote(change: SectionChange, revision: number): void {
    if (!this.revisions.advance(change.key, revision)) return;
    if (change.value === null) this.bindings.delete(change.key);
    else this.bindings.set(change.key, JSON.parse(change.value) as AclBinding);
    this.version++;
  }

  /** Adds and removes bindings in one persisted step. */
  change(add: readonly AclBinding[], remove: readonly AclBinding[]): Promise<void> {
    const cluster = this.cluster;
    if (cluster) {
      const changes: SectionChange[] = [
        ...remove.map((b) => ({ key: bindingKey(b), value: null })),
        ...add.map((b) => ({ key: bindingKey(b), value: JSON.stringify(b) })),
      ];
      // Applied here at once (read-your-writes on this broker); the watch brings it to the others.
      return cluster.write(changes).then((rev) => {
        const last = new Map(changes.map((c) => [c.key, c.value]));
        for (const [key, value] of last) this.applyRemote({ key, value }, rev);
      });
    }
    const run = this.chain.then(async () => {
      const next = new Map(this.bindings);
      for (const b of remove) next.delete(bindingKey(b));
      for (const b of add) next.set(bindingKey(b), { ...b });
      await writeFileAtomic(this.file, JSON.stringify({ version: 1, acls: [...next.values()] }, null, 1), path.dirname(this.file));
      this.bindings.clear();
      for (const [k, v] of next) this.bindings.set(k, v);
      this.version++;
    });
    this.chain = run.catch(() => {});
    return run;
  }
}
