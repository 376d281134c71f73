// Real clients against a spawned broker with PLAINTEXT, SASL_PLAINTEXT, SASL_SSL and SSL listeners
// (the JAAS config goes through the CLI's --override): kcat and confluent-kafka-python (librdkafka
// 2.0.2: SaslHandshake v1 + SaslAuthenticate) and kafka-python 2.0.2 (SaslHandshake v0 + raw
// tokens) with PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 over SASL_PLAINTEXT and SASL_SSL; wrong
// passwords fail cleanly and the broker keeps serving, PLAINTEXT included. SCRAM users are created
// with AlterUserScramCredentials over a raw client (the Debian clients have no API for it).
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnBroker, type SpawnedBroker } from '../helpers/spawned-broker.js';
import { createScramUsers, makeCerts, PLAIN_USERS, SCRAM_USERS, securityOverrides, type TestCerts } from '../integration/auth-setup.js';
import { explain, PYTHON, requireCommand, requirePythonModule, run, uniqueTopic } from './support/tools.js';

let certs: TestCerts;
let broker: SpawnedBroker;
const ports = new Map<string, number>();

beforeAll(async () => {
  requireCommand('kcat', ['-V'], 'kcat');
  requirePythonModule('confluent_kafka', 'python3-confluent-kafka');
  requirePythonModule('kafka', 'python3-kafka');
  certs = makeCerts();
  broker = await spawnBroker({ overrides: { ...securityOverrides(certs), 'group.initial.rebalance.delay.ms': '0' } });
  // One "listening" line per listener, all logged before "broker started".
  const deadline = Date.now() + 10_000;
  while (!broker.logs().includes('broker started') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  for (const line of broker.logs().split('\n')) {
    if (!line.includes('"listening"')) continue;
    const o = JSON.parse(line);
    const f = { ...o, ...(o.fields ?? {}) };
    ports.set(f.listener, f.port);
  }
  expect([...ports.keys()].sort()).toEqual(['PLAINTEXT', 'SASL_PLAINTEXT', 'SASL_SSL', 'SSL']);
  await createScramUsers(ports.get('PLAINTEXT')!);
}, 60_000);

afterAll(async () => {
  await broker?.cleanup();
  if (certs) fs.rmSync(certs.dir, { recursive: true, force: true });
});

const bootstrap = (listener: string) => `127.0.0.1:${ports.get(listener)}`;

interface Case {
  listener: 'SASL_PLAINTEXT' | 'SASL_SSL' | 'SSL' | 'PLAINTEXT';
  mechanism?: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
  user?: string;
  password?: string;
}

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
  const args = ['-b', bootstrap(c.listener), '-X', `security.protocol=${c.listener}`];
  if (c.mechanism) args.push('-X', `sasl.mechanisms=${c.mechanism}`, '-X', `sasl.username=${c.user}`, '-X', `sasl.password=${c.password}`);
  if (c.listener.endsWith('SSL')) args.push('-X', `ssl.ca.location=${certs.caFile}`);
  return args;
}

describe('kcat (librdkafka 2.0.2)', () => {
  it.each(GOOD.concat([{ listener: 'SSL' }, { listener: 'PLAINTEXT' }]))('$listener $mechanism: produce and consume', async (c) => {
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
});

// One Python process per client runs every case (interpreter start-up is the slow part).
const CK = `
import json, sys, uuid
from confluent_kafka import Producer, Consumer, TopicPartition
from confluent_kafka.admin import AdminClient
p = json.loads(sys.argv[1])
out = []
for c in p['cases']:
    conf = {'bootstrap.servers': c['bootstrap'], 'security.protocol': c['listener']}
    if c.get('mechanism'):
        conf.update({'sasl.mechanisms': c['mechanism'], 'sasl.username': c['user'], 'sasl.password': c['password']})
    if c['listener'].endswith('SSL'):
        conf['ssl.ca.location'] = p['ca']
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
  const params = { ca: certs.caFile, cases: cases.map((c) => ({ ...c, bootstrap: bootstrap(c.listener) })) };
  const r = await run(PYTHON, ['-c', code, JSON.stringify(params)], { timeoutMs: 90_000 });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  expect(r.code, explain('python3', r)).toBe(0);
  return { results: JSON.parse(last), stderr: r.stderr };
}

describe('confluent-kafka-python (librdkafka 2.0.2)', () => {
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
