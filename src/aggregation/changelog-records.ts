// Records of an aggregation's changelog topic (__tributary_aggregation_<name>_changelog, one
// partition, compacted). Each processing step appends ONE batch holding every record the step
// changed; a batch is written whole or not at all (a torn tail fails its CRC and is truncated on
// log recovery), so the state, the group versions and the input positions in it move together.
//
//   key (JSON)                     value (JSON)                                      tombstone
//   ["c", groupKey, contributor]   {"m": [measure, ...], "o": owner | null}          withdrawn
//   ["g", groupKey]                {"v": version, "t": updatedAtMs, "p": content|null}  -
//   ["p"]                          {"positions": {source: {partition: next offset}},    -
//                                   "counters": {...}, "dlqEnd": offset}
//   ["r"]                          {"t": timeMs}: the aggregation was deleted;        -
//                                   replay forgets everything before it (cluster mode,
//                                   where the changelog is not deleted: see manager.ts)
//
// Replay applies records in order; the latest record per key wins, which is also all compaction
// keeps, so a compacted changelog replays to the same state.
import type { ContributorEntry } from './fold.js';

export interface Counters {
  recordsIn: number;
  recordsRejected: number;
  recordsOut: number;
  steps: number;
}

export interface Checkpoint {
  /** source name -> partition -> next offset to read. */
  positions: Record<string, Record<string, number>>;
  counters: Counters;
  /** The dead-letter topic's end offset after the step's dead letters (dedupe on recovery). */
  dlqEnd: number;
}

export type ChangelogEntry =
  | { type: 'contribution'; group: string; contributor: string; entry: ContributorEntry | null }
  | { type: 'group'; group: string; version: number; updatedAt: number; published: string | null }
  | { type: 'checkpoint'; checkpoint: Checkpoint }
  | { type: 'reset' };

export interface RawRecord {
  key: Buffer;
  value: Buffer | null;
}

export function emptyCounters(): Counters {
  return { recordsIn: 0, recordsRejected: 0, recordsOut: 0, steps: 0 };
}

export function encodeContribution(group: string, contributor: string, entry: ContributorEntry | null): RawRecord {
  return {
    key: Buffer.from(JSON.stringify(['c', group, contributor])),
    value: entry === null ? null : Buffer.from(JSON.stringify({ m: entry.measures, o: entry.owner })),
  };
}

export function encodeGroup(group: string, version: number, updatedAt: number, published: string | null): RawRecord {
  return { key: Buffer.from(JSON.stringify(['g', group])), value: Buffer.from(JSON.stringify({ v: version, t: updatedAt, p: published })) };
}

export function encodeCheckpoint(c: Checkpoint): RawRecord {
  return { key: Buffer.from('["p"]'), value: Buffer.from(JSON.stringify(c)) };
}

export function encodeReset(now: number): RawRecord {
  return { key: Buffer.from('["r"]'), value: Buffer.from(JSON.stringify({ t: now })) };
}

/** Throws on a record this version does not understand (the caller counts and skips it). */
export function decodeChangelogRecord(key: Buffer, value: Buffer | null): ChangelogEntry {
  const k = JSON.parse(key.toString('utf8')) as unknown[];
  if (!Array.isArray(k)) throw new Error('changelog key is not an array');
  switch (k[0]) {
    case 'c': {
      const [, group, contributor] = k as [string, string, string];
      if (typeof group !== 'string' || typeof contributor !== 'string') throw new Error('bad contribution key');
      if (value === null) return { type: 'contribution', group, contributor, entry: null };
      const v = JSON.parse(value.toString('utf8')) as { m: number[]; o: string | null };
      if (!Array.isArray(v.m)) throw new Error('bad contribution value');
      return { type: 'contribution', group, contributor, entry: { measures: v.m, owner: v.o ?? null } };
    }
    case 'g': {
      const group = k[1];
      if (typeof group !== 'string' || value === null) throw new Error('bad group record');
      const v = JSON.parse(value.toString('utf8')) as { v: number; t: number; p: string | null };
      return { type: 'group', group, version: v.v, updatedAt: v.t, published: v.p ?? null };
    }
    case 'p': {
      if (value === null) throw new Error('checkpoint tombstone');
      const c = JSON.parse(value.toString('utf8')) as Checkpoint;
      return { type: 'checkpoint', checkpoint: { positions: c.positions ?? {}, counters: { ...emptyCounters(), ...c.counters }, dlqEnd: c.dlqEnd ?? 0 } };
    }
    case 'r':
      return { type: 'reset' };
    default:
      throw new Error(`unknown changelog record type ${String(k[0])}`);
  }
}
