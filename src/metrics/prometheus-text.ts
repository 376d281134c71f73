// Prometheus text exposition format (version 0.0.4): one `# HELP` / `# TYPE` header per metric
// family, then its samples. Names ending in `_total` are counters, the rest gauges.

export interface Sample {
  name: string;
  /** The family a histogram's _bucket/_sum/_count samples belong to (default: name). */
  family?: string;
  labels: Record<string, string>;
  value: number;
}

const HELP: Record<string, string> = {};
const TYPE: Record<string, string> = {};

/** Registers help text for a metric family (shown as `# HELP`), and its type when not implied by the name. */
export function describeMetric(name: string, help: string, type?: 'histogram'): void {
  HELP[name] = help;
  if (type) TYPE[name] = type;
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** Renders samples grouped by family, families in first-seen order. */
export function renderPrometheus(samples: Iterable<Sample>): string {
  const families = new Map<string, Sample[]>();
  for (const s of samples) {
    const family = s.family ?? s.name;
    let f = families.get(family);
    if (!f) families.set(family, (f = []));
    f.push(s);
  }
  const out: string[] = [];
  for (const [name, list] of families) {
    out.push(`# HELP ${name} ${(HELP[name] ?? name.replace(/_/g, ' ')).replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`);
    out.push(`# TYPE ${name} ${TYPE[name] ?? (name.endsWith('_total') ? 'counter' : 'gauge')}`);
    for (const s of list) {
      const labels = Object.entries(s.labels);
      const l = labels.length === 0 ? '' : `{${labels.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
      out.push(`${s.name}${l} ${formatValue(s.value)}`);
    }
  }
  return out.join('\n') + '\n';
}
