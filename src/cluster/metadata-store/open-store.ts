// Turning `tributary.metadata.store` into a store. 'memory' (or empty) is the in-process backend;
// `etcd://host:2379[,host2:2379…]` is etcd (plain `http://` URLs are accepted too). A broker that
// cannot reach etcd at start gets one clear error naming the endpoints, so it can exit non-zero.
import { KvMetadataStore } from './kv-metadata-store.js';
import { MemoryKv } from './memory-kv.js';
import type { ClusterMetadataStore } from './types.js';

export type MetadataStoreSpec = { kind: 'memory' } | { kind: 'etcd'; endpoints: string[] };

export class MetadataStoreConfigError extends Error {}

export function parseMetadataStoreUrl(value: string): MetadataStoreSpec {
  const v = value.trim();
  if (v === '' || v === 'memory' || v === 'memory://') return { kind: 'memory' };
  const m = /^(etcd|http):\/\/(.+)$/i.exec(v);
  if (!m) throw new MetadataStoreConfigError(`tributary.metadata.store: expected "memory" or "etcd://host:port[,host:port…]", got "${value}"`);
  const endpoints = m[2]!.split(',').map((h) => h.trim().replace(/^(etcd|http):\/\//i, '').replace(/\/+$/, ''));
  for (const h of endpoints) {
    const hp = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(h);
    if (!hp || Number(hp[2]) < 1 || Number(hp[2]) > 65535) {
      throw new MetadataStoreConfigError(`tributary.metadata.store: "${h}" is not host:port (in "${value}")`);
    }
  }
  return { kind: 'etcd', endpoints: endpoints.map((h) => `http://${h}`) };
}

export interface OpenStoreOptions {
  /** The shared in-process backend for 'memory' (several brokers in one process share one). */
  memory?: MemoryKv;
  /** Key prefix in etcd (several clusters can share one etcd). */
  root?: string;
  /** How long to try reaching etcd at start before giving up. */
  connectTimeoutMs?: number;
}

export async function openMetadataStore(url: string, opts: OpenStoreOptions = {}): Promise<ClusterMetadataStore> {
  const spec = parseMetadataStoreUrl(url);
  if (spec.kind === 'memory') {
    return new KvMetadataStore(opts.memory ?? new MemoryKv(), opts.root, opts.memory === undefined);
  }
  // Loaded only for an etcd store: etcd3 and gRPC took ~0.3 s of CPU at every broker start.
  const { EtcdKv } = await import('./etcd-kv.js');
  const kv = new EtcdKv({ hosts: spec.endpoints, callTimeoutMs: opts.connectTimeoutMs ?? 5_000 });
  try {
    await kv.range(`${opts.root ?? '/tributary/'}`);
  } catch (err) {
    await kv.close();
    throw new MetadataStoreConfigError(`cannot reach etcd at ${spec.endpoints.join(', ')}: ${(err as Error).message}`);
  }
  return new KvMetadataStore(kv, opts.root);
}
