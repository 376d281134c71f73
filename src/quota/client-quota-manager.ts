// Kafka's ClientQuotaManager / ClientRequestQuotaManager: which quota applies to a request (the
// KIP-55 precedence below), one sampled rate per quota entity in use, and the throttle time a
// violation earns:  (rate - quota) / quota * window span  (Kafka's QuotaUtils.throttleTime),
// bounded by one window for request_percentage as Kafka bounds it.
//
// Precedence, per quota key (first match wins):
//   1 user=U, client-id=C      2 user=U, client-id=<default>     3 user=U
//   4 user=<default>, client-id=C   5 user=<default>, client-id=<default>   6 user=<default>
//   7 client-id=C              8 client-id=<default>
// The rate is shared by everything the matched entity covers: a quota on user=U is one rate for
// all of U's clients, while a <default> level gives each user / client id its own (Kafka's
// quotaMetricTags).
import { CLIENT_ID, USER, type QuotaEntity } from './quota-entity.js';
import type { QuotaStore } from './quota-store.js';
import { SampledRate, type RateWindows } from './sampled-rate.js';

interface Resolved {
  bound: number;
  /** Identifies the shared rate: (user tag, client-id tag) as Kafka's metric tags. */
  sensorKey: string;
}

interface Sensor {
  rate: SampledRate;
  lastUsedMs: number;
}

/** Resolutions and idle rates kept before a sweep (client ids come from the wire: bounded). */
const MAX_CACHED = 10_000;

export class ClientQuotaManager {
  private readonly sensors = new Map<string, Sensor>();
  private readonly resolved = new Map<string, Resolved | null>();
  private keysInUse = new Set<string>();
  private seenVersion = -1;

  constructor(
    private readonly store: Pick<QuotaStore, 'get' | 'all' | 'version'>,
    private readonly windows: RateWindows,
  ) {}

  /** Whether any entity has a quota for `key` (when not, requests are not even measured). */
  active(key: string): boolean {
    this.refresh();
    return this.keysInUse.has(key);
  }

  /** The quota (key) that applies to a principal's client, or null: unlimited. */
  quotaFor(key: string, user: string, clientId: string): Resolved | null {
    this.refresh();
    const cacheKey = `${key}\0${user}\0${clientId}`;
    let r = this.resolved.get(cacheKey);
    if (r === undefined) {
      if (this.resolved.size >= MAX_CACHED) this.resolved.clear();
      r = this.resolve(key, user, clientId);
      this.resolved.set(cacheKey, r);
    }
    return r;
  }

  /**
   * Records `value` (bytes, or request-time percentage units) against the client's quota and
   * returns the throttle time it earned in ms (0: within quota, or no quota applies).
   */
  recordAndGetThrottleTimeMs(key: string, user: string, clientId: string, value: number, nowMs: number, maxThrottleMs = Infinity): number {
    const q = this.quotaFor(key, user, clientId);
    if (!q) return 0;
    const rate = this.sensor(q.sensorKey, nowMs).rate;
    rate.record(value, nowMs);
    const observed = rate.rate(nowMs);
    if (observed <= q.bound) return 0;
    return Math.round(Math.min(((observed - q.bound) / q.bound) * rate.windowSizeMs(nowMs), maxThrottleMs));
  }

  /** Takes back a value just recorded (a throttled fetch is answered empty, as Kafka does). */
  unrecord(key: string, user: string, clientId: string, value: number): void {
    const q = this.quotaFor(key, user, clientId);
    if (q) this.sensors.get(q.sensorKey)?.rate.unrecord(value);
  }

  /** The rate currently measured for the client's quota entity (tests, metrics). */
  observedRate(key: string, user: string, clientId: string, nowMs: number): number | null {
    const q = this.quotaFor(key, user, clientId);
    const s = q && this.sensors.get(q.sensorKey);
    return s ? s.rate.rate(nowMs) : null;
  }

  private sensor(sensorKey: string, nowMs: number): Sensor {
    let s = this.sensors.get(sensorKey);
    if (!s) {
      if (this.sensors.size >= MAX_CACHED) this.sweep(nowMs);
      s = { rate: new SampledRate(this.windows), lastUsedMs: nowMs };
      this.sensors.set(sensorKey, s);
    }
    s.lastUsedMs = nowMs;
    return s;
  }

  /** Drops rates idle for longer than all their windows (they would read 0 anyway). */
  private sweep(nowMs: number): void {
    const idle = this.windows.samples * this.windows.windowMs;
    for (const [k, s] of this.sensors) if (nowMs - s.lastUsedMs >= idle) this.sensors.delete(k);
    // Still full (a flood of distinct active client ids): forget the oldest half.
    if (this.sensors.size >= MAX_CACHED) {
      const byAge = [...this.sensors].sort((a, b) => a[1].lastUsedMs - b[1].lastUsedMs);
      for (const [k] of byAge.slice(0, byAge.length >> 1)) this.sensors.delete(k);
    }
  }

  private refresh(): void {
    if (this.store.version === this.seenVersion) return;
    this.seenVersion = this.store.version;
    this.resolved.clear();
    this.keysInUse = new Set(this.store.all().flatMap((e) => [...e.quotas.keys()]));
  }

  private resolve(key: string, user: string, clientId: string): Resolved | null {
    const levels: [QuotaEntity, string, string][] = [
      [new Map([[USER, user], [CLIENT_ID, clientId]]), user, clientId],
      [new Map([[USER, user], [CLIENT_ID, null]]), user, clientId],
      [new Map([[USER, user]]), user, ''],
      [new Map([[USER, null], [CLIENT_ID, clientId]]), user, clientId],
      [new Map([[USER, null], [CLIENT_ID, null]]), user, clientId],
      [new Map([[USER, null]]), user, ''],
      [new Map([[CLIENT_ID, clientId]]), '', clientId],
      [new Map([[CLIENT_ID, null]]), '', clientId],
    ];
    for (const [entity, userTag, clientTag] of levels) {
      const bound = this.store.get(entity).get(key);
      if (bound !== undefined) return { bound, sensorKey: `${key}\0${userTag}\0${clientTag}` };
    }
    return null;
  }
}

/** The quota user of a principal: the name after the type ("User:alice" -> "alice"). */
export function quotaUser(principal: string): string {
  const i = principal.indexOf(':');
  return i < 0 ? principal : principal.slice(i + 1);
}
