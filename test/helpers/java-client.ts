// Runs the Java client programs in test/compat/java/ (kafka-clients from Maven Central, see
// test/reference/resolve.sh). They are compiled with javac once per source content: the classes
// are cached under ~/.cache/tributary/java-classes/<hash>, so only the first test run pays javac.
// Each program prints one JSON transcript line (Transcript.java) that tests assert on or compare.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { explain, run } from '../compat/support/tools.js';
import { resolveKafkaJars } from './kafka-reference.js';
import { REPO_ROOT } from './spawned-broker.js';

export const JAVA_DIR = path.join(REPO_ROOT, 'test/compat/java');

export const STREAMS_DIR = path.join(REPO_ROOT, 'test/compat/streams');

const classpaths = new Map<string, string>();

/** Compiles (or finds the cached compile of) the Java programs; returns the run classpath. */
export function javaClasspath(): string {
  return compiledClasspath('clients', JAVA_DIR);
}

export const SHARE_DIR = path.join(REPO_ROOT, 'test/compat/java-share');

/** The share-group sessions in test/compat/java-share/ (kafka-clients 4.4, KafkaShareConsumer), with ../java/Transcript.java. */
export function shareClasspath(): string {
  return compiledClasspath('share', SHARE_DIR, [path.join(JAVA_DIR, 'Transcript.java')]);
}

/** The same for the Kafka Streams application in test/compat/streams/ (kafka-streams jars). */
export function streamsClasspath(): string {
  return compiledClasspath('streams', STREAMS_DIR);
}

function compiledClasspath(kind: 'clients' | 'streams' | 'share', dir: string, extra: string[] = []): string {
  const known = classpaths.get(kind);
  if (known) return known;
  const jars = resolveKafkaJars(kind);
  const sources = fs.readdirSync(dir).filter((f) => f.endsWith('.java')).sort();
  const h = createHash('sha256').update(jars);
  for (const f of sources) h.update(f).update(fs.readFileSync(path.join(dir, f)));
  for (const f of extra) h.update(f).update(fs.readFileSync(f));
  const cache = process.env.TRIBUTARY_CACHE_DIR ?? path.join(os.homedir(), '.cache/tributary');
  const classes = path.join(cache, 'java-classes', h.digest('hex').slice(0, 16));
  if (!fs.existsSync(path.join(classes, '.complete'))) {
    fs.mkdirSync(path.dirname(classes), { recursive: true });
    const tmp = fs.mkdtempSync(`${classes}.tmp-`);
    const r = spawnSync('javac', ['-nowarn', '-encoding', 'UTF-8', '-d', tmp, '-cp', `${jars}/*`, ...sources.map((f) => path.join(dir, f)), ...extra], {
      encoding: 'utf8',
      timeout: 300_000,
    });
    if (r.status !== 0) {
      fs.rmSync(tmp, { recursive: true, force: true });
      throw new Error(`javac failed (exit ${r.status}; apt-get install -y openjdk-17-jdk-headless if missing):\n${r.stdout}\n${r.stderr}`);
    }
    fs.writeFileSync(path.join(tmp, '.complete'), '');
    try {
      fs.renameSync(tmp, classes);
    } catch {
      // Another worker compiled the same sources first: use its copy.
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }
  const cp = `${classes}:${jars}/*`;
  classpaths.set(kind, cp);
  return cp;
}

export interface Step {
  step: string;
  [k: string]: unknown;
}

/** Runs `java <main> <args>` and parses its transcript. */
export async function runJava(main: string, args: string[], timeoutMs = 90_000, cp = javaClasspath()): Promise<Step[]> {
  const r = await run(
    'java',
    ['-Xmx256m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn', '-cp', cp, main, ...args],
    { timeoutMs },
  );
  const last = r.stdout.trim().split('\n').pop() ?? '';
  if (r.code !== 0 || !last.startsWith('{')) throw new Error(explain(`java ${main} ${args.join(' ')}`, r));
  return (JSON.parse(last) as { steps: Step[] }).steps;
}

/** The named step of a transcript (throws if missing, with the names that are there). */
export function stepOf(steps: Step[], name: string): Step {
  const s = steps.find((x) => x.step === name);
  if (!s) throw new Error(`no step ${name} in transcript (have: ${steps.map((x) => x.step).join(', ')})`);
  return s;
}
