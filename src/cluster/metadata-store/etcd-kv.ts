// KvBackend on etcd v3 through the `etcd3` client's raw KV, Lease and Watch RPCs. Deliberately not
// its Lease helper (it only reports a lost lease after 2×TTL without etcd, later than etcd itself
// expires the lease) nor its Election helper (multi-leader bugs): the session in lease-session.ts
// keeps its own conservative deadline, and elections are one transaction in metadata-store.ts.
import { Etcd3, type IKeyValue, type IOptions, type IRequestOp, type ICompare } from 'etcd3';
import type { KvBackend, KvCompare, KvEntry, KvLeaseGrant, KvOp, KvTxnResult, KvWatchEvent } from './kv.js';

export interface EtcdKvOptions {
  hosts: string[];
  /** Deadline of each unary call: a dead etcd must fail calls, not hang them. */
  callTimeoutMs?: number;
}

type FaultHandling = NonNullable<IOptions['faultHandling']>;
type HostPolicy = ReturnType<NonNullable<FaultHandling['host']>>;
type WatchBackoff = NonNullable<FaultHandling['watchBackoff']>;

// The client's defaults suit long-lived services poorly after an etcd restart: a per-host circuit
// breaker that stays open 5 s after three failures, and watch reconnects backing off to 30 s. A
// broker must rejoin and see changes again soon after etcd is back (its lease TTL is the budget),
// so: no host breaker (the global retry still moves calls to another endpoint), and watch
// reconnects backing off from 100 ms to at most 1 s.
const passThroughHostPolicy = { execute: <T>(fn: (ctx: object) => T) => Promise.resolve().then(() => fn({})) } as unknown as HostPolicy;

function watchBackoff(ms: number): WatchBackoff {
  return { duration: ms, next: () => watchBackoff(Math.min(ms * 2, 1_000)) };
}

function prefixEnd(prefix: string): Buffer {
  const b = Buffer.from(prefix);
  // Every prefix here ends in '/', so incrementing the last byte never overflows.
  b[b.length - 1]++;
  return b;
}

function toEntry(kv: IKeyValue): KvEntry {
  return {
    key: kv.key.toString(),
    value: kv.value.toString(),
    createRevision: Number(kv.create_revision),
    modRevision: Number(kv.mod_revision),
    lease: String(kv.lease ?? '0'),
  };
}

function toCompare(c: KvCompare): ICompare {
  const key = Buffer.from(c.key);
  switch (c.target) {
    case 'create':
      return { key, target: 'Create', result: 'Equal', create_revision: c.value };
    case 'mod':
      return { key, target: 'Mod', result: 'Equal', mod_revision: c.value };
    case 'value':
      return { key, target: 'Value', result: 'Equal', value: Buffer.from(c.value) };
    case 'lease':
      return { key, target: 'Lease', result: 'Equal', lease: c.value };
  }
}

function toOp(op: KvOp): IRequestOp {
  if (op.type === 'delete') return { request_delete_range: { key: Buffer.from(op.key) } };
  return { request_put: { key: Buffer.from(op.key), value: Buffer.from(op.value), lease: op.lease ?? '0' } };
}

export class EtcdKv implements KvBackend {
  readonly kind = 'etcd' as const;
  private readonly client: Etcd3;
  private readonly callTimeoutMs: number;

  constructor(opts: EtcdKvOptions) {
    this.callTimeoutMs = opts.callTimeoutMs ?? 2_000;
    this.client = new Etcd3({
      hosts: opts.hosts,
      dialTimeout: this.callTimeoutMs,
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + this.callTimeoutMs }),
      faultHandling: { host: () => passThroughHostPolicy, watchBackoff: watchBackoff(100) },
    });
  }

  async get(key: string): Promise<KvEntry | undefined> {
    const res = await this.client.kv.range({ key: Buffer.from(key) });
    return res.kvs[0] ? toEntry(res.kvs[0]) : undefined;
  }

  async range(prefix: string): Promise<{ entries: KvEntry[]; revision: number }> {
    const res = await this.client.kv.range({ key: Buffer.from(prefix), range_end: prefixEnd(prefix), sort_target: 'Key', sort_order: 'Ascend' });
    return { entries: res.kvs.map(toEntry), revision: Number(res.header.revision) };
  }

  async txn(compares: KvCompare[], success: KvOp[], readOnFailure: string[] = []): Promise<KvTxnResult> {
    const res = await this.client.kv.txn({
      compare: compares.map(toCompare),
      success: success.map(toOp),
      failure: readOnFailure.map((k) => ({ request_range: { key: Buffer.from(k) } })),
    });
    const entries = new Map<string, KvEntry>();
    if (!res.succeeded) {
      for (const r of res.responses) {
        for (const kv of r.response_range?.kvs ?? []) entries.set(kv.key.toString(), toEntry(kv));
      }
    }
    return { succeeded: res.succeeded, revision: Number(res.header.revision), entries };
  }

  async grantLease(ttlMs: number): Promise<KvLeaseGrant> {
    const res = await this.client.leaseClient.leaseGrant({ TTL: Math.max(1, Math.ceil(ttlMs / 1000)), ID: 0 });
    return { id: String(res.ID), ttlMs: Number(res.TTL) * 1000 };
  }

  async keepAlive(id: string): Promise<number> {
    const stream = await this.client.leaseClient.leaseKeepAlive();
    let settled = false;
    try {
      const res = await new Promise<{ TTL: string }>((resolve, reject) => {
        const timer = setTimeout(() => finish(new Error('lease keepalive timed out')), this.callTimeoutMs);
        const finish = (err: Error | null, r?: { TTL: string }) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          if (err) reject(err);
          else resolve(r!);
        };
        // Errors after we are done (e.g. CANCELLED on end) are swallowed here, not thrown.
        stream.on('data', (r: { TTL: string }) => finish(null, r));
        stream.on('error', (err: Error) => finish(err));
        stream.write({ ID: id });
      });
      return Number(res.TTL) * 1000;
    } finally {
      settled = true;
      stream.end();
    }
  }

  async revokeLease(id: string): Promise<void> {
    try {
      await this.client.leaseClient.leaseRevoke({ ID: id });
    } catch (err) {
      // Already expired is what revoking wanted.
      if (!/not found/i.test(String((err as Error).message))) throw err;
    }
  }

  async watch(prefix: string, afterRevision: number, onEvent: (ev: KvWatchEvent) => void): Promise<() => Promise<void>> {
    const watcher = await this.client
      .watch()
      .prefix(prefix)
      .startRevision(String(afterRevision + 1))
      .create();
    watcher.on('put', (kv) => onEvent({ type: 'put', key: kv.key.toString(), value: kv.value.toString(), revision: Number(kv.mod_revision), createRevision: Number(kv.create_revision) }));
    watcher.on('delete', (kv) => onEvent({ type: 'delete', key: kv.key.toString(), revision: Number(kv.mod_revision) }));
    // The client reconnects and resumes by itself; errors in between are not ours to throw.
    watcher.on('error', () => undefined);
    return async () => {
      await watcher.cancel().catch(() => undefined);
    };
  }

  async close(): Promise<void> {
    this.client.close();
  }
}
