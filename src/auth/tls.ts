// TLS for SSL and SASL_SSL listeners (node:tls), from Kafka's PEM store configs (KIP-651):
//   key + chain  ssl.keystore.key + ssl.keystore.certificate.chain (inline PEM), or
//                ssl.keystore.location (one PEM file holding both); ssl.key.password decrypts the key
//   trust        ssl.truststore.certificates (inline PEM) or ssl.truststore.location (PEM file)
//   ssl.client.auth none | requested | required
// An SSL connection whose client presented a trusted certificate is principal User:<subject DN in
// RFC 2253 order> ("User:CN=alice,O=Example"), as Kafka's default principal builder, unless
// ssl.principal.mapping.rules maps the DN to another name.
import { X509Certificate } from 'node:crypto';
import type { TLSSocket, TlsOptions } from 'node:tls';
import type { BrokerConfig } from '../config/broker-config.js';
import { ConfigError } from '../config/errors.js';
import { listenerValue } from './listener-value.js';
import { mapPrincipal, parsePrincipalMappingRules, PrincipalMappingError, type PrincipalRule } from './principal-mapping.js';

export type ClientAuth = 'none' | 'requested' | 'required';

export interface TlsListenerOptions {
  options: TlsOptions;
  clientAuth: ClientAuth;
  /** ssl.principal.mapping.rules, parsed. */
  principalRules: PrincipalRule[];
}

export function buildTlsOptions(config: BrokerConfig, listener: string, readFile: (path: string) => string): TlsListenerOptions {
  const v = <K extends Parameters<typeof listenerValue>[2]>(k: K) => listenerValue(config, listener, k);
  const read = (key: string, file: string): string => {
    try {
      return readFile(file);
    } catch (err) {
      throw ConfigError.invalid(key, file, `Cannot read PEM file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };
  let key = v('ssl.keystore.key');
  let cert = v('ssl.keystore.certificate.chain');
  const location = v('ssl.keystore.location');
  if ((key === null) !== (cert === null)) {
    throw ConfigError.invalid('ssl.keystore.key', null, `Listener ${listener}: ssl.keystore.key and ssl.keystore.certificate.chain must be set together`);
  }
  if (key !== null && location !== null) {
    throw ConfigError.invalid('ssl.keystore.location', location, `Listener ${listener}: set either ssl.keystore.location or the inline ssl.keystore.key/certificate.chain, not both`);
  }
  if (key === null) {
    if (location === null) {
      throw ConfigError.invalid(
        'ssl.keystore.location',
        null,
        `Listener ${listener} uses TLS and needs a key and certificate: ssl.keystore.location (PEM file) or ssl.keystore.key + ssl.keystore.certificate.chain`,
      );
    }
    const pem = read('ssl.keystore.location', location);
    key = pemBlocks(pem, /PRIVATE KEY/).join('\n');
    cert = pemBlocks(pem, /^CERTIFICATE$/).join('\n');
    if (key === '' || cert === '') {
      throw ConfigError.invalid('ssl.keystore.location', location, 'The PEM file must hold a private key and at least one certificate');
    }
  }
  const trustInline = v('ssl.truststore.certificates');
  const trustLocation = v('ssl.truststore.location');
  const ca = trustInline ?? (trustLocation !== null ? read('ssl.truststore.location', trustLocation) : null);
  const clientAuth = v('ssl.client.auth') as ClientAuth;
  if (clientAuth !== 'none' && ca === null) {
    throw ConfigError.invalid('ssl.client.auth', clientAuth, `Listener ${listener}: client authentication needs trusted CAs (ssl.truststore.location or ssl.truststore.certificates)`);
  }
  let principalRules: PrincipalRule[];
  try {
    principalRules = parsePrincipalMappingRules(v('ssl.principal.mapping.rules') as string);
  } catch (err) {
    if (err instanceof PrincipalMappingError) throw ConfigError.invalid('ssl.principal.mapping.rules', v('ssl.principal.mapping.rules'), err.message);
    throw err;
  }
  const authTimeoutMs = v('tributary.authentication.timeout.ms') as number;
  const protocols = v('ssl.enabled.protocols') as ('TLSv1.2' | 'TLSv1.3')[];
  const options: TlsOptions = {
    key,
    cert: cert!,
    passphrase: v('ssl.key.password') ?? undefined,
    ca: ca ?? undefined,
    requestCert: clientAuth !== 'none',
    // 'requested' lets a client without a certificate in; one that presents an untrusted
    // certificate is still refused (checked after the handshake, see acceptTlsSocket).
    rejectUnauthorized: clientAuth === 'required',
    minVersion: protocols.includes('TLSv1.2') ? 'TLSv1.2' : 'TLSv1.3',
    maxVersion: protocols.includes('TLSv1.3') ? 'TLSv1.3' : 'TLSv1.2',
    // A client that opens a TCP connection and never finishes the handshake is dropped.
    ...(authTimeoutMs > 0 ? { handshakeTimeout: authTimeoutMs } : {}),
  };
  return { options, clientAuth, principalRules };
}

function pemBlocks(pem: string, label: RegExp): string[] {
  const out: string[] = [];
  for (const m of pem.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g)) {
    if (label.test(m[1]!)) out.push(m[0]);
  }
  return out;
}

/**
 * After the handshake: null when the connection may proceed, with the principal taken from a
 * trusted client certificate (or null for none), or a reason to close it.
 */
export function tlsPeer(socket: TLSSocket, t: Pick<TlsListenerOptions, 'clientAuth' | 'principalRules'>): { principal: string | null } | { reject: string } {
  const { clientAuth } = t;
  if (clientAuth === 'none') return { principal: null };
  const peer = socket.getPeerCertificate(false);
  const presented = peer !== null && peer !== undefined && Object.keys(peer).length > 0;
  if (!presented) return clientAuth === 'required' ? { reject: 'no client certificate' } : { principal: null };
  if (!socket.authorized) return { reject: `untrusted client certificate: ${String(socket.authorizationError)}` };
  const dn = rfc2253Subject(new X509Certificate(peer.raw));
  const name = mapPrincipal(t.principalRules, dn);
  if (name === null) return { reject: `no ssl.principal.mapping.rules rule applies to ${dn}` };
  return { principal: `User:${name}` };
}

/** The subject DN as Java's X500Principal.getName() prints it: most specific RDN first, no spaces. */
export function rfc2253Subject(cert: X509Certificate): string {
  // Node prints one RDN per line in certificate order (C first), already escaped per RFC 2253.
  return cert.subject.split('\n').filter((l) => l.length > 0).reverse().join(',');
}
