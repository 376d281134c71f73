// Produce and fetch throughput over PLAINTEXT, SSL and SASL_SSL (PLAIN) listeners of one broker in
// the same run, plus the handshake rates: new TLS connections per second and full SASL_SSL logins
// (TLS + SaslHandshake + SaslAuthenticate) per second. The load generator is the raw one of
// `npm run bench` (pre-encoded requests), so the difference between listeners is the broker's
// TLS cost plus the generator's own TLS cost (both on this machine's 2 cores).
//
//   npx tsx bench/security/tls-bench.ts [--quick]
// Results: printed, and bench/results/tls.json.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { BenchConnection } from '../load-generator.js';
import { createTopics } from '../lib/kafka-calls.js';
import { MiB, type RunFigures } from '../lib/meter.js';
import { freePort, startBroker, type Target } from '../lib/targets.js';
import { runFetchThroughput } from '../scenarios/fetch-throughput.js';
import { runProduceThroughput } from '../scenarios/produce-throughput.js';
import { decodeSaslAuthenticateResponse, encodeSaslAuthenticateRequest } from '../../protocol/generated/sasl-authenticate.js';
import { decodeSaslHandshakeResponse, encodeSaslHandshakeRequest } from '../../protocol/generated/sasl-handshake.js';
import { Writer } from '../../protocol/wire/writer.js';
import { makeCerts } from '../../test/integration/auth-setup.js';

const QUICK = process.argv.includes('--quick');
const WINDOW = QUICK ? { warmupMs: 500, measureMs: 1500 } : { warmupMs: 1000, measureMs: 4000 };
const ROUNDS = QUICK ? 1 : 2;
const HOST = '127.0.0.1';

const body = (encode: (w: Writer, v: number, b: any) => void, version: number, b: object) => {
  const w = new Writer(64);
  encode(w, version, b);
  return w.toBuffer();
};

async function saslPlain(c: BenchConnection, user: string, password: string): Promise<void> {
  const hs = await c.request(17, 1, body(encodeSaslHandshakeRequest, 1, { mechanism: 'PLAIN' }), (r) => decodeSaslHandshakeResponse(r, 1));
  if (hs.errorCode !== 0) throw new Error(`SaslHandshake error ${hs.errorCode}`);
  const auth = await c.request(36, 2, body(encodeSaslAuthenticateRequest, 2, { authBytes: Buffer.from(`\0${user}\0${password}`) }), (r) => decodeSaslAuthenticateResponse(r, 2));
  if (auth.errorCode !== 0) throw new Error(`SaslAuthenticate error ${auth.errorCode}: ${auth.errorMessage}`);
}

/** Connections per second completing `open` for `ms`, `concurrency` at a time. */
async function rate(ms: number, concurrency: number, open: () => Promise<void>): Promise<number> {
  const end = Date.now() + ms;
  let n = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < end) {
        await open();
        n++;
      }
    }),
  );
  return n / (ms / 1000);
}

async function main(): Promise<void> {
  const certs = makeCerts();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tls-bench-'));
  const sslPort = await freePort();
  const saslPort = await freePort();
  const broker = await startBroker({
    logDir: dataDir,
    logFile: path.join(dataDir, 'broker.log'),
    listeners: (p) => `PLAINTEXT://${HOST}:${p},SSL://${HOST}:${sslPort},SASL_SSL://${HOST}:${saslPort}`,
    overrides: [
      `ssl.keystore.location=${certs.serverPemFile}`,
      'sasl.enabled.mechanisms=PLAIN',
      'listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_bench="bench-pw";',
      'tributary.aggregations.enable=false',
    ],
  });
  const tlsSocket = (port: number) => tls.connect({ host: HOST, port, ca: certs.ca, servername: 'localhost' });
  const targets: Record<string, Target> = {
    PLAINTEXT: broker,
    SSL: { ...broker, port: sslPort, connect: (id) => BenchConnection.over(tlsSocket(sslPort), 'secureConnect', id) },
    SASL_SSL: {
      ...broker,
      port: saslPort,
      connect: async (id) => {
        const c = await BenchConnection.over(tlsSocket(saslPort), 'secureConnect', id);
        await saslPlain(c, 'bench', 'bench-pw');
        return c;
      },
    },
  };
  const results: Record<string, Record<string, number[]>> = {};
  try {
    const setup = await BenchConnection.connect(HOST, broker.port, 'tls-bench-setup');
    const names = Object.keys(targets);
    await createTopics(setup, names.flatMap((n) => [`tls-produce-${n}`, `tls-fetch-${n}`].map((name) => ({ name, partitions: 4 }))));
    setup.close();
    const record = (scenario: string, listener: string, f: RunFigures) => {
      ((results[scenario] ??= {})[listener] ??= []).push(Math.round(f.throughput.mibPerSec * 10) / 10);
      const errs = Object.keys(f.errors).length ? ` errors ${JSON.stringify(f.errors)}` : '';
      console.log(`  ${scenario} ${listener}: ${f.throughput.mibPerSec.toFixed(1)} MiB/s${errs}`);
    };
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? names : [...names].reverse();
      for (const n of order) {
        const produce = { topic: `tls-produce-${n}`, partitions: 4, connections: 2, batchBytes: 16 * 1024, acks: 1, inflight: 5, ...WINDOW };
        record('produce 16 KiB batches, acks=1', n, await runProduceThroughput(targets[n]!, produce));
      }
      for (const n of order) {
        const fetch = { topic: `tls-fetch-${n}`, partitions: 4, connections: 2, batchBytes: 16 * 1024, partitionMaxBytes: MiB, prepareBytes: round === 0 ? (QUICK ? 32 : 128) * MiB : 0, ...WINDOW };
        record('fetch 16 KiB batches, 1 MiB/partition', n, await runFetchThroughput(targets[n]!, fetch));
      }
    }
    const seconds = QUICK ? 2000 : 5000;
    const tlsRate = await rate(seconds, 8, () =>
      new Promise<void>((resolve, reject) => {
        const s = tlsSocket(sslPort);
        s.once('secureConnect', () => {
          s.destroy();
          resolve();
        });
        s.once('error', reject);
      }),
    );
    const saslRate = await rate(seconds, 8, async () => {
      const c = await targets.SASL_SSL!.connect!('tls-bench-login');
      c.close();
    });
    const tcpRate = await rate(seconds, 8, async () => (await BenchConnection.connect(HOST, broker.port, 'tcp')).close());
    const summary = {
      machine: `${os.cpus().length} cores, ${os.cpus()[0]?.model ?? ''}`,
      window: WINDOW,
      rounds: ROUNDS,
      throughputMiBPerSec: results,
      connectionsPerSecond: { tcp: Math.round(tcpRate), tlsHandshakes: Math.round(tlsRate), saslSslPlainLogins: Math.round(saslRate) },
    };
    console.log(JSON.stringify(summary, null, 2));
    fs.mkdirSync(path.join('bench', 'results'), { recursive: true });
    fs.writeFileSync(path.join('bench', 'results', 'tls.json'), JSON.stringify(summary, null, 2) + '\n');
  } finally {
    await broker.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(certs.dir, { recursive: true, force: true });
  }
}

await main();
