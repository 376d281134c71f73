// Aggregation definitions: the declarative description of one aggregation, its validation, and
// which changes an existing aggregation may take without losing its state.
//
// A definition is JSON (CLI file, broker config file, the definitions topic):
//   {
//     "name": "global-spend",
//     "sources": [ { "name": "alpha", "topic": "contributions",
//                    "cluster": { "bootstrap": ["10.0.0.5:9092"], "tls": {...}, "sasl": {...} },
//                    "contributor": "alpha" } ],          // cluster absent = a local topic
//     "format": { "type": "json" } | { "type": "csv", "columns": ["partner", ...], "delimiter": "," },
//     "contributorField": "partner",
//     "groupBy": ["category", "month"],
//     "measures": [ { "name": "sum", "op": "sum", "field": "sum" },
//                   { "name": "count", "op": "count", "field": "count" } ],
//     "derived": [ { "name": "avg", "op": "avg", "sum": "sum", "count": "count" } ],
//     "minContributors": 3,
//     "output": { "topic": "global-spend", "partitions": 1 },
//     "deadLetterTopic": "global-spend.dead-letter"
//   }
// Secrets in cluster settings may be written as ${env:NAME} or ${file:/path}; the broker resolves
// them when it connects (secrets.ts), so the definitions topic never has to hold them.
import { invalidTopicNameReason } from '../metadata/topic-name.js';

export type MeasureOp = 'sum' | 'count' | 'min' | 'max';

export interface MeasureDefinition {
  name: string;
  op: MeasureOp;
  /**
   * The contribution field. Required for sum/min/max. For count it names a pre-aggregated count
   * (a non-negative integer, summed across contributors); without it each contribution counts 1.
   */
  field?: string;
}

/** avg = sum / count over the combined measures (null while count is 0). */
export interface DerivedDefinition {
  name: string;
  op: 'avg';
  sum: string;
  count: string;
}

export type RecordFormat = { type: 'json' } | { type: 'csv'; columns: string[]; delimiter?: string };

export interface TlsSettings {
  enabled?: boolean;
  /** PEM text, or ${file:/path}. */
  ca?: string;
  cert?: string;
  key?: string;
  rejectUnauthorized?: boolean;
  servername?: string;
}

export interface SaslSettings {
  mechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
  username: string;
  password: string;
}

export interface ClusterConnection {
  /** host:port entries. */
  bootstrap: string[];
  tls?: TlsSettings;
  sasl?: SaslSettings;
  clientId?: string;
}

export interface SourceDefinition {
  /** Unique within the aggregation; input positions are recorded under it. */
  name: string;
  topic: string;
  /** Absent: a topic of this broker. */
  cluster?: ClusterConnection;
  /** When set, every record of this source must name this contributor (else dead-lettered). */
  contributor?: string;
}

export interface AggregationDefinition {
  name: string;
  description?: string;
  sources: SourceDefinition[];
  format: RecordFormat;
  contributorField: string;
  groupBy: string[];
  measures: MeasureDefinition[];
  derived: DerivedDefinition[];
  /** Privacy threshold: a group's result is published only with at least this many contributors. */
  minContributors: number;
  output: { topic: string; partitions?: number };
  deadLetterTopic: string;
}

export type ValidationResult = { ok: true; definition: AggregationDefinition } | { ok: false; errors: string[] };

const NAME = /^[a-zA-Z0-9._-]{1,180}$/;
const MEASURE_OPS: readonly MeasureOp[] = ['sum', 'count', 'min', 'max'];
const SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;

export function defaultDeadLetterTopic(name: string): string {
  return `${name}.dead-letter`;
}

/** Validates raw JSON and returns a normalized definition (defaults filled in), or every problem found. */
export function validateDefinition(raw: unknown): ValidationResult {
  const errors: string[] = [];
  const err = (m: string) => void errors.push(m);
  if (!isObject(raw)) return { ok: false, errors: ['definition must be a JSON object'] };

  const name = raw.name;
  if (typeof name !== 'string' || !NAME.test(name)) err("name: 1-180 characters of [a-zA-Z0-9._-] required");
  const safeName = typeof name === 'string' ? name : '';
  if (raw.description !== undefined && typeof raw.description !== 'string') err('description: must be a string');

  const format = validateFormat(raw.format, err);
  const fieldOk = (where: string, f: unknown): f is string => {
    if (typeof f !== 'string' || f.length === 0) {
      err(`${where}: a non-empty field name is required`);
      return false;
    }
    if (format?.type === 'csv' && !format.columns.includes(f)) {
      err(`${where}: field '${f}' is not one of the CSV columns`);
      return false;
    }
    return true;
  };

  fieldOk('contributorField', raw.contributorField);
  const groupBy = raw.groupBy;
  if (!Array.isArray(groupBy)) err('groupBy: an array of field names is required');
  else {
    groupBy.forEach((f, i) => fieldOk(`groupBy[${i}]`, f));
    if (new Set(groupBy).size !== groupBy.length) err('groupBy: fields must be distinct');
  }

  const measures = Array.isArray(raw.measures) ? raw.measures : [];
  if (!Array.isArray(raw.measures) || measures.length === 0) err('measures: at least one measure is required');
  const measureNames = new Set<string>();
  measures.forEach((m, i) => {
    const where = `measures[${i}]`;
    if (!isObject(m)) return err(`${where}: must be an object`);
    if (typeof m.name !== 'string' || !NAME.test(m.name)) err(`${where}.name: 1-180 characters of [a-zA-Z0-9._-] required`);
    else if (measureNames.has(m.name)) err(`${where}.name: duplicate measure '${m.name}'`);
    else measureNames.add(m.name);
    if (!MEASURE_OPS.includes(m.op as MeasureOp)) err(`${where}.op: one of ${MEASURE_OPS.join(', ')} required`);
    if (m.field !== undefined || m.op !== 'count') fieldOk(`${where}.field`, m.field);
  });

  const derived = raw.derived === undefined ? [] : raw.derived;
  if (!Array.isArray(derived)) err('derived: must be an array');
  else {
    const names = new Set<string>();
    derived.forEach((d, i) => {
      const where = `derived[${i}]`;
      if (!isObject(d)) return err(`${where}: must be an object`);
      if (typeof d.name !== 'string' || !NAME.test(d.name)) err(`${where}.name: 1-180 characters of [a-zA-Z0-9._-] required`);
      else if (measureNames.has(d.name) || names.has(d.name)) err(`${where}.name: '${d.name}' is already used`);
      else names.add(d.name);
      if (d.op !== 'avg') err(`${where}.op: 'avg' required (avg = sum / count)`);
      for (const ref of ['sum', 'count'] as const) {
        if (typeof d[ref] !== 'string' || !measureNames.has(d[ref] as string)) err(`${where}.${ref}: must name a measure`);
      }
    });
  }

  const minContributors = raw.minContributors ?? 1;
  if (!Number.isInteger(minContributors) || (minContributors as number) < 1) err('minContributors: an integer >= 1 required');

  const output = raw.output;
  let outputTopic = '';
  let outputPartitions = 1;
  if (!isObject(output) || typeof output.topic !== 'string') err('output.topic: required');
  else {
    outputTopic = output.topic;
    const why = invalidTopicNameReason(outputTopic);
    if (why) err(`output.topic: ${why}`);
    if (output.partitions !== undefined) {
      if (!Number.isInteger(output.partitions) || (output.partitions as number) < 1) err('output.partitions: an integer >= 1 required');
      else outputPartitions = output.partitions as number;
    }
  }
  const deadLetterTopic = raw.deadLetterTopic ?? defaultDeadLetterTopic(safeName);
  if (typeof deadLetterTopic !== 'string' || invalidTopicNameReason(deadLetterTopic)) err('deadLetterTopic: a legal topic name required');
  else if (deadLetterTopic === outputTopic) err('deadLetterTopic: must differ from output.topic');

  const sources = Array.isArray(raw.sources) ? raw.sources : [];
  if (!Array.isArray(raw.sources) || sources.length === 0) err('sources: at least one source is required');
  const sourceNames = new Set<string>();
  sources.forEach((s, i) => {
    const where = `sources[${i}]`;
    if (!isObject(s)) return err(`${where}: must be an object`);
    if (typeof s.name !== 'string' || !NAME.test(s.name)) err(`${where}.name: 1-180 characters of [a-zA-Z0-9._-] required`);
    else if (sourceNames.has(s.name)) err(`${where}.name: duplicate source '${s.name}'`);
    else sourceNames.add(s.name);
    if (typeof s.topic !== 'string' || invalidTopicNameReason(s.topic)) err(`${where}.topic: a legal topic name required`);
    else if (s.cluster === undefined && (s.topic === outputTopic || s.topic === deadLetterTopic)) {
      err(`${where}.topic: a local source cannot be the output or dead-letter topic`);
    }
    if (s.contributor !== undefined && (typeof s.contributor !== 'string' || s.contributor.length === 0)) err(`${where}.contributor: a non-empty string`);
    if (s.cluster !== undefined) validateCluster(s.cluster, `${where}.cluster`, err);
  });

  if (errors.length > 0) return { ok: false, errors };
  const definition: AggregationDefinition = {
    name: safeName,
    ...(raw.description !== undefined ? { description: raw.description as string } : {}),
    sources: (sources as SourceDefinition[]).map((s) => ({ ...s })),
    format: format!,
    contributorField: raw.contributorField as string,
    groupBy: [...(groupBy as string[])],
    measures: (measures as MeasureDefinition[]).map((m) => ({ name: m.name, op: m.op, ...(m.field !== undefined ? { field: m.field } : {}) })),
    derived: (derived as DerivedDefinition[]).map((d) => ({ name: d.name, op: d.op, sum: d.sum, count: d.count })),
    minContributors: minContributors as number,
    output: { topic: outputTopic, partitions: outputPartitions },
    deadLetterTopic: deadLetterTopic as string,
  };
  return { ok: true, definition };
}

function validateFormat(f: unknown, err: (m: string) => void): RecordFormat | null {
  if (f === undefined) return { type: 'json' };
  if (!isObject(f)) {
    err("format: { \"type\": \"json\" } or { \"type\": \"csv\", \"columns\": [...] } required");
    return null;
  }
  if (f.type === 'json') return { type: 'json' };
  if (f.type === 'csv') {
    const cols = f.columns;
    if (!Array.isArray(cols) || cols.length === 0 || !cols.every((c) => typeof c === 'string' && c.length > 0)) {
      err('format.columns: the CSV header spec, a non-empty array of column names, is required');
      return null;
    }
    if (new Set(cols).size !== cols.length) err('format.columns: column names must be distinct');
    const delimiter = f.delimiter ?? ',';
    if (typeof delimiter !== 'string' || delimiter.length !== 1 || delimiter === '"' || delimiter === '\n') {
      err('format.delimiter: one character other than a quote or newline');
      return null;
    }
    return { type: 'csv', columns: cols as string[], delimiter };
  }
  err("format.type: 'json' or 'csv' required");
  return null;
}

function validateCluster(c: unknown, where: string, err: (m: string) => void): void {
  if (!isObject(c)) return err(`${where}: must be an object`);
  const b = c.bootstrap;
  if (!Array.isArray(b) || b.length === 0 || !b.every((x) => typeof x === 'string' && /^[^\s:]+:\d{1,5}$/.test(x))) {
    err(`${where}.bootstrap: a non-empty array of "host:port" required`);
  }
  if (c.clientId !== undefined && typeof c.clientId !== 'string') err(`${where}.clientId: must be a string`);
  if (c.tls !== undefined) {
    if (!isObject(c.tls)) err(`${where}.tls: must be an object`);
    else {
      for (const k of ['ca', 'cert', 'key', 'servername'] as const) {
        if (c.tls[k] !== undefined && typeof c.tls[k] !== 'string') err(`${where}.tls.${k}: must be a string`);
      }
      for (const k of ['enabled', 'rejectUnauthorized'] as const) {
        if (c.tls[k] !== undefined && typeof c.tls[k] !== 'boolean') err(`${where}.tls.${k}: must be a boolean`);
      }
    }
  }
  if (c.sasl !== undefined) {
    const s = c.sasl;
    if (!isObject(s)) return err(`${where}.sasl: must be an object`);
    if (!SASL_MECHANISMS.includes(s.mechanism as (typeof SASL_MECHANISMS)[number])) err(`${where}.sasl.mechanism: one of ${SASL_MECHANISMS.join(', ')}`);
    if (typeof s.username !== 'string') err(`${where}.sasl.username: required`);
    if (typeof s.password !== 'string') err(`${where}.sasl.password: required (a \${env:NAME} or \${file:/path} reference keeps it out of the topic)`);
  }
}

/**
 * Why `next` cannot replace `prev` in place (empty: it can). The state of an aggregation is
 * contributions keyed by group and contributor with measures in definition order, so anything
 * that changes how records become contributions needs a new aggregation. The threshold, derived
 * outputs, description, connection settings, contributor pins and added sources may change.
 */
export function incompatibleChanges(prev: AggregationDefinition, next: AggregationDefinition): string[] {
  const out: string[] = [];
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  if (!same(prev.format, next.format)) out.push('format');
  if (prev.contributorField !== next.contributorField) out.push('contributorField');
  if (!same(prev.groupBy, next.groupBy)) out.push('groupBy');
  if (!same(prev.measures, next.measures)) out.push('measures');
  if (!same(prev.output, next.output)) out.push('output');
  if (prev.deadLetterTopic !== next.deadLetterTopic) out.push('deadLetterTopic');
  for (const s of prev.sources) {
    const n = next.sources.find((x) => x.name === s.name);
    if (!n) out.push(`sources: '${s.name}' removed`);
    else if (n.topic !== s.topic || (n.cluster === undefined) !== (s.cluster === undefined)) out.push(`sources: '${s.name}' topic or locality changed`);
  }
  return out;
}

/** The definition with secrets replaced, for listings and logs. */
export function redactDefinition(def: AggregationDefinition): AggregationDefinition {
  return {
    ...def,
    sources: def.sources.map((s) => {
      if (!s.cluster) return s;
      const c = { ...s.cluster };
      if (c.sasl) c.sasl = { ...c.sasl, password: redact(c.sasl.password) };
      if (c.tls?.key) c.tls = { ...c.tls, key: redact(c.tls.key) };
      return { ...s, cluster: c };
    }),
  };
}

function redact(v: string): string {
  return /^\$\{(env|file):[^}]+\}$/.test(v) ? v : '******';
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
