// Connection-count limits checked when a socket is accepted (Kafka's ConnectionQuotas):
//   max.connections                    all listeners together
//   max.connections.per.ip             per client address
//   max.connections.per.ip.overrides   "host:n,host:n" exceptions to the per-IP limit
// Kafka blocks its acceptor until the count drops below max.connections; closing the new socket
// at once is what clients observe in practice and keeps a flood from queueing in the backlog.
// The limits are read through a function at every accept, so dynamic updates (AlterConfigs on
// the cluster default) apply to the next connection.
import dns from 'node:dns';
import net from 'node:net';
import { parsePerIpOverrides } from '../config/per-ip-overrides.js';
import type { Logger } from '../logging/logger.js';

export interface QuotaSettings {
  maxConnections: number;
  maxConnectionsPerIp: number;
  /** Raw max.connections.per.ip.overrides ("host:n,host:n", "" for none). */
  perIpOverrides: string;
  /** Client quotas' connection_creation_rate per IP (src/quota): null admits, else the reason. */
  admitConnection?(address: string): string | null;
}

/** How often a rejected connection is logged at most; the line carries the count since the last one. */
const REJECT_LOG_INTERVAL_MS = 10_000;

/** IPv4 clients of a dual-stack listener appear as ::ffff:a.b.c.d; count them as a.b.c.d. */
export function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') && net.isIPv4(address.slice(7)) ? address.slice(7) : address.toLowerCase();
}

export class ConnectionQuotas {
  private total = 0;
  private readonly perIp = new Map<string, number>();
  private overridesRaw: string | null = null;
  private overrides = new Map<string, number>();
  private rejectedSinceLog = 0;
  private lastRejectLog = -Infinity;

  constructor(
    private readonly settings: () => QuotaSettings,
    private readonly logger: Logger,
  ) {}

  get connections(): number {
    return this.total;
  }

  /** Counts the connection and returns null, or returns why it must be closed (not counted). */
  admit(address: string): string | null {
    const s = this.settings();
    if (this.total >= s.maxConnections) return this.reject(`max.connections (${s.maxConnections}) reached`, address);
    const limit = this.limitFor(address, s);
    const current = this.perIp.get(address) ?? 0;
    if (current >= limit) return this.reject(`max.connections.per.ip (${limit}) reached for ${address}`, address);
    const rateRefusal = s.admitConnection?.(address) ?? null;
    if (rateRefusal !== null) return this.reject(rateRefusal, address);
    this.total++;
    this.perIp.set(address, current + 1);
    return null;
  }

  /** A connection admitted for `address` closed. */
  release(address: string): void {
    this.total--;
    const n = (this.perIp.get(address) ?? 1) - 1;
    if (n <= 0) this.perIp.delete(address);
    else this.perIp.set(address, n);
  }

  private limitFor(address: string, s: QuotaSettings): number {
    if (s.perIpOverrides !== this.overridesRaw) this.loadOverrides(s.perIpOverrides);
    return this.overrides.get(address) ?? s.maxConnectionsPerIp;
  }

  /**
   * IP literals apply at once; host names are resolved in the background (Kafka resolves them
   * with InetAddress.getByName when the config is loaded) and apply once resolved.
   */
  private loadOverrides(raw: string): void {
    this.overridesRaw = raw;
    let parsed: Map<string, number>;
    try {
      parsed = parsePerIpOverrides(raw);
    } catch (err) {
      // Validated when set; a bad value here means validation and parsing disagree.
      this.logger.error('ignoring max.connections.per.ip.overrides', { error: (err as Error).message });
      parsed = new Map();
    }
    const literal = new Map<string, number>();
    for (const [host, n] of parsed) {
      if (net.isIP(host) !== 0) {
        literal.set(normalizeAddress(host), n);
        continue;
      }
      dns.lookup(host, { all: true }, (err, addresses) => {
        if (this.overridesRaw !== raw) return;
        if (err) {
          this.logger.warn('max.connections.per.ip.overrides: cannot resolve host', { host, error: err.message });
          return;
        }
        for (const a of addresses) if (!this.overrides.has(normalizeAddress(a.address))) this.overrides.set(normalizeAddress(a.address), n);
      });
    }
    this.overrides = literal;
  }

  private reject(reason: string, address: string): string {
    this.rejectedSinceLog++;
    const now = Date.now();
    if (now - this.lastRejectLog >= REJECT_LOG_INTERVAL_MS) {
      this.logger.warn('closing new connection: connection limit reached', {
        reason,
        address,
        rejectedSinceLastLog: this.rejectedSinceLog,
        open: this.total,
      });
      this.lastRejectLog = now;
      this.rejectedSinceLog = 0;
    }
    return reason;
  }
}
