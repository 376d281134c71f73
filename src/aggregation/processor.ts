// One running aggregation. Its loop, and why it is exactly-once without transactions:
//
//   recover:  replay the changelog -> state + input positions + counters + dead-letter end
//             read the output topic back -> re-emit every group whose committed version is
//             missing there (a crash hit between the changelog and the output write)
//             recompute every group (a changed threshold or derived output) as one step
//   loop:     take buffered input chunks (read_committed) from every source
//             fold them -> dirty contributions, groups whose content changed get version+1
//             1. append the step's dead letters (dedupe: see dead-letter.ts)
//             2. append ONE changelog batch: contributions, group versions, positions, counters
//                  <- the commit point: a batch is atomic, so state and positions move together
//             3. append the output records (one per changed group, version in a header)
//   failure:  any error throws away the in-memory state and starts again at recover
//
// A crash before 2 re-reads the step's input from the committed positions (nothing counted
// twice; the fold of a replayed record is the same replacement). A crash after 2 loses only
// output records, which recover re-emits from the state with the same version and value, and
// only when the output topic lacks that version: the output history holds each (group, version)
// once. The embedded stage can do this because it appends to its own cluster's logs, one whole
// batch per append (in cluster mode to each partition's leader, cluster-routing.ts); steps 1-3
// could become one transaction instead (see README).
import type { AggregationDeps } from './stage-deps.js';
import type { Logger } from '../logging/logger.js';
import { Changelog, changelogTopic } from './changelog.js';
import { type Checkpoint, type Counters, type RawRecord, encodeCheckpoint, encodeContribution, encodeGroup, emptyCounters } from './changelog-records.js';
import { DeadLetterWriter, deadLetterId, type DeadLetter } from './dead-letter.js';
import type { AggregationDefinition, SourceDefinition } from './definition.js';
import { AggregationState, DirtySet, type Emission } from './fold.js';
import { decodeGroupKey } from './group-key.js';
import { OutputWriter } from './output-writer.js';
import { extractContribution } from './record-format.js';
import { LocalSourceReader } from './sources/local-source.js';
import { RemoteSourceReader } from './sources/remote-source.js';
import type { BufferedSourceReader, ReaderOptions, SourceChunk } from './sources/source-reader.js';
import type { ProcessorStatus } from './status.js';

export interface ProcessorOptions {
  maxRecordsPerStep: number;
  maxBufferedRecords: number;
  retryBackoffMs: number;
  retryBackoffMaxMs: number;
  logger: Logger;
  now?: () => number;
  /** Test hook: called between the commit points of a step ('dead-letters', 'changelog', 'output'). */
  onStepPhase?: (phase: 'dead-letters' | 'changelog' | 'output') => void | Promise<void>;
  /**
   * Cluster mode: whether this broker still runs the stage (leads __tributary_aggregations-0).
   * Checked right before the commit point, so a broker that lost the leadership does not commit a
   * step the new leader will do again (its uncommitted dead letters are deduplicated as after a crash).
   */
  stillOwner?: () => boolean;
}

/** Stands for an output value of an earlier incarnation; never equal to computed content. */
const STALE_RESULT = '"stale"';

export type ProcessorState = 'starting' | 'recovering' | 'running' | 'paused' | 'failed' | 'stopped';

export class AggregationProcessor {
  private def: AggregationDefinition;
  private state: ProcessorState = 'starting';
  private paused = false;
  private stopped = false;
  private loop: Promise<void> | null = null;
  private readers: BufferedSourceReader[] = [];
  private fold: AggregationState | null = null;
  private checkpoint: Checkpoint = { positions: {}, counters: emptyCounters(), dlqEnd: 0 };
  private pendingDeadLetters = new Set<string>();
  private lastError: string | null = null;
  private lastErrorAt: number | null = null;
  private lastStepAt: number | null = null;
  private wake: (() => void) | null = null;
  private woken = false;
  private restartRequested = false;
  private readonly changelog: Changelog;
  private output: OutputWriter;
  private deadLetters: DeadLetterWriter;
  private readonly now: () => number;

  constructor(
    private readonly deps: AggregationDeps,
    def: AggregationDefinition,
    private readonly opts: ProcessorOptions,
  ) {
    this.def = def;
    this.changelog = new Changelog(deps, changelogTopic(def.name));
    this.output = new OutputWriter(deps, def);
    this.deadLetters = new DeadLetterWriter(deps, def);
    this.now = opts.now ?? Date.now;
  }

  get name(): string {
    return this.def.name;
  }

  start(paused = false): void {
    this.paused = paused;
    this.loop ??= this.supervise();
  }

  pause(): void {
    this.paused = true;
    this.signal();
  }

  resume(): void {
    this.paused = false;
    this.signal();
  }

  /** A compatible definition change: recover again under the new definition. */
  updateDefinition(def: AggregationDefinition): void {
    this.def = def;
    this.output = new OutputWriter(this.deps, def);
    this.deadLetters = new DeadLetterWriter(this.deps, def);
    this.restartRequested = true;
    this.signal();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.signal();
    await this.loop;
    this.state = 'stopped';
  }

  private signal(): void {
    this.woken = true;
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private waitForSignal(timeoutMs: number): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null;
        resolve();
      }, timeoutMs);
      this.wake = () => {
        clearTimeout(timer);
        this.woken = false;
        resolve();
      };
    });
  }

  private async supervise(): Promise<void> {
    let backoff = this.opts.retryBackoffMs;
    while (!this.stopped) {
      try {
        this.restartRequested = false;
        await this.recover();
        backoff = this.opts.retryBackoffMs;
        await this.run();
      } catch (e) {
        if (this.stopped) break;
        this.state = 'failed';
        this.noteError(`${(e as Error).message}`);
        this.opts.logger.warn('aggregation failed; recovering from its changelog', { aggregation: this.def.name, err: String(e) });
        await this.closeReaders();
        if (!this.stopped) await this.waitForSignal(backoff);
        this.woken = false;
        backoff = Math.min(backoff * 2, this.opts.retryBackoffMaxMs);
      }
    }
    await this.closeReaders();
  }

  private noteError(message: string): void {
    this.lastError = message;
    this.lastErrorAt = this.now();
  }

  private async recover(): Promise<void> {
    this.state = 'recovering';
    await this.closeReaders();
    await this.changelog.ensure();
    await this.output.ensure();
    await this.deadLetters.ensure();
    const replayed = await this.changelog.replay(this.def);
    if (replayed.skipped > 0) this.opts.logger.warn('skipped undecodable changelog records', { aggregation: this.def.name, count: replayed.skipped });
    this.fold = replayed.state;
    this.checkpoint = replayed.checkpoint;
    this.pendingDeadLetters = await this.deadLetters.uncommitted(this.checkpoint.dlqEnd);

    const written = await this.output.readVersions();
    if (replayed.records === 0) this.adoptOutput(written);
    // Output records lost between a committed changelog batch and its output write.
    const missing: Emission[] = [];
    for (const g of this.fold.groups.values()) {
      if (g.version === 0) continue;
      const last = written.get(g.key)?.version;
      if (last === undefined ? g.published !== null : last < g.version) missing.push(this.fold.currentEmission(g));
    }
    if (missing.length > 0) {
      this.checkOwner();
      const res = await this.output.write(missing);
      if (res && !res.ok) throw new Error(`re-emitting output: ${res.error}`);
      this.opts.logger.info('re-emitted output records after recovery', { aggregation: this.def.name, count: missing.length });
    }

    // A changed threshold or derived output changes results without any input: one step.
    const dirty = new DirtySet();
    for (const k of this.fold.allGroupKeys()) dirty.groups.add(k);
    await this.commit(dirty, this.fold.publish(dirty.groups, this.now()), [], structuredClone(this.checkpoint));

    this.startReaders();
    this.state = this.paused ? 'paused' : 'running';
    this.opts.logger.info('aggregation recovered', { aggregation: this.def.name, changelogRecords: replayed.records, groups: this.fold.groups.size });
  }

  /**
   * A fresh changelog over an output topic that already has results (the aggregation was deleted
   * and created again): continue each group's version from the output so versions never repeat,
   * and let the first step withdraw the old results (the new state has no contributions yet).
   */
  private adoptOutput(written: Map<string, { version: number; live: boolean }>): void {
    for (const [key, w] of written) {
      let values: string[];
      try {
        values = decodeGroupKey(key, this.def.groupBy.length);
      } catch {
        continue; // not a key this aggregation could have written
      }
      this.fold!.restoreGroup(key, values, { version: w.version, published: w.live ? STALE_RESULT : null, updatedAt: 0 });
    }
  }

  private startReaders(): void {
    const ro: ReaderOptions = {
      maxBufferedRecords: this.opts.maxBufferedRecords,
      retryBackoffMs: this.opts.retryBackoffMs,
      retryBackoffMaxMs: this.opts.retryBackoffMaxMs,
      onData: () => this.signal(),
    };
    this.readers = this.def.sources.map((s) => {
      const r = s.cluster
        ? new RemoteSourceReader(s.name, s.cluster, s.topic, `tributary-aggregation-${this.def.name}`, ro)
        : new LocalSourceReader(s.name, this.deps, s.topic, ro);
      r.start(this.checkpoint.positions[s.name] ?? {});
      return r;
    });
  }

  private async closeReaders(): Promise<void> {
    const rs = this.readers;
    this.readers = [];
    await Promise.all(rs.map((r) => r.close()));
  }

  private async run(): Promise<void> {
    while (!this.stopped && !this.restartRequested) {
      if (this.paused) {
        this.state = 'paused';
        await this.waitForSignal(60_000);
        continue;
      }
      this.state = 'running';
      const chunks = this.takeChunks();
      if (chunks.length === 0) {
        await this.waitForSignal(1_000);
        continue;
      }
      await this.step(chunks);
    }
  }

  private takeChunks(): SourceChunk[] {
    const out: SourceChunk[] = [];
    let budget = this.opts.maxRecordsPerStep;
    // Round robin, a share per source, so one busy source cannot starve the others.
    const share = Math.max(1, Math.floor(budget / Math.max(1, this.readers.length)));
    for (const r of this.readers) {
      if (budget <= 0) break;
      const got = r.take(Math.min(share, budget));
      for (const c of got) budget -= c.records.length;
      out.push(...got);
    }
    return out;
  }

  private async step(chunks: SourceChunk[]): Promise<void> {
    const fold = this.fold!;
    const dirty = new DirtySet();
    const letters: DeadLetter[] = [];
    const next: Checkpoint = structuredClone(this.checkpoint);
    const sources = new Map(this.def.sources.map((s) => [s.name, s]));
    for (const chunk of chunks) {
      const src = sources.get(chunk.source)!;
      for (const rec of chunk.records) {
        next.counters.recordsIn++;
        const owner = rec.key === null ? null : `${src.name}\u0000${rec.key.toString('base64')}`;
        const reject = (code: string, reason: string) => letters.push(deadLetter(src, chunk.partition, rec, code, reason));
        if (rec.value === null) {
          if (owner === null) reject('tombstone-without-key', 'a tombstone without a key withdraws nothing');
          else fold.withdraw(owner, dirty);
          continue;
        }
        const ex = extractContribution(this.def, src, rec.value);
        if (!ex.ok) reject(ex.code, ex.reason);
        else fold.upsert(owner, ex.contribution, dirty);
      }
      (next.positions[chunk.source] ??= {})[String(chunk.partition)] = chunk.nextOffset;
    }
    next.counters.recordsRejected += letters.length;
    const emissions = fold.publish(dirty.groups, this.now());
    await this.commit(dirty, emissions, letters, next);
  }

  /** Dead letters, then the changelog batch (the commit point), then the output. */
  private async commit(dirty: DirtySet, emissions: Emission[], letters: DeadLetter[], next: Checkpoint): Promise<void> {
    const fold = this.fold!;
    if (dirty.contributions.size === 0 && emissions.length === 0 && letters.length === 0 && samePositions(next, this.checkpoint)) return;
    const fresh = letters.filter((l) => !this.pendingDeadLetters.has(deadLetterId(l.source, l.partition, l.offset)));
    if (fresh.length > 0) {
      const res = await this.deadLetters.write(fresh);
      if (!res.ok) throw new Error(`writing dead letters: ${res.error}`);
    }
    await this.opts.onStepPhase?.('dead-letters');
    next.dlqEnd = this.deadLetters.endOffset();
    next.counters.recordsOut += emissions.length;
    next.counters.steps++;

    const records: RawRecord[] = [];
    for (const { group, contributor } of dirty.contributions.values()) {
      records.push(encodeContribution(group, contributor, fold.groups.get(group)?.contributors.get(contributor) ?? null));
    }
    for (const e of emissions) {
      const g = fold.groups.get(e.group)!;
      records.push(encodeGroup(e.group, e.version, e.updatedAt, g.published));
    }
    records.push(encodeCheckpoint(next));
    // A stopping processor (leadership lost, broker shutting down) leaves the step uncommitted:
    // whoever runs the aggregation next reads the step's input again from the committed positions.
    this.checkOwner();
    const res = await this.changelog.append(records, this.now());
    if (!res.ok) throw new Error(`writing changelog: ${res.error}`);
    this.checkpoint = next;
    this.lastStepAt = this.now();
    await this.opts.onStepPhase?.('changelog');

    // Committed: the output is re-emitted by whoever recovers next if this broker stops here.
    this.checkOwner();
    const out = await this.output.write(emissions);
    if (out && !out.ok) throw new Error(`writing output: ${out.error}`);
    await this.opts.onStepPhase?.('output');
  }

  private checkOwner(): void {
    if (this.stopped || (this.opts.stillOwner && !this.opts.stillOwner())) throw new Error('stopped (this broker no longer runs the aggregation)');
  }

  status(): ProcessorStatus {
    const counts = this.fold?.counts() ?? { groups: 0, published: 0, suppressed: 0, contributions: 0 };
    const c: Counters = this.checkpoint.counters;
    return {
      state: this.state,
      lastError: this.lastError,
      lastErrorAt: this.lastErrorAt,
      lastStepAt: this.lastStepAt,
      recordsIn: c.recordsIn,
      recordsRejected: c.recordsRejected,
      recordsOut: c.recordsOut,
      steps: c.steps,
      groups: counts.groups,
      groupsPublished: counts.published,
      groupsSuppressed: counts.suppressed,
      contributions: counts.contributions,
      sources: this.def.sources.map((s) => {
        const reader = this.readers.find((r) => r.name === s.name);
        const snap = reader?.snapshot();
        const committed = this.checkpoint.positions[s.name] ?? {};
        const parts = new Set<number>([...Object.keys(committed).map(Number), ...(snap?.endOffsets.keys() ?? [])]);
        let lag: number | null = snap && snap.endOffsets.size > 0 ? 0 : null;
        const partitions = [...parts].sort((a, b) => a - b).map((p) => {
          const position = committed[String(p)] ?? 0;
          const end = snap?.endOffsets.get(p);
          const l = end === undefined ? null : Math.max(0, end - position);
          if (lag !== null && l !== null) lag += l;
          return { partition: p, position, endOffset: end ?? null, lag: l };
        });
        return {
          name: s.name,
          topic: s.topic,
          cluster: s.cluster ? s.cluster.bootstrap.join(',') : 'local',
          health: snap?.health ?? 'starting',
          lag,
          partitions,
          lastError: snap?.lastError ?? null,
          lastErrorAt: snap?.lastErrorAt ?? null,
        };
      }),
    };
  }
}

function deadLetter(src: SourceDefinition, partition: number, rec: { offset: number; timestamp: number; key: Buffer | null; value: Buffer | null }, code: string, reason: string): DeadLetter {
  return { source: src.name, topic: src.topic, partition, offset: rec.offset, timestamp: rec.timestamp, key: rec.key, value: rec.value, code, reason };
}

function samePositions(a: Checkpoint, b: Checkpoint): boolean {
  return JSON.stringify(a.positions) === JSON.stringify(b.positions);
}
