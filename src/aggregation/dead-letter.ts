// The dead-letter topic: rejected input records, key and value as they arrived, the reason and
// origin in headers. A step writes its dead letters BEFORE its changelog batch and records the
// dead-letter end offset in that batch; on recovery, dead letters past the committed end came
// from a step that did not commit, and their input will be processed again, so they are noted
// and not written a second time.
//
//   header                        value
//   tributary.dlq.reason          human-readable reason ("missing field 'count'")
//   tributary.dlq.reason.code     unparseable | missing-field | wrong-type | negative-count | ...
//   tributary.dlq.aggregation     the aggregation name
//   tributary.dlq.source          the source name in the definition
//   tributary.dlq.topic           the input topic
//   tributary.dlq.partition       the input partition
//   tributary.dlq.offset          the input offset
//   tributary.dlq.timestamp       the input record timestamp (ms)
import type { AggregationDeps } from './stage-deps.js';
import type { AggregationDefinition } from './definition.js';
import { appendLocal, ensureTopic, headerValue, readLocal, type AppendOutcome } from './local-log.js';

export interface DeadLetter {
  source: string;
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  code: string;
  reason: string;
}

export function deadLetterId(source: string, partition: number, offset: number): string {
  return `${source}\u0000${partition}\u0000${offset}`;
}

export class DeadLetterWriter {
  constructor(
    private readonly deps: AggregationDeps,
    private readonly def: AggregationDefinition,
  ) {}

  get topic(): string {
    return this.def.deadLetterTopic;
  }

  async ensure(): Promise<void> {
    await ensureTopic(this.deps, this.topic, 1, {});
  }

  /** The topic's end as last seen: after `uncommitted` (recovery), then after each write. */
  private end = 0;

  endOffset(): number {
    return Math.max(this.end, this.deps.runtime.access.offsets({ topic: this.topic, partition: 0 })?.logEndOffset ?? 0);
  }

  /** Ids of the dead letters at or after `committedEnd` (written by a step that did not commit). */
  async uncommitted(committedEnd: number): Promise<Set<string>> {
    const out = new Set<string>();
    // Reads up to the high watermark (cluster mode: the leader's, wherever the partition is led).
    const next = await readLocal(this.deps.runtime.access, this.topic, 0, committedEnd, (r) => {
      if (headerValue(r, 'tributary.dlq.aggregation') !== this.def.name) return;
      const source = headerValue(r, 'tributary.dlq.source');
      const partition = Number(headerValue(r, 'tributary.dlq.partition'));
      const offset = Number(headerValue(r, 'tributary.dlq.offset'));
      if (source !== null) out.add(deadLetterId(source, partition, offset));
    });
    this.end = Math.max(committedEnd, next, this.deps.runtime.access.offsets({ topic: this.topic, partition: 0 })?.highWatermark ?? 0);
    return out;
  }

  async write(letters: DeadLetter[]): Promise<AppendOutcome> {
    const h = (key: string, v: string) => ({ key, value: Buffer.from(v, 'utf8') });
    const res = await appendLocal(
      this.deps.runtime.access,
      this.topic,
      0,
      letters.map((l) => ({
        key: l.key,
        value: l.value,
        headers: [
          h('tributary.dlq.reason', l.reason),
          h('tributary.dlq.reason.code', l.code),
          h('tributary.dlq.aggregation', this.def.name),
          h('tributary.dlq.source', l.source),
          h('tributary.dlq.topic', l.topic),
          h('tributary.dlq.partition', String(l.partition)),
          h('tributary.dlq.offset', String(l.offset)),
          h('tributary.dlq.timestamp', String(l.timestamp)),
        ],
      })),
    );
    if (res.ok) this.end = Math.max(this.end, res.lastOffset + 1);
    return res;
  }
}
