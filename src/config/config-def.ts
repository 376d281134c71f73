// The shape of one configuration key, modelled on Kafka's ConfigDef.ConfigKey: a name, a type,
// a default, an optional validator, an importance, a one-line doc and (for broker keys) how it
// can be updated at runtime. Builders (`int(...)`, `long(...)`, ...) keep the key tables in
// broker-keys.ts / topic-keys.ts short while preserving literal types, so `BrokerConfig.get(key)`
// can be typed from the table.

/** Kafka's ConfigDef.Type names, lower-cased. */
export type ConfigTypeName = 'boolean' | 'string' | 'int' | 'short' | 'long' | 'double' | 'list' | 'class' | 'password';

export type Importance = 'high' | 'medium' | 'low';

/**
 * Kafka's "Update Mode" column: read-only keys need a restart; per-broker keys may be altered for
 * one broker (IncrementalAlterConfigs on BROKER "<id>"); cluster-wide keys may also be altered as
 * the cluster default (BROKER resource with an empty name).
 */
export type UpdateMode = 'read-only' | 'per-broker' | 'cluster-wide';

/** The JS value a key of a given type parses to. */
export type ValueOfType<T extends ConfigTypeName> = T extends 'boolean'
  ? boolean
  : T extends 'int' | 'short' | 'long' | 'double'
    ? number
    : T extends 'list'
      ? string[]
      : string;

/**
 * Checks an already-parsed (typed) value. Returns null when valid, otherwise the expectation in
 * Kafka's words ("Value must be at least 1"), which ConfigError wraps with the key and value.
 */
export type Validator = (value: unknown) => string | null;

export interface ConfigDef<T extends ConfigTypeName = ConfigTypeName, D = unknown> {
  readonly type: T;
  /** Typed default; null means "no default" (Kafka's null default), e.g. log.retention.ms. */
  readonly default: D;
  readonly validator?: Validator;
  /** Human description of the valid values, for --help ("[1,...]", "[delete, compact]"). */
  readonly validValues?: string;
  readonly importance: Importance;
  readonly doc: string;
  readonly updateMode: UpdateMode;
}

/** Typed value of a definition; nullable when the default is null. */
export type ValueOfDef<Def> =
  Def extends ConfigDef<infer T, infer D> ? ValueOfType<T> | (D extends null ? null : never) : never;

interface Opts {
  doc: string;
  importance?: Importance;
  mode?: UpdateMode;
  /** Inclusive lower bound (numbers). */
  min?: number;
  /** Inclusive upper bound (numbers). */
  max?: number;
  /** Allowed strings (string type) or allowed list elements (list type). */
  oneOf?: readonly string[];
  /** Extra validation after the built-in ones. */
  validate?: Validator;
  validValues?: string;
}

// ---- validators (messages follow Kafka's ConfigDef.Range / ValidString / ValidList) ----

export function rangeValidator(min: number | undefined, max: number | undefined): Validator {
  return (v) => {
    if (v === null) return null;
    const n = v as number;
    if (min !== undefined && n < min) return `Value must be at least ${min}`;
    if (max !== undefined && n > max) return `Value must be no more than ${max}`;
    return null;
  };
}

export function oneOfValidator(allowed: readonly string[]): Validator {
  return (v) => {
    if (v === null) return null;
    return allowed.includes(v as string) ? null : `String must be one of: ${allowed.join(', ')}`;
  };
}

/** Kafka's ValidList.in: every element from the allowed set, no duplicates, not empty. */
export function listOfValidator(allowed: readonly string[]): Validator {
  return (v) => {
    if (v === null) return null;
    const list = v as string[];
    if (list.length === 0) return `Configuration must not be empty. Valid values include: ${allowed.join(', ')}`;
    const seen = new Set<string>();
    for (const item of list) {
      if (!allowed.includes(item)) return `Invalid value ${item}. Valid values include: ${allowed.join(', ')}`;
      if (seen.has(item)) return `Configuration contains duplicate value ${item}`;
      seen.add(item);
    }
    return null;
  };
}

function combine(...vs: (Validator | undefined)[]): Validator | undefined {
  const list = vs.filter((v): v is Validator => v !== undefined);
  if (list.length === 0) return undefined;
  if (list.length === 1) return list[0];
  return (value) => {
    for (const v of list) {
      const err = v(value);
      if (err !== null) return err;
    }
    return null;
  };
}

function describeRange(o: Opts): string | undefined {
  if (o.validValues !== undefined) return o.validValues;
  if (o.min !== undefined && o.max !== undefined) return `[${o.min},...,${o.max}]`;
  if (o.min !== undefined) return `[${o.min},...]`;
  if (o.max !== undefined) return `[...,${o.max}]`;
  return undefined;
}

function make<T extends ConfigTypeName, D>(type: T, dflt: D, o: Opts): ConfigDef<T, D> {
  const isNumber = type === 'int' || type === 'short' || type === 'long' || type === 'double';
  const range = isNumber && (o.min !== undefined || o.max !== undefined) ? rangeValidator(o.min, o.max) : undefined;
  const enumV =
    o.oneOf === undefined ? undefined : type === 'list' ? listOfValidator(o.oneOf) : oneOfValidator(o.oneOf);
  const validValues = isNumber
    ? describeRange(o)
    : (o.validValues ?? (o.oneOf ? `[${o.oneOf.join(', ')}]` : undefined));
  return {
    type,
    default: dflt,
    validator: combine(range, enumV, o.validate),
    validValues,
    importance: o.importance ?? 'medium',
    doc: o.doc,
    updateMode: o.mode ?? 'read-only',
  };
}

// ---- builders; `D` keeps a literal null so ValueOfDef knows the key is nullable ----

export const bool = <D extends boolean | null>(d: D, o: Opts) => make('boolean', d, o);
export const int = <D extends number | null>(d: D, o: Opts) => make('int', d, o);
export const short = <D extends number | null>(d: D, o: Opts) => make('short', d, o);
export const long = <D extends number | null>(d: D, o: Opts) => make('long', d, o);
export const double = <D extends number | null>(d: D, o: Opts) => make('double', d, o);
export const str = <D extends string | null>(d: D, o: Opts) => make('string', d, o);
export const list = <D extends readonly string[] | null>(d: D, o: Opts) => make('list', d, o);
export const password = <D extends string | null>(d: D, o: Opts) => make('password', d, o);
export const cls = <D extends string | null>(d: D, o: Opts) => make('class', d, o);

// ---- the DescribeConfigs wire enums ----

/** DescribeConfigsResponse ConfigType (v3+), as in Kafka's DescribeConfigsResponse.ConfigType. */
export const ConfigType = {
  UNKNOWN: 0,
  BOOLEAN: 1,
  STRING: 2,
  INT: 3,
  SHORT: 4,
  LONG: 5,
  DOUBLE: 6,
  LIST: 7,
  CLASS: 8,
  PASSWORD: 9,
} as const;

export function configTypeId(type: ConfigTypeName): number {
  return ConfigType[type.toUpperCase() as keyof typeof ConfigType];
}

/**
 * DescribeConfigsResponse ConfigSource (v1+). Ids 0-6 checked against Kafka's
 * DescribeConfigsResponse.ConfigSource; 7 and 8 were added by newer Kafka for client-metrics and
 * group resources.
 */
export const ConfigSource = {
  UNKNOWN: 0,
  DYNAMIC_TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
  DYNAMIC_BROKER_LOGGER_CONFIG: 6,
  CLIENT_METRICS_CONFIG: 7,
  GROUP_CONFIG: 8,
} as const;

export type ConfigSourceName = keyof typeof ConfigSource;

/** Kafka's Long.MAX_VALUE stand-in: longs are JS numbers, and "forever" is all callers need. */
export const LONG_MAX = Number.MAX_SAFE_INTEGER;
export const LONG_MAX_STRING = '9223372036854775807';
export const INT_MAX = 2147483647;
