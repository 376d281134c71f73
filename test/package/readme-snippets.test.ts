// The README's library and testing snippets ("Use it as a library", "In your tests") run as a
// user runs them: each ```js block is cut out of README.md, its `from 'tributary'` /
// `'tributary/testing'` imports pointed at the sources, and run as a script in a child node. It
// must print what the README says and exit by itself (importing and closing leave nothing
// running). The testing snippet's placeholder line becomes a kafkajs producer, so its claim (the
// first two Produce requests fail with NOT_LEADER_OR_FOLLOWER, then the broker behaves) is checked.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/spawned-broker.js';

const run = promisify(execFile);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-readme-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 }));

/** The first ```js block after the `## heading` of README.md. */
function snippet(heading: string): string {
  const md = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const at = md.indexOf(`\n## ${heading}\n`);
  expect(at, `README.md has no section '${heading}'`).toBeGreaterThanOrEqual(0);
  const m = /```js\n([\s\S]*?)```/.exec(md.slice(at));
  expect(m, `no js block under '${heading}'`).not.toBeNull();
  return m![1]!;
}

/** Imports of the package pointed at the sources (run through tsx, as a checkout runs them). */
function fromSources(code: string): string {
  const url = (f: string) => pathToFileURL(path.join(REPO_ROOT, f)).href;
  return code.replaceAll("from 'tributary/testing'", `from '${url('src/testing.ts')}'`).replaceAll("from 'tributary'", `from '${url('src/index.ts')}'`);
}

async function runScript(name: string, code: string): Promise<string> {
  const file = path.join(work, name);
  fs.writeFileSync(file, code);
  // A script that left a broker running would not exit: the timeout fails the test then.
  const { stdout } = await run(process.execPath, ['--import', 'tsx', file], { cwd: REPO_ROOT, timeout: 60_000 });
  return stdout;
}

it('"Use it as a library" runs as written and prints the bootstrap address', async () => {
  const code = snippet('Use it as a library');
  expect(code).toContain("import { startBroker } from 'tributary';");
  // The one change: a fresh data dir instead of /tmp/my-broker.
  const dir = path.join(work, 'lib-data');
  const out = await runScript('library.mjs', fromSources(code.replace("'/tmp/my-broker'", JSON.stringify(dir))));
  expect(out.trim()).toMatch(/^127\.0\.0\.1:\d+$/);
  // The broker wrote its data where it was told (log.dirs from the typed config).
  expect(fs.readdirSync(dir)).toContain('meta.properties');
}, 90_000);

it('"In your tests" runs as written: two Produce requests refused, then the broker behaves', async () => {
  const code = snippet('In your tests');
  expect(code).toContain("import { createTestCluster } from 'tributary/testing';");
  const placeholder = '// ... run your client against cluster.bootstrap ...';
  expect(code).toContain(placeholder);
  const kafkajs = pathToFileURL(path.join(REPO_ROOT, 'node_modules/kafkajs/index.js')).href;
  const client = `
const { Kafka, logLevel } = (await import('${kafkajs}')).default;
const kafka = new Kafka({ brokers: [cluster.bootstrap], logLevel: logLevel.NOTHING, retry: { initialRetryTime: 50, retries: 5 } });
const producer = kafka.producer();
await producer.connect();
const [sent] = await producer.send({ topic: 'orders', acks: -1, messages: [{ key: 'k', value: 'v' }] });
await producer.disconnect();
const admin = kafka.admin();
await admin.connect();
const meta = await admin.fetchTopicMetadata({ topics: ['orders'] });
await admin.disconnect();
console.log(JSON.stringify({ errorCode: sent.errorCode, baseOffset: sent.baseOffset, partitions: meta.topics[0].partitions.length, acted: control.acted }));`;
  const script = fromSources(code.replace("cluster.control('Produce'", "const control = cluster.control('Produce'").replace(placeholder, client));
  const out = JSON.parse((await runScript('testing.mjs', script)).trim()) as { errorCode: number; baseOffset: string; partitions: number; acted: number };
  expect(out).toEqual({ errorCode: 0, baseOffset: '0', partitions: 3, acted: 2 });
}, 90_000);
