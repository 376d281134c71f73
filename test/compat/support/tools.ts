// Running the Debian client tools from tests: every child gets a hard timeout (a hung client must
// fail the test, not the suite), and a missing tool fails loudly with the apt-get line to fix it —
// CI installs these packages, so a silent skip would hide a broken lane.
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PYTHON = '/usr/bin/python3';
export const PY_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'py');

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface RunOptions {
  input?: string | Buffer;
  timeoutMs?: number;
  env?: Record<string, string>;
  /** Called with each stderr chunk (lets a test wait for "Reached end of topic"). */
  onStderr?: (chunk: string) => void;
}

export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> & { kill(): void } {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...(opts.env ?? {}) } });
  let stdout = '';
  let stderr = '';
  let timedOut = false;
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (s: string) => (stdout += s));
  child.stderr.on('data', (s: string) => {
    stderr += s;
    opts.onStderr?.(s);
  });
  child.stdin.on('error', () => {}); // the tool may exit before reading all input
  if (opts.input !== undefined) child.stdin.end(opts.input);
  else child.stdin.end();
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, opts.timeoutMs ?? 20_000);
  const p = new Promise<RunResult>((resolve, reject) => {
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
  return Object.assign(p, { kill: () => child.kill('SIGKILL') });
}

/** Formats a failed run for an assertion message (the tail of stderr is usually the cause). */
export function explain(cmd: string, r: RunResult): string {
  return `${cmd} exited ${r.code}${r.signal ? ` (${r.signal})` : ''}${r.timedOut ? ' after TIMEOUT' : ''}\n--- stdout ---\n${r.stdout.slice(-3000)}\n--- stderr ---\n${r.stderr.slice(-6000)}`;
}

/** Throws (fails the test file) unless `bin` runs; names the Debian package to install. */
export function requireCommand(bin: string, versionArgs: string[], aptPackage: string): void {
  const r = spawnSync(bin, versionArgs, { encoding: 'utf8', timeout: 10_000 });
  if (r.error || (r.status !== 0 && r.status !== 1)) {
    throw new Error(`${bin} is not usable (${r.error?.message ?? `exit ${r.status}`}): run \`apt-get install -y --no-install-recommends ${aptPackage}\``);
  }
}

/** Throws unless /usr/bin/python3 can import `module`; names the Debian package to install. */
export function requirePythonModule(module: string, aptPackage: string): void {
  const r = spawnSync(PYTHON, ['-c', `import ${module}`], { encoding: 'utf8', timeout: 10_000 });
  if (r.error || r.status !== 0) {
    throw new Error(
      `${PYTHON} cannot import ${module} (${r.error?.message ?? r.stderr.trim().split('\n').pop()}): run \`apt-get install -y --no-install-recommends ${aptPackage}\``,
    );
  }
}

/**
 * Runs test/compat/py/<script> with one JSON argument (under /usr/bin/python3 unless `python` says) and parses the JSON it prints on the last
 * stdout line. The script reports per-operation errors in its JSON; a crash rejects with the
 * traceback.
 */
export async function runPy<T = unknown>(script: string, params: unknown, timeoutMs = 30_000, python = PYTHON): Promise<T> {
  const r = await run(python, [path.join(PY_DIR, script), JSON.stringify(params)], { timeoutMs });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  if (r.code !== 0 || !last.startsWith('{')) throw new Error(explain(`${script} ${JSON.stringify(params).slice(0, 300)}`, r));
  return JSON.parse(last) as T;
}

/** Bytes travel to/from the Python scripts as hex; null stays null. */
export const hex = (b: Buffer | string | null): string | null => (b === null ? null : Buffer.from(b).toString('hex'));
export const unhex = (h: string | null): Buffer | null => (h === null ? null : Buffer.from(h, 'hex'));

/** A value that every codec shrinks (librdkafka skips compression when it does not help). */
export function compressibleValue(i: number, tag = ''): string {
  return `${tag}value-${i}-` + 'the quick brown fox jumps over the lazy dog '.repeat(8);
}

export function uniqueTopic(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`;
}
