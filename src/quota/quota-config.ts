// The broker's quota enforcer from its config: Kafka's `quota.window.num` samples of
// `quota.window.size.seconds` (read once at start, as Kafka reads them).
import type { BrokerConfig } from '../config/broker-config.js';
import { ClientQuotaManager } from './client-quota-manager.js';
import type { QuotaEnforcer } from './quota-enforcement.js';
import type { QuotaStore } from './quota-store.js';

export function quotaEnforcer(store: QuotaStore, config: BrokerConfig): QuotaEnforcer {
  const windowMs = config.get('quota.window.size.seconds') * 1000;
  const samples = config.get('quota.window.num');
  return { manager: new ClientQuotaManager(store, { samples, windowMs }), windowMs, samples };
}
