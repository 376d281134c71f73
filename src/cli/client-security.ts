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
