// Usage text and the configuration reference printed by `tributary --help`: every broker key and
// every topic key with its type, default, valid values, update mode and one-line doc.
import { formatValue } from '../config/parse-value.js';
import {
  BROKER_KEY_NAMES,
  TOPIC_KEY_NAMES,
  TOPIC_SYNONYMS,
  brokerDef,
  topicDef,
  type ConfigDef,
} from '../config/definitions.js';
import { keyToEnvName } from '../config/env.js';
import { keepTogether, twoColumns, wrap } from './text-wrap.js';

export interface CommandSummary {
  name: string;
  usage: string;
  summary: string;
}

/** `tributary <command> --help`: usage, what it does, its options; 80 columns. */
export function commandHelpText(c: {
  usage: string;
  description: string;
  options?: readonly (readonly [string, string])[];
  notes?: readonly string[];
}): string {
  const lines = [...wrap(c.usage, { indent: 4, first: 'Usage: tributary ' }), '', ...wrap(c.description, { indent: 0 })];
  if (c.options && c.options.length > 0) lines.push('', 'Options:', ...twoColumns(c.options, 28));
  for (const n of c.notes ?? []) lines.push('', ...wrap(n, { indent: 0 }));
  return lines.join('\n') + '\n';
}

export function usageText(commands: readonly CommandSummary[]): string {
  return [
    'Usage: tributary [command] [options]',
    '',
    ...wrap('A Kafka-protocol-compatible broker. With no command, `tributary` runs `tributary start`.', { indent: 0 }),
    '',
    'Commands:',
    ...twoColumns(commands.map((c) => [c.name, c.summary] as const), 17),
    "Run 'tributary <command> --help' for a command's usage and options.",
    '',
    'Options:',
    ...twoColumns([['-h, --help', 'Show this help, including every configuration key'], ['-V, --version', 'Print the version']], 17),
    '',
    'Configuration, highest precedence first:',
    '  1. --override key=value (repeatable; also --override=key=value)',
    "  2. environment: TRIBUTARY_<KEY> or KAFKA_<KEY>, the key upper-cased with",
    "     '.' as '_', '_' as '__' and '-' as '___' (Apache Kafka docker-image rule),",
    `     e.g. ${keyToEnvName('log.dirs')}=/data  ${keyToEnvName('num.partitions', 'KAFKA_')}=3.`,
    '     TRIBUTARY_LOG_LEVEL and TRIBUTARY_LOG_FORMAT set tributary.log.level and',
    '     tributary.log.format.',
    '  3. the server.properties file (Java properties syntax)',
    '  4. the defaults below',
    'Unknown keys are ignored with a warning (with a "did you mean" for typos); an',
    'invalid value stops startup (exit code 1).',
    '',
  ].join('\n');
}

function describeDefault(def: ConfigDef): string {
  const s = formatValue(def.type, def.default);
  return s === null ? 'null' : s === '' ? '""' : s;
}

function keyBlock(name: string, def: ConfigDef, extra: string[]): string {
  const facts = [def.type, keepTogether(`default ${describeDefault(def)}`)];
  if (def.validValues) facts.push(`valid ${def.validValues}`);
  facts.push(...extra);
  return [`  ${name}`, ...wrap(def.doc, { indent: 6 }), ...wrap(`(${facts.join('; ')})`, { indent: 6 })].join('\n');
}

export function configReferenceText(): string {
  const broker = [...BROKER_KEY_NAMES].sort().map((k) => {
    const def = brokerDef(k);
    return keyBlock(k, def, [def.updateMode, `importance ${def.importance}`]);
  });
  const topic = [...TOPIC_KEY_NAMES].sort().map((k) => {
    const synonyms = (TOPIC_SYNONYMS[k] ?? []).map((s) => s.name);
    const extra = synonyms.length > 0 ? [`broker default from ${synonyms.join(' > ')}`] : ['no broker default'];
    return keyBlock(k, topicDef(k), extra);
  });
  return [
    'Broker configuration (server.properties, environment, --override):',
    ...broker,
    '',
    'Topic configuration (CreateTopics / AlterConfigs per topic; defaults come from',
    'the broker keys named):',
    ...topic,
    '',
  ].join('\n');
}
