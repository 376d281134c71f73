// An aggregation's changelog topic: append one step, and replay it into a fresh state.
import type { AggregationDeps } from './stage-deps.js';
import { type Checkpoint, type RawRecord, decodeChangelogRecord, emptyCounters, encodeReset } from './changelog-records.js';
import type { AggregationDefinition } from './definition.js';
import { AggregationState } from './fold.js';
import { decodeGroupKey } from './group-key.js';
import { appendLocal, ensureTopic, readLocal, type AppendOutcome } from './local-log.js';

export const CHANGELOG_SEGMENT_BYTES = 64 * 1024 * 1024;

export function changelogTopic(aggregation: string): string {
  return `__tributary_aggregation_${aggregation}_changelog`;
}

export interface Replayed {
  state: AggregationState;
  checkpoint: Checkpoint;
  records: number;
  skipped: number;
}

export class Changelog {
  constructor(
    private readonly deps: AggregationDeps,
    readonly topic: string,
  ) {}

  ensure(): Promise<unknown> {
    return ensureTopic(this.deps, this.topic, 1, { 'cleanup.policy': 'compact', 'segment.bytes': String(CHANGELOG_SEGMENT_BYTES) });
  }

  /** The step's records as ONE batch: the commit point of the step. */
  append(records: RawRecord[], now: number): Promise<AppendOutcome> {
    return appendLocal(this.deps.runtime.access, this.topic, 0, records, now);
  }

  /** Cluster mode, the aggregation was deleted: replay from here on starts empty (the topic itself stays). */
  reset(now = Date.now()): Promise<AppendOutcome> {
    return appendLocal(this.deps.runtime.access, this.topic, 0, [encodeReset(now)], now);
  }

  async replay(def: AggregationDefinition): Promise<Replayed> {
    let state = new AggregationState(def);
    let checkpoint: Checkpoint = { positions: {}, counters: emptyCounters(), dlqEnd: 0 };
    let records = 0;
    let skipped = 0;
    const n = def.groupBy.length;
    await readLocal(this.deps.runtime.access, this.topic, 0, 0, (r) => {
      if (r.key === null) return;
      records++;
      try {
        const e = decodeChangelogRecord(r.key, r.value);
        if (e.type === 'reset') {
          state = new AggregationState(def);
          checkpoint = { positions: {}, counters: emptyCounters(), dlqEnd: 0 };
          records = 0;
        } else if (e.type === 'checkpoint') checkpoint = e.checkpoint;
        else if (e.type === 'contribution') state.restoreContribution(e.group, decodeGroupKey(e.group, n), e.contributor, e.entry);
        else state.restoreGroup(e.group, decodeGroupKey(e.group, n), { version: e.version, published: e.published, updatedAt: e.updatedAt });
      } catch {
        skipped++;
      }
    });
    state.compact();
    return { state, checkpoint, records, skipped };
  }
}
