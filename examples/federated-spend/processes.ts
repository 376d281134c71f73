// Process helpers of the demo: start a Tributary broker as its own process (port 0, the bound
// port read from its "listening" log line) and run `tributary` CLI commands.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(REPO, 'bin/tributary.js');

// Brokers die with the demo, however it ends (Ctrl-C, an error, a closed pipe).
const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

export interface RunningBroker {
  name: string;
  bootstrap: string;
  stop(): Promise<void>;
}

export function startBroker(name: string, dataDir: string, overrides: Record<string, string> = {}): Promise<RunningBroker> {
  const args = [BIN, 'start'];
  const all = { listeners: 'PLAINTEXT://127.0.0.1:0', 'log.dirs': dataDir, 'tributary.log.format': 'json', ...overrides };
  for (const [k, v] of Object.entries(all)) args.push('--override', `${k}=${v}`);
  const child: ChildProcess = spawn(process.execPath, args, { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let log = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name}: broker did not start within 60 s\n${log.slice(-4000)}`));
    }, 60_000);
    const early = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`${name}: broker exited (code ${code})\n${log.slice(-4000)}`));
    };
    child.once('exit', early);
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (s: string) => {
      log = (log + s).slice(-100_000);
      for (const line of s.split('\n')) {
        if (!line.includes('"listening"')) continue;
        try {
          const port = (JSON.parse(line) as { port?: number }).port;
          if (typeof port === 'number' && port > 0) {
            clearTimeout(timer);
            child.off('exit', early);
            resolve({
              name,
              bootstrap: `127.0.0.1:${port}`,
              stop: () =>
                new Promise<void>((done) => {
                  if (child.exitCode !== null) return done();
                  child.once('exit', () => done());
                  child.kill('SIGTERM');
                }),
            });
          }
        } catch {
          // not a JSON log line
        }
      }
    });
  });
}

/** Runs `tributary <args>`, echoing the command and its output; rejects on a non-zero exit. */
export function tributary(args: string[], opts: { quiet?: boolean } = {}): Promise<string> {
  if (!opts.quiet) console.log(`\n$ tributary ${args.map((a) => (/[\s"']/.test(a) ? JSON.stringify(a) : a)).join(' ')}`);
  const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => {
    out += s;
    if (!opts.quiet) process.stdout.write(s);
  });
  child.stderr!.setEncoding('utf8').on('data', (s: string) => {
    err += s;
    if (!opts.quiet) process.stderr.write(s);
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`tributary ${args[0]} exited with ${code}\n${err}`))));
  });
}
