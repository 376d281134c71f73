// Client-side security settings for the CLI's admin commands, from a Kafka client properties file
// (`--command-config`, as kafka-configs.sh takes it) turned into @platformatic/kafka connection
// options. Understood keys:
//   security.protocol                  PLAINTEXT | SSL | SASL_PLAINTEXT | SASL_SSL
//   sasl.mechanism                     PLAIN | SCRAM-SHA-256 | SCRAM-SHA-512
//   sasl.jaas.config                   ...LoginModule required username="u" password="p";
//   sasl.username / sasl.password      librdkafka's form of the same
//   ssl.truststore.location | ssl.ca.location | ssl.truststore.certificates   trusted CAs (PEM)
//   ssl.keystore.location (PEM key + chain) | ssl.keystore.key + ssl.keystore.certificate.chain
//   | ssl.certificate.location + ssl.key.location                           client certificate
import fs from 'node:fs';
import type { ConnectionOptions } from '@platformatic/kafka';
import { parseJaasConfig } from '../auth/jaas.js';
import { parseProperties } from '../config/properties.js';

/** Value flags of every client command: --command-config plus the short forms. */
export const SECURITY_VALUES = ['command-config', 'ca', 'cert', 'key', 'sasl-mechanism', 'user', 'password'] as const;
export const SECURITY_BOOLEANS = ['tls'] as const;

export const SECURITY_HELP: readonly (readonly [string, string])[] = [
  ['--command-config FILE', 'Client properties (security.protocol, ssl.*, sasl.*), as Kafka tools take them'],
  ['--tls', 'Connect with TLS (also implied by --ca, --cert)'],
  ['--ca FILE', 'PEM file of the CA(s) to trust (default: the system CAs)'],
  ['--cert FILE / --key FILE', 'PEM client certificate and key (mutual TLS)'],
  ['--sasl-mechanism M', 'PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (default PLAIN with --user)'],
  ['--user U / --password P', 'SASL credentials (env TRIBUTARY_SASL_PASSWORD for the password)'],
];

/**
 * The file's properties with the short flags on top: a flag wins over the same setting in the
 * file, and the protocol follows what is asked for (--ca means TLS, --user means SASL).
 */
export function clientSecurityFromFlags(parsed: { flags: ReadonlyMap<string, string>; booleans: ReadonlySet<string> }, env: NodeJS.ProcessEnv = process.env): ConnectionOptions {
  const { flags } = parsed;
  const file = flags.get('command-config');
  const p = new Map(file === undefined ? [] : parseProperties(fs.readFileSync(file, 'utf8'), file));
  const set = (key: string, flag: string) => {
    const v = flags.get(flag);
    if (v !== undefined) p.set(key, v);
  };
  set('ssl.ca.location', 'ca');
  set('ssl.certificate.location', 'cert');
  set('ssl.key.location', 'key');
  set('sasl.mechanism', 'sasl-mechanism');
  set('sasl.username', 'user');
  set('sasl.password', 'password');
  if (flags.has('user') && !flags.has('password') && env.TRIBUTARY_SASL_PASSWORD !== undefined) p.set('sasl.password', env.TRIBUTARY_SASL_PASSWORD);
  if (flags.has('cert') !== flags.has('key')) throw new Error('--cert and --key go together');
  // Flags given on the command line beat the same settings inside sasl.jaas.config.
  if (flags.has('user') || flags.has('password')) p.delete('sasl.jaas.config');
  const current = (p.get('security.protocol') ?? 'PLAINTEXT').toUpperCase();
  const tls = parsed.booleans.has('tls') || flags.has('ca') || flags.has('cert') || current.endsWith('SSL');
  const sasl = flags.has('sasl-mechanism') || flags.has('user') || current.startsWith('SASL');
  p.set('security.protocol', sasl ? (tls ? 'SASL_SSL' : 'SASL_PLAINTEXT') : tls ? 'SSL' : current);
  return clientSecurity(p);
}

export function clientSecurityFromFile(file: string | undefined): ConnectionOptions {
  if (file === undefined) return {};
  return clientSecurity(parseProperties(fs.readFileSync(file, 'utf8'), file));
}

export function clientSecurity(p: ReadonlyMap<string, string>): ConnectionOptions {
  const protocol = (p.get('security.protocol') ?? 'PLAINTEXT').toUpperCase();
  if (!['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'].includes(protocol)) throw new Error(`security.protocol: unknown protocol ${protocol}`);
  const out: ConnectionOptions = {};
  if (protocol.endsWith('SSL')) {
    const read = (f: string) => fs.readFileSync(f, 'utf8');
    const caFile = p.get('ssl.truststore.location') ?? p.get('ssl.ca.location');
    const ca = p.get('ssl.truststore.certificates') ?? (caFile ? read(caFile) : undefined);
    let key = p.get('ssl.keystore.key') ?? (p.get('ssl.key.location') ? read(p.get('ssl.key.location')!) : undefined);
    let cert = p.get('ssl.keystore.certificate.chain') ?? (p.get('ssl.certificate.location') ? read(p.get('ssl.certificate.location')!) : undefined);
    const keystore = p.get('ssl.keystore.location');
    if (keystore && key === undefined) {
      const pem = read(keystore);
      key = pem.match(/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/)?.[0];
      cert = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*-----END CERTIFICATE-----/)?.[0];
    }
    out.tls = { ca, key, cert, passphrase: p.get('ssl.key.password') };
  }
  if (protocol.startsWith('SASL')) {
    const mechanism = (p.get('sasl.mechanism') ?? p.get('sasl.mechanisms') ?? 'PLAIN').toUpperCase();
    if (!['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'].includes(mechanism)) throw new Error(`sasl.mechanism: ${mechanism} is not supported by this command`);
    let username = p.get('sasl.username');
    let password = p.get('sasl.password');
    const jaas = p.get('sasl.jaas.config');
    if (jaas !== undefined) {
      const entry = parseJaasConfig('sasl.jaas.config', jaas);
      username = entry.options.get('username') ?? username;
      password = entry.options.get('password') ?? password;
    }
    if (username === undefined || password === undefined) throw new Error('SASL needs a username and password (sasl.jaas.config or sasl.username/sasl.password)');
    out.sasl = { mechanism: mechanism as 'PLAIN', username, password };
  }
  return out;
}
