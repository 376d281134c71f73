// Status of aggregations: what a processor reports, what the manager publishes to the status
// topic for the CLI, the metrics view, and the text the CLI prints.

export interface SourcePartitionStatus {
  partition: number;
  /** Next offset to process (committed in the changelog). */
  position: number;
  /** Last stable offset seen by the latest fetch; null before the first one. */
  endOffset: number | null;
  lag: number | null;
}

export interface SourceStatus {
  name: string;
  topic: string;
  /** 'local' or the remote bootstrap list. */
  cluster: string;
  health: string;
  /** Records committed on the source but not yet processed; null while unknown (never reached). */
  lag: number | null;
  partitions: SourcePartitionStatus[];
  lastError: string | null;
  lastErrorAt: number | null;
}

export interface ProcessorStatus {
  state: string;
  lastError: string | null;
  lastErrorAt: number | null;
  lastStepAt: number | null;
  recordsIn: number;
  recordsRejected: number;
  recordsOut: number;
  steps: number;
  groups: number;
  groupsPublished: number;
  groupsSuppressed: number;
  contributions: number;
  sources: SourceStatus[];
}

export interface AggregationStatus extends ProcessorStatus {
  name: string;
  /** The target state set by pause/resume. */
  target: 'RUNNING' | 'PAUSED';
  /** Offset of the definition record in effect (the CLI waits for its own). */
  definitionOffset: number;
  /** A rejected create/update (invalid or incompatible), with its offset. */
  definitionError: string | null;
  definitionErrorOffset: number | null;
  outputTopic: string;
  deadLetterTopic: string;
  reportedAt: number;
}

export interface AggregationMetric {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export function statusMetrics(statuses: AggregationStatus[]): AggregationMetric[] {
  const out: AggregationMetric[] = [];
  for (const s of statuses) {
    const l = { aggregation: s.name };
    out.push(
      { name: 'tributary_aggregation_records_in_total', labels: l, value: s.recordsIn },
      { name: 'tributary_aggregation_records_out_total', labels: l, value: s.recordsOut },
      { name: 'tributary_aggregation_records_rejected_total', labels: l, value: s.recordsRejected },
      { name: 'tributary_aggregation_groups_published', labels: l, value: s.groupsPublished },
      { name: 'tributary_aggregation_groups_suppressed', labels: l, value: s.groupsSuppressed },
      { name: 'tributary_aggregation_running', labels: l, value: s.state === 'running' ? 1 : 0 },
      { name: 'tributary_aggregation_failed', labels: l, value: s.state === 'failed' ? 1 : 0 },
    );
    for (const src of s.sources) {
      const sl = { aggregation: s.name, source: src.name };
      out.push(
        { name: 'tributary_aggregation_source_lag', labels: sl, value: src.lag ?? -1 },
        { name: 'tributary_aggregation_source_available', labels: sl, value: src.health === 'ok' ? 1 : 0 },
      );
    }
  }
  return out;
}

export function formatStatusTable(statuses: AggregationStatus[], now: number): string {
  if (statuses.length === 0) return 'No aggregations.\n';
  const lines: string[] = [];
  for (const s of statuses) {
    lines.push(`${s.name}  ${s.state.toUpperCase()}${s.target === 'PAUSED' && s.state !== 'paused' ? ' (pausing)' : ''}  -> ${s.outputTopic}`);
    lines.push(
      `  records in ${s.recordsIn}, out ${s.recordsOut}, rejected ${s.recordsRejected} (dead letters: ${s.deadLetterTopic})`,
      `  groups published ${s.groupsPublished}, suppressed ${s.groupsSuppressed} (below the contributor threshold), contributions ${s.contributions}`,
    );
    if (s.lastError) lines.push(`  last error ${ago(s.lastErrorAt, now)}: ${s.lastError}`);
    if (s.definitionError) lines.push(`  rejected definition at offset ${s.definitionErrorOffset}: ${s.definitionError}`);
    for (const src of s.sources) {
      lines.push(`  source ${src.name} (${src.topic} @ ${src.cluster}): ${src.health}, lag ${src.lag ?? 'unknown'}`);
      if (src.lastError) lines.push(`    last error ${ago(src.lastErrorAt, now)}: ${src.lastError}`);
    }
    lines.push(`  reported ${ago(s.reportedAt, now)}`);
  }
  return lines.join('\n') + '\n';
}

function ago(t: number | null, now: number): string {
  if (t === null) return 'never';
  const s = Math.max(0, Math.round((now - t) / 1000));
  return s < 1 ? 'just now' : `${s}s ago`;
}
