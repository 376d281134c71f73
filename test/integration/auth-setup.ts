// Shared by the auth-* tests: test certificates made with `openssl` at test time (a CA, a server
// certificate for 127.0.0.1/localhost, a client certificate; nothing committed), a broker with
// PLAINTEXT, SASL_PLAINTEXT, SASL_SSL and SSL listeners, and SCRAM users created the way an admin
// client does (AlterUserScramCredentials with a client-side salted password) over a raw client.
import { execFileSync } from 'node:child_process';
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RawClient } from '../helpers/raw-client.js';

export interface TestCerts {
  dir: string;
  caFile: string;
  ca: string;
  /** Server key + chain in one PEM file (ssl.keystore.location). */
  serverPemFile: string;
  serverKey: string;
  serverCert: string;
  clientKey: string;
  clientCert: string;
  clientKeyFile: string;
  clientCertFile: string;
  /** A client certificate signed by a CA the broker does not trust. */
  rogueKey: string;
  rogueCert: string;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function issue(dir: string, name: string, subject: string, ca: string, ext: string): void {
  openssl(dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject]);
  fs.writeFileSync(path.join(dir, `${name}.ext`), ext);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`]);
}

function makeCa(dir: string, name: string, cn: string): void {
  openssl(dir, [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`,
    '-days', '2', '-subj', `/CN=${cn}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
}

export function makeCerts(): TestCerts {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-certs-'));
  makeCa(dir, 'ca', 'Tributary Test CA');
  makeCa(dir, 'rogue-ca', 'Rogue CA');
  issue(dir, 'server', '/CN=localhost', 'ca', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
  issue(dir, 'client', '/C=US/O=Tributary Tests/CN=alice', 'ca', 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n');
  issue(dir, 'rogue', '/CN=mallory', 'rogue-ca', 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n');
  const read = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8');
  const serverPemFile = path.join(dir, 'server-keystore.pem');
  fs.writeFileSync(serverPemFile, read('server.key') + read('server.pem') + read('ca.pem'));
  return {
    dir,
    caFile: path.join(dir, 'ca.pem'),
    ca: read('ca.pem'),
    serverPemFile,
    serverKey: read('server.key'),
    serverCert: read('server.pem'),
    clientKey: read('client.key'),
    clientCert: read('client.pem'),
    clientKeyFile: path.join(dir, 'client.key'),
    clientCertFile: path.join(dir, 'client.pem'),
    rogueKey: read('rogue.key'),
    rogueCert: read('rogue.pem'),
  };
}

export const PLAIN_USERS = { admin: 'admin-secret', alice: 'alice-secret' };
export const SCRAM_USERS = { scram256: 'pw-256-secret', scram512: 'pw-512-secret' };

/** Broker overrides: four listeners on ephemeral ports, PLAIN users, PEM keystore from a file. */
export function securityOverrides(certs: TestCerts, extra: Record<string, string> = {}): Record<string, string> {
  const users = Object.entries(PLAIN_USERS)
    .map(([u, p]) => `user_${u}="${p}"`)
    .join(' ');
  const jaas = `org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" ${users};`;
  return {
    listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0,SSL://127.0.0.1:0',
    'ssl.keystore.location': certs.serverPemFile,
    'listener.name.sasl_plaintext.plain.sasl.jaas.config': jaas,
    'listener.name.sasl_ssl.plain.sasl.jaas.config': jaas,
    ...extra,
  };
}

export const MECHANISM_TYPE = { 'SCRAM-SHA-256': 1, 'SCRAM-SHA-512': 2 } as const;

/** AlterUserScramCredentials upsertion as the Java admin client builds it (salt + salted password). */
export function scramUpsertion(name: string, mechanism: keyof typeof MECHANISM_TYPE, password: string, iterations = 4096) {
  const salt = randomBytes(24);
  const [hash, len] = mechanism === 'SCRAM-SHA-256' ? ['sha256', 32] : ['sha512', 64];
  return { name, mechanism: MECHANISM_TYPE[mechanism], iterations, salt, saltedPassword: pbkdf2Sync(password, salt, iterations, len as number, hash as string) };
}

export async function alterScram(port: number, body: { deletions?: object[]; upsertions?: object[] }): Promise<any> {
  const c = await RawClient.connect(port);
  try {
    return await c.send(51, 0, { deletions: body.deletions ?? [], upsertions: body.upsertions ?? [] });
  } finally {
    c.close();
  }
}

export async function createScramUsers(port: number): Promise<void> {
  const res = await alterScram(port, {
    upsertions: [scramUpsertion('scram256', 'SCRAM-SHA-256', SCRAM_USERS.scram256), scramUpsertion('scram512', 'SCRAM-SHA-512', SCRAM_USERS.scram512)],
  });
  for (const r of res.results) if (r.errorCode !== 0) throw new Error(`AlterUserScramCredentials failed for ${r.user}: ${r.errorMessage}`);
}
