// Kafka listener lists: "NAME://host:port,NAME2://[::1]:9093". The name picks a security protocol
// through listener.security.protocol.map. An empty host ("PLAINTEXT://:9092") binds every
// interface; port 0 binds an ephemeral port (the broker reports the bound one).
import os from 'node:os';
import { ConfigError } from './errors.js';

export type SecurityProtocol = 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';
export const SECURITY_PROTOCOLS: readonly SecurityProtocol[] = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];

export interface Listener {
  /** Upper-cased listener name, e.g. PLAINTEXT, INTERNAL. */
  name: string;
  /** Host to bind or advertise; '' means all interfaces (bind) — never advertised as ''. */
  host: string;
  /** 0 means "ephemeral": the broker must substitute the port it actually bound. */
  port: number;
  securityProtocol: SecurityProtocol;
}

// Kafka's EndPoint regex: name, then host (IPv6 in brackets), then port.
const LISTENER = /^([A-Za-z0-9_]+):\/\/(\[[0-9a-fA-F:.%A-Za-z]*\]|[0-9a-zA-Z\-%._]*):(\d+)$/;

const WILDCARD_HOSTS = new Set(['', '0.0.0.0', '::', '[::]']);

/** Parse listener.security.protocol.map ("NAME:PROTOCOL,..."). */
export function parseProtocolMap(key: string, entries: readonly string[]): Map<string, SecurityProtocol> {
  const map = new Map<string, SecurityProtocol>();
  for (const entry of entries) {
    const m = /^([A-Za-z0-9_]+):([A-Za-z_]+)$/.exec(entry.trim());
    if (!m) throw ConfigError.invalid(key, entries.join(','), `Map entry '${entry}' is not of the form NAME:PROTOCOL`);
    const protocol = m[2]!.toUpperCase() as SecurityProtocol;
    if (!SECURITY_PROTOCOLS.includes(protocol)) {
      throw ConfigError.invalid(
        key,
        entries.join(','),
        `Unknown security protocol '${m[2]}' (expected one of ${SECURITY_PROTOCOLS.join(', ')})`,
      );
    }
    map.set(m[1]!.toUpperCase(), protocol);
  }
  return map;
}

/** Parse a listeners list; validates syntax, ports, duplicate names and the protocol mapping. */
export function parseListeners(key: string, entries: readonly string[], protocols: Map<string, SecurityProtocol>): Listener[] {
  const raw = entries.join(',');
  const out: Listener[] = [];
  for (const entry of entries) {
    const m = LISTENER.exec(entry.trim());
    if (!m) {
      throw ConfigError.invalid(key, raw, `Listener '${entry}' is not of the form NAME://host:port (e.g. PLAINTEXT://127.0.0.1:9092)`);
    }
    const name = m[1]!.toUpperCase();
    let host = m[2]!;
    if (host.startsWith('[')) host = host.slice(1, -1);
    const port = Number(m[3]);
    if (port > 65535) throw ConfigError.invalid(key, raw, `Port ${port} of listener ${name} is not in [0, 65535]`);
    const securityProtocol = protocols.get(name);
    if (securityProtocol === undefined) {
      throw ConfigError.invalid(
        key,
        raw,
        `No security protocol defined for listener ${name}; add it to listener.security.protocol.map`,
      );
    }
    if (out.some((l) => l.name === name)) throw ConfigError.invalid(key, raw, `Each listener must have a different name; ${name} appears twice`);
    if (port !== 0 && out.some((l) => l.port === port && l.host === host)) {
      throw ConfigError.invalid(key, raw, `Each listener must have a different port; ${host}:${port} appears twice`);
    }
    out.push({ name, host, port, securityProtocol });
  }
  return out;
}

/**
 * What clients are told to connect to. With advertised.listeners unset Kafka advertises the
 * listeners themselves, replacing an empty host with the machine's host name; Kafka refuses a
 * 0.0.0.0 advertisement outright, but here a wildcard bind host is treated like the empty host
 * (host name) with a warning, which is what people binding 0.0.0.0 in a container want.
 * An explicit advertised 0.0.0.0 is still an error, as in Kafka.
 */
export function deriveAdvertised(
  listeners: readonly Listener[],
  advertised: readonly Listener[] | null,
  warn: (msg: string) => void,
  hostname: () => string = os.hostname,
): Listener[] {
  if (advertised !== null) {
    for (const l of advertised) {
      if (l.host === '0.0.0.0' || l.host === '::') {
        throw ConfigError.invalid(
          'advertised.listeners',
          advertised.map(formatListener).join(','),
          `advertised.listeners cannot use the nonroutable meta-address ${l.host}. Use a routable IP address.`,
        );
      }
      if (!listeners.some((b) => b.name === l.name)) {
        throw ConfigError.invalid(
          'advertised.listeners',
          advertised.map(formatListener).join(','),
          `Listener ${l.name} is not in listeners (advertised listener names must be a subset of the ones defined in listeners)`,
        );
      }
    }
    return advertised.map((l) => (l.host === '' ? { ...l, host: hostname() } : { ...l }));
  }
  return listeners.map((l) => {
    if (!WILDCARD_HOSTS.has(l.host)) return { ...l };
    const host = hostname();
    if (l.host !== '') {
      warn(`listener ${l.name} binds ${l.host}; advertising host name '${host}' to clients (set advertised.listeners to choose)`);
    }
    return { ...l, host };
  });
}

export function formatListener(l: Listener): string {
  const host = l.host.includes(':') ? `[${l.host}]` : l.host;
  return `${l.name}://${host}:${l.port}`;
}
