// The two metadata-store backends as test fixtures, so one contract suite runs against both:
// in-memory (a shared MemoryKv) and a real etcd 3.4 (test/helpers/etcd.ts). lose() makes the
// store unreachable (etcd: SIGKILL), restore() brings it back (etcd: restart on the same data dir).
import { KvMetadataStore } from '../../src/cluster/metadata-store/kv-metadata-store.js';
import { MemoryKv, MemoryKvConnection } from '../../src/cluster/metadata-store/memory-kv.js';
import { openMetadataStore } from '../../src/cluster/metadata-store/open-store.js';
import type { KvBackend, KvCompare, KvOp, KvWatchEvent } from '../../src/cluster/metadata-store/kv.js';
import type { ClusterMetadataStore } from '../../src/cluster/metadata-store/types.js';
import { cuttableLink, startEtcd, type TestEtcd } from '../helpers/etcd.js';

export interface StoreFixture {
  name: 'memory' | 'etcd';
  /** Lease TTL for tests: etcd's granularity is seconds. */
  ttlMs: number;
  /** A store client on a fresh key root (each test its own cluster). Several calls with the same root = several brokers. */
  open(root: string): Promise<ClusterMetadataStore>;
  /** A store client whose own link to the store can be cut (the others keep theirs). */
  openCuttable(root: string): Promise<{ store: ClusterMetadataStore; cut(): void; heal(): void }>;
  lose(): Promise<void>;
  restore(): Promise<void>;
  cleanup(): Promise<void>;
}

export async function memoryFixture(): Promise<StoreFixture> {
  const kv = new MemoryKv();
  const opened: ClusterMetadataStore[] = [];
  return {
    name: 'memory',
    ttlMs: 1_000,
    open: async (root) => {
      const s = new KvMetadataStore(kv, root, false);
      opened.push(s);
      return s;
    },
    openCuttable: async (root) => {
      const conn = new MemoryKvConnection(kv);
      const s = new KvMetadataStore(conn, root, false);
      opened.push(s);
      return { store: s, cut: () => conn.setConnected(false), heal: () => conn.setConnected(true) };
    },
    lose: async () => kv.setReachable(false),
    restore: async () => kv.setReachable(true),
    cleanup: async () => {
      for (const s of opened) await s.close();
      await kv.close();
    },
  };
}

export async function etcdFixture(): Promise<StoreFixture> {
  const etcd: TestEtcd = await startEtcd();
  const opened: ClusterMetadataStore[] = [];
  const links: { close(): Promise<void> }[] = [];
  return {
    name: 'etcd',
    ttlMs: 2_000,
    open: async (root) => {
      const s = await openMetadataStore(etcd.url, { root });
      opened.push(s);
      return s;
    },
    openCuttable: async (root) => {
      const link = await cuttableLink(Number(new URL(etcd.endpoint).port));
      links.push(link);
      const s = await openMetadataStore(`etcd://${link.address}`, { root });
      opened.push(s);
      return { store: s, cut: link.cut, heal: link.heal };
    },
    lose: () => etcd.kill(),
    restore: () => etcd.restart(),
    cleanup: async () => {
      for (const s of opened) await s.close().catch(() => undefined);
      for (const l of links) await l.close();
      await etcd.cleanup();
    },
  };
}

let rootSeq = 0;
export function freshRoot(): string {
  return `/t${process.pid}-${++rootSeq}/`;
}

/** Resolves with the first value the probe returns that is not undefined (wait for proof). */
export async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      lastErr = err;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}${lastErr ? `: ${String(lastErr)}` : ''}`);
}

/** Collects watch events and lets a test await the n-th one. */
export class EventLog<T> {
  readonly events: T[] = [];
  private waiters: { n: number; resolve: () => void }[] = [];
  push = (ev: T): void => {
    this.events.push(ev);
    this.waiters = this.waiters.filter((w) => (this.events.length >= w.n ? (w.resolve(), false) : true));
  };
  async count(n: number, timeoutMs = 10_000): Promise<T[]> {
    if (this.events.length < n) {
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`only ${this.events.length} of ${n} events: ${JSON.stringify(this.events)}`)), timeoutMs);
        this.waiters.push({ n, resolve: () => (clearTimeout(t), resolve()) });
      });
    }
    return this.events.slice(0, n);
  }
}

/**
 * A KvBackend whose lease renewals can be made to fail while every other call still works, and
 * whose broker registrations can be slowed: the shape of a store that is coming back after an
 * outage (etcd right after a restart), where a session can lapse in the middle of a rejoin.
 */
export class FlakyKv implements KvBackend {
  readonly kind = 'memory' as const;
  failKeepAlive = false;
  registerDelayMs = 0;
  constructor(private readonly inner: KvBackend) {}
  get(key: string) {
    return this.inner.get(key);
  }
  range(prefix: string) {
    return this.inner.range(prefix);
  }
  async txn(compares: KvCompare[], success: KvOp[], readOnFailure?: string[]) {
    if (this.registerDelayMs > 0 && success.some((op) => op.key.includes('/brokers/ids/'))) {
      await new Promise((r) => setTimeout(r, this.registerDelayMs));
    }
    return this.inner.txn(compares, success, readOnFailure);
  }
  grantLease(ttlMs: number) {
    return this.inner.grantLease(ttlMs);
  }
  async keepAlive(id: string) {
    if (this.failKeepAlive) throw new Error('keepalive failed (injected)');
    return this.inner.keepAlive(id);
  }
  revokeLease(id: string) {
    return this.inner.revokeLease(id);
  }
  watch(prefix: string, afterRevision: number, onEvent: (ev: KvWatchEvent) => void) {
    return this.inner.watch(prefix, afterRevision, onEvent);
  }
  async close() {}
}
