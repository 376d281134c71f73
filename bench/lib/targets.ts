// Starts the two things the generator measures, each in its own process so neither shares the
// generator's event loop: the null sink (forked through tsx) and the broker (the real CLI,
// `node bin/tributary.js start --override ...`, data in a temp dir). Both run with Node's default
// heap flags, as `npx tributary` does (bin/tributary.js sets none; until 2026-12-07 both got
// --max-semi-space-size=64 here, which the broker run by users never had).
// With --with-kafka, Apache Kafka itself (test/helpers/kafka-reference.ts: one KRaft node, its
// shipped JVM flags and default config) is a third target, measured from /proc like the broker.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BenchConnection } from '../load-generator.js';
import { decodeApiVersionsResponse } from '../../protocol/generated/api-versions.js';
import { API_VERSIONS_VERSION, encodeApiVersionsBody } from './payloads.js';
import { startKafkaReference } from '../../test/helpers/kafka-reference.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const HOST = '127.0.0.1';
const CLK_TCK = 100; // Linux USER_HZ; /proc/<pid>/stat counts CPU time in these ticks

/** broker-tuned / kafka-tuned: the same brokers with the tuned settings of bench/vs-kafka/tuned.ts. */
export type TargetName = 'null' | 'broker' | 'kafka' | 'broker-tuned' | 'kafka-tuned';

export interface Target {
  name: TargetName;
  host: string;
  port: number;
  pid: number;
  /** user+system CPU seconds the process has used so far (Linux /proc). */
  cpuSeconds(): number;
  /** Resident set size in bytes (Linux /proc), or NaN. */
  rssBytes(): number;
  /** Set once the process has exited (a crash, if it happens during the run). */
  exit: { code: number | null; signal: string | null } | null;
  logTail(lines?: number): string;
  stop(): Promise<void>;
  /** How load connections reach it (TLS, SASL); default plain TCP to host:port. */
  connect?: (clientId?: string) => Promise<BenchConnection>;
  /** Wall time from spawn to the first answered ApiVersions (Kafka: format + "Kafka Server started"). */
  startMs?: number;
}

/** A load connection to the target, through its own connect() when it has one. */
export function connectTo(target: Target, clientId?: string): Promise<BenchConnection> {
  return target.connect ? target.connect(clientId) : BenchConnection.connect(target.host, target.port, clientId);
}

function procCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // utime, stime (fields 14, 15)
  } catch {
    return NaN;
  }
}

function procRss(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, HOST, () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function wrap(name: TargetName, child: ChildProcess, port: number, logFile: string): Target {
  const t: Target = {
    name,
    host: HOST,
    port,
    pid: child.pid!,
    cpuSeconds: () => procCpuSeconds(child.pid!),
    rssBytes: () => procRss(child.pid!),
    exit: null,
    logTail(lines = 30) {
      try {
        return readFileSync(logFile, 'utf8').split('\n').slice(-lines).join('\n');
      } catch {
        return '';
      }
    },
    stop() {
      if (t.exit) return Promise.resolve();
      return new Promise((resolve) => {
        const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
        child.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        child.kill('SIGTERM');
      });
    },
  };
  child.once('exit', (code, signal) => (t.exit = { code, signal }));
  return t;
}

/** Sends ApiVersions until it is answered, or fails after `timeoutMs`. */
async function waitReady(port: number, target: Target, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown = null;
  while (Date.now() < deadline) {
    if (target.exit) throw new Error(`${target.name} exited during startup (${JSON.stringify(target.exit)}):\n${target.logTail()}`);
    try {
      const c = await BenchConnection.connect(HOST, port);
      try {
        const res = await c.request(18, API_VERSIONS_VERSION, encodeApiVersionsBody(), decodeApiVersionsResponse);
        if (res.errorCode === 0) return;
        lastErr = new Error(`ApiVersions error ${res.errorCode}`);
      } finally {
        c.close();
      }
    } catch (err) {
      lastErr = err;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${target.name} not ready after ${timeoutMs} ms: ${String(lastErr)}\n${target.logTail()}`);
}

export interface NullSinkOptions {
  partitions: number;
  fetchBatchBytes: number;
  fetchLogBytes: number;
  logFile: string;
  /** Also append produced records to files in this directory (null-sink.ts --write-dir). */
  writeDir?: string;
}

export async function startNullSink(o: NullSinkOptions): Promise<Target> {
  const log = createWriteStream(o.logFile);
  const child = fork(
    path.join(REPO_ROOT, 'bench', 'null-sink.ts'),
    ['--port', '0', '--host', HOST, '--partitions', String(o.partitions), '--fetch-batch-bytes', String(o.fetchBatchBytes), '--fetch-log-bytes', String(o.fetchLogBytes), ...(o.writeDir ? ['--write-dir', o.writeDir] : [])],
    { cwd: REPO_ROOT, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'pipe', 'pipe', 'ipc'] },
  );
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('null sink did not start in 60 s')), 60_000);
    child.once('message', (m: { port: number }) => {
      clearTimeout(timer);
      resolve(m.port);
    });
    child.once('exit', (code) => reject(new Error(`null sink exited with ${code}`)));
  });
  // The IPC channel stays open: the sink exits when it closes, so it never outlives the run.
  child.unref();
  (child.channel as unknown as { unref?: () => void } | undefined)?.unref?.();
  const t = wrap('null', child, port, o.logFile);
  await waitReady(port, t, 30_000);
  return t;
}

export interface BrokerOptions {
  logDir: string;
  logFile: string;
  /** Extra `key=value` overrides. */
  overrides: string[];
  /** Extra node flags, e.g. --cpu-prof. */
  nodeFlags?: string[];
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** The listeners value, given the PLAINTEXT port the readiness check uses (default: just that). */
  listeners?: (plaintextPort: number) => string;
  /** Another checkout to run the broker from (before/after comparisons); default this one. */
  root?: string;
}

export async function startBroker(o: BrokerOptions & { name?: TargetName }): Promise<Target> {
  const port = await freePort();
  const log = createWriteStream(o.logFile);
  const args = [
    ...(o.nodeFlags ?? []),
    path.join(o.root ?? REPO_ROOT, 'bin', 'tributary.js'),
    'start',
    '--override',
    `listeners=${o.listeners ? o.listeners(port) : `PLAINTEXT://${HOST}:${port}`}`,
    '--override',
    `log.dirs=${o.logDir}`,
    ...o.overrides.flatMap((kv) => ['--override', kv]),
  ];
  const child = spawn(process.execPath, args, { cwd: o.root ?? REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...o.env } });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const t0 = performance.now();
  const t = wrap(o.name ?? 'broker', child, port, o.logFile);
  await waitReady(port, t, 90_000);
  t.startMs = performance.now() - t0;
  return t;
}

export interface KafkaOptions {
  logFile: string;
  /** Extra server.properties entries (a tuned run); none = Kafka's defaults. */
  properties?: Record<string, string>;
  /** 'kafka' (default) or 'kafka-tuned'. */
  name?: TargetName;
}

/** Apache Kafka (the version test/reference/pom.xml pins), one combined broker+controller node. */
export async function startKafka(o: KafkaOptions): Promise<Target> {
  const kafka = await startKafkaReference({ nodes: 1, jvm: 'stock', properties: o.properties, startTimeoutMs: 120_000 });
  const { pid, port } = kafka.nodes[0]!;
  let gone: Target['exit'] = null;
  const t: Target = {
    name: o.name ?? 'kafka',
    host: HOST,
    port,
    pid,
    cpuSeconds: () => procCpuSeconds(pid),
    rssBytes: () => procRss(pid),
    // The helper owns the JVM; a vanished /proc entry is how an exit shows here.
    get exit() {
      if (!gone && !existsSync(`/proc/${pid}/stat`)) gone = { code: null, signal: 'exited' };
      return gone;
    },
    set exit(v) {
      gone = v;
    },
    logTail(lines = 30) {
      return kafka.logs().split('\n').slice(-lines).join('\n');
    },
    async stop() {
      const log = createWriteStream(o.logFile);
      log.end(kafka.logs());
      await kafka.stop();
    },
    startMs: kafka.startMs,
  };
  await waitReady(port, t, 30_000);
  return t;
}
