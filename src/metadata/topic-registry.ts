// The broker's topic metadata (names, ids, partition counts, topic config overrides), persisted
// as one JSON document replaced atomically. In Kafka this lives in the KRaft metadata log; for a
// broker of this size an atomically replaced file gives the same guarantee: a crash leaves either
// the old or the new document, never a mix.
import fs from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../../storage/log/log-files.js';
import { readJsonFile } from './json-file.js';
import { unifyCollisionChars } from './topic-name.js';

export interface TopicRecord {
  name: string;
  id: string;
  partitions: number;
  replicationFactor: number;
  configs: Record<string, string>;
  createdAt: number;
}

interface Document {
  version: 1;
  topics: TopicRecord[];
}

export class TopicRegistry {
  private readonly byName = new Map<string, TopicRecord>();
  private readonly byId = new Map<string, TopicRecord>();
  private writeChain: Promise<void> = Promise.resolve();

  constructor(private readonly file: string) {}

  async load(): Promise<void> {
    const doc = await readJsonFile<Document>(this.file);
    if (doc === null) return;
    for (const t of doc.topics) this.index(t);
  }

  get(name: string): TopicRecord | undefined {
    return this.byName.get(name);
  }

  getById(id: string): TopicRecord | undefined {
    return this.byId.get(id);
  }

  all(): TopicRecord[] {
    return [...this.byName.values()];
  }

  /** A topic whose name differs only by '.' vs '_' (Kafka refuses such pairs). */
  collidingTopic(name: string): TopicRecord | undefined {
    const key = unifyCollisionChars(name);
    for (const t of this.byName.values()) if (t.name !== name && unifyCollisionChars(t.name) === key) return t;
    return undefined;
  }

  async put(record: TopicRecord): Promise<void> {
    const old = this.byName.get(record.name);
    if (old) this.byId.delete(old.id);
    this.index(record);
    await this.persist();
  }

  async remove(name: string): Promise<void> {
    const t = this.byName.get(name);
    if (!t) return;
    this.byName.delete(name);
    this.byId.delete(t.id);
    await this.persist();
  }

  private index(t: TopicRecord): void {
    this.byName.set(t.name, t);
    this.byId.set(t.id, t);
  }

  /** Serialised writes: each persists the state current when it runs. */
  private persist(): Promise<void> {
    this.writeChain = this.writeChain.then(() => this.writeNow());
    return this.writeChain;
  }

  private async writeNow(): Promise<void> {
    const doc: Document = { version: 1, topics: this.all().sort((a, b) => a.name.localeCompare(b.name)) };
    const dir = path.dirname(this.file);
    await fs.mkdir(dir, { recursive: true });
    await writeFileAtomic(this.file, JSON.stringify(doc, null, 1), dir);
  }
}
