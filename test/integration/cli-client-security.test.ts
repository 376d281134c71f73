// The client commands (topic/produce/consume/group/cluster/bench) against secured listeners, run
// in-process: SASL_SSL with SCRAM through `--command-config client.properties` (Kafka's habit) and
// through the short flags (--ca, --sasl-mechanism, --user, --password), and mutual TLS with
// --ca/--cert/--key. Without the settings the same commands fail with exit code 1.
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientSecurityFromFlags } from '../../src/cli/client-security.js';
import { startConsole } from '../../src/cli/console/console-server.js';
import { runCli, type CliDeps } from '../../src/cli/main.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { createScramUsers, makeCerts, SCRAM_USERS, securityOverrides, type TestCerts } from './auth-setup.js';

let certs: TestCerts;
let tb: TestBroker;
let mtls: TestBroker;
const port = (name: string) => tb.broker.boundListeners.find((l) => l.name === name)!.boundPort;

beforeAll(async () => {
  certs = makeCerts();
  tb = await startTestBroker(securityOverrides(certs));
  await createScramUsers(tb.port);
  mtls = await startTestBroker({
    listeners: 'SSL://127.0.0.1:0',
    'ssl.keystore.location': certs.serverPemFile,
    'ssl.truststore.location': certs.caFile,
    'ssl.client.auth': 'required',
  });
});
afterAll(async () => {
  await tb?.cleanup();
  await mtls?.cleanup();
  if (certs) fs.rmSync(certs.dir, { recursive: true, force: true });
});

async function cli(args: string[], stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = { stdout: '', stderr: '' };
  const deps: CliDeps & { stdin: Readable } = {
    stdout: (t) => void (out.stdout += t),
    stderr: (t) => void (out.stderr += t),
    env: {},
    onSignal: () => () => {},
    forceExit: () => {},
    helpText: () => '',
    stdin: Readable.from([stdin]),
  };
  const code = await runCli(args, deps);
  return { code, ...out };
}

describe('client commands over SASL_SSL (SCRAM) and mutual TLS', () => {
  it('--command-config and the short flags both reach a SASL_SSL + SCRAM listener', async () => {
    const bootstrap = ['--bootstrap-server', `127.0.0.1:${port('SASL_SSL')}`];
    const props = path.join(certs.dir, 'client.properties');
    fs.writeFileSync(
      props,
      [
        'security.protocol=SASL_SSL',
        'sasl.mechanism=SCRAM-SHA-512',
        `sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="scram512" password="${SCRAM_USERS.scram512}";`,
        `ssl.truststore.location=${certs.caFile}`,
      ].join('\n'),
    );
    const fileFlags = [...bootstrap, '--command-config', props];
    const shortFlags = [...bootstrap, '--ca', certs.caFile, '--sasl-mechanism', 'SCRAM-SHA-256', '--user', 'scram256', '--password', SCRAM_USERS.scram256];

    let r = await cli(['topic', 'create', 'secured', '--partitions', '1', ...fileFlags]);
    expect(r.code, r.stderr).toBe(0);
    r = await cli(['produce', 'secured', ...shortFlags], 'one\ntwo\n');
    expect(r.code, r.stderr).toBe(0);
    r = await cli(['consume', 'secured', '--from-beginning', ...fileFlags]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('one\ntwo\n');
    r = await cli(['consume', 'secured', '--from-beginning', '--group', 'sec-group', ...shortFlags]);
    expect(r.code, r.stderr).toBe(0);
    r = await cli(['group', 'describe', 'sec-group', '--json', ...shortFlags]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)[0].partitions[0]).toMatchObject({ topic: 'secured', committedOffset: 2, lag: 0 });
    r = await cli(['cluster', 'info', '--json', ...fileFlags]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).brokers[0].port).toBe(port('SASL_SSL'));

    // Wrong password: the broker's SASL error, exit 1; no TLS settings at all: exit 1 as well.
    r = await cli(['topic', 'list', ...bootstrap, '--ca', certs.caFile, '--sasl-mechanism', 'SCRAM-SHA-256', '--user', 'scram256', '--password', 'wrong']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/authentication/i);
    r = await cli(['topic', 'list', ...bootstrap]);
    expect(r.code).toBe(1);
    // Half a client certificate is a usage error.
    r = await cli(['topic', 'list', ...bootstrap, '--cert', certs.clientCertFile]);
    expect(r.code).toBe(2);
  }, 60_000);

  it('--ca/--cert/--key reach a listener with ssl.client.auth=required; without --cert the handshake is refused', async () => {
    const bootstrap = ['--bootstrap-server', `127.0.0.1:${mtls.port}`];
    let r = await cli(['topic', 'create', 'mtls-topic', '--partitions', '2', ...bootstrap, '--ca', certs.caFile, '--cert', certs.clientCertFile, '--key', certs.clientKeyFile]);
    expect(r.code, r.stderr).toBe(0);
    r = await cli(['topic', 'list', '--json', ...bootstrap, '--ca', certs.caFile, '--cert', certs.clientCertFile, '--key', certs.clientKeyFile]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toContainEqual(expect.objectContaining({ name: 'mtls-topic', partitions: 2 }));
    r = await cli(['topic', 'list', ...bootstrap, '--tls', '--ca', certs.caFile]);
    expect(r.code).toBe(1);
  }, 60_000);

  it('the console reaches the SASL_SSL listener with the same flags', async () => {
    const flags = new Map([['ca', certs.caFile], ['sasl-mechanism', 'SCRAM-SHA-512'], ['user', 'scram512'], ['password', SCRAM_USERS.scram512]]);
    const console = await startConsole({ bootstrap: `127.0.0.1:${port('SASL_SSL')}`, port: 0, security: clientSecurityFromFlags({ flags, booleans: new Set() }, {}) });
    try {
      const res = await fetch(new URL('api/topics', console.url));
      expect(res.status, await res.clone().text()).toBe(200);
      expect(JSON.stringify(await res.json())).toContain('secured');
    } finally {
      await console.close();
    }
  }, 30_000);
});
