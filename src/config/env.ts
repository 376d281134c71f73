// Environment variables → config keys, using the rule of Apache Kafka's docker image so a
// docker-compose file written for Kafka works unchanged:
//
//   prefix TRIBUTARY_ (ours) or KAFKA_ (Kafka's image), then the key upper-cased with
//     '.' written as '_'      log.dirs                    → TRIBUTARY_LOG_DIRS
//     '_' written as '__'     (keys with underscores)     → TRIBUTARY_SOME__KEY
//     '-' written as '___'    (keys with dashes)          → TRIBUTARY_SOME___KEY
//
// Decoding lower-cases and reads runs of underscores greedily (___ → '-', __ → '_', _ → '.').
// A TRIBUTARY_ variable beats a KAFKA_ one for the same key. Two TRIBUTARY_ variables are not
// config keys but aliases: TRIBUTARY_LOG_LEVEL → tributary.log.level and TRIBUTARY_LOG_FORMAT →
// tributary.log.format. KAFKA_ variables that Kafka's start scripts use for the JVM (KAFKA_OPTS,
// KAFKA_HEAP_OPTS, KAFKA_HOME, ...) are skipped silently.

export const ENV_PREFIXES = ['TRIBUTARY_', 'KAFKA_'] as const;

/** Environment names that are aliases rather than encoded keys. */
export const ENV_ALIASES: Readonly<Record<string, string>> = {
  TRIBUTARY_LOG_LEVEL: 'tributary.log.level',
  TRIBUTARY_LOG_FORMAT: 'tributary.log.format',
};

const KAFKA_SCRIPT_VARS = new Set([
  'KAFKA_HOME',
  'KAFKA_VERSION',
  'KAFKA_DEBUG',
  'KAFKA_CLUSTER_ID',
  'KAFKA_MODE',
  'KAFKA_JMX_PORT',
  'KAFKA_LOG4J_LOGGERS',
  'KAFKA_LOG4J_ROOT_LOGLEVEL',
  'KAFKA_TOOLS_LOG4J_LOGLEVEL',
]);

export interface EnvEntry {
  key: string;
  value: string;
  /** The variable it came from, for messages. */
  envName: string;
}

/** Encode a config key as an environment variable name (for docs and --help). */
export function keyToEnvName(key: string, prefix: string = 'TRIBUTARY_'): string {
  let out = prefix;
  for (const c of key) out += c === '.' ? '_' : c === '_' ? '__' : c === '-' ? '___' : c.toUpperCase();
  return out;
}

/** Decode the part after the prefix back to a config key. */
export function envSuffixToKey(suffix: string): string {
  return suffix.toLowerCase().replace(/___|__|_/g, (m) => (m === '___' ? '-' : m === '__' ? '_' : '.'));
}

/**
 * Config entries from the environment, TRIBUTARY_ ones last so they override KAFKA_ ones when a
 * caller applies them in order.
 */
export function configFromEnv(env: NodeJS.ProcessEnv): EnvEntry[] {
  const kafka: EnvEntry[] = [];
  const ours: EnvEntry[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    const alias = ENV_ALIASES[name];
    if (alias !== undefined) {
      ours.push({ key: alias, value, envName: name });
    } else if (name.startsWith('TRIBUTARY_') && name.length > 'TRIBUTARY_'.length) {
      ours.push({ key: envSuffixToKey(name.slice('TRIBUTARY_'.length)), value, envName: name });
    } else if (name.startsWith('KAFKA_') && name.length > 'KAFKA_'.length) {
      if (KAFKA_SCRIPT_VARS.has(name) || name.endsWith('_OPTS')) continue;
      kafka.push({ key: envSuffixToKey(name.slice('KAFKA_'.length)), value, envName: name });
    }
  }
  return [...kafka, ...ours];
}
