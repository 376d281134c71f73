// Real clients against a spawned broker with PLAINTEXT, SASL_PLAINTEXT, SASL_SSL and SSL listeners
// (the JAAS config goes through the CLI's --override): kcat and confluent-kafka-python (librdkafka
// 2.0.2: SaslHandshake v1 + SaslAuthenticate) and kafka-python 2.0.2 (SaslHandshake v0 + raw
// tokens) with PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 over SASL_PLAINTEXT and SASL_SSL; wrong
// passwords fail cleanly and the broker keeps serving, PLAINTEXT included. An MTLS listener (SSL
// with ssl.client.auth=required and a principal mapping rule) serves kcat and confluent-kafka with
// client certificates and refuses untrusted ones; clients that do not trust the broker's CA fail
// cleanly; sarama (Go) works over TLS and mTLS. SCRAM users are created with
// AlterUserScramCredentials over a raw client (the Debian clients have no API for it).
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnBroker, type SpawnedBroker } from '../helpers/spawned-broker.js';
import { createScramUsers, makeCerts, PLAIN_USERS, SCRAM_USERS, securityOverrides, type TestCerts } from '../integration/auth-setup.js';
import { explain, PYTHON, requireCommand, requirePythonModule, run, uniqueTopic } from './support/tools.js';
import { buildSaramaSmoke } from './support/sarama.js';
import { waitFor } from '../helpers/wait.js';

let certs: TestCerts;
let broker: SpawnedBroker;
let sarama: { bin: string; dir: string } | null = null;
const ports = new Map<string, number>();
const rogueCaFile = () => `${certs.dir}/rogue-ca.pem`;

beforeAll(async () => {
  requireCommand('kcat', ['-V'], 'kcat');
  requirePythonModule('confluent_kafka', 'python3-confluent-kafka');
  requirePythonModule('kafka', 'python3-kafka');
  certs = makeCerts();
  sarama = buildSaramaSmoke();
  const base = securityOverrides(certs);
  broker = await spawnBroker({
    overrides: {
      ...base,
      listeners: `${base.listeners},MTLS://127.0.0.1:0`,
      'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL,MTLS:SSL',
      'listener.name.mtls.ssl.client.auth': 'required',
      'listener.name.mtls.ssl.truststore.location': certs.caFile,
      'listener.name.mtls.ssl.principal.mapping.rules': 'RULE:^CN=([^,]+),.*$/$1/,DEFAULT',
      'group.initial.rebalance.delay.ms': '0',
    },
  });
  // One "listening" line per listener, all logged before "broker started".
  await waitFor(() => broker.logs().includes('broker started'), "the 'broker started' log line", 10_000);
  for (const line of broker.logs().split('\n')) {
    if (!line.includes('"listening"')) continue;
    const o = JSON.parse(line);
    const f = { ...o, ...(o.fields ?? {}) };
    ports.set(f.listener, f.port);
  }
  expect([...ports.keys()].sort()).toEqual(['MTLS', 'PLAINTEXT', 'SASL_PLAINTEXT', 'SASL_SSL', 'SSL']);
  await createScramUsers(ports.get('PLAINTEXT')!);
}, 180_000);

afterAll(async () => {
  await broker?.cleanup();
  if (sarama) fs.rmSync(sarama.dir, { recursive: true, force: true });
  if (certs) fs.rmSync(certs.dir, { recursive: true, force: true });
});

const bootstrap = (listener: string) => `127.0.0.1:${ports.get(listener)}`;

interface Case {
  listener: 'SASL_PLAINTEXT' | 'SASL_SSL' | 'SSL' | 'PLAINTEXT' | 'MTLS';
  mechanism?: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
  user?: string;
  password?: string;
  /** Client certificate: the trusted one (alice) or one from a CA the broker does not trust. */
  clientCert?: 'trusted' | 'rogue';
  /** CA the client trusts; default the broker's. */
  trust?: 'broker' | 'rogue';
}
const protocolOf = (c: Case) => (c.listener === 'MTLS' ? 'SSL' : c.listener);
const tlsFiles = (c: Case) => ({
  ca: c.trust === 'rogue' ? rogueCaFile() : certs.caFile,
  cert: c.clientCert === 'rogue' ? `${certs.dir}/rogue.pem` : c.clientCert ? certs.clientCertFile : undefined,
  key: c.clientCert === 'rogue' ? `${certs.dir}/rogue.key` : c.clientCert ? certs.clientKeyFile : undefined,
});

const GOOD: Case[] = [
  { listener: 'SASL_PLAINTEXT', mechanism: 'PLAIN', user: 'alice', password: PLAIN_USERS.alice },
  { listener: 'SASL_PLAINTEXT', mechanism: 'SCRAM-SHA-256', user: 'scram256', password: SCRAM_USERS.scram256 },
  { listener: 'SASL_PLAINTEXT', mechanism: 'SCRAM-SHA-512', user: 'scram512', password: SCRAM_USERS.scram512 },
  { listener: 'SASL_SSL', mechanism: 'PLAIN', user: 'admin', password: PLAIN_USERS.admin },
  { listener: 'SASL_SSL', mechanism: 'SCRAM-SHA-256', user: 'scram256', password: SCRAM_USERS.scram256 },
  { listener: 'SASL_SSL', mechanism: 'SCRAM-SHA-512', user: 'scram512', password: SCRAM_USERS.scram512 },
];
const name = (c: Case) => `${c.listener}${c.mechanism ? ` ${c.mechanism}` : ''}`;

function kcatArgs(c: Case): string[] {
  const args = ['-b', bootstrap(c.listener), '-X', `security.protocol=${protocolOf(c)}`];
  if (c.mechanism) args.push('-X', `sasl.mechanisms=${c.mechanism}`, '-X', `sasl.username=${c.user}`, '-X', `sasl.password=${c.password}`);
  if (protocolOf(c).endsWith('SSL')) {
    const f = tlsFiles(c);
    args.push('-X', `ssl.ca.location=${f.ca}`);
    if (f.cert) args.push('-X', `ssl.certificate.location=${f.cert}`, '-X', `ssl.key.location=${f.key}`);
  }
  return args;
}

describe('kcat (librdkafka 2.0.2)', () => {
  it.each(GOOD.concat([{ listener: 'SSL' }, { listener: 'PLAINTEXT' }, { listener: 'MTLS', clientCert: 'trusted' }]))('$listener $mechanism: produce and consume', async (c) => {
    const topic = uniqueTopic('kcat-auth');
    const p = await run('kcat', [...kcatArgs(c), '-P', '-t', topic], { input: `one ${name(c)}\ntwo\n`, timeoutMs: 20_000 });
    expect(p.code, explain('kcat -P', p)).toBe(0);
    expect(p.stderr, explain('kcat -P', p)).not.toMatch(/ERROR|fail/i);
    const r = await run('kcat', [...kcatArgs(c), '-C', '-t', topic, '-o', 'beginning', '-e', '-q'], { timeoutMs: 20_000 });
    expect(r.code, explain('kcat -C', r)).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual([`one ${name(c)}`, 'two']);
  });

  it('a wrong password fails with an authentication error, and other clients are still served', async () => {
    const bad = { ...GOOD[1]!, password: 'wrong' };
    const r = await run('kcat', [...kcatArgs(bad), '-L', '-m', '3'], { timeoutMs: 20_000 });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/SASL authentication error: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256/);
    const ok = await run('kcat', [...kcatArgs(GOOD[0]!), '-L'], { timeoutMs: 20_000 });
    expect(ok.code, explain('kcat -L', ok)).toBe(0);
    // Metadata through SASL_PLAINTEXT advertises the SASL_PLAINTEXT port.
    expect(ok.stdout).toContain(`broker 1 at 127.0.0.1:${ports.get('SASL_PLAINTEXT')}`);
  });

  it.each([
    ['an untrusted client certificate', { listener: 'MTLS', clientCert: 'rogue' }],
    ['no client certificate on the mTLS listener', { listener: 'MTLS' }],
    ['a broker certificate the client does not trust', { listener: 'SASL_SSL', mechanism: 'SCRAM-SHA-512', user: 'scram512', password: SCRAM_USERS.scram512, trust: 'rogue' }],
  ] as [string, Case][])('%s fails cleanly', async (_what, c) => {
    const r = await run('kcat', [...kcatArgs(c), '-L', '-m', '3'], { timeoutMs: 20_000 });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(c.trust === 'rogue' ? /certificate verify failed/ : /SSL handshake failed|unexpected eof|Disconnected|connection reset|alert/i);
  });
});

// One Python process per client runs every case (interpreter start-up is the slow part).
const CK = `
import json, sys, uuid
from confluent_kafka import Producer, Consumer, TopicPartition
from confluent_kafka.admin import AdminClient
p = json.loads(sys.argv[1])
out = []
for c in p['cases']:
    conf = {'bootstrap.servers': c['bootstrap'], 'security.protocol': c['protocol']}
    if c.get('mechanism'):
        conf.update({'sasl.mechanisms': c['mechanism'], 'sasl.username': c['user'], 'sasl.password': c['password']})
    if c['protocol'].endswith('SSL'):
        conf['ssl.ca.location'] = p['ca']
    if c.get('cert'):
        conf.update({'ssl.certificate.location': c['cert'], 'ssl.key.location': c['key']})
    try:
        if c.get('expectFailure'):
            AdminClient(conf).list_topics(timeout=5)
            out.append({'error': None})
            continue
        topic = 'ck-auth-' + uuid.uuid4().hex[:8]
        errs = []
        pr = Producer(dict(conf))
        pr.produce(topic, b'v-' + c['listener'].encode(), on_delivery=lambda e, m: errs.append(str(e) if e else None))
        pr.flush(15)
        co = Consumer(dict(conf, **{'group.id': 'g-' + topic, 'enable.auto.commit': False}))
        co.assign([TopicPartition(topic, 0, 0)])
        m = None
        for _ in range(20):
            m = co.poll(0.5)
            if m is not None and not m.error():
                break
        co.close()
        out.append({'delivery': errs, 'value': m.value().decode() if m is not None and not m.error() else None})
    except Exception as e:
        out.append({'error': str(e)})
print(json.dumps(out))
`;

const KP = `
import json, sys, uuid
from kafka import KafkaProducer, KafkaConsumer, TopicPartition
p = json.loads(sys.argv[1])
out = []
for c in p['cases']:
    conf = {'bootstrap_servers': c['bootstrap'], 'security_protocol': c['listener'], 'request_timeout_ms': 8000, 'api_version_auto_timeout_ms': 5000}
    if c.get('mechanism'):
        conf.update({'sasl_mechanism': c['mechanism'], 'sasl_plain_username': c['user'], 'sasl_plain_password': c['password']})
    if c['listener'].endswith('SSL'):
        conf['ssl_cafile'] = p['ca']
    try:
        topic = 'kp-auth-' + uuid.uuid4().hex[:8]
        pr = KafkaProducer(**conf)
        md = pr.send(topic, b'v-' + c['listener'].encode()).get(timeout=15)
        pr.close()
        co = KafkaConsumer(consumer_timeout_ms=10000, **conf)
        co.assign([TopicPartition(topic, 0)])
        co.seek(TopicPartition(topic, 0), 0)
        vals = []
        for m in co:
            vals.append(m.value.decode())
            break
        co.close()
        out.append({'offset': md.offset, 'values': vals})
    except Exception as e:
        out.append({'error': type(e).__name__ + ': ' + str(e)})
print(json.dumps(out))
`;

async function py(code: string, cases: (Case & { expectFailure?: boolean })[]): Promise<{ results: any[]; stderr: string }> {
  const params = { ca: certs.caFile, cases: cases.map((c) => ({ ...c, ...tlsFiles(c), protocol: protocolOf(c), bootstrap: bootstrap(c.listener) })) };
  const r = await run(PYTHON, ['-c', code, JSON.stringify(params)], { timeoutMs: 90_000 });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  expect(r.code, explain('python3', r)).toBe(0);
  return { results: JSON.parse(last), stderr: r.stderr };
}

describe('confluent-kafka-python (librdkafka 2.0.2)', () => {
  it('mTLS with a trusted client certificate works; an untrusted one fails', async () => {
    const { results } = await py(CK, [{ listener: 'MTLS', clientCert: 'trusted' }, { listener: 'MTLS', clientCert: 'rogue', expectFailure: true }]);
    expect(results[0]).toEqual({ delivery: [null], value: 'v-MTLS' });
    expect(results[1].error).toBeTruthy();
  }, 120_000);

  it('PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 over SASL_PLAINTEXT and SASL_SSL; a wrong password fails', async () => {
    const { results, stderr } = await py(CK, [...GOOD, { ...GOOD[3]!, password: 'wrong', expectFailure: true }, { listener: 'PLAINTEXT' }]);
    GOOD.concat([{ listener: 'PLAINTEXT' }]).forEach((c, i) => {
      const idx = i < GOOD.length ? i : GOOD.length + 1;
      expect(results[idx], name(c)).toEqual({ delivery: [null], value: `v-${c.listener}` });
    });
    // librdkafka reports the broker's message in its log; the call itself fails.
    expect(results[GOOD.length].error).toBeTruthy();
    expect(stderr).toMatch(/SASL authentication error: Authentication failed: Invalid username or password/);
  }, 120_000);
});

describe('kafka-python 2.0.2 (SaslHandshake v0, raw SASL tokens)', () => {
  it('PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 over SASL_PLAINTEXT and SASL_SSL; a wrong password fails', async () => {
    const { results } = await py(KP, [...GOOD, { ...GOOD[2]!, password: 'wrong' }]);
    GOOD.forEach((c, i) => expect(results[i], name(c)).toEqual({ offset: 0, values: [`v-${c.listener}`] }));
    expect(results[GOOD.length].error).toBeTruthy();
  }, 120_000);
});

describe('sarama 1.22 (Go crypto/tls)', () => {
  const saramaRun = async (c: Case, topic: string) => {
    const f = tlsFiles(c);
    const params = {
      bootstrap: bootstrap(c.listener),
      topic,
      partition: 0,
      version: '2.0.0',
      codec: 'none',
      messages: [{ key: null, value: Buffer.from(`sarama ${c.listener}`).toString('hex') }],
      tls: protocolOf(c).endsWith('SSL') ? { ca: f.ca, cert: f.cert ?? '', key: f.key ?? '' } : undefined,
      sasl: c.mechanism ? { user: c.user, password: c.password } : undefined,
    };
    const r = await run(sarama!.bin, [JSON.stringify(params)], { timeoutMs: 40_000 });
    expect(r.code, explain('sarama-smoke', r)).toBe(0);
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as { offsets: number[] | null; consumed: { value: string }[] | null; error?: string };
  };

  it.each([
    { listener: 'SSL' },
    { listener: 'MTLS', clientCert: 'trusted' },
    { listener: 'SASL_SSL', mechanism: 'PLAIN', user: 'alice', password: PLAIN_USERS.alice },
  ] as Case[])('$listener $mechanism: produce and consume', async (c) => {
    const res = await saramaRun(c, uniqueTopic('sarama-tls'));
    expect(res.error).toBeUndefined();
    expect(res.offsets).toEqual([0]);
    expect(res.consumed!.map((m) => Buffer.from(m.value, 'hex').toString())).toEqual([`sarama ${c.listener}`]);
  });

  it('an untrusted broker certificate and an untrusted client certificate fail cleanly', async () => {
    const wrongCa = await saramaRun({ listener: 'SSL', trust: 'rogue' }, uniqueTopic('sarama-tls'));
    expect(wrongCa.error).toMatch(/certificate signed by unknown authority|out of available brokers/);
    const rogue = await saramaRun({ listener: 'MTLS', clientCert: 'rogue' }, uniqueTopic('sarama-tls'));
    expect(rogue.error).toBeTruthy();
  });
});
