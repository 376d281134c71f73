// Where aggregation definitions live: the compacted topic __tributary_aggregations (one
// partition, so the order of changes is the order of the log), shaped like Kafka Connect's config
// topic. Anyone who can produce to it manages aggregations: the CLI writes here through the
// Kafka protocol, the broker's config file through appendLocal; the manager tails it. Status goes
// the other way through __tributary_aggregation_status (like Connect's status topic).
//
//   topic                              key                     value
//   __tributary_aggregations           aggregation:<name>      definition JSON; tombstone = delete
//                                      target-state:<name>     {"state": "RUNNING" | "PAUSED"}
//   __tributary_aggregation_status     status:<name>           AggregationStatus JSON; tombstone = gone

export const DEFINITIONS_TOPIC = '__tributary_aggregations';
export const STATUS_TOPIC = '__tributary_aggregation_status';

export type TargetState = 'RUNNING' | 'PAUSED';

export type DefinitionsEntry =
  | { kind: 'definition'; name: string; raw: unknown | null }
  | { kind: 'target'; name: string; state: TargetState }
  | { kind: 'invalid'; reason: string };

export interface KeyValue {
  key: Buffer;
  value: Buffer | null;
}

export function definitionRecord(name: string, raw: unknown | null): KeyValue {
  return { key: Buffer.from(`aggregation:${name}`), value: raw === null ? null : Buffer.from(JSON.stringify(raw)) };
}

export function targetStateRecord(name: string, state: TargetState): KeyValue {
  return { key: Buffer.from(`target-state:${name}`), value: Buffer.from(JSON.stringify({ state })) };
}

export function statusRecord(name: string, status: unknown | null): KeyValue {
  return { key: Buffer.from(`status:${name}`), value: status === null ? null : Buffer.from(JSON.stringify(status)) };
}

export function decodeDefinitionsRecord(key: Buffer | null, value: Buffer | null): DefinitionsEntry {
  if (key === null) return { kind: 'invalid', reason: 'record without a key' };
  const k = key.toString('utf8');
  const colon = k.indexOf(':');
  const kind = colon < 0 ? k : k.slice(0, colon);
  const name = colon < 0 ? '' : k.slice(colon + 1);
  if (name.length === 0) return { kind: 'invalid', reason: `key '${k}' names no aggregation` };
  if (kind === 'aggregation') {
    if (value === null) return { kind: 'definition', name, raw: null };
    try {
      return { kind: 'definition', name, raw: JSON.parse(value.toString('utf8')) };
    } catch (e) {
      return { kind: 'definition', name, raw: { __unparseable: (e as Error).message } };
    }
  }
  if (kind === 'target-state') {
    try {
      const v = value === null ? null : (JSON.parse(value.toString('utf8')) as { state?: string });
      if (v?.state === 'PAUSED' || v?.state === 'RUNNING') return { kind: 'target', name, state: v.state };
    } catch {
      // fall through
    }
    return { kind: 'invalid', reason: `target state for '${name}' must be {"state":"RUNNING"|"PAUSED"}` };
  }
  return { kind: 'invalid', reason: `unknown key '${k}'` };
}
