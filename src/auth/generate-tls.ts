// `tributary start --generate-tls`: a self-signed CA and a broker certificate for local TLS, made
// with the `openssl` binary (Node can verify X.509 certificates but not issue them). Files go to
// <first log dir>/tls/ and are reused on the next start, so clients keep trusting the same CA:
//
//   ca.pem, ca.key           the CA (clients trust ca.pem)
//   broker-keystore.pem      broker key + certificate + CA (ssl.keystore.location)
//
// The broker certificate names localhost, 127.0.0.1, ::1, this host's name and every listener
// host, so clients verifying the host name accept it.
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface GeneratedTls {
  dir: string;
  caFile: string;
  keystoreFile: string;
  /** True when the files were made now, false when existing ones were reused. */
  created: boolean;
}

const DAYS = '825';

function openssl(cwd: string, args: string[]): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
    if (e.code === 'ENOENT') throw new Error('--generate-tls needs the openssl command (apt-get install openssl)');
    throw new Error(`openssl ${args[0]} failed: ${e.stderr?.toString().trim() ?? e.message}`);
  }
}

function subjectAltNames(hosts: readonly string[]): string {
  const names = new Set(['localhost', os.hostname(), ...hosts.filter((h) => h !== '' && h !== '0.0.0.0' && h !== '::')]);
  const ips = new Set(['127.0.0.1', '::1']);
  const out: string[] = [];
  for (const n of names) {
    if (/^[0-9.]+$/.test(n) || n.includes(':')) ips.add(n);
    else out.push(`DNS:${n}`);
  }
  for (const ip of ips) out.push(`IP:${ip}`);
  return out.join(',');
}

/** True when the keystore's certificate is valid for a while yet and names every host. */
function reusable(keystoreFile: string, hosts: readonly string[]): boolean {
  try {
    const cert = new X509Certificate(fs.readFileSync(keystoreFile));
    if (new Date(cert.validTo).getTime() < Date.now() + 24 * 3600_000) return false;
    return hosts.every((h) => h === '' || h === '0.0.0.0' || h === '::' || cert.checkHost(h) !== undefined || cert.checkIP(h) !== undefined);
  } catch {
    return false;
  }
}

export function generateTls(logDir: string, hosts: readonly string[]): GeneratedTls {
  const dir = path.join(logDir, 'tls');
  const caFile = path.join(dir, 'ca.pem');
  const keystoreFile = path.join(dir, 'broker-keystore.pem');
  if (fs.existsSync(caFile) && reusable(keystoreFile, hosts)) return { dir, caFile, keystoreFile, created: false };
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  if (!fs.existsSync(caFile) || !fs.existsSync(path.join(dir, 'ca.key'))) {
    openssl(dir, [
      'req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', DAYS, '-subj', '/CN=Tributary local CA',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    ]);
  }
  openssl(dir, ['req', ...ec, '-keyout', 'broker.key', '-out', 'broker.csr', '-subj', '/CN=localhost']);
  fs.writeFileSync(
    path.join(dir, 'broker.ext'),
    `subjectAltName=${subjectAltNames(hosts)}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n`,
  );
  openssl(dir, ['x509', '-req', '-in', 'broker.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'broker.pem', '-days', DAYS, '-extfile', 'broker.ext']);
  const read = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8');
  fs.writeFileSync(keystoreFile, read('broker.key') + read('broker.pem') + read('ca.pem'), { mode: 0o600 });
  for (const f of ['broker.csr', 'broker.ext', 'broker.key', 'broker.pem', 'ca.srl']) fs.rmSync(path.join(dir, f), { force: true });
  fs.chmodSync(path.join(dir, 'ca.key'), 0o600);
  return { dir, caFile, keystoreFile, created: true };
}

/** What to tell the user: the settings each kind of client needs for the TLS listeners. */
export function clientSettingsText(tls: GeneratedTls, endpoints: readonly { name: string; protocol: string; address: string }[]): string {
  const lines = [`TLS: ${tls.created ? 'generated' : 'reusing'} a local CA and broker certificate in ${tls.dir}`];
  for (const e of endpoints) {
    lines.push(
      `Listener ${e.name} (${e.protocol}) at ${e.address}; client settings:`,
      `  librdkafka (kcat, confluent-kafka):  security.protocol=${e.protocol} ssl.ca.location=${tls.caFile}`,
      `  Java clients (client.properties):    security.protocol=${e.protocol} ssl.truststore.type=PEM ssl.truststore.location=${tls.caFile}`,
      `  kafkajs / @platformatic/kafka:        ssl / tls: { ca: [fs.readFileSync('${tls.caFile}')] }`,
      `  kafka-python:                         security_protocol='${e.protocol}', ssl_cafile='${tls.caFile}'`,
    );
  }
  return lines.join('\n') + '\n';
}
