// The published package as a new user gets it: `npm pack` (which builds dist/ via prepack), the
// tarball installed into an empty directory, then `npx tributary` listens and
// `import { startBroker } from 'tributary'` works, with types. One slow test (an npm install).
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/spawned-broker.js';

const run = promisify(execFile);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
let work = '';

afterAll(async () => {
  if (work) await fs.rm(work, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
});

/** Resolves with the port from the JSON "listening" line on stderr, and how long it took. */
function waitListening(child: ReturnType<typeof spawn>, timeoutMs: number): Promise<{ port: number; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`no "listening" line within ${timeoutMs} ms:\n${err}`)), timeoutMs);
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (s: string) => {
      err += s;
      // pino writes fields before msg.
      const m = /"port":(\d+)[^\n]*"msg":"listening"/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve({ port: Number(m[1]), ms: performance.now() - t0 });
      }
    });
    child.once('exit', (code) => {
      if (/"msg":"listening"/.test(err)) return;
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before listening:\n${err}`));
    });
  });
}

// Printed as it goes, so a timeout shows which step was slow (npm on a loaded machine can be).
const t0 = performance.now();
const step = (what: string) => console.log(`npm-pack test: ${what} at ${Math.round((performance.now() - t0) / 1000)} s`);

const portFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(false)));
    s.once('error', () => resolve(true));
  });

it('npm pack -> npm install <tarball> -> npx tributary and import("tributary") work', { timeout: 480_000 }, async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'tributary-pack-'));
  step('npm pack (builds dist/)');
  const packed = await run(npm, ['pack', '--json', '--pack-destination', work], { cwd: REPO_ROOT, maxBuffer: 64 << 20 });
  const info = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[];
  const files = info[0]!.files.map((f) => f.path);
  // What runs, and nothing else: no tests, benchmarks, CI scripts or TypeScript sources.
  for (const f of ['bin/tributary.js', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/testing.js', 'dist/src/testing.d.ts', 'dist/src/cli/main.js', 'dist/src/cli/console/static/index.html', 'dist/src/cli/console/static/app.js', 'dist/contribute/local-metrics.js', 'config/server.properties', 'package.json', 'README.md']) {
    expect(files).toContain(f);
  }
  expect(files.filter((f) => /^(test|bench|\.ci|examples|src|protocol|storage)\//.test(f) || (f.endsWith('.ts') && !f.endsWith('.d.ts')))).toEqual([]);

  const app = path.join(work, 'app');
  await fs.mkdir(app);
  await fs.writeFile(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  // --ignore-scripts: no native builds in the test (zstd-napi then has no binary, which the broker
  // must survive, as it does when a user's install of the optional codec fails).
  step('npm install <tarball>');
  await run(npm, ['install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts', path.join(work, info[0]!.filename)], { cwd: app, maxBuffer: 64 << 20 });
  const installed = JSON.parse(await fs.readFile(path.join(app, 'node_modules/tributary/package.json'), 'utf8')) as { dependencies: Record<string, string> };
  expect(Object.keys(installed.dependencies)).not.toContain('tsx');
  await expect(fs.access(path.join(app, 'node_modules/tsx'))).rejects.toThrow();

  // npx tributary: starts from dist/ and listens; SIGTERM to npx stops it and frees the port.
  step('npx tributary');
  const data = path.join(work, 'data');
  const child = spawn('npx', ['tributary', 'start', '--override', 'listeners=PLAINTEXT://127.0.0.1:0', '--override', `log.dirs=${data}`], {
    cwd: app,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  try {
    const stderrClosed = new Promise<void>((resolve) => child.stderr!.once('close', () => resolve()));
    const { port, ms } = await waitListening(child, 60_000);
    console.log(`npx tributary (installed tarball): listening after ${Math.round(ms)} ms`);
    expect(port).toBeGreaterThan(0);
    child.kill('SIGTERM');
    await stderrClosed;
    expect(await portFree(port)).toBe(true);
  } finally {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // all exited
    }
  }

  // The library API and the testing API from the installed package.
  step('import tributary, tributary/testing');
  const script = `
    import { startBroker } from 'tributary';
    import { createTestCluster } from 'tributary/testing';
    const b = await startBroker({ config: { 'log.dirs': ${JSON.stringify(path.join(work, 'lib'))}, listeners: 'PLAINTEXT://127.0.0.1:0' }, logLevel: 'silent' });
    const c = await createTestCluster({ topics: [{ name: 't', partitions: 2 }] });
    console.log(JSON.stringify({ bootstrap: b.bootstrap, keys: Object.keys(b), cluster: c.bootstrap }));
    await c.close();
    await b.close();
  `;
  const lib = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: app, timeout: 60_000 });
  const out = JSON.parse(lib.stdout) as { bootstrap: string; keys: string[]; cluster: string };
  expect(out.bootstrap).toMatch(/^127\.0\.0\.1:\d+$/);
  expect(out.keys.sort()).toEqual(['bootstrap', 'close', 'port']);
  expect(out.cluster).toMatch(/^127\.0\.0\.1:\d+$/);

  // Importing starts nothing: the process exits by itself right away.
  const imported = await run(process.execPath, ['--input-type=module', '-e', "const m = await import('tributary'); console.log(typeof m.startBroker)"], { cwd: app, timeout: 20_000 });
  expect(imported.stdout.trim()).toBe('function');

  // The declarations type-check a user's file, and catch a wrong value type for a known key.
  step('tsc on a user file');
  await fs.writeFile(
    path.join(app, 'use.ts'),
    `import { startBroker, type TributaryBroker } from 'tributary';
import { createTestCluster } from 'tributary/testing';
const b: TributaryBroker = await startBroker({ config: { 'num.partitions': 3, listeners: ['PLAINTEXT://127.0.0.1:0'], 'some.other.key': 'x' } });
const c = await createTestCluster({ topics: [{ name: 't' }] });
c.control('Produce', () => ({ error: 'NOT_LEADER_OR_FOLLOWER' }), { times: 1 }).remove();
// @ts-expect-error a boolean key takes a boolean (or its string form), not a number
await startBroker({ config: { 'auto.create.topics.enable': 1 } });
export const bootstrap: string = b.bootstrap + c.bootstrap;
`,
  );
  await fs.writeFile(
    path.join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: false, types: ['node'], typeRoots: [path.join(REPO_ROOT, 'node_modules/@types')] },
      files: ['use.ts'],
    }),
  );
  const tsc = await run(process.execPath, [path.join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: app }).catch((e: { stdout: string }) => e);
  expect((tsc as { stdout: string }).stdout).toBe('');

  // The documented node:test example runs as written (kafkajs linked from this repo).
  step('examples/testing/node-test.test.mjs');
  await fs.symlink(path.join(REPO_ROOT, 'node_modules/kafkajs'), path.join(app, 'node_modules/kafkajs'), 'dir');
  await fs.copyFile(path.join(REPO_ROOT, 'examples/testing/node-test.test.mjs'), path.join(app, 'node-test.test.mjs'));
  const nodeTest = await run(process.execPath, ['--test', 'node-test.test.mjs'], { cwd: app, timeout: 120_000 }).catch((e: { stdout: string }) => e);
  expect((nodeTest as { stdout: string }).stdout).toMatch(/# pass 2\n# fail 0/);
});
