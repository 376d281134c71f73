// The pure core of an aggregation: contributions keyed group -> contributor -> measures, and the
// group results derived from them. No I/O; the processor feeds it records and persists what it
// reports as changed.
//
//   upsert(owner, contribution)   the contributor's latest contribution to the group replaces its
//                                 earlier one (a correction never double counts)
//   withdraw(owner)               a tombstone for a record key withdraws the contribution that key
//                                 made, unless a later record already replaced it
//   publish(dirty, now)           recomputes each touched group; a group whose content changed gets
//                                 the next version and one emission (a value, or a tombstone when
//                                 it fell below the privacy threshold)
//
// Owners: a contribution remembers the (source, record key) that made it, so that the key's
// tombstone can find it, and so that a key whose value moves to another group withdraws its
// contribution from the old group (compacted-topic semantics: the key is the identity).
import type { AggregationDefinition } from './definition.js';
import { encodeGroupKey } from './group-key.js';
import type { Contribution } from './record-format.js';

export interface ContributorEntry {
  measures: number[];
  /** The source record key that made this contribution ("source\0base64(key)"), or null. */
  owner: string | null;
}

export interface GroupState {
  key: string;
  values: string[];
  contributors: Map<string, ContributorEntry>;
  /** Contributor ids in sorted order (combination order, so sums are reproducible); null = stale. */
  sorted: string[] | null;
  /** Version of the last emission; 0 = never emitted. */
  version: number;
  /** The content JSON last emitted; null = nothing published (never, or withdrawn). */
  published: string | null;
  updatedAt: number;
}

export interface GroupContent {
  group: Record<string, string>;
  contributors: number;
  measures: Record<string, number>;
  derived: Record<string, number | null>;
}

/** What one step changed: contributions to persist and groups to recompute. */
export class DirtySet {
  /** key: groupKey + '\0' + contributor. */
  readonly contributions = new Map<string, { group: string; contributor: string }>();
  readonly groups = new Set<string>();

  mark(group: string, contributor: string): void {
    this.contributions.set(`${group}\u0000${contributor}`, { group, contributor });
    this.groups.add(group);
  }

  get empty(): boolean {
    return this.contributions.size === 0 && this.groups.size === 0;
  }
}

export interface Emission {
  group: string;
  version: number;
  /** The output record value (content + version + updatedAt), or null for a tombstone. */
  value: string | null;
  updatedAt: number;
}

export class AggregationState {
  readonly groups = new Map<string, GroupState>();
  private readonly owners = new Map<string, { group: string; contributor: string }>();

  constructor(private def: AggregationDefinition) {}

  /** A compatible definition change (threshold, derived outputs); call reconcile() after. */
  setDefinition(def: AggregationDefinition): void {
    this.def = def;
  }

  upsert(owner: string | null, c: Contribution, dirty: DirtySet): void {
    const groupKey = encodeGroupKey(c.groupValues);
    if (owner !== null) {
      const prev = this.owners.get(owner);
      if (prev && (prev.group !== groupKey || prev.contributor !== c.contributor)) this.release(owner, prev, dirty);
      this.owners.set(owner, { group: groupKey, contributor: c.contributor });
    }
    const g = this.groupFor(groupKey, c.groupValues);
    const existing = g.contributors.get(c.contributor);
    if (existing) {
      if (existing.owner !== null && existing.owner !== owner) {
        // Another key takes over this contribution: its tombstone must no longer withdraw it.
        const o = this.owners.get(existing.owner);
        if (o && o.group === groupKey && o.contributor === c.contributor) this.owners.delete(existing.owner);
      }
      if (existing.owner === owner && sameNumbers(existing.measures, c.measures)) return;
      existing.measures = c.measures;
      existing.owner = owner;
    } else {
      g.contributors.set(c.contributor, { measures: c.measures, owner });
      g.sorted = null;
    }
    dirty.mark(groupKey, c.contributor);
  }

  /** Returns false when the key owns no contribution (an unknown or superseded tombstone). */
  withdraw(owner: string, dirty: DirtySet): boolean {
    const prev = this.owners.get(owner);
    if (!prev) return false;
    this.release(owner, prev, dirty);
    return true;
  }

  private release(owner: string, at: { group: string; contributor: string }, dirty: DirtySet): void {
    this.owners.delete(owner);
    const g = this.groups.get(at.group);
    const e = g?.contributors.get(at.contributor);
    if (!g || !e || e.owner !== owner) return;
    g.contributors.delete(at.contributor);
    g.sorted = null;
    dirty.mark(at.group, at.contributor);
  }

  private groupFor(key: string, values: string[]): GroupState {
    let g = this.groups.get(key);
    if (!g) {
      g = { key, values, contributors: new Map(), sorted: null, version: 0, published: null, updatedAt: 0 };
      this.groups.set(key, g);
    }
    return g;
  }

  // ---- replay (recovery from the changelog) ---------------------------------------------------

  restoreContribution(groupKey: string, values: string[], contributor: string, entry: ContributorEntry | null): void {
    const g = this.groupFor(groupKey, values);
    const prev = g.contributors.get(contributor);
    if (prev?.owner) this.owners.delete(prev.owner);
    if (entry === null) g.contributors.delete(contributor);
    else {
      g.contributors.set(contributor, entry);
      if (entry.owner !== null) this.owners.set(entry.owner, { group: groupKey, contributor });
    }
    g.sorted = null;
  }

  restoreGroup(groupKey: string, values: string[], v: { version: number; published: string | null; updatedAt: number } | null): void {
    const g = this.groupFor(groupKey, values);
    g.version = v?.version ?? 0;
    g.published = v?.published ?? null;
    g.updatedAt = v?.updatedAt ?? 0;
  }

  /** After replay: forget groups that hold nothing and never published. */
  compact(): void {
    for (const [k, g] of this.groups) if (g.contributors.size === 0 && g.version === 0) this.groups.delete(k);
  }

  // ---- results ---------------------------------------------------------------------------------

  /** The group's result, or null while it has fewer than minContributors contributors. */
  content(g: GroupState): GroupContent | null {
    const n = g.contributors.size;
    if (n === 0 || n < this.def.minContributors) return null;
    const ids = (g.sorted ??= [...g.contributors.keys()].sort());
    const measures: Record<string, number> = {};
    this.def.measures.forEach((m, i) => {
      let acc = m.op === 'min' ? Infinity : m.op === 'max' ? -Infinity : 0;
      for (const id of ids) {
        const v = g.contributors.get(id)!.measures[i]!;
        if (m.op === 'min') acc = v < acc ? v : acc;
        else if (m.op === 'max') acc = v > acc ? v : acc;
        else acc += v;
      }
      measures[m.name] = acc;
    });
    const derived: Record<string, number | null> = {};
    for (const d of this.def.derived) {
      const count = measures[d.count]!;
      derived[d.name] = count === 0 ? null : measures[d.sum]! / count;
    }
    const group: Record<string, string> = {};
    this.def.groupBy.forEach((f, i) => (group[f] = g.values[i]!));
    return { group, contributors: n, measures, derived };
  }

  /** Recomputes `groups`; returns one emission per group whose published content changed. */
  publish(groups: Iterable<string>, now: number): Emission[] {
    const out: Emission[] = [];
    for (const key of groups) {
      const g = this.groups.get(key);
      if (!g) continue;
      const c = this.content(g);
      const json = c === null ? null : JSON.stringify(c);
      if (json !== g.published) {
        g.version++;
        g.published = json;
        g.updatedAt = now;
        out.push({ group: key, version: g.version, value: outputValue(json, g.version, now), updatedAt: now });
      }
      if (g.contributors.size === 0 && g.version === 0) this.groups.delete(key);
    }
    return out;
  }

  /** Every group, for a definition change (threshold, derived outputs). */
  allGroupKeys(): string[] {
    return [...this.groups.keys()];
  }

  /** The emission a group's current published state corresponds to (re-emitted on recovery). */
  currentEmission(g: GroupState): Emission {
    return { group: g.key, version: g.version, value: outputValue(g.published, g.version, g.updatedAt), updatedAt: g.updatedAt };
  }

  counts(): { groups: number; published: number; suppressed: number; contributions: number } {
    let published = 0;
    let suppressed = 0;
    let contributions = 0;
    for (const g of this.groups.values()) {
      contributions += g.contributors.size;
      if (g.published !== null) published++;
      else if (g.contributors.size > 0) suppressed++;
    }
    return { groups: this.groups.size, published, suppressed, contributions };
  }
}

/** The output value: the content plus version and update time, keys in a fixed order. */
export function outputValue(contentJson: string | null, version: number, updatedAt: number): string | null {
  if (contentJson === null) return null;
  return `${contentJson.slice(0, -1)},"version":${version},"updatedAt":"${new Date(updatedAt).toISOString()}"}`;
}

function sameNumbers(a: number[], b: number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}
