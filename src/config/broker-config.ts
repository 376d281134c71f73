// Loading and querying the broker configuration.
//
//   sources, lowest to highest precedence          DescribeConfigs source
//   ─────────────────────────────────────          ──────────────────────────────
//   key defaults (broker-keys.ts)                  DEFAULT_CONFIG
//   server.properties file      ┐
//   environment (env.ts)        │ "static"         STATIC_BROKER_CONFIG
//   programmatic props          │
//   --override key=value        ┘
//   dynamic cluster default (alterDynamic)         DYNAMIC_DEFAULT_BROKER_CONFIG
//   dynamic per-broker      (alterDynamic)         DYNAMIC_BROKER_CONFIG
//
// Every value is parsed and validated as it is read, so a bad value fails fast with a
// ConfigError naming the key, the value, where it came from and what was expected. Unknown keys
// only warn (Kafka logs "supplied but isn't a known config" and carries on).
import fs from 'node:fs';
import {
  BROKER_KEY_NAMES,
  ConfigSource,
  brokerDef,
  brokerSynonyms,
  configTypeId,
  isBrokerKey,
  isTopicKey,
  TOPIC_SYNONYMS,
  type BrokerKey,
  type BrokerValue,
  type ConfigSourceName,
  type ConfigTypeName,
  type Importance,
  type UpdateMode,
} from './definitions.js';
import { configFromEnv } from './env.js';
import { closestKey } from './did-you-mean.js';
import { ConfigError } from './errors.js';
import { deriveAdvertised, parseListeners, parseProtocolMap, type Listener } from './listeners.js';
import { formatValue, parseAndValidate } from './parse-value.js';
import { noEffectWarning } from './no-effect-keys.js';
import { parsePropertiesEntries } from './properties.js';

export { ConfigError } from './errors.js';
export type { Listener, SecurityProtocol } from './listeners.js';

export type BrokerConfigSource =
  | 'DEFAULT_CONFIG'
  | 'STATIC_BROKER_CONFIG'
  | 'DYNAMIC_DEFAULT_BROKER_CONFIG'
  | 'DYNAMIC_BROKER_CONFIG';

/** Finer-grained than the Kafka source: where a static value came from. */
export type ConfigOrigin = 'default' | 'file' | 'env' | 'props' | 'override' | 'dynamic-default' | 'dynamic-broker';

export interface LoadBrokerConfigOptions {
  /** Path of a Java-properties file (server.properties). */
  file?: string;
  /** "key=value" strings, highest static precedence (the CLI's --override). */
  overrides?: string[];
  /** Programmatic settings for embedding; between env and overrides. */
  props?: Record<string, string | number | boolean>;
  /** Environment to read TRIBUTARY_* / KAFKA_* from; pass process.env explicitly (default: none). */
  env?: NodeJS.ProcessEnv;
  /** Receives warnings (unknown keys, advertised host substitution); they are also kept in `warnings`. */
  warn?: (msg: string) => void;
}

export interface ConfigSynonymEntry {
  name: string;
  value: string | null;
  source: ConfigSourceName;
  sourceId: number;
}

/** One row of DescribeConfigs for a BROKER resource. */
export interface ConfigEntry {
  name: string;
  /** Null for unset keys without a default, and always for sensitive (password) keys. */
  value: string | null;
  source: ConfigSourceName;
  sourceId: number;
  origin: ConfigOrigin;
  isDefault: boolean;
  readOnly: boolean;
  sensitive: boolean;
  type: ConfigTypeName;
  /** DescribeConfigs ConfigType id. */
  configType: number;
  importance: Importance;
  updateMode: UpdateMode;
  doc: string;
  /** Kafka order: by source (dynamic broker, dynamic default, static, default), then synonym order. */
  synonyms: ConfigSynonymEntry[];
}

interface Setting {
  value: unknown;
  origin: ConfigOrigin;
  /** Where it was set, for error messages ("server.properties:3", "environment X"). */
  where?: string;
}

type Layer = 'dynamic-broker' | 'dynamic-default' | 'static';
const LAYER_SOURCE: Record<Layer | 'default', BrokerConfigSource> = {
  'dynamic-broker': 'DYNAMIC_BROKER_CONFIG',
  'dynamic-default': 'DYNAMIC_DEFAULT_BROKER_CONFIG',
  static: 'STATIC_BROKER_CONFIG',
  default: 'DEFAULT_CONFIG',
};

export class BrokerConfig {
  /** Warnings produced while loading (already passed to `warn`). */
  readonly warnings: string[] = [];
  private readonly layers: Record<Layer, Map<BrokerKey, Setting>> = {
    'dynamic-broker': new Map(),
    'dynamic-default': new Map(),
    static: new Map(),
  };
  private derived!: { nodeId: number; listeners: Listener[]; advertised: Listener[]; logDirs: string[] };
  /** Defaults that differ by mode (cluster-defaults.ts), in place of the keys' own defaults. */
  private readonly modeDefaults = new Map<BrokerKey, unknown>();

  /** Use loadBrokerConfig(); the constructor takes already-validated static settings. */
  constructor(
    staticSettings: Map<BrokerKey, Setting>,
    private readonly warnFn: (msg: string) => void = () => {},
    loadWarnings: readonly string[] = [],
    /** Raw `listener.name.<listener>.<key>` settings (TLS/SASL per listener), validated by src/auth. */
    private readonly listenerSettings: ReadonlyMap<string, string> = new Map(),
  ) {
    this.warnings.push(...loadWarnings);
    for (const [k, s] of staticSettings) this.layers.static.set(k, s);
    try {
      this.derive();
    } catch (err) {
      // Cross-key errors surface after loading; point at where the offending key was set.
      const where = err instanceof ConfigError && err.key && isBrokerKey(err.key) ? staticSettings.get(err.key)?.where : undefined;
      if (where !== undefined) throw new ConfigError(`${(err as Error).message} (from ${where})`, (err as ConfigError).key, (err as ConfigError).value);
      throw err;
    }
  }

  /** Effective typed value: dynamic per-broker > dynamic default > static > default. */
  get<K extends BrokerKey>(key: K): BrokerValue<K> {
    for (const layer of ['dynamic-broker', 'dynamic-default', 'static'] as const) {
      const s = this.layers[layer].get(key);
      if (s !== undefined) return s.value as BrokerValue<K>;
    }
    return this.defaultOf(key) as BrokerValue<K>;
  }

  /** The key's default: its mode default when one applies, else the key's own. */
  private defaultOf(key: BrokerKey): unknown {
    return this.modeDefaults.has(key) ? this.modeDefaults.get(key) : brokerDef(key).default;
  }

  /**
   * Replaces the defaults of some keys (cluster mode: Kafka's replication factors for internal
   * topics). Set values are untouched; DescribeConfigs shows the new default as DEFAULT_CONFIG.
   */
  useModeDefaults(defaults: Readonly<Partial<Record<BrokerKey, unknown>>>): void {
    for (const [key, value] of Object.entries(defaults)) this.modeDefaults.set(key as BrokerKey, value);
  }

  /** Where the effective value of `key` comes from, in DescribeConfigs terms. */
  source(key: BrokerKey): BrokerConfigSource {
    for (const layer of ['dynamic-broker', 'dynamic-default', 'static'] as const) {
      if (this.layers[layer].has(key)) return LAYER_SOURCE[layer];
    }
    return 'DEFAULT_CONFIG';
  }

  origin(key: BrokerKey): ConfigOrigin {
    for (const layer of ['dynamic-broker', 'dynamic-default', 'static'] as const) {
      const s = this.layers[layer].get(key);
      if (s !== undefined) return s.origin;
    }
    return 'default';
  }

  /** True when the key was set by any source (not just defaulted). */
  isSet(key: BrokerKey): boolean {
    return this.source(key) !== 'DEFAULT_CONFIG';
  }

  /** The effective value rendered the way DescribeConfigs shows it. */
  valueString(key: BrokerKey): string | null {
    return formatValue(brokerDef(key).type, this.get(key));
  }

  get nodeId(): number {
    return this.derived.nodeId;
  }
  /** Listeners to bind, in configured order. */
  get listeners(): Listener[] {
    return this.derived.listeners.map((l) => ({ ...l }));
  }
  /** Listeners to publish to clients; a port of 0 means "the port the listener actually bound". */
  get advertisedListeners(): Listener[] {
    return this.derived.advertised.map((l) => ({ ...l }));
  }
  /**
   * Raw value of `listener.name.<listener>.<suffix>` (listener name case-insensitive), e.g.
   * suffix "plain.sasl.jaas.config" or "ssl.keystore.location"; undefined when unset.
   */
  listenerSetting(listener: string, suffix: string): string | undefined {
    return this.listenerSettings.get(`listener.name.${listener.toLowerCase()}.${suffix}`);
  }
  /** Data directories: log.dirs if set, else [log.dir]. */
  get logDirs(): string[] {
    return [...this.derived.logDirs];
  }
  /** Configured cluster id, or null when the broker should generate/persist one. */
  get clusterId(): string | null {
    return this.get('cluster.id');
  }

  /**
   * Kafka's configSynonyms(): values of the given broker keys grouped by source (dynamic
   * per-broker, dynamic default, static, default), in synonym order within a source. When
   * `dropUntil` is given, leading entries with another name are dropped, as Kafka does when it
   * describes a broker key whose higher-priority synonyms are set.
   */
  collectSynonyms(names: readonly BrokerKey[], dropUntil?: string): ConfigSynonymEntry[] {
    const out: ConfigSynonymEntry[] = [];
    const push = (name: BrokerKey, value: unknown, source: BrokerConfigSource) => {
      const def = brokerDef(name);
      out.push({
        name,
        value: def.type === 'password' ? null : formatValue(def.type, value),
        source,
        sourceId: ConfigSource[source],
      });
    };
    for (const layer of ['dynamic-broker', 'dynamic-default', 'static'] as const) {
      for (const name of names) {
        const s = this.layers[layer].get(name);
        if (s !== undefined) push(name, s.value, LAYER_SOURCE[layer]);
      }
    }
    for (const name of names) {
      const d = this.defaultOf(name);
      if (d !== null) push(name, d, 'DEFAULT_CONFIG');
    }
    if (dropUntil === undefined) return out;
    const first = out.findIndex((s) => s.name === dropUntil);
    return first < 0 ? [] : out.slice(first);
  }

  /** DescribeConfigs row for one broker key. */
  entry(key: BrokerKey): ConfigEntry {
    const def = brokerDef(key);
    const source = this.source(key);
    const sensitive = def.type === 'password';
    return {
      name: key,
      value: sensitive ? null : this.valueString(key),
      source,
      sourceId: ConfigSource[source],
      origin: this.origin(key),
      isDefault: source === 'DEFAULT_CONFIG',
      readOnly: def.updateMode === 'read-only',
      sensitive,
      type: def.type,
      configType: configTypeId(def.type),
      importance: def.importance,
      updateMode: def.updateMode,
      doc: def.doc,
      synonyms: this.collectSynonyms(brokerSynonyms(key), key),
    };
  }

  /** Every broker key with its effective value, source and metadata (DescribeConfigs BROKER). */
  entries(): ConfigEntry[] {
    return BROKER_KEY_NAMES.map((k) => this.entry(k));
  }

  /**
   * Problems with a dynamic update (IncrementalAlterConfigs / AlterConfigs on a BROKER resource):
   * scope 'broker' is this broker's own overrides, 'cluster' the cluster-wide default. A null value
   * removes the override. Returns [] when the change is acceptable.
   */
  validateDynamic(scope: 'broker' | 'cluster', changes: Record<string, string | null>): { key: string; error: string }[] {
    const errors: { key: string; error: string }[] = [];
    for (const [key, raw] of Object.entries(changes)) {
      if (!isBrokerKey(key)) {
        errors.push({ key, error: `Unknown broker config name: ${key}` });
        continue;
      }
      const def = brokerDef(key);
      if (def.updateMode === 'read-only') {
        errors.push({ key, error: `Cannot update these configs dynamically: ${key} is read-only` });
      } else if (scope === 'cluster' && def.updateMode === 'per-broker') {
        errors.push({ key, error: `Cannot update per-broker config ${key} as a cluster-wide default` });
      } else if (raw !== null) {
        try {
          parseAndValidate(key, def, raw);
        } catch (err) {
          errors.push({ key, error: (err as Error).message });
        }
      }
    }
    return errors;
  }

  /** Apply a dynamic update after validating all of it; throws ConfigError and changes nothing on error. */
  alterDynamic(scope: 'broker' | 'cluster', changes: Record<string, string | null>): void {
    const errors = this.validateDynamic(scope, changes);
    if (errors.length > 0) throw new ConfigError(errors.map((e) => e.error).join('; '), errors[0]!.key);
    const layerName: Layer = scope === 'broker' ? 'dynamic-broker' : 'dynamic-default';
    const layer = this.layers[layerName];
    const before = new Map(layer);
    for (const [key, raw] of Object.entries(changes) as [BrokerKey, string | null][]) {
      if (raw === null) layer.delete(key);
      else layer.set(key, { value: parseAndValidate(key, brokerDef(key), raw), origin: layerName });
    }
    try {
      this.derive();
    } catch (err) {
      this.layers[layerName] = before;
      throw err;
    }
  }

  /** Cross-key checks and derived values; throws ConfigError. */
  private derive(): void {
    const nodeId = this.get('node.id');
    const brokerId = this.get('broker.id');
    if (brokerId !== null && brokerId >= 0 && this.isSet('node.id') && brokerId !== nodeId) {
      throw new ConfigError(
        `Inconsistent node.id (${nodeId}) and broker.id (${brokerId}): set only node.id, or make them equal`,
        'broker.id',
        String(brokerId),
      );
    }
    const effectiveNodeId = !this.isSet('node.id') && brokerId !== null && brokerId >= 0 ? brokerId : nodeId;

    const protocols = parseProtocolMap('listener.security.protocol.map', this.get('listener.security.protocol.map'));
    const listeners = parseListeners('listeners', this.get('listeners'), protocols);
    const advRaw = this.get('advertised.listeners');
    const advParsed = advRaw === null || advRaw.length === 0 ? null : parseListeners('advertised.listeners', advRaw, protocols);
    const advertised = deriveAdvertised(listeners, advParsed, (m) => this.warn(m));
    const ibl = this.get('inter.broker.listener.name');
    if (ibl !== null && this.isSet('security.inter.broker.protocol')) {
      // Kafka's KafkaConfig refuses the pair with this ConfigException, only when both were set
      // (security.inter.broker.protocol has a default, PLAINTEXT, which does not count).
      throw ConfigError.invalid('inter.broker.listener.name', ibl, 'Only one of inter.broker.listener.name and security.inter.broker.protocol should be set.');
    }
    if (ibl !== null && !listeners.some((l) => l.name === ibl.toUpperCase())) {
      throw ConfigError.invalid('inter.broker.listener.name', ibl, 'Must be the name of one of the listeners');
    }

    const minLag = this.get('log.cleaner.min.compaction.lag.ms');
    const maxLag = this.get('log.cleaner.max.compaction.lag.ms');
    if (minLag > maxLag) {
      throw new ConfigError(
        `log.cleaner.min.compaction.lag.ms (${minLag}) must not exceed log.cleaner.max.compaction.lag.ms (${maxLag})`,
        'log.cleaner.min.compaction.lag.ms',
        String(minLag),
      );
    }

    // Kafka's KafkaConfig checks for the connection and request-memory limits.
    if (this.get('max.connections.per.ip') === 0 && this.get('max.connections.per.ip.overrides') === '') {
      throw ConfigError.invalid('max.connections.per.ip', '0', 'Can be set to zero only if max.connections.per.ip.overrides is set');
    }
    const queuedBytes = this.get('queued.max.request.bytes');
    const maxRequest = this.get('socket.request.max.bytes');
    if (queuedBytes > 0 && queuedBytes < maxRequest) {
      throw new ConfigError(
        `queued.max.request.bytes (${queuedBytes}) must be -1 or at least socket.request.max.bytes (${maxRequest})`,
        'queued.max.request.bytes',
        String(queuedBytes),
      );
    }

    const logDirs = this.get('log.dirs') ?? [this.get('log.dir')];
    this.derived = { nodeId: effectiveNodeId, listeners, advertised, logDirs };
  }

  private warn(msg: string): void {
    if (this.warnings.includes(msg)) return;
    this.warnings.push(msg);
    this.warnFn(msg);
  }
}

/**
 * Build the broker configuration from defaults, a properties file, the environment, programmatic
 * props and "key=value" overrides (that order, last wins). Throws ConfigError on a bad value.
 */
export function loadBrokerConfig(opts: LoadBrokerConfigOptions = {}): BrokerConfig {
  const warnings: string[] = [];
  const warn = (msg: string) => {
    warnings.push(msg);
    opts.warn?.(msg);
  };
  const settings = new Map<BrokerKey, Setting>();
  const listenerSettings = new Map<string, string>();
  const apply = (key: string, raw: string, origin: ConfigOrigin, where: string) => {
    const prefixed = /^listener\.name\.([A-Za-z0-9_]+)\.(.+)$/.exec(key);
    if (prefixed) {
      // Kafka's per-listener overrides; src/auth validates them when the listener starts.
      listenerSettings.set(`listener.name.${prefixed[1]!.toLowerCase()}.${prefixed[2]}`, raw);
      return;
    }
    if (!isBrokerKey(key)) {
      warn(unknownKeyMessage(key, where));
      return;
    }
    try {
      settings.set(key, { value: parseAndValidate(key, brokerDef(key), raw), origin, where });
    } catch (err) {
      if (err instanceof ConfigError) throw new ConfigError(`${err.message} (from ${where})`, err.key, err.value);
      throw err;
    }
  };

  if (opts.file !== undefined) {
    let text: string;
    try {
      text = fs.readFileSync(opts.file, 'utf8');
    } catch (err) {
      throw new ConfigError(`Cannot read config file ${opts.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    for (const { key, value, line } of parsePropertiesEntries(text, opts.file)) apply(key, value, 'file', `${opts.file}:${line}`);
  }
  for (const { key, value, envName } of configFromEnv(opts.env ?? {})) apply(key, value, 'env', `environment ${envName}`);
  for (const [key, value] of Object.entries(opts.props ?? {})) apply(key, String(value), 'props', 'props');
  for (const o of opts.overrides ?? []) {
    const eq = o.indexOf('=');
    if (eq <= 0) throw new ConfigError(`Invalid override '${o}': expected key=value`);
    apply(o.slice(0, eq).trim(), o.slice(eq + 1), 'override', `--override ${o}`);
  }

  const format = settings.get('log.message.format.version');
  if (format !== undefined) {
    warn(
      `Broker configuration log.message.format.version with value ${String(format.value)} is ignored because the inter-broker protocol ` +
        'version is greater or equal than 3.0. This configuration is deprecated and it will be removed in Apache Kafka 4.0.',
    );
  }
  const clustered = String(settings.get('tributary.metadata.store')?.value ?? '').trim() !== '';
  for (const [key, setting] of settings) {
    const w = noEffectWarning(key, setting.where, clustered);
    if (w !== null) warn(w);
  }

  return new BrokerConfig(settings, opts.warn, warnings, listenerSettings);
}

function unknownKeyMessage(key: string, where: string): string {
  let hint = '';
  if (isTopicKey(key)) {
    const synonym = TOPIC_SYNONYMS[key]?.[0]?.name;
    hint = synonym ? ` (${key} is a topic-level key; the broker default is ${synonym})` : ` (${key} is a topic-level key)`;
  } else {
    const near = closestKey(key, BROKER_KEY_NAMES);
    if (near !== null) hint = ` (did you mean '${near}'?)`;
  }
  return `The configuration '${key}' was supplied but isn't a known config; ignored (from ${where})${hint}`;
}
