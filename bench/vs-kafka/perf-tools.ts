// Running Kafka's own perf tools (kafka-producer-perf-test / kafka-consumer-perf-test, from the
// kafka-tools jar `test/reference/resolve.sh tools` resolves) and measuring a broker's CPU and
// RSS over one tool run. Shared by perf-test.ts (one broker each) and cluster.ts (three each).
import { spawn, spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../lib/targets.js';

export const TOOL_TIMEOUT_MS = 60_000;
// What kafka-producer-perf-test.sh / kafka-consumer-perf-test.sh run the tools with.
export const TOOL_JVM = ['-Xmx512M', '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-XX:+ExplicitGCInvokesConcurrent', '-Djava.awt.headless=true'];

export function toolsClasspath(): string {
  const r = spawnSync('bash', [path.join(REPO_ROOT, 'test/reference/resolve.sh'), 'tools'], { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) throw new Error(`resolve.sh tools failed:\n${r.stderr}`);
  return `${r.stdout.trim().split('\n').pop()!}/*`;
}

export function runTool(cp: string, main: string, toolArgs: string[], timeoutMs = TOOL_TIMEOUT_MS): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('java', [...TOOL_JVM, '-cp', cp, main, ...toolArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (err = (err + s).slice(-4000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${main} ${signal ? `killed (${signal}, over ${timeoutMs} ms)` : `exited ${code}`}:\n${out.slice(-2000)}\n${err}`));
    });
  });
}

/** What a broker (or the sum of a cluster's processes) used over one tool run. */
export interface Usage {
  /** Broker CPU seconds over the tool run, per GiB moved. */
  brokerCpuSecPerGiB: number;
  brokerCpuPct: number;
  brokerRssMiB: number;
  loadAvg1: number;
  wallSec: number;
}

/** Processes measured together: a broker, or every process of a cluster. */
export interface Measured {
  cpuSeconds(): number;
  rssBytes(): number;
}

export async function measured(t: Measured, bytes: () => number, body: () => Promise<void>): Promise<Usage> {
  const cpu0 = t.cpuSeconds();
  const w0 = performance.now();
  await body();
  const wallSec = (performance.now() - w0) / 1000;
  const cpu = t.cpuSeconds() - cpu0;
  return {
    brokerCpuSecPerGiB: cpu / (bytes() / 2 ** 30),
    brokerCpuPct: (100 * cpu) / wallSec,
    brokerRssMiB: Math.round(t.rssBytes() / 2 ** 20),
    loadAvg1: os.loadavg()[0]!,
    wallSec,
  };
}

export const median = (xs: number[]): number => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
