// IP quota entities as Kafka treats them: the name may be an address or a host name, accepted
// if it resolves (ClientQuotaControlManager.isValidIpEntity: InetAddress.getByName), and the
// quota is applied to the address it resolves to when the quota is loaded
// (ClientQuotaMetadataManager: connectionQuotas.updateIpConnectionRateQuota(getByName(ip))).
// Describe shows the name as it was given. Like Java's getByName, the first address wins, IPv4
// before IPv6 (java.net.preferIPv6Addresses=false).
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/** A host name that does not answer within this long counts as unresolvable (the request must not hang). */
const RESOLVE_TIMEOUT_MS = 5_000;

/** The address a quota's IP entity name stands for, or null when it does not resolve. */
export async function resolveIpEntity(name: string): Promise<string | null> {
  if (isIP(name) !== 0) return normalizeAddress(name);
  let timer: NodeJS.Timeout | undefined;
  try {
    const found = await Promise.race([
      lookup(name, { all: true, order: 'ipv4first' }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timed out')), RESOLVE_TIMEOUT_MS);
      }),
    ]);
    return found.length > 0 ? normalizeAddress(found[0]!.address) : null;
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}

/** Kafka's refusal of an IP entity name that is neither an address nor a resolvable host. */
export function unresolvableIpMessage(name: string): string {
  return `${name} is not a valid IP or resolvable host.`;
}

/** One spelling per address: IPv4-mapped IPv6 (::ffff:1.2.3.4) as the IPv4 address, IPv6 lower-case. */
export function normalizeAddress(address: string): string {
  const a = address.toLowerCase();
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}
