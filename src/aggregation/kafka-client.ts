// The Kafka client the stage uses to reach other clusters, and the CLI to reach this one:
// @platformatic/kafka (maintained, TLS and SASL PLAIN/SCRAM, raw by-partition Fetch with
// read_committed, metadata with topic ids). The project's own client code is a test helper
// without TLS/SASL, so it is not used here. Loaded lazily: a broker without remote sources never
// loads it.
//
// Secrets: cluster settings may say ${env:NAME} or ${file:/path} instead of holding a password or
// key; they are resolved here, at connect time, in the process that connects.
import { readFileSync } from 'node:fs';
import type { ClusterConnection } from './definition.js';

export type PlatformaticKafka = typeof import('@platformatic/kafka');
export type KafkaConsumer = import('@platformatic/kafka').Consumer<Buffer, Buffer, Buffer, Buffer>;
export type KafkaProducer = import('@platformatic/kafka').Producer<Buffer, Buffer, Buffer, Buffer>;

let loaded: Promise<PlatformaticKafka> | null = null;
export function loadKafka(): Promise<PlatformaticKafka> {
  loaded ??= import('@platformatic/kafka');
  return loaded;
}

/** Resolves ${env:NAME} and ${file:/path} references (whole-string); other strings pass through. */
export function resolveSecret(v: string, env: NodeJS.ProcessEnv = process.env): string {
  const m = /^\$\{(env|file):([^}]+)\}$/.exec(v);
  if (!m) return v;
  if (m[1] === 'env') {
    const s = env[m[2]!];
    if (s === undefined) throw new Error(`environment variable ${m[2]} is not set`);
    return s;
  }
  return readFileSync(m[2]!, 'utf8');
}

export interface ClientSettings {
  clientId: string;
  bootstrapBrokers: string[];
  tls?: import('node:tls').ConnectionOptions;
  sasl?: { mechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512'; username: string; password: string };
  connectTimeout: number;
  requestTimeout: number;
  retries: number;
}

export function clientSettings(conn: ClusterConnection, clientId: string, env: NodeJS.ProcessEnv = process.env): ClientSettings {
  const s: ClientSettings = {
    clientId: conn.clientId ?? clientId,
    bootstrapBrokers: conn.bootstrap,
    connectTimeout: 5_000,
    requestTimeout: 15_000,
    // The stage retries with its own backoff and status; the client must fail fast.
    retries: 0,
  };
  const tls = conn.tls;
  if (tls && tls.enabled !== false) {
    s.tls = {
      ...(tls.ca ? { ca: resolveSecret(tls.ca, env) } : {}),
      ...(tls.cert ? { cert: resolveSecret(tls.cert, env) } : {}),
      ...(tls.key ? { key: resolveSecret(tls.key, env) } : {}),
      ...(tls.rejectUnauthorized !== undefined ? { rejectUnauthorized: tls.rejectUnauthorized } : {}),
      ...(tls.servername ? { servername: tls.servername } : {}),
    };
  }
  if (conn.sasl) {
    s.sasl = { mechanism: conn.sasl.mechanism, username: resolveSecret(conn.sasl.username, env), password: resolveSecret(conn.sasl.password, env) };
  }
  return s;
}

/** Closes a client and waits for it; never throws. Consumer/Producer close forcefully (pending requests fail). */
export async function closeClient(c: { close(...args: never[]): unknown } | null | undefined): Promise<void> {
  if (!c) return;
  const withForce = c.constructor?.name === 'Consumer' || c.constructor?.name === 'Producer';
  try {
    await new Promise<void>((resolve) => {
      const done = () => resolve();
      if (withForce) (c.close as (force: boolean, cb: () => void) => void)(true, done);
      else (c.close as (cb: () => void) => void)(done);
    });
  } catch {
    // closing is best effort
  }
}

export interface FetchedRecord {
  partition: number;
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Map<string, string>;
}

/**
 * Reads every partition of `topic` from its start to the current high watermark with raw Fetch
 * (no consumer group). Used by the CLI (definitions, status, output) and `tributary contribute`.
 * Returns [] when the topic does not exist.
 */
export async function readTopicToEnd(consumer: KafkaConsumer, topic: string): Promise<FetchedRecord[]> {
  let md;
  try {
    md = await consumer.metadata({ topics: [topic], forceUpdate: true });
  } catch (e) {
    if (isUnknownTopic(e)) return [];
    throw e;
  }
  const t = md.topics.get(topic);
  if (!t) return [];
  const out: FetchedRecord[] = [];
  for (let partition = 0; partition < t.partitionsCount; partition++) {
    const leader = t.partitions[partition]!.leader;
    let offset = 0n;
    for (let i = 0; i < 10_000; i++) {
      const res = await consumer.fetch({
        node: leader,
        maxWaitTime: 0,
        minBytes: 0,
        maxBytes: 4 << 20,
        isolationLevel: 1,
        topics: [{ topicId: t.id, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, partitionMaxBytes: 4 << 20 }] }],
      });
      const p = res.responses[0]!.partitions[0]!;
      const batches = p.records ?? [];
      for (const b of batches) {
        if (b.attributes & 0x20) {
          offset = b.firstOffset + BigInt(b.lastOffsetDelta) + 1n;
          continue;
        }
        for (const r of b.records) {
          const off = b.firstOffset + BigInt(r.offsetDelta);
          if (off < offset) continue;
          const headers = new Map<string, string>();
          for (const [k, v] of r.headers) if (k) headers.set(k.toString(), v?.toString() ?? '');
          out.push({ partition, offset: Number(off), timestamp: Number(b.firstTimestamp + r.timestampDelta), key: r.key, value: r.value, headers });
        }
        offset = b.firstOffset + BigInt(b.lastOffsetDelta) + 1n;
      }
      if (batches.length === 0 || offset >= p.lastStableOffset) break;
    }
  }
  return out;
}

export function isUnknownTopic(e: unknown): boolean {
  const err = e as { findBy?: (k: string, v: unknown) => unknown; message?: string };
  return Boolean(err?.findBy?.('apiId', 'UNKNOWN_TOPIC_OR_PARTITION')) || /UNKNOWN_TOPIC_OR_PARTITION|does not host this topic/i.test(String(err?.message));
}

export function errorText(e: unknown): string {
  const err = e as { message?: string; errors?: { message?: string; apiId?: string }[]; code?: string };
  const inner = err?.errors?.map((x) => x.apiId ?? x.message).filter(Boolean) ?? [];
  return inner.length > 0 ? `${err.message ?? String(e)} (${inner.join(', ')})` : (err?.message ?? String(e));
}
