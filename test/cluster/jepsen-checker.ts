// The checker of the Jepsen-style failover workload (after Jepsen's Kafka queue workload): given
// what producers were told (acknowledged sends with their partition and offset, transactions
// committed or aborted) and what consumers read afterwards, list every violation. Pure functions,
// so the rules are tested on hand-made histories as well as on real runs.

/** An acknowledged send: the broker answered acks=all with this offset. */
export interface Ack {
  producer: string;
  /** The producer's own sequence: sends are issued one at a time in this order. */
  seq: number;
  value: string;
  partition: number;
  offset: number;
}

/** One record as a consumer read it. */
export interface Read {
  partition: number;
  offset: number;
  value: string;
}

export interface Txn {
  id: string;
  values: string[];
  /** committed: commit() was acknowledged; aborted: abort() was; unknown: neither (error). */
  outcome: 'committed' | 'aborted' | 'unknown';
  /** ms since the run started: begun, and its outcome known (diagnosis only). */
  at?: number;
  doneAt?: number;
}

export interface CheckInput {
  acks: Ack[];
  /** Producers for which a value must appear at most once (idempotent). */
  idempotent: Set<string>;
  /** Everything a read_committed consumer read from the data topic. */
  reads: Read[];
  txns?: Txn[];
  /** read_committed reads of the transactional topic. */
  txnReads?: Read[];
}

export interface CheckResult {
  ok: boolean;
  lost: Ack[];
  /** An acknowledged offset holding another value (a truncated-then-reused offset). */
  moved: { ack: Ack; found: string | undefined }[];
  duplicates: { value: string; count: number; at: string[] }[];
  /** Two records of one producer in one partition read in the opposite order of their sends. */
  reordered: { partition: number; producer: string; before: string; after: string }[];
  /** The same offset read twice with different values. */
  offsetConflicts: { partition: number; offset: number; values: string[] }[];
  abortedVisible: string[];
  committedMissing: string[];
  /** A transaction partly visible. */
  partialTxns: string[];
}

/** `producer-seq` values let the checker recover who sent a record and in which order. */
export function valueOf(producer: string, seq: number): string {
  return `${producer}-${seq}`;
}

function parse(value: string): { producer: string; seq: number } | null {
  const i = value.lastIndexOf('-');
  if (i <= 0) return null;
  const seq = Number(value.slice(i + 1));
  return Number.isInteger(seq) ? { producer: value.slice(0, i), seq } : null;
}

export function check(input: CheckInput): CheckResult {
  const byOffset = new Map<string, Set<string>>();
  const count = new Map<string, number>();
  for (const r of input.reads) {
    const k = `${r.partition}:${r.offset}`;
    let s = byOffset.get(k);
    if (!s) byOffset.set(k, (s = new Set()));
    s.add(r.value);
  }
  const offsetConflicts = [...byOffset]
    .filter(([, s]) => s.size > 1)
    .map(([k, s]) => ({ partition: Number(k.split(':')[0]), offset: Number(k.split(':')[1]), values: [...s] }));
  // One record per offset (a consumer may legitimately re-read an offset after a rebalance).
  const unique = new Map<string, Read>();
  for (const r of input.reads) unique.set(`${r.partition}:${r.offset}`, r);
  const log = [...unique.values()].sort((a, b) => a.partition - b.partition || a.offset - b.offset);
  for (const r of log) count.set(r.value, (count.get(r.value) ?? 0) + 1);

  const lost: Ack[] = [];
  const moved: CheckResult['moved'] = [];
  for (const a of input.acks) {
    if (!count.has(a.value)) lost.push(a);
    else {
      const at = unique.get(`${a.partition}:${a.offset}`);
      if (at?.value !== a.value) moved.push({ ack: a, found: at?.value });
    }
  }

  const duplicates: CheckResult['duplicates'] = [];
  for (const [value, n] of count) {
    const p = parse(value);
    if (n > 1 && p && input.idempotent.has(p.producer)) duplicates.push({ value, count: n, at: log.filter((r) => r.value === value).map((r) => `${r.partition}:${r.offset}`) });
  }

  // Order within a partition: each producer's first occurrences must follow its send order.
  const reordered: CheckResult['reordered'] = [];
  const last = new Map<string, { seq: number; value: string }>();
  const seen = new Set<string>();
  for (const r of log) {
    if (seen.has(r.value)) continue; // a retried duplicate (non-idempotent producer)
    seen.add(r.value);
    const p = parse(r.value);
    if (!p) continue;
    const k = `${r.partition}:${p.producer}`;
    const prev = last.get(k);
    if (prev && p.seq < prev.seq) reordered.push({ partition: r.partition, producer: p.producer, before: prev.value, after: r.value });
    else last.set(k, { seq: p.seq, value: r.value });
  }

  const abortedVisible: string[] = [];
  const committedMissing: string[] = [];
  const partialTxns: string[] = [];
  if (input.txns) {
    const visible = new Set((input.txnReads ?? []).map((r) => r.value));
    for (const t of input.txns) {
      const shown = t.values.filter((v) => visible.has(v)).length;
      if (t.outcome === 'aborted' && shown > 0) abortedVisible.push(...t.values.filter((v) => visible.has(v)));
      if (t.outcome === 'committed' && shown < t.values.length) committedMissing.push(...t.values.filter((v) => !visible.has(v)));
      if (shown > 0 && shown < t.values.length) partialTxns.push(t.id);
    }
  }

  const ok = [lost, moved, duplicates, reordered, offsetConflicts, abortedVisible, committedMissing, partialTxns].every((l) => l.length === 0);
  return { ok, lost, moved, duplicates, reordered, offsetConflicts, abortedVisible, committedMissing, partialTxns };
}

/** A short account of a result for logs and assertion messages. */
export function summarize(r: CheckResult): string {
  const part = (name: string, l: unknown[]) => (l.length ? `${name}: ${l.length} e.g. ${JSON.stringify(l.slice(0, 3))}` : '');
  return [
    r.ok ? 'ok' : 'VIOLATIONS',
    part('lost', r.lost),
    part('moved', r.moved),
    part('duplicates', r.duplicates),
    part('reordered', r.reordered),
    part('offsetConflicts', r.offsetConflicts),
    part('abortedVisible', r.abortedVisible),
    part('committedMissing', r.committedMissing),
    part('partialTxns', r.partialTxns),
  ]
    .filter(Boolean)
    .join('; ');
}
