// Dynamic broker configs (KIP-226): values set with AlterConfigs / IncrementalAlterConfigs on a
// BROKER resource, for this broker ("<node.id>", scope 'broker') or as the cluster-wide default
// ("", scope 'cluster'). Kafka keeps them in the metadata log; here they live in one JSON document
// in the first log dir, replaced atomically, and are re-applied to the BrokerConfig at startup
// before any log is opened, so a restart sees the same effective configuration.
//
//   <logDirs[0]>/__tributary_dynamic_configs.json
//   { "version": 1, "broker": { "log.retention.ms": "60000" }, "cluster": { ... } }
//
// Values are stored canonically (as DescribeConfigs prints them), so describing the cluster
// default resource can show them as they are.
import fs from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../../storage/log/log-files.js';
import type { BrokerConfig } from '../config/broker-config.js';
import { brokerDef, isBrokerKey } from '../config/definitions.js';
import { formatValue, parseValue } from '../config/parse-value.js';
import { readJsonFile } from './json-file.js';

export type DynamicScope = 'broker' | 'cluster';

export const DYNAMIC_CONFIG_FILE = '__tributary_dynamic_configs.json';

interface Document {
  version: 1;
  broker: Record<string, string>;
  cluster: Record<string, string>;
}

export class DynamicConfigStore {
  private state: Record<DynamicScope, Record<string, string>> = { broker: {}, cluster: {} };
  private writeChain: Promise<void> = Promise.resolve();
  /**
   * Cluster mode: the values live in the metadata store (src/cluster/dynamic-broker-configs.ts),
   * written through it instead of the file; every broker applies them from a watch.
   */
  private cluster: ((scope: DynamicScope, values: Record<string, string>) => Promise<void>) | null = null;

  constructor(readonly file: string) {}

  static inLogDir(logDir: string): DynamicConfigStore {
    return new DynamicConfigStore(path.join(logDir, DYNAMIC_CONFIG_FILE));
  }

  /** The dynamic values of one scope (a copy). */
  values(scope: DynamicScope): Record<string, string> {
    return { ...this.state[scope] };
  }

  /**
   * Reads the file and applies it to `config`. A value that no longer validates (a key made
   * read-only or removed, a tightened validator) is dropped with a warning rather than stopping
   * the broker, as Kafka logs and ignores invalid dynamic configs.
   */
  async load(config: BrokerConfig, warn: (msg: string, fields: Record<string, unknown>) => void): Promise<void> {
    const doc = await readJsonFile<Partial<Document>>(this.file);
    if (doc === null) return;
    // Cluster defaults first: per-broker values sit above them.
    for (const scope of ['cluster', 'broker'] as const) {
      const stored = Object.fromEntries(Object.entries(doc[scope] ?? {}).filter(([, v]) => typeof v === 'string'));
      try {
        config.alterDynamic(scope, stored);
        this.state[scope] = stored;
        continue;
      } catch {
        // Find the offending keys one by one below.
      }
      const kept: Record<string, string> = {};
      for (const [key, value] of Object.entries(stored)) {
        try {
          config.alterDynamic(scope, { [key]: value });
          kept[key] = value;
        } catch (err) {
          warn('ignoring invalid dynamic broker config', { scope, key, error: (err as Error).message });
        }
      }
      this.state[scope] = kept;
    }
  }

  /**
   * Makes `next` the complete set of dynamic values of `scope`: applies the difference to
   * `config` (all or nothing; throws ConfigError) and persists. The in-memory change happens
   * synchronously, before the first await, so concurrent callers never interleave a
   * read-modify-write. If the file cannot be written the change is undone and the error thrown.
   */
  async replace(config: BrokerConfig, scope: DynamicScope, next: Record<string, string>): Promise<void> {
    const before = this.state[scope];
    const canonical: Record<string, string> = {};
    for (const [k, v] of Object.entries(next)) canonical[k] = canonicalValue(k, v);
    const changes: Record<string, string | null> = {};
    for (const k of Object.keys(before)) if (!Object.hasOwn(canonical, k)) changes[k] = null;
    for (const [k, v] of Object.entries(canonical)) if (before[k] !== v) changes[k] = v;
    if (Object.keys(changes).length === 0) return;
    config.alterDynamic(scope, changes);
    this.state[scope] = canonical;
    try {
      await this.persist(scope);
    } catch (err) {
      const undo: Record<string, string | null> = {};
      for (const k of Object.keys(changes)) undo[k] = Object.hasOwn(before, k) ? before[k]! : null;
      try {
        config.alterDynamic(scope, undo);
        this.state[scope] = before;
      } catch {
        // The previous values validated before; nothing sensible is left to do.
      }
      throw err;
    }
  }

  /** Cluster mode: from now on `replace` writes through `writer`; the store's values replace the file's. */
  useCluster(writer: (scope: DynamicScope, values: Record<string, string>) => Promise<void>): void {
    this.cluster = writer;
  }

  /**
   * Applies the complete set of values of `scope` seen in the store (a no-op when they are what
   * is held). A value that does not validate here is dropped with a warning, as at load.
   * Returns whether anything changed.
   */
  applyRemote(config: BrokerConfig, scope: DynamicScope, next: Record<string, string>, warn: (msg: string, fields: Record<string, unknown>) => void): boolean {
    const before = this.state[scope];
    const changes: Record<string, string | null> = {};
    for (const k of Object.keys(before)) if (!Object.hasOwn(next, k)) changes[k] = null;
    for (const [k, v] of Object.entries(next)) if (before[k] !== v) changes[k] = v;
    if (Object.keys(changes).length === 0) return false;
    try {
      config.alterDynamic(scope, changes);
      this.state[scope] = { ...next };
      return true;
    } catch {
      // One key at a time below.
    }
    const kept: Record<string, string> = { ...before };
    for (const [key, value] of Object.entries(changes)) {
      try {
        config.alterDynamic(scope, { [key]: value });
        if (value === null) delete kept[key];
        else kept[key] = value;
      } catch (err) {
        warn('ignoring invalid dynamic broker config from the cluster', { scope, key, error: (err as Error).message });
      }
    }
    this.state[scope] = kept;
    return true;
  }

  /** Serialised writes: each persists the state current when it runs. */
  private persist(scope: DynamicScope): Promise<void> {
    const cluster = this.cluster;
    if (cluster) {
      // Only the scope that changed: another broker may be changing the other one meanwhile.
      const values = { ...this.state[scope] };
      const run = this.writeChain.then(() => cluster(scope, values));
      this.writeChain = run.catch(() => {});
      return run;
    }
    const run = this.writeChain.then(() => this.writeNow());
    this.writeChain = run.catch(() => {});
    return run;
  }

  private async writeNow(): Promise<void> {
    const doc: Document = { version: 1, broker: sortKeys(this.state.broker), cluster: sortKeys(this.state.cluster) };
    const dir = path.dirname(this.file);
    await fs.mkdir(dir, { recursive: true });
    await writeFileAtomic(this.file, JSON.stringify(doc, null, 1), dir);
  }
}

/** The value as DescribeConfigs prints it ("1, 2" → "1,2"); unknown or bad values pass through (validation reports them). */
function canonicalValue(key: string, raw: string): string {
  if (!isBrokerKey(key)) return raw;
  const def = brokerDef(key);
  try {
    return formatValue(def.type, parseValue(key, def, raw)) ?? raw;
  } catch {
    return raw;
  }
}

function sortKeys(o: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
