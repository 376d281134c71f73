// Long-running hostile-input check of the authentication path against a spawned broker:
//
//   1. fuzz: --frames N (default 1,000,000) hostile frames (test/helpers/auth-fuzz.ts: mutated
//      SCRAM, garbage before and after authentication, truncated TLS handshakes);
//   2. flood: --flood N (default 10,000) unauthenticated connections held open at once, then
//      --failed N (default 5,000) failed logins;
//
// while an authenticated client sends Metadata every 20 ms. Prints the broker's RSS (from /proc)
// before, at its peak and after, the probe's latency percentiles, hangs, and whether the broker
// survived; writes the same as JSON to bench/results/auth-fuzz.json. Loopback only, bounded.
//
//   npx tsx bench/security/auth-fuzz.ts [--frames 1000000] [--flood 10000] [--failed 5000] [--seed 1]
//                                       [--no-zero-size-frames]
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fuzzAuthPath, encodeRequest } from '../../test/helpers/auth-fuzz.js';
import { RawClient } from '../../test/helpers/raw-client.js';
import { spawnBroker } from '../../test/helpers/spawned-broker.js';
import { createScramUsers, makeCerts, PLAIN_USERS, securityOverrides } from '../../test/integration/auth-setup.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const FRAMES = arg('frames', 1_000_000);
const FLOOD = arg('flood', 10_000);
const FAILED = arg('failed', 5_000);
const SEED = arg('seed', 1);
const ZERO_SIZE_FRAMES = !process.argv.includes('--no-zero-size-frames');

const rssMiB = (pid: number) => {
  let status: string;
  try {
    status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return -1; // the broker is gone
  }
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m ? Math.round(Number(m[1]) / 1024) : -1;
};
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? Math.round(s[Math.min(s.length - 1, Math.floor(s.length * p))]! * 10) / 10 : -1;
};

async function main(): Promise<void> {
  const certs = makeCerts();
  const broker = await spawnBroker({
    overrides: {
      ...securityOverrides(certs),
      'tributary.authentication.timeout.ms': '3000',
      'connection.failed.authentication.delay.ms': '100',
      'tributary.aggregations.enable': 'false',
    },
  });
  const ports = new Map<string, number>();
  const deadline = Date.now() + 20_000;
  while (!broker.logs().includes('broker started') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  for (const line of broker.logs().split('\n')) {
    if (!line.includes('"listening"')) continue;
    const o = JSON.parse(line);
    const f = { ...o, ...(o.fields ?? {}) };
    ports.set(f.listener, f.port);
  }
  await createScramUsers(ports.get('PLAINTEXT')!);

  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssMiB(broker.pid))), 200);
  const good = await RawClient.connect(ports.get('SASL_PLAINTEXT')!);
  await good.send(17, 1, { mechanism: 'PLAIN' });
  await good.send(36, 2, { authBytes: Buffer.from(`\0alice\0${PLAIN_USERS.alice}`) });
  const latencies: Record<string, number[]> = { baseline: [], fuzz: [], flood: [], failed: [] };
  let phase = 'baseline';
  let probeError: string | null = null;
  let stop = false;
  const probe = (async () => {
    while (!stop) {
      const t0 = performance.now();
      try {
        await good.send(3, 1, { topics: null });
      } catch (err) {
        probeError = `${phase}: ${(err as Error).message}`;
        return;
      }
      latencies[phase]!.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  await new Promise((r) => setTimeout(r, 2000));
  const rssBefore = rssMiB(broker.pid);

  phase = 'fuzz';
  const started = Date.now();
  const stats = await fuzzAuthPath(
    { saslPort: ports.get('SASL_PLAINTEXT')!, tlsPort: ports.get('SASL_SSL')!, plainUser: 'alice', plainPassword: PLAIN_USERS.alice, scramUser: 'scram256' },
    { frames: FRAMES, seed: SEED, concurrency: 32, hangMs: 8000, zeroSizeFrames: ZERO_SIZE_FRAMES, onProgress: (s) => console.error(`  ${s.frames} frames, ${s.connections} connections, hangs ${s.hangs}, rss ${rssMiB(broker.pid)} MiB`) },
  );
  const fuzzSeconds = (Date.now() - started) / 1000;
  const rssAfterFuzz = rssMiB(broker.pid);

  // Flood: FLOOD idle connections at once, each having sent only an ApiVersions request.
  phase = 'flood';
  const sockets: net.Socket[] = [];
  const hello = encodeRequest(18, 3, { clientSoftwareName: 'flood', clientSoftwareVersion: '1' });
  for (let i = 0; i < FLOOD; i++) {
    const s = net.connect(ports.get('SASL_PLAINTEXT')!, '127.0.0.1');
    s.on('error', () => {});
    s.on('data', () => {});
    s.on('connect', () => s.write(hello));
    sockets.push(s);
    if (i % 500 === 499) await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, 1000));
  const rssFlood = rssMiB(broker.pid);
  const closedByDeadline = await new Promise<number>((resolve) => setTimeout(() => resolve(sockets.filter((s) => s.destroyed || s.readyState === 'closed').length), 4000));
  for (const s of sockets) s.destroy();

  // Failed logins: FAILED wrong-password PLAIN logins, 50 at a time.
  phase = 'failed';
  const login = encodeRequest(17, 1, { mechanism: 'PLAIN' });
  const wrong = encodeRequest(36, 2, { authBytes: Buffer.from('\0alice\0wrong') }, 2);
  let failedClosed = 0;
  const failedStart = Date.now();
  const oneFailed = () =>
    new Promise<void>((resolve) => {
      const s = net.connect(ports.get('SASL_PLAINTEXT')!, '127.0.0.1');
      s.on('error', () => resolve());
      s.on('close', () => {
        failedClosed++;
        resolve();
      });
      s.on('data', () => {});
      s.on('connect', () => s.write(Buffer.concat([login, wrong])));
    });
  for (let i = 0; i < FAILED; i += 50) await Promise.all(Array.from({ length: Math.min(50, FAILED - i) }, oneFailed));
  const failedSeconds = (Date.now() - failedStart) / 1000;

  stop = true;
  await probe;
  good.close();
  clearInterval(sampler);
  const survived = broker.exitStatus() === null;
  if (!survived) console.error(`broker exited ${JSON.stringify(broker.exitStatus())}; last log lines:\n${broker.logs().split('\n').filter((l) => !l.includes('protocol violation')).slice(-30).join('\n')}`);
  const rssEnd = rssMiB(broker.pid);
  const result = {
    frames: stats.frames,
    connections: stats.connections,
    hangs: stats.hangs,
    byKind: stats.byKind,
    fuzzSeconds,
    flood: { connections: FLOOD, rssMiB: rssFlood, closedByAuthDeadlineWithin4s: closedByDeadline },
    failedLogins: { count: FAILED, closed: failedClosed, seconds: failedSeconds },
    rssMiB: { before: rssBefore, afterFuzz: rssAfterFuzz, peak: peakRss, end: rssEnd },
    probeLatencyMs: Object.fromEntries(Object.entries(latencies).map(([k, v]) => [k, { n: v.length, p50: pct(v, 0.5), p99: pct(v, 0.99), max: pct(v, 1) }])),
    survived,
    probeError,
  };
  console.log(JSON.stringify(result, null, 2));
  fs.mkdirSync(path.join('bench', 'results'), { recursive: true });
  fs.writeFileSync(path.join('bench', 'results', 'auth-fuzz.json'), JSON.stringify(result, null, 2) + '\n');
  await broker.cleanup();
  fs.rmSync(certs.dir, { recursive: true, force: true });
  if (!survived || stats.hangs > 0 || probeError !== null) process.exitCode = 1;
}

await main();
