// connection_creation_rate per IP (KIP-612): a new connection from an address over its rate is
// closed at once, as Kafka's ConnectionQuotas does for an IP quota violation, and is taken back
// from the rate (it was never created). The quota is the address's own (ip=<addr>, or a host
// name's resolved address, see ip-entity.ts) or the default (ip=<default>); addresses without
// one are not measured.
import { isIP } from 'node:net';
import type { BrokerConfig } from '../config/broker-config.js';
import { normalizeAddress, resolveIpEntity } from './ip-entity.js';
import { CONNECTION_CREATION_RATE, IP } from './quota-entity.js';
import type { QuotaStore } from './quota-store.js';
import { SampledRate, type RateWindows } from './sampled-rate.js';

/** Rates kept before idle ones are dropped (addresses come from the network: bounded). */
const MAX_TRACKED = 10_000;

export class IpConnectionRate {
  private readonly rates = new Map<string, { rate: SampledRate; lastMs: number }>();
  /** Resolved address -> its quota, rebuilt when the store changes; host names fill in as they resolve. */
  private byAddress = new Map<string, number>();
  private seenVersion = -1;

  constructor(
    private readonly store: Pick<QuotaStore, 'get' | 'size' | 'all' | 'version'>,
    private readonly windows: RateWindows,
  ) {}

  /** Resolves once the host names of the current quotas are resolved (tests). */
  resolving: Promise<void> = Promise.resolve();

  private refresh(): void {
    if (this.store.version === this.seenVersion) return;
    const version = (this.seenVersion = this.store.version);
    const next = new Map<string, number>();
    const pending: Promise<void>[] = [];
    for (const { entity, quotas } of this.store.all()) {
      const name = entity.get(IP);
      const quota = quotas.get(CONNECTION_CREATION_RATE);
      if (name == null || quota === undefined) continue;
      if (isIP(name) !== 0) {
        next.set(normalizeAddress(name), quota);
        continue;
      }
      pending.push(
        resolveIpEntity(name).then((address) => {
          // A newer quota set replaced this one meanwhile: its own resolution fills the map.
          if (address !== null && this.seenVersion === version) this.byAddress.set(address, quota);
        }),
      );
    }
    this.byAddress = next;
    this.resolving = Promise.all(pending).then(() => undefined);
  }

  /** Null to accept a new connection from `address`, or why it is refused. */
  admit(rawAddress: string, nowMs = Date.now()): string | null {
    if (this.store.size === 0) return null;
    this.refresh();
    const address = normalizeAddress(rawAddress);
    const own = this.byAddress.get(address);
    const quota = own ?? this.store.get(new Map([[IP, null]])).get(CONNECTION_CREATION_RATE);
    if (quota === undefined) return null;
    let r = this.rates.get(address);
    if (!r) {
      if (this.rates.size >= MAX_TRACKED) this.sweep(nowMs);
      r = { rate: new SampledRate(this.windows), lastMs: nowMs };
      this.rates.set(address, r);
    }
    r.lastMs = nowMs;
    r.rate.record(1, nowMs);
    if (r.rate.rate(nowMs) <= quota) return null;
    r.rate.unrecord(1);
    return `connection_creation_rate (${quota}/s) exceeded for ${address}`;
  }

  private sweep(nowMs: number): void {
    const idle = this.windows.samples * this.windows.windowMs;
    for (const [k, r] of this.rates) if (nowMs - r.lastMs >= idle) this.rates.delete(k);
    if (this.rates.size >= MAX_TRACKED) this.rates.clear();
  }
}

export function ipConnectionRate(store: QuotaStore, config: BrokerConfig): IpConnectionRate {
  return new IpConnectionRate(store, { samples: config.get('quota.window.num'), windowMs: config.get('quota.window.size.seconds') * 1000 });
}
