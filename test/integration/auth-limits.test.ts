// Limits on unauthenticated connections and on failed logins: the authentication deadline
// (tributary.authentication.timeout.ms) for SASL and for TLS handshakes, the close delay after a
// failed login (connection.failed.authentication.delay.ms), and ssl.principal.mapping.rules on
// client certificates.
import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { makeCerts, PLAIN_USERS, securityOverrides, type TestCerts } from './auth-setup.js';
import { waitFor } from '../helpers/wait.js';

let certs: TestCerts;
let tb: TestBroker;
const port = (b: TestBroker, name: string) => b.broker.boundListeners.find((l) => l.name === name)!.boundPort;

beforeAll(async () => {
  certs = makeCerts();
  tb = await startTestBroker(
    securityOverrides(certs, { 'tributary.authentication.timeout.ms': '400', 'connection.failed.authentication.delay.ms': '500' }),
  );
});
afterAll(async () => {
  await tb?.cleanup();
  if (certs) fs.rmSync(certs.dir, { recursive: true, force: true });
});

const plainLogin = async (c: RawClient, password: string) => {
  expect((await c.send(17, 1, { mechanism: 'PLAIN' })).errorCode).toBe(0);
  return c.send(36, 2, { authBytes: Buffer.from(`\0alice\0${password}`) });
};

describe('authentication deadline', () => {
  it('closes a SASL connection that does not authenticate in time; an authenticated one stays', async () => {
    const started = Date.now();
    const idle = await RawClient.connect(port(tb, 'SASL_PLAINTEXT'));
    const good = await RawClient.connect(port(tb, 'SASL_PLAINTEXT'));
    expect((await plainLogin(good, PLAIN_USERS.alice)).errorCode).toBe(0);
    await idle.closedPromise;
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    // Past the deadline, the authenticated connection is still served.
    const md = await good.send(3, 1, { topics: null });
    expect(md.brokers[0].port).toBe(port(tb, 'SASL_PLAINTEXT'));
    good.close();
  });

  it('closes a TLS connection whose handshake never starts', async () => {
    const started = Date.now();
    const s = net.connect(port(tb, 'SSL'), '127.0.0.1');
    s.on('error', () => {});
    await new Promise((r) => s.on('close', r));
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('does not apply to PLAINTEXT listeners', async () => {
    // A SASL connection opened just after it shows the deadline has passed and was enforced.
    const c = await RawClient.connect(port(tb, 'PLAINTEXT'));
    const idle = await RawClient.connect(port(tb, 'SASL_PLAINTEXT'));
    await idle.closedPromise;
    expect((await c.send(3, 1, { topics: null })).brokers).toHaveLength(1);
    c.close();
  });
});

describe('connection.failed.authentication.delay.ms', () => {
  it('answers the failure at once and closes the connection only after the delay', async () => {
    const c = await RawClient.connect(port(tb, 'SASL_PLAINTEXT'));
    const r = await plainLogin(c, 'wrong');
    const answered = Date.now();
    expect(r.errorCode).toBe(58);
    await c.closedPromise;
    expect(Date.now() - answered).toBeGreaterThanOrEqual(450);
  });
});

describe('ssl.principal.mapping.rules', () => {
  const mtlsBroker = (rules: string) =>
    startTestBroker({
      listeners: 'SSL://127.0.0.1:0',
      'ssl.keystore.key': certs.serverKey,
      'ssl.keystore.certificate.chain': certs.serverCert,
      'ssl.truststore.certificates': certs.ca,
      'ssl.client.auth': 'required',
      'ssl.principal.mapping.rules': rules,
    });
  const connectAsAlice = (p: number) =>
    new Promise<'served' | 'refused'>((resolve) => {
      const s = tls.connect({ host: '127.0.0.1', port: p, ca: certs.ca, key: certs.clientKey, cert: certs.clientCert });
      // ApiVersions v0 request: any answer proves the connection was accepted.
      s.on('secureConnect', () => s.write(Buffer.from('0000000a00120000000000010000', 'hex')));
      s.on('data', () => {
        resolve('served');
        s.destroy();
      });
      s.on('error', () => resolve('refused'));
      s.on('close', () => resolve('refused'));
    });
  const principalsOf = (b: TestBroker) => [...((b.broker as any).server.connections as Set<any>)].map((c) => c.info.principal);

  it('maps the subject DN to the principal name', async () => {
    const b = await mtlsBroker('RULE:^CN=([a-z]+),.*$/$1/U,DEFAULT');
    try {
      const s = tls.connect({ host: '127.0.0.1', port: b.port, ca: certs.ca, key: certs.clientKey, cert: certs.clientCert });
      await new Promise((r) => s.on('secureConnect', r));
      await waitFor(() => principalsOf(b).includes('User:ALICE'), 'the mapped principal User:ALICE', 5000);
      expect(principalsOf(b)).toEqual(['User:ALICE']);
      s.destroy();
    } finally {
      await b.cleanup();
    }
  });

  it('refuses a certificate no rule applies to', async () => {
    const b = await mtlsBroker('RULE:^CN=admin,.*$/admin/');
    try {
      expect(await connectAsAlice(b.port)).toBe('refused');
    } finally {
      await b.cleanup();
    }
  });

  it('a malformed rule stops the start with the key named', async () => {
    await expect(mtlsBroker('RULE:^CN=(.*)$')).rejects.toThrow(/ssl.principal.mapping.rules/);
  });
});
