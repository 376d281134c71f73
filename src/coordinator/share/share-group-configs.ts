// Per-group share configs (Kafka 4.4's GroupConfig, share.* keys): set with
// IncrementalAlterConfigs on a GROUP resource, shown by DescribeConfigs, applied to live groups on
// their next use (heartbeat, acquisition, release), persisted across restarts.
//
// Kafka keeps group configs in the metadata log; here one JSON document in the first log dir,
// replaced atomically (like the dynamic broker configs):
//   <logDirs[0]>/__tributary_group_configs.json   { "version": 1, "groups": { "<group>": { key: value } } }
//
// Validation as Kafka's GroupConfig.validate: unknown names and unparsable values are
// INVALID_CONFIG; int values must lie in the broker's group.share.min/max.* bounds ("<key> must
// be in the range <min> to <max> inclusive."). The consumer.* and streams.* group keys belong to
// groups Tributary does not configure per group yet and are refused with INVALID_CONFIG.
import path from 'node:path';
import { ErrorCode } from '../../../protocol/errors.js';
import { writeFileAtomic } from '../../../storage/log/log-files.js';
import { readJsonFile } from '../../metadata/json-file.js';
import type { ShareGroupConfig } from './share-config.js';

export const GROUP_CONFIG_FILE = '__tributary_group_configs.json';

/** DescribeConfigs ConfigSource / ConfigType values used by the rows. */
const SOURCE_GROUP_CONFIG = 8;
const SOURCE_STATIC_BROKER = 4;
const SOURCE_DEFAULT = 5;
const TYPE_BOOLEAN = 1;
const TYPE_STRING = 2;
const TYPE_INT = 3;

type Kind = 'int' | 'string' | 'boolean';

interface GroupKey {
  kind: Kind;
  /** The broker key whose value is the default (Kafka's ALL_GROUP_CONFIG_SYNONYMS), if any. */
  synonym: string | null;
  fallback: string;
  /** [min key, max key] of the broker bounds, for int keys. */
  bounds?: [string, string];
  check?: (v: string) => string | null;
  doc: string;
}

const ISOLATION_LEVELS = ['read_committed', 'read_uncommitted'];

export const SHARE_GROUP_KEYS: Record<string, GroupKey> = {
  'share.session.timeout.ms': { kind: 'int', synonym: 'group.share.session.timeout.ms', fallback: '45000', bounds: ['group.share.min.session.timeout.ms', 'group.share.max.session.timeout.ms'], doc: 'The timeout to detect client failures when using the share group protocol.' },
  'share.heartbeat.interval.ms': { kind: 'int', synonym: 'group.share.heartbeat.interval.ms', fallback: '5000', bounds: ['group.share.min.heartbeat.interval.ms', 'group.share.max.heartbeat.interval.ms'], doc: 'The heartbeat interval given to the members.' },
  'share.record.lock.duration.ms': { kind: 'int', synonym: 'group.share.record.lock.duration.ms', fallback: '30000', bounds: ['group.share.min.record.lock.duration.ms', 'group.share.max.record.lock.duration.ms'], doc: 'The record acquisition lock duration in milliseconds for share groups.' },
  'share.delivery.count.limit': { kind: 'int', synonym: 'group.share.delivery.count.limit', fallback: '5', bounds: ['group.share.min.delivery.count.limit', 'group.share.max.delivery.count.limit'], doc: 'The maximum number of delivery attempts for a record delivered to a share group.' },
  'share.partition.max.record.locks': { kind: 'int', synonym: 'group.share.partition.max.record.locks', fallback: '2000', bounds: ['group.share.min.partition.max.record.locks', 'group.share.max.partition.max.record.locks'], doc: 'Share-group record lock limit per share-partition.' },
  'share.auto.offset.reset': { kind: 'string', synonym: null, fallback: 'latest', check: autoOffsetResetError, doc: 'The strategy to initialize the share-partition start offset: earliest, latest or by_duration:<ISO-8601 duration>.' },
  'share.isolation.level': { kind: 'string', synonym: null, fallback: 'read_uncommitted', check: (v) => (ISOLATION_LEVELS.includes(v) ? null : `String must be one of: ${ISOLATION_LEVELS.join(', ')}`), doc: 'Controls how to read records written transactionally.' },
  'share.renew.acknowledge.enable': { kind: 'boolean', synonym: null, fallback: 'true', doc: 'Whether the renew acknowledge type is enabled for the share group.' },
  'share.assignment.interval.ms': { kind: 'int', synonym: 'group.share.assignment.interval.ms', fallback: '1000', bounds: ['group.share.min.assignment.interval.ms', 'group.share.max.assignment.interval.ms'], doc: 'Accepted; Tributary computes share-group assignments at once on every membership change.' },
  'share.assignor.offload.enable': { kind: 'boolean', synonym: 'group.share.assignor.offload.enable', fallback: 'true', doc: 'Accepted; Tributary computes share-group assignments on the request path.' },
};

/** Kafka 4.4 group keys of other group types: known names, not configurable here yet. */
const OTHER_GROUP_KEY = /^(consumer|streams)\.|^errors\.deadletterqueue\./;

export interface GroupConfigRow {
  name: string;
  value: string | null;
  readOnly: boolean;
  isDefault: boolean;
  configSource: number;
  isSensitive: boolean;
  synonyms: { name: string; value: string | null; source: number }[];
  configType: number;
  documentation: string | null;
}

export interface Outcome {
  errorCode: number;
  errorMessage: string | null;
}

/** The broker side a group config falls back to: values and whether they were set explicitly. */
export interface BrokerSettings {
  get(key: string): unknown;
  isSet(key: string): boolean;
}

/** share.auto.offset.reset parsed: earliest, latest or "the first record at or after now - ms". */
export type AutoOffsetReset = 'earliest' | 'latest' | { byDurationMs: number };

export class ShareGroupConfigs {
  private groups = new Map<string, Record<string, string>>();
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly file: string | null,
    private readonly broker: BrokerSettings,
  ) {}

  /** Null `logDir`: kept in memory only (unit tests). */
  static async open(logDir: string | null, broker: BrokerSettings): Promise<ShareGroupConfigs> {
    const file = logDir ? path.join(logDir, GROUP_CONFIG_FILE) : null;
    const store = new ShareGroupConfigs(file, broker);
    const doc = file ? await readJsonFile<{ version: number; groups?: Record<string, Record<string, string>> }>(file) : null;
    for (const [group, values] of Object.entries(doc?.groups ?? {})) {
      // A value that no longer validates (bounds tightened since) is dropped, as Kafka ignores invalid dynamic configs.
      const kept = Object.fromEntries(Object.entries(values).filter(([k, v]) => typeof v === 'string' && store.valueError(k, v) === null));
      if (Object.keys(kept).length > 0) store.groups.set(group, kept);
    }
    return store;
  }

  /** The group's overrides (a copy). */
  overrides(groupId: string): Record<string, string> {
    return { ...(this.groups.get(groupId) ?? {}) };
  }

  /** The broker settings with the group's overrides applied. */
  effective(groupId: string, base: ShareGroupConfig): ShareGroupConfig {
    const o = this.groups.get(groupId);
    if (!o) return base;
    const int = (k: string, d: number) => (o[k] !== undefined ? Number(o[k]) : d);
    return {
      ...base,
      sessionTimeoutMs: int('share.session.timeout.ms', base.sessionTimeoutMs),
      heartbeatIntervalMs: int('share.heartbeat.interval.ms', base.heartbeatIntervalMs),
      recordLockDurationMs: int('share.record.lock.duration.ms', base.recordLockDurationMs),
      deliveryCountLimit: int('share.delivery.count.limit', base.deliveryCountLimit),
      partitionMaxRecordLocks: int('share.partition.max.record.locks', base.partitionMaxRecordLocks),
      autoOffsetReset: o['share.auto.offset.reset'] !== undefined ? parseAutoOffsetReset(o['share.auto.offset.reset'])! : base.autoOffsetReset,
      readCommitted: o['share.isolation.level'] !== undefined ? o['share.isolation.level'] === 'read_committed' : base.readCommitted,
      renewAcknowledgeEnabled: o['share.renew.acknowledge.enable'] !== undefined ? o['share.renew.acknowledge.enable'] === 'true' : base.renewAcknowledgeEnabled,
    };
  }

  /**
   * IncrementalAlterConfigs on GROUP `groupId`: `next` computes the complete new override set from
   * the current one; it is validated, then stored unless validateOnly. The group need not exist
   * (as in Kafka, configs may be set before the group is first used).
   */
  async alter(groupId: string, next: (current: Readonly<Record<string, string>>) => { configs: Record<string, string> } | { error: Outcome }, validateOnly: boolean): Promise<Outcome> {
    if (groupId === '') return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Group name can not be empty.' };
    const computed = next(this.groups.get(groupId) ?? {});
    if ('error' in computed) return computed.error;
    for (const [k, v] of Object.entries(computed.configs)) {
      const problem = this.valueError(k, v);
      if (problem !== null) return { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: problem };
    }
    if (validateOnly) return { errorCode: ErrorCode.NONE, errorMessage: null };
    const values = Object.fromEntries(Object.entries(computed.configs).map(([k, v]) => [k, canonical(k, v)]));
    if (Object.keys(values).length === 0) this.groups.delete(groupId);
    else this.groups.set(groupId, values);
    try {
      await this.persist();
    } catch (err) {
      return { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: (err as Error).message };
    }
    return { errorCode: ErrorCode.NONE, errorMessage: null };
  }

  /** DescribeConfigs rows of GROUP `groupId`: every share key, its override or the broker's value. */
  describe(groupId: string, synonyms: boolean, docs: boolean): GroupConfigRow[] {
    const o = this.groups.get(groupId) ?? {};
    return Object.entries(SHARE_GROUP_KEYS).map(([name, def]) => {
      const brokerValue = def.synonym !== null ? stringOf(this.broker.get(def.synonym), def.fallback) : def.fallback;
      const brokerSource = def.synonym !== null && this.broker.isSet(def.synonym) ? SOURCE_STATIC_BROKER : SOURCE_DEFAULT;
      const overridden = Object.hasOwn(o, name);
      const rows: { name: string; value: string | null; source: number }[] = [];
      if (overridden) rows.push({ name, value: o[name]!, source: SOURCE_GROUP_CONFIG });
      if (def.synonym !== null) rows.push({ name: def.synonym, value: brokerValue, source: brokerSource });
      return {
        name,
        value: overridden ? o[name]! : brokerValue,
        readOnly: false,
        isDefault: !overridden && brokerSource === SOURCE_DEFAULT,
        configSource: overridden ? SOURCE_GROUP_CONFIG : SOURCE_DEFAULT,
        isSensitive: false,
        synonyms: synonyms ? rows : [],
        configType: def.kind === 'int' ? TYPE_INT : def.kind === 'boolean' ? TYPE_BOOLEAN : TYPE_STRING,
        documentation: docs ? def.doc : null,
      };
    });
  }

  /** Kafka's GroupConfig.validate for one key: null when valid, else the INVALID_CONFIG message. */
  private valueError(name: string, value: string): string | null {
    const def = SHARE_GROUP_KEYS[name];
    if (!def) {
      if (OTHER_GROUP_KEY.test(name)) return `Group config ${name} is not supported by Tributary: only share group configs (share.*) can be set per group.`;
      return `Unknown group config name: ${name}`;
    }
    const v = value.trim();
    if (def.kind === 'int') {
      if (!/^[+-]?\d+$/.test(v) || Math.abs(Number(v)) > 2147483647) return `Invalid value ${value} for configuration ${name}: Not a number of type INT`;
      const [minKey, maxKey] = def.bounds!;
      const min = Number(this.broker.get(minKey));
      const max = Number(this.broker.get(maxKey));
      const n = Number(v);
      if (n < min || n > max) return `${name} must be in the range ${min} to ${max} inclusive.`;
      return null;
    }
    if (def.kind === 'boolean') {
      return v.toLowerCase() === 'true' || v.toLowerCase() === 'false' ? null : `Invalid value ${value} for configuration ${name}: Expected value to be either true or false`;
    }
    const problem = def.check?.(v) ?? null;
    return problem === null ? null : `Invalid value ${value} for configuration ${name}: ${problem}`;
  }

  private persist(): Promise<void> {
    if (!this.file) return Promise.resolve();
    const file = this.file;
    const doc = JSON.stringify({ version: 1, groups: Object.fromEntries(this.groups) }, null, 2);
    // Serialized: a later alter never lands before an earlier one.
    this.writing = this.writing.catch(() => {}).then(() => writeFileAtomic(file, doc, path.dirname(file)));
    return this.writing;
  }
}

function stringOf(v: unknown, fallback: string): string {
  if (v === undefined || v === null) return fallback;
  return String(v);
}

function canonical(name: string, value: string): string {
  const def = SHARE_GROUP_KEYS[name]!;
  const v = value.trim();
  if (def.kind === 'int') return String(Number(v));
  if (def.kind === 'boolean') return v.toLowerCase();
  return v;
}

/** ISO-8601 durations as Java's Duration.parse takes them (PnDTnHnMn.nS), non-negative. */
const DURATION = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)(?:[.,](\d{0,9}))?S)?)?$/i;

export function parseAutoOffsetReset(v: string): AutoOffsetReset | null {
  const s = v.trim().toLowerCase();
  if (s === 'earliest' || s === 'latest') return s;
  if (!s.startsWith('by_duration:')) return null;
  const d = v.trim().slice('by_duration:'.length);
  const m = DURATION.exec(d);
  if (!m || d.toUpperCase() === 'P' || d.toUpperCase().endsWith('T')) return null;
  const [, days, hours, minutes, seconds, frac] = m;
  const ms = Number(days ?? 0) * 86400000 + Number(hours ?? 0) * 3600000 + Number(minutes ?? 0) * 60000 + Number(seconds ?? 0) * 1000 + Math.floor(Number(`0.${frac || '0'}`) * 1000);
  return { byDurationMs: ms };
}

function autoOffsetResetError(v: string): string | null {
  return parseAutoOffsetReset(v) !== null ? null : "The value must be either 'earliest', 'latest' or of the format 'by_duration:<PnDTnHnMn.nS.>'.";
}
