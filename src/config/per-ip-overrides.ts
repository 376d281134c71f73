// max.connections.per.ip.overrides: "host:count,host:count". Parsed the way Kafka's
// CoreUtils.parseCsvMap does (the count follows the last ':', so IPv6 literals work); used by the
// key's validator and by the network layer's connection quotas.
import { INT_MAX } from './config-def.js';

export function parsePerIpOverrides(raw: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const entry of raw.split(',')) {
    const e = entry.trim();
    if (e === '') continue;
    const colon = e.lastIndexOf(':');
    const host = colon > 0 ? e.slice(0, colon).trim() : '';
    const count = colon > 0 ? e.slice(colon + 1).trim() : '';
    if (host === '' || !/^\d+$/.test(count) || Number(count) > INT_MAX) {
      throw new Error(`Invalid entry '${e}': expected host:count with a count in [0,...,${INT_MAX}]`);
    }
    out.set(host.toLowerCase(), Number(count));
  }
  return out;
}
