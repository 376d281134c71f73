// Partition sets of KIP-848 consumer groups, keyed by topic id (the protocol speaks topic ids:
// heartbeats carry owned partitions as {topicId, partitions}). A topic never maps to an empty set:
// helpers drop topics whose set becomes empty so that equality is structural.

/** topic id → partition indexes. */
export type Assignment = Map<string, Set<number>>;

export interface TopicPartitionsList {
  topicId: string;
  partitions: number[];
}

export const EMPTY_ASSIGNMENT: Assignment = new Map();

export function fromList(list: readonly TopicPartitionsList[] | null | undefined): Assignment {
  const out: Assignment = new Map();
  for (const tp of list ?? []) {
    if (tp.partitions.length === 0) continue;
    let s = out.get(tp.topicId);
    if (!s) out.set(tp.topicId, (s = new Set()));
    for (const p of tp.partitions) s.add(p);
  }
  return out;
}

/** Sorted by topic id and partition, so responses and records are deterministic. */
export function toList(a: Assignment): TopicPartitionsList[] {
  return [...a.keys()].sort().map((topicId) => ({ topicId, partitions: [...a.get(topicId)!].sort((x, y) => x - y) }));
}

export function clone(a: Assignment): Assignment {
  return new Map([...a].map(([t, s]) => [t, new Set(s)]));
}

export function size(a: Assignment): number {
  let n = 0;
  for (const s of a.values()) n += s.size;
  return n;
}

export function has(a: Assignment, topicId: string, partition: number): boolean {
  return a.get(topicId)?.has(partition) ?? false;
}

export function add(a: Assignment, topicId: string, partition: number): void {
  let s = a.get(topicId);
  if (!s) a.set(topicId, (s = new Set()));
  s.add(partition);
}

export function equals(a: Assignment, b: Assignment): boolean {
  if (a.size !== b.size) return false;
  for (const [t, s] of a) {
    const o = b.get(t);
    if (!o || o.size !== s.size) return false;
    for (const p of s) if (!o.has(p)) return false;
  }
  return true;
}

/** Every partition of `owned` is in `target` (Kafka's isSubset; a null list is not a subset). */
export function isSubset(owned: readonly TopicPartitionsList[] | null, target: Assignment): boolean {
  if (owned === null) return false;
  for (const tp of owned) {
    if (tp.partitions.length === 0) continue;
    const s = target.get(tp.topicId);
    if (!s) return false;
    for (const p of tp.partitions) if (!s.has(p)) return false;
  }
  return true;
}

/** Some partition of `owned` is in `a`. A null `owned` (not reported) counts as owning everything. */
export function intersects(owned: readonly TopicPartitionsList[] | null, a: Assignment): boolean {
  if (owned === null) return true;
  for (const tp of owned) {
    const s = a.get(tp.topicId);
    if (!s) continue;
    for (const p of tp.partitions) if (s.has(p)) return true;
  }
  return false;
}

export function describe(a: Assignment, nameOf: (topicId: string) => string | undefined): string {
  return toList(a)
    .map((tp) => `${nameOf(tp.topicId) ?? tp.topicId}-[${tp.partitions.join(',')}]`)
    .join(' ');
}
