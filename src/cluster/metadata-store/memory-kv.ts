// In-memory KvBackend: several brokers in one process (tests, the one-command dev cluster). It
// mirrors etcd's semantics closely enough that the contract tests run unchanged against both:
// one global revision, leases that expire on a timer and delete their keys in one revision,
// compare transactions, and watches resumable from a revision. `setReachable(false)` simulates
// losing the store (calls fail, keepalives stop landing, leases keep expiring "server side").
import type { KvBackend, KvCompare, KvEntry, KvLeaseGrant, KvOp, KvTxnResult, KvWatchEvent } from './kv.js';

interface MemLease {
  ttlMs: number;
  timer: NodeJS.Timeout;
  keys: Set<string>;
}

interface MemWatcher {
  prefix: string;
  onEvent: (ev: KvWatchEvent) => void;
  /** Events not delivered yet (held back while the store is unreachable). */
  pending: KvWatchEvent[];
}

// Bounded history so a watcher can resume from an older revision without unbounded memory.
const MAX_HISTORY = 10_000;

export class StoreUnreachableError extends Error {
  constructor() {
    super('metadata store unreachable');
  }
}

export class MemoryKv implements KvBackend {
  readonly kind = 'memory' as const;
  private revision = 1;
  private readonly data = new Map<string, KvEntry>();
  private readonly leases = new Map<string, MemLease>();
  private readonly watchers = new Set<MemWatcher>();
  private readonly history: KvWatchEvent[] = [];
  private nextLease = 1;
  /** Events at or below this revision were dropped from the history. */
  private compactedUpTo = 0;
  private reachable = true;
  private closed = false;

  /** Test hook: false makes every call fail and holds watch events back, as a lost etcd would. */
  setReachable(reachable: boolean): void {
    this.reachable = reachable;
    if (reachable) for (const w of this.watchers) this.flush(w);
  }

  private check(): void {
    if (this.closed) throw new Error('metadata store closed');
    if (!this.reachable) throw new StoreUnreachableError();
  }

  async get(key: string): Promise<KvEntry | undefined> {
    this.check();
    const e = this.data.get(key);
    return e && { ...e };
  }

  async range(prefix: string): Promise<{ entries: KvEntry[]; revision: number }> {
    this.check();
    const entries = [...this.data.values()].filter((e) => e.key.startsWith(prefix)).map((e) => ({ ...e }));
    entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return { entries, revision: this.revision };
  }

  async txn(compares: KvCompare[], success: KvOp[], readOnFailure: string[] = []): Promise<KvTxnResult> {
    this.check();
    const ok = compares.every((c) => this.holds(c));
    if (!ok) {
      const entries = new Map<string, KvEntry>();
      for (const k of readOnFailure) {
        const e = this.data.get(k);
        if (e) entries.set(k, { ...e });
      }
      return { succeeded: false, revision: this.revision, entries };
    }
    for (const op of success) {
      if (op.type === 'put' && op.lease && op.lease !== '0' && !this.leases.has(op.lease)) {
        // etcd refuses a put with an unknown lease ("requested lease not found").
        throw new Error(`lease ${op.lease} not found`);
      }
    }
    if (success.length > 0) {
      this.revision++;
      for (const op of success) this.apply(op);
    }
    return { succeeded: true, revision: this.revision, entries: new Map() };
  }

  private holds(c: KvCompare): boolean {
    const e = this.data.get(c.key);
    switch (c.target) {
      case 'create':
        return (e?.createRevision ?? 0) === c.value;
      case 'mod':
        return (e?.modRevision ?? 0) === c.value;
      case 'value':
        return e !== undefined && e.value === c.value;
      case 'lease':
        return (e?.lease ?? '0') === c.value;
    }
  }

  private apply(op: KvOp): void {
    const prev = this.data.get(op.key);
    if (prev && prev.lease !== '0') this.leases.get(prev.lease)?.keys.delete(op.key);
    if (op.type === 'delete') {
      if (!prev) return;
      this.data.delete(op.key);
      this.emit({ type: 'delete', key: op.key, revision: this.revision });
      return;
    }
    const lease = op.lease ?? '0';
    const createRevision = prev?.createRevision ?? this.revision;
    this.data.set(op.key, {
      key: op.key,
      value: op.value,
      createRevision,
      modRevision: this.revision,
      lease,
    });
    if (lease !== '0') this.leases.get(lease)!.keys.add(op.key);
    this.emit({ type: 'put', key: op.key, value: op.value, revision: this.revision, createRevision });
  }

  private emit(ev: KvWatchEvent): void {
    this.history.push(ev);
    if (this.history.length > MAX_HISTORY) {
      const dropped = this.history.splice(0, this.history.length - MAX_HISTORY);
      this.compactedUpTo = dropped[dropped.length - 1]!.revision;
    }
    for (const w of this.watchers) {
      if (!ev.key.startsWith(w.prefix)) continue;
      w.pending.push(ev);
      this.flush(w);
    }
  }

  private flush(w: MemWatcher): void {
    if (!this.reachable || w.pending.length === 0) return;
    // Delivered asynchronously (as over a network) but strictly in revision order.
    queueMicrotask(() => {
      if (!this.reachable || !this.watchers.has(w)) return;
      const batch = w.pending.splice(0);
      for (const ev of batch) w.onEvent(ev);
    });
  }

  async grantLease(ttlMs: number): Promise<KvLeaseGrant> {
    this.check();
    const id = String(this.nextLease++);
    const lease: MemLease = { ttlMs, keys: new Set(), timer: setTimeout(() => this.expire(id), ttlMs) };
    lease.timer.unref();
    this.leases.set(id, lease);
    return { id, ttlMs };
  }

  async keepAlive(id: string): Promise<number> {
    this.check();
    const lease = this.leases.get(id);
    if (!lease) return 0;
    lease.timer.refresh();
    return lease.ttlMs;
  }

  async revokeLease(id: string): Promise<void> {
    this.check();
    this.expire(id);
  }

  /** Test hook: how many leases are alive. */
  liveLeaseCount(): number {
    return this.leases.size;
  }

  /** Test hook: ends a lease at once, as etcd does when its TTL runs out. */
  expire(id: string): void {
    const lease = this.leases.get(id);
    if (!lease) return;
    clearTimeout(lease.timer);
    this.leases.delete(id);
    if (lease.keys.size === 0) return;
    this.revision++;
    for (const key of [...lease.keys].sort()) this.apply({ type: 'delete', key });
  }

  async watch(prefix: string, afterRevision: number, onEvent: (ev: KvWatchEvent) => void): Promise<() => Promise<void>> {
    this.check();
    const w: MemWatcher = { prefix, onEvent, pending: [] };
    if (afterRevision < this.compactedUpTo) {
      // etcd answers a watch from a compacted revision with an error too.
      throw new Error(`watch from revision ${afterRevision + 1}: history compacted up to ${this.compactedUpTo}`);
    }
    w.pending.push(...this.history.filter((ev) => ev.revision > afterRevision && ev.key.startsWith(prefix)));
    this.watchers.add(w);
    this.flush(w);
    return async () => {
      this.watchers.delete(w);
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const l of this.leases.values()) clearTimeout(l.timer);
    this.leases.clear();
    this.watchers.clear();
  }
}

/**
 * One broker's connection to a shared MemoryKv, which a test can cut and heal on its own (a
 * network partition between that broker and the store, while the others still reach it). Watch
 * events are held back while cut and delivered in order after healing, as etcd's resumed watch does.
 */
export class MemoryKvConnection implements KvBackend {
  readonly kind = 'memory' as const;
  private cut = false;
  private readonly held = new Set<{ flush: () => void }>();

  constructor(private readonly kv: MemoryKv) {}

  setConnected(connected: boolean): void {
    this.cut = !connected;
    if (connected) for (const h of this.held) h.flush();
  }

  private check(): void {
    if (this.cut) throw new StoreUnreachableError();
  }

  async get(key: string) {
    this.check();
    return this.kv.get(key);
  }

  async range(prefix: string) {
    this.check();
    return this.kv.range(prefix);
  }

  async txn(compares: KvCompare[], success: KvOp[], readOnFailure?: string[]) {
    this.check();
    return this.kv.txn(compares, success, readOnFailure);
  }

  async grantLease(ttlMs: number) {
    this.check();
    return this.kv.grantLease(ttlMs);
  }

  async keepAlive(id: string) {
    this.check();
    return this.kv.keepAlive(id);
  }

  async revokeLease(id: string) {
    this.check();
    return this.kv.revokeLease(id);
  }

  async watch(prefix: string, afterRevision: number, onEvent: (ev: KvWatchEvent) => void) {
    this.check();
    const pending: KvWatchEvent[] = [];
    const h = {
      flush: () => {
        for (const ev of pending.splice(0)) onEvent(ev);
      },
    };
    this.held.add(h);
    const stop = await this.kv.watch(prefix, afterRevision, (ev) => {
      pending.push(ev);
      if (!this.cut) h.flush();
    });
    return async () => {
      this.held.delete(h);
      await stop();
    };
  }

  async close(): Promise<void> {
    this.held.clear();
  }
}
