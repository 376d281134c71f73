// The output topic: compacted, keyed by the group key, one record per published version of a
// group. The value is the result JSON (content + version + updatedAt), a tombstone when a
// published group falls below the privacy threshold; the header tributary.version carries the
// version on both, so recovery can read back which version each group last reached.
//
// Records are partitioned like Kafka's default partitioner (murmur2 of the key), so a client
// looking a group up by key finds it where a Java producer would have put it.
import type { AggregationDeps } from './stage-deps.js';
import type { AggregationDefinition } from './definition.js';
import type { Emission } from './fold.js';
import { appendLocal, ensureTopic, headerValue, readLocal, type AppendOutcome } from './local-log.js';

export const VERSION_HEADER = 'tributary.version';
export const AGGREGATION_HEADER = 'tributary.aggregation';

export class OutputWriter {
  private partitions = 1;

  constructor(
    private readonly deps: AggregationDeps,
    private readonly def: AggregationDefinition,
  ) {}

  get topic(): string {
    return this.def.output.topic;
  }

  async ensure(): Promise<void> {
    const t = await ensureTopic(this.deps, this.topic, this.def.output.partitions ?? 1, { 'cleanup.policy': 'compact' });
    this.partitions = t.partitions;
  }

  partitionFor(key: string): number {
    return this.partitions === 1 ? 0 : (murmur2(Buffer.from(key, 'utf8')) & 0x7fffffff) % this.partitions;
  }

  /**
   * The last version written per group key and whether it is a value (live) or a tombstone.
   * Records without the version header (not written by the stage) are ignored.
   */
  async readVersions(): Promise<Map<string, { version: number; live: boolean }>> {
    const out = new Map<string, { version: number; live: boolean }>();
    for (let p = 0; p < this.partitions; p++) {
      await readLocal(this.deps.runtime.access, this.topic, p, 0, (r) => {
        const v = headerValue(r, VERSION_HEADER);
        if (r.key === null || v === null) return;
        const n = Number(v);
        if (Number.isSafeInteger(n)) out.set(r.key.toString('utf8'), { version: n, live: r.value !== null });
      });
    }
    return out;
  }

  /** One batch per partition; each is atomic on its own (recovery re-emits what is missing). */
  async write(emissions: Emission[]): Promise<AppendOutcome | null> {
    if (emissions.length === 0) return null;
    const byPartition = new Map<number, Emission[]>();
    for (const e of emissions) {
      const p = this.partitionFor(e.group);
      let list = byPartition.get(p);
      if (!list) byPartition.set(p, (list = []));
      list.push(e);
    }
    const aggregation = Buffer.from(this.def.name);
    let last: AppendOutcome | null = null;
    for (const [p, list] of byPartition) {
      last = await appendLocal(
        this.deps.runtime.access,
        this.topic,
        p,
        list.map((e) => ({
          key: Buffer.from(e.group, 'utf8'),
          value: e.value === null ? null : Buffer.from(e.value, 'utf8'),
          timestamp: e.updatedAt,
          headers: [
            { key: VERSION_HEADER, value: Buffer.from(String(e.version)) },
            { key: AGGREGATION_HEADER, value: aggregation },
          ],
        })),
      );
      if (!last.ok) return last;
    }
    return last;
  }
}

/** Kafka's Utils.murmur2 (seed 0x9747b28c), as the Java default partitioner uses it. */
export function murmur2(data: Buffer): number {
  const length = data.length;
  const seed = 0x9747b28c;
  const m = 0x5bd1e995;
  const r = 24;
  let h = (seed ^ length) | 0;
  const length4 = length >> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = (data[i4]! & 0xff) + ((data[i4 + 1]! & 0xff) << 8) + ((data[i4 + 2]! & 0xff) << 16) + ((data[i4 + 3]! & 0xff) << 24);
    k = Math.imul(k, m);
    k ^= k >>> r;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const rest = length & 3;
  const base = length & ~3;
  if (rest === 3) h ^= (data[base + 2]! & 0xff) << 16;
  if (rest >= 2) h ^= (data[base + 1]! & 0xff) << 8;
  if (rest >= 1) {
    h ^= data[base]! & 0xff;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}
