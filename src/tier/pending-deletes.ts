// Topics whose remote data still has to be deleted, persisted in the first log dir
// (`tier-pending-deletes.json`, replaced atomically) so that a topic deleted while the object
// store is down, or just before a restart, still has its remote data removed eventually.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../../storage/log/log-files.js';

export interface PendingDelete {
  topic: string;
  topicId: string;
  since: number;
}

export const PENDING_DELETES_FILE = 'tier-pending-deletes.json';

export class PendingDeletes {
  private items: PendingDelete[] = [];
  private chain: Promise<void> = Promise.resolve();
  readonly file: string;

  constructor(private readonly dir: string) {
    this.file = path.join(dir, PENDING_DELETES_FILE);
  }

  async load(): Promise<void> {
    try {
      const doc = JSON.parse(await readFile(this.file, 'utf8')) as { version: 1; topics: PendingDelete[] };
      this.items = Array.isArray(doc.topics) ? doc.topics.filter((t) => typeof t.topic === 'string' && typeof t.topicId === 'string') : [];
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      this.items = [];
    }
  }

  all(): PendingDelete[] {
    return [...this.items];
  }

  add(item: PendingDelete): Promise<void> {
    if (!this.items.some((t) => t.topicId === item.topicId && t.topic === item.topic)) this.items.push(item);
    return this.persist();
  }

  remove(item: PendingDelete): Promise<void> {
    this.items = this.items.filter((t) => !(t.topicId === item.topicId && t.topic === item.topic));
    return this.persist();
  }

  private persist(): Promise<void> {
    const run = this.chain.then(() => writeFileAtomic(this.file, JSON.stringify({ version: 1, topics: this.items }), this.dir));
    this.chain = run.catch(() => {});
    return run;
  }
}
