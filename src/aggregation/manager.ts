// The aggregation manager: owns the definitions topic, starts/updates/pauses/stops one processor
// per definition, and publishes their status. It runs on the coordinator runtime as the owner of
// the definitions topic's one partition: startAggregationStage registers it and loads it (start);
// the runtime's unload stops it and a later load starts it again from the topic.
//
//   start:  ensure __tributary_aggregations and __tributary_aggregation_status
//           apply tributary.aggregations.file (upserts definitions that differ)
//           replay the definitions topic to its end, latest record per key, start processors
//           tail the topic (woken by appends): each new record is applied in log order
//   stop:   stop processors (each keeps its changelog), write a last status
import { readFile } from 'node:fs/promises';
import type { AggregationDeps } from './stage-deps.js';
import type { Logger } from '../logging/logger.js';
import type { ConfigGetter } from '../coordinator/common/config-getter.js';
import type { CoordinatorShard } from '../coordinator/runtime/coordinator-runtime.js';
import { Changelog, changelogTopic } from './changelog.js';
import { type AggregationDefinition, incompatibleChanges, validateDefinition, isObject } from './definition.js';
import { DEFINITIONS_TOPIC, STATUS_TOPIC, type TargetState, decodeDefinitionsRecord, definitionRecord, statusRecord, targetStateRecord } from './definitions-log.js';
import { appendLocal, ensureTopic, readLocal } from './local-log.js';
import { RoutedPartitionAccess } from './cluster-routing.js';
import { AggregationProcessor, type ProcessorOptions } from './processor.js';
import { type AggregationMetric, type AggregationStatus, type ProcessorStatus, statusMetrics } from './status.js';

export interface AggregationManagerOptions {
  configFile: string | null;
  statusIntervalMs: number;
  maxRecordsPerStep: number;
  retryBackoffMs: number;
  retryBackoffMaxMs: number;
  onStepPhase?: ProcessorOptions['onStepPhase'];
  /** Cluster mode: replicas of the stage's topics (tributary.aggregation.replication.factor). */
  replicationFactor: number;
}

interface Entry {
  name: string;
  def: AggregationDefinition | null;
  /** The accepted definition as it was written (restored after a refused update). */
  raw: unknown | null;
  offset: number;
  target: TargetState;
  processor: AggregationProcessor | null;
  definitionError: string | null;
  definitionErrorOffset: number | null;
}

export type DefineResult = { ok: true; offset: number } | { ok: false; errors: string[] };

export function readManagerOptions(get: ConfigGetter): AggregationManagerOptions {
  return {
    configFile: (get('tributary.aggregations.file') as string | null) ?? null,
    statusIntervalMs: get('tributary.aggregation.status.interval.ms') as number,
    maxRecordsPerStep: get('tributary.aggregation.max.records.per.step') as number,
    retryBackoffMs: get('tributary.aggregation.retry.backoff.ms') as number,
    retryBackoffMaxMs: get('tributary.aggregation.retry.backoff.max.ms') as number,
    replicationFactor: get('tributary.aggregation.replication.factor') as number,
  };
}

export class AggregationManager implements CoordinatorShard {
  private readonly entries = new Map<string, Entry>();
  private applied = 0;
  private appliedWaiters: { offset: number; resolve: () => void }[] = [];
  private tail: Promise<void> | null = null;
  private stopping = false;
  private statusTimer: NodeJS.Timeout | null = null;
  private lastStatus = new Map<string, string>();
  private lastStatusAt = 0;
  private statusWrite: Promise<void> = Promise.resolve();
  private readonly logger: Logger;
  private readonly deps: AggregationDeps;
  /** Cluster mode: the stage's partition access routed by leadership and fenced by ownership. */
  readonly routed: RoutedPartitionAccess | null = null;

  constructor(
    deps: AggregationDeps,
    private readonly opts: AggregationManagerOptions,
  ) {
    this.logger = deps.logger.child({ component: 'aggregation' });
    const cluster = deps.cluster;
    if (!cluster) this.deps = deps;
    else {
      // Cluster mode: every partition the stage touches is reached through its leader, and the
      // stage's own topics are created replicated.
      const runtime = deps.runtime;
      const routed = new RoutedPartitionAccess(runtime.access, deps.readSource, cluster, this.logger);
      this.routed = routed;
      this.deps = {
        ...deps,
        runtime: {
          access: routed,
          ensureTopic: (spec) => runtime.ensureTopic({ ...spec, replicationFactor: opts.replicationFactor }),
          register: (topic, shard) => runtime.register(topic, shard),
          unregister: (topic, shard) => runtime.unregister(topic, shard),
        },
        readSource: routed.readSource,
      };
    }
  }

  /** Cluster mode: this broker still leads __tributary_aggregations-0 and runs the stage. */
  private owns(): boolean {
    return !this.stopping && this.leads();
  }

  /** This broker leads __tributary_aggregations-0 (always true on a single broker). */
  private leads(): boolean {
    const c = this.deps.cluster;
    return !c || c.leaderOf(DEFINITIONS_TOPIC, 0) === c.nodeId;
  }

  /**
   * The runtime's load of __tributary_aggregations-0: (re)starts from the definitions topic.
   * Cluster mode: on the partition's new leader, once `ready` says its replay holds every
   * acknowledged write (false: leadership moved on meanwhile, nothing starts).
   */
  async loadPartition(partition: number, ready?: () => Promise<boolean>): Promise<void> {
    if (partition !== 0 || this.running || this.closed) return;
    if (ready && !(await ready())) return;
    // Cluster mode: this ownership's writes are fenced by the leader epoch it runs under, so a
    // write an earlier owner still has in flight is refused once this one touched the partition.
    if (this.routed) {
      const epoch = this.deps.runtime.access.offsets({ topic: DEFINITIONS_TOPIC, partition: 0 })?.leaderEpoch ?? -1;
      if (!this.leads()) return;
      this.routed.beginOwnership(epoch);
    }
    // Cluster mode: a failed start is retried while this broker leads the partition (nobody else
    // would run the stage until the leadership moves).
    for (let backoff = this.opts.retryBackoffMs; ; backoff = Math.min(backoff * 2, this.opts.retryBackoffMaxMs)) {
      this.entries.clear();
      this.lastStatus.clear();
      this.applied = 0;
      this.stopping = false;
      try {
        await this.start();
        return;
      } catch (e) {
        await this.abandonStart();
        if (!this.deps.cluster || this.closed || !this.leads()) throw e;
        this.logger.error('starting the aggregation stage failed; retrying', { err: String(e), backoffMs: backoff });
        await new Promise((r) => setTimeout(r, backoff));
        if (this.closed || !this.leads()) return;
      }
    }
  }

  /** Undoes a start that threw part-way: processors it started stop, nothing keeps running. */
  private async abandonStart(): Promise<void> {
    if (this.tail !== null) return this.halt();
    this.stopping = true;
    if (this.statusTimer) clearInterval(this.statusTimer);
    await Promise.all([...this.entries.values()].map((e) => e.processor?.stop()));
  }

  /** The runtime's unload: processors stop (each keeps its changelog) until the next load. */
  async unloadPartition(partition: number): Promise<void> {
    if (partition === 0) await this.halt();
  }

  /** The broker is shutting down: no more loads. */
  closed = false;

  /** Started and not stopped since. */
  get running(): boolean {
    return this.tail !== null && !this.stopping;
  }

  async start(): Promise<void> {
    await ensureTopic(this.deps, DEFINITIONS_TOPIC, 1, { 'cleanup.policy': 'compact' });
    await this.ensureStatusTopic();
    if (this.opts.configFile) await this.applyConfigFile(this.opts.configFile);

    // Initial load: every record in log order (so a refused update is refused again), starting
    // processors only at the end (so a definition deleted later never starts).
    const records: { key: Buffer | null; value: Buffer | null; offset: number }[] = [];
    this.applied = await readLocal(this.deps.runtime.access, DEFINITIONS_TOPIC, 0, 0, (r) => records.push({ key: r.key, value: r.value, offset: r.offset }));
    for (const r of records) await this.apply(r.key, r.value, r.offset, true);
    // A refused update that is still the key's latest record (a crash came before the restore).
    for (const e of this.entries.values()) if (e.def && e.definitionErrorOffset !== null && e.definitionErrorOffset > e.offset) await this.restoreAccepted(e);
    for (const e of this.entries.values()) this.startProcessor(e);
    await this.deleteOrphanChangelogs();
    this.tail = this.tailLoop();
    this.statusTimer = setInterval(() => void this.publishStatus(), this.opts.statusIntervalMs);
    this.statusTimer.unref();
    await this.publishStatus();
    this.logger.info('aggregations started', { count: this.entries.size });
  }

  /** The broker stops: processors stop, and this broker will not run the stage again. */
  async stop(): Promise<void> {
    this.closed = true;
    await this.halt();
  }

  private async halt(): Promise<void> {
    if (this.stopping || this.tail === null) return;
    this.stopping = true;
    if (this.statusTimer) clearInterval(this.statusTimer);
    this.deps.waiters.notify(DEFINITIONS_TOPIC, 0);
    await this.tail;
    await Promise.all([...this.entries.values()].map((e) => e.processor?.stop()));
    // Cluster mode: the broker that runs the stage next reports; a last word from here could land after its first.
    if (!this.deps.cluster) await this.publishStatus();
    await this.statusWrite;
    this.routed?.close();
    this.tail = null;
  }

  /** Single broker: created at start. Cluster mode: may wait for enough live brokers (retried with each status write). */
  private async ensureStatusTopic(): Promise<void> {
    try {
      await ensureTopic(this.deps, STATUS_TOPIC, 1, { 'cleanup.policy': 'compact' });
    } catch (e) {
      if (!this.deps.cluster) throw e;
      this.logger.warn('aggregation status topic not created yet', { topic: STATUS_TOPIC, err: String(e) });
    }
  }

  // ---- control (the CLI does the same through the Kafka protocol) ------------------------------

  /** Validates and appends a definition; resolves once the manager applied it. */
  async define(raw: unknown): Promise<DefineResult> {
    const v = validateDefinition(raw);
    if (!v.ok) return v;
    const offset = await this.appendControl(definitionRecord(v.definition.name, raw));
    const e = this.entries.get(v.definition.name);
    if (e?.definitionErrorOffset === offset) return { ok: false, errors: [e.definitionError!] };
    return { ok: true, offset };
  }

  async setTargetState(name: string, state: TargetState): Promise<boolean> {
    if (!this.entries.get(name)?.def) return false;
    await this.appendControl(targetStateRecord(name, state));
    return true;
  }

  async remove(name: string): Promise<boolean> {
    if (!this.entries.has(name)) return false;
    await this.appendControl(definitionRecord(name, null));
    return true;
  }

  private async appendControl(kv: { key: Buffer; value: Buffer | null }): Promise<number> {
    const res = await appendLocal(this.deps.runtime.access, DEFINITIONS_TOPIC, 0, [kv]);
    if (!res.ok) throw new Error(`writing ${DEFINITIONS_TOPIC}: ${res.error}`);
    await this.appliedThrough(res.lastOffset + 1);
    return res.lastOffset;
  }

  /** Resolves once records below `offset` of the definitions topic are applied. */
  private appliedThrough(offset: number): Promise<void> {
    if (this.applied >= offset || this.stopping) return Promise.resolve();
    return new Promise((resolve) => this.appliedWaiters.push({ offset, resolve }));
  }

  // ---- views -------------------------------------------------------------------------------------

  definitions(): { definition: AggregationDefinition; target: TargetState; offset: number }[] {
    return [...this.entries.values()].filter((e) => e.def).map((e) => ({ definition: e.def!, target: e.target, offset: e.offset }));
  }

  statuses(): AggregationStatus[] {
    return [...this.entries.values()].map((e) => this.statusOf(e));
  }

  status(name: string): AggregationStatus | undefined {
    const e = this.entries.get(name);
    return e ? this.statusOf(e) : undefined;
  }

  metrics(): AggregationMetric[] {
    return statusMetrics(this.statuses());
  }

  private statusOf(e: Entry): AggregationStatus {
    const p: ProcessorStatus = e.processor?.status() ?? {
      state: e.def ? 'starting' : 'rejected',
      lastError: null,
      lastErrorAt: null,
      lastStepAt: null,
      recordsIn: 0,
      recordsRejected: 0,
      recordsOut: 0,
      steps: 0,
      groups: 0,
      groupsPublished: 0,
      groupsSuppressed: 0,
      contributions: 0,
      sources: [],
    };
    return {
      name: e.name,
      ...p,
      target: e.target,
      definitionOffset: e.offset,
      definitionError: e.definitionError,
      definitionErrorOffset: e.definitionErrorOffset,
      outputTopic: e.def?.output.topic ?? '',
      deadLetterTopic: e.def?.deadLetterTopic ?? '',
      reportedAt: Date.now(),
    };
  }

  // ---- applying definition records -------------------------------------------------------------

  private async tailLoop(): Promise<void> {
    while (!this.stopping) {
      const watch = this.deps.waiters.watch([{ topic: DEFINITIONS_TOPIC, partition: 0 }]);
      try {
        const hw = this.deps.runtime.access.offsets({ topic: DEFINITIONS_TOPIC, partition: 0 })?.highWatermark ?? 0;
        if (hw > this.applied) {
          const records: { key: Buffer | null; value: Buffer | null; offset: number }[] = [];
          const next = await readLocal(this.deps.runtime.access, DEFINITIONS_TOPIC, 0, this.applied, (r) => records.push({ key: r.key, value: r.value, offset: r.offset }));
          for (const r of records) {
            if (this.stopping) break;
            await this.apply(r.key, r.value, r.offset, false);
          }
          this.applied = Math.max(this.applied, next);
          this.appliedWaiters = this.appliedWaiters.filter((w) => (w.offset <= this.applied ? (w.resolve(), false) : true));
          void this.publishStatus();
        } else await watch.wait(5_000);
      } catch (e) {
        this.logger.error('applying aggregation definitions failed', { err: String(e) });
        await watch.wait(1_000);
      } finally {
        watch.close();
      }
    }
    for (const w of this.appliedWaiters) w.resolve();
    this.appliedWaiters = [];
  }

  private async apply(key: Buffer | null, value: Buffer | null, offset: number, initial: boolean): Promise<void> {
    const rec = decodeDefinitionsRecord(key, value);
    if (rec.kind === 'invalid') {
      this.logger.warn('ignored a record of the definitions topic', { offset, reason: rec.reason });
      return;
    }
    let e = this.entries.get(rec.name);
    if (rec.kind === 'target') {
      if (!e) return;
      e.target = rec.state;
      if (rec.state === 'PAUSED') e.processor?.pause();
      else e.processor?.resume();
      return;
    }
    if (rec.raw === null) {
      if (!e) return;
      this.entries.delete(rec.name);
      await e.processor?.stop();
      // On the initial load a later record may create the name again: orphans are removed after it.
      if (!initial && this.deps.topicAdmin.topics.get(changelogTopic(rec.name))) await this.dropChangelog(changelogTopic(rec.name));
      this.lastStatus.delete(rec.name);
      await this.writeStatus([statusRecord(rec.name, null)]);
      this.logger.info('aggregation deleted', { aggregation: rec.name });
      return;
    }
    const v = validateDefinition(rec.raw);
    const problems = v.ok ? this.conflicts(v.definition) : v.errors;
    if (v.ok && v.definition.name !== rec.name) problems.push(`name '${v.definition.name}' does not match the record key '${rec.name}'`);
    if (problems.length === 0 && e?.def) {
      const bad = incompatibleChanges(e.def, (v as { definition: AggregationDefinition }).definition);
      if (bad.length > 0) problems.push(`cannot change ${bad.join(', ')} of an existing aggregation; delete it and create it again`);
    }
    if (problems.length > 0) {
      if (!e) this.entries.set(rec.name, (e = { name: rec.name, def: null, raw: null, offset, target: 'RUNNING', processor: null, definitionError: null, definitionErrorOffset: null }));
      e.definitionError = problems.join('; ');
      e.definitionErrorOffset = offset;
      this.logger.warn('rejected aggregation definition', { aggregation: rec.name, offset, errors: e.definitionError });
      // The refused record is now the key's latest value, which is all compaction keeps: write the
      // accepted definition back so the topic (and the next start) holds what is in effect.
      if (e.def && e.raw !== null && !initial) await this.restoreAccepted(e);
      return;
    }
    const def = (v as { definition: AggregationDefinition }).definition;
    if (!e) {
      e = { name: rec.name, def, raw: rec.raw, offset, target: 'RUNNING', processor: null, definitionError: null, definitionErrorOffset: null };
      this.entries.set(rec.name, e);
      if (!initial) this.startProcessor(e);
      this.logger.info('aggregation defined', { aggregation: rec.name, offset });
      return;
    }
    const changed = JSON.stringify(e.def) !== JSON.stringify(def);
    e.def = def;
    e.raw = rec.raw;
    e.offset = offset;
    if (changed) {
      // A record repeating the definition in effect (the restore above) keeps the last error visible.
      e.definitionError = null;
      e.definitionErrorOffset = null;
    }
    if (!e.processor) {
      if (!initial) this.startProcessor(e);
    } else if (changed) e.processor.updateDefinition(def);
  }

  private async restoreAccepted(e: Entry): Promise<void> {
    const res = await appendLocal(this.deps.runtime.access, DEFINITIONS_TOPIC, 0, [definitionRecord(e.name, e.raw)]);
    if (!res.ok) this.logger.warn('could not restore the accepted definition', { aggregation: e.name, err: res.error });
  }

  /** Two aggregations must not write the same topics, nor read what another writes. */
  private conflicts(def: AggregationDefinition): string[] {
    const out: string[] = [];
    for (const other of this.entries.values()) {
      if (!other.def || other.name === def.name) continue;
      if (other.def.output.topic === def.output.topic) out.push(`output topic '${def.output.topic}' is written by aggregation '${other.name}'`);
      const localSources = (d: AggregationDefinition) => d.sources.filter((s) => !s.cluster).map((s) => s.topic);
      if (localSources(def).includes(other.def.output.topic)) out.push(`source topic '${other.def.output.topic}' is the output of aggregation '${other.name}'`);
      if (localSources(other.def).includes(def.output.topic)) out.push(`output topic '${def.output.topic}' is a source of aggregation '${other.name}'`);
    }
    return out;
  }

  private startProcessor(e: Entry): void {
    if (!e.def || e.processor || this.stopping) return;
    e.processor = new AggregationProcessor(this.deps, e.def, {
      maxRecordsPerStep: this.opts.maxRecordsPerStep,
      maxBufferedRecords: this.opts.maxRecordsPerStep * 4,
      retryBackoffMs: this.opts.retryBackoffMs,
      retryBackoffMaxMs: this.opts.retryBackoffMaxMs,
      logger: this.logger.child({ aggregation: e.name }),
      onStepPhase: this.opts.onStepPhase,
      ...(this.deps.cluster ? { stillOwner: () => this.owns() } : {}),
    });
    e.processor.start(e.target === 'PAUSED');
  }

  private async deleteOrphanChangelogs(): Promise<void> {
    const expected = new Set([...this.entries.keys()].map(changelogTopic));
    for (const t of this.deps.topicAdmin.topics.all()) {
      if (t.name.startsWith('__tributary_aggregation_') && t.name.endsWith('_changelog') && !expected.has(t.name)) {
        this.logger.info('deleting the changelog of a deleted aggregation', { topic: t.name });
        await this.dropChangelog(t.name);
      }
    }
  }

  /**
   * A deleted aggregation's changelog. Single broker: the topic is deleted. Cluster mode: a
   * changelog is a cluster topic that only the controller deletes, and clients may not delete
   * broker-owned topics; a reset record makes its replay start empty instead (a later aggregation
   * of the same name starts from nothing), and compaction shrinks it to that record.
   */
  private async dropChangelog(topic: string): Promise<void> {
    if (!this.deps.cluster) return this.deps.topicAdmin.deleteTopic(topic);
    const res = await new Changelog(this.deps, topic).reset();
    if (!res.ok) this.logger.warn('could not reset the changelog of a deleted aggregation', { topic, err: res.error });
  }

  private async applyConfigFile(file: string): Promise<void> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(file, 'utf8'));
    } catch (e) {
      this.logger.error('could not read tributary.aggregations.file', { file, err: String(e) });
      return;
    }
    const list = Array.isArray(parsed) ? parsed : isObject(parsed) && Array.isArray(parsed.aggregations) ? parsed.aggregations : [parsed];
    const current = new Map<string, string>();
    await readLocal(this.deps.runtime.access, DEFINITIONS_TOPIC, 0, 0, (r) => {
      if (r.key) current.set(r.key.toString('utf8'), r.value?.toString('utf8') ?? '');
    });
    const records = [];
    for (const raw of list) {
      const v = validateDefinition(raw);
      if (!v.ok) {
        this.logger.error('invalid aggregation in tributary.aggregations.file', { file, errors: v.errors.join('; ') });
        continue;
      }
      const rec = definitionRecord(v.definition.name, raw);
      if (current.get(rec.key.toString()) !== rec.value!.toString()) records.push(rec);
    }
    if (records.length > 0) {
      const res = await appendLocal(this.deps.runtime.access, DEFINITIONS_TOPIC, 0, records);
      if (!res.ok) this.logger.error('could not store aggregations from the config file', { err: res.error });
    }
  }

  // ---- status topic -------------------------------------------------------------------------------

  /** Writes the status of aggregations whose status changed (ignoring the report time). */
  private publishStatus(): Promise<void> {
    this.statusWrite = this.statusWrite.then(async () => {
      const records = [];
      // Unchanged status is rewritten now and then, so its reportedAt tells readers it is live.
      const heartbeat = Date.now() - this.lastStatusAt >= this.opts.statusIntervalMs * 15;
      if (heartbeat) this.lastStatusAt = Date.now();
      for (const s of this.statuses()) {
        const text = JSON.stringify({ ...s, reportedAt: 0 });
        if (!heartbeat && this.lastStatus.get(s.name) === text) continue;
        this.lastStatus.set(s.name, text);
        records.push(statusRecord(s.name, s));
      }
      await this.writeStatus(records);
    });
    return this.statusWrite;
  }

  private async writeStatus(records: { key: Buffer; value: Buffer | null }[]): Promise<void> {
    if (records.length === 0) return;
    if (this.deps.cluster) {
      if (!this.owns()) return;
      if (!this.deps.topicAdmin.topics.get(STATUS_TOPIC)) await this.ensureStatusTopic();
      if (!this.deps.topicAdmin.topics.get(STATUS_TOPIC)) return;
    } else if (!this.deps.runtime.access.offsets({ topic: STATUS_TOPIC, partition: 0 })) return;
    const res = await appendLocal(this.deps.runtime.access, STATUS_TOPIC, 0, records);
    if (!res.ok) this.logger.warn('could not write aggregation status', { err: res.error });
  }
}

/**
 * Builds the stage, registers it with the runtime as the definitions topic's owner, and starts it.
 * Cluster mode: it starts on whichever broker leads __tributary_aggregations-0 (the runtime's
 * load), like a coordinator; every broker keeps trying to create that topic until it exists.
 */
export async function startAggregationStage(deps: AggregationDeps): Promise<AggregationManager> {
  const opts = readManagerOptions(deps.config);
  const m = new AggregationManager(deps, opts);
  if (deps.cluster) {
    void createDefinitionsTopic(deps, opts, m);
    deps.runtime.register(DEFINITIONS_TOPIC, m);
    return m;
  }
  deps.runtime.register(DEFINITIONS_TOPIC, m);
  try {
    await m.start();
  } catch (e) {
    deps.runtime.unregister(DEFINITIONS_TOPIC, m);
    throw e;
  }
  return m;
}

/** Cluster mode: creates __tributary_aggregations through the controller once enough brokers are alive. */
async function createDefinitionsTopic(deps: AggregationDeps, opts: AggregationManagerOptions, m: AggregationManager): Promise<void> {
  let warned = false;
  while (!deps.topicAdmin.topics.get(DEFINITIONS_TOPIC) && !m.closed) {
    try {
      await deps.runtime.ensureTopic({ name: DEFINITIONS_TOPIC, numPartitions: 1, configs: { 'cleanup.policy': 'compact' }, replicationFactor: opts.replicationFactor });
    } catch (e) {
      if (!warned) deps.logger.info('aggregation definitions topic not created yet (waiting for enough live brokers)', { topic: DEFINITIONS_TOPIC, replicationFactor: opts.replicationFactor, err: String(e) });
      warned = true;
      await new Promise((r) => setTimeout(r, 1_000).unref());
    }
  }
}
