// Apache Kafka itself, as the reference the differential tests and benchmarks compare Tributary
// with. The jars come from Maven Central through test/reference/resolve.sh (pinned in
// test/reference/pom.xml, cached per version); this helper formats a KRaft cluster (combined
// broker+controller nodes, static voters) in a temp dir, starts one JVM per node on free loopback
// ports and waits for each node's "Kafka Server started" line. Figures: test/reference/README.md.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, renameSync, rmSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from './spawned-broker.js';

export interface KafkaReferenceOptions {
  /** 1 (default) or more combined broker+controller nodes. */
  nodes?: number;
  /** Max heap per node (default 512 MB: the suite shares a 2-core machine). */
  heapMb?: number;
  /** Extra server.properties entries, applied to every node. */
  properties?: Record<string, string>;
  /** How long to wait for every node to start (default 90 s). */
  startTimeoutMs?: number;
  /**
   * 'lean' (default): serial GC, -Xms128m, for the tests on the shared machine. 'stock': what
   * bin/kafka-server-start.sh and kafka-run-class.sh use (-Xmx1G -Xms1G, G1 with a 20 ms pause
   * goal), for benchmarks that compare against Kafka as shipped; heapMb then defaults to 1024.
   */
  jvm?: 'lean' | 'stock';
  /** Feature levels set at format time (`kafka-storage format --feature name=level`), e.g. share.version=1. */
  features?: Record<string, number>;
  /**
   * Adds a SASL_PLAINTEXT listener on its own port per node (PLAIN with these users, SCRAM-SHA-256
   * and SCRAM-SHA-512 from the cluster's credentials); `saslBootstrap` names it. The PLAINTEXT
   * listener stays for the controller and inter-broker traffic.
   */
  sasl?: { plainUsers: Record<string, string> };
}

export interface KafkaReferenceNode {
  nodeId: number;
  port: number;
  pid: number;
  /** Resident set size now, in bytes (from /proc; 0 once stopped). */
  rssBytes(): Promise<number>;
}

export interface KafkaReference {
  version: string;
  bootstrap: string;
  /** The SASL_PLAINTEXT listeners (only with `sasl`). */
  saslBootstrap?: string;
  nodes: KafkaReferenceNode[];
  dir: string;
  /** Wall time from format to the last node's "Kafka Server started". */
  startMs: number;
  /** What the JVMs printed (WARN and up, plus the start line). */
  logs(): string;
  /** Controlled shutdown of one node (SIGTERM, SIGKILL after 20 s); its data dir stays. */
  stopNode(nodeId: number): Promise<void>;
  /** Starts a stopped node again on its data dir and ports; resolves on "Kafka Server started". */
  startNode(nodeId: number): Promise<void>;
  /** Stops every node (SIGTERM, SIGKILL after 20 s) and deletes the data dir. */
  stop(): Promise<void>;
}

const RESOLVE = path.join(REPO_ROOT, 'test/reference/resolve.sh');
const STARTED = /Kafka Server started/;
const MAX_LOG_CHARS = 1_000_000;

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

/** Folder of the resolved jars ('broker' or 'clients'); resolves with Maven on first use. */
export function resolveKafkaJars(kind: 'broker' | 'clients' | 'streams' | 'share'): string {
  const r = spawnSync('bash', [RESOLVE, kind], { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) throw new Error(`test/reference/resolve.sh ${kind} failed (exit ${r.status}):\n${r.stderr}`);
  return r.stdout.trim().split('\n').pop()!;
}

/** The Kafka version the reference pom pins. */
export function kafkaVersion(jarsDir: string): string {
  return /kafka-(\d[^/]*)\//.exec(jarsDir + '/')?.[1] ?? 'unknown';
}

/** Ports that were free a moment ago (bound on port 0, then released). */
async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<net.Server>((resolve, reject) => {
      const s = net.createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => resolve(s));
    })),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/** A Kafka cluster id: 16 random bytes, base64url without padding (what `kafka-storage random-uuid` prints). */
function clusterId(): string {
  return randomBytes(16).toString('base64url');
}

const LOG4J2 = `status = warn
appender.out.type = Console
appender.out.name = out
appender.out.target = SYSTEM_OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.out.ref = out
logger.started.name = kafka.server.KafkaRaftServer
logger.started.level = info
`;

function jvmArgs(jars: string, dir: string, heapMb: number, jvm: 'lean' | 'stock' = 'lean'): string[] {
  const memory =
    jvm === 'stock'
      ? [`-Xms${heapMb}m`, `-Xmx${heapMb}m`, '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-XX:InitiatingHeapOccupancyPercent=35', '-XX:+ExplicitGCInvokesConcurrent']
      : // Serial GC: fewest threads and least memory on a shared 2-core machine.
        [`-Xms${Math.min(128, heapMb)}m`, `-Xmx${heapMb}m`, '-XX:+UseSerialGC'];
  return [
    ...memory,
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${path.join(dir, 'log4j2.properties')}`,
    '-cp',
    `${jars}/*`,
  ];
}

/**
 * AppCDS (JDK 17 dynamic archive): the first start records the classes Kafka loads into an archive
 * beside the jars, later starts map it, which cuts start-up CPU by about a third (5.4-6.0 s ->
 * 3.1-4.2 s here). The JVM ignores an archive that does not match (-Xshare:auto), so a stale one
 * costs nothing but the saving.
 */
function cdsArgs(jars: string): { args: string[]; recorded?: string; archive: string } {
  const archive = `${jars}.jsa`;
  if (existsSync(archive)) return { args: [`-XX:SharedArchiveFile=${archive}`], archive };
  const recorded = `${archive}.${process.pid}-${Date.now()}.tmp`;
  return { args: [`-XX:ArchiveClassesAtExit=${recorded}`], recorded, archive };
}

function serverProperties(o: {
  nodeId: number;
  port: number;
  controllerPort: number;
  voters: string;
  logDir: string;
  nodes: number;
  extra: Record<string, string>;
  sasl?: { port: number; plainUsers: Record<string, string> };
}): string {
  const rf = String(Math.min(3, o.nodes));
  const sasl = o.sasl;
  const saslProps: Record<string, string> = sasl
    ? {
        'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
        'listener.name.sasl_plaintext.plain.sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required ${Object.entries(sasl.plainUsers).map(([u, p]) => `user_${u}="${p}"`).join(' ')};`,
        'listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
        'listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
      }
    : {};
  const saslListener = sasl ? `,SASL_PLAINTEXT://127.0.0.1:${sasl.port}` : '';
  const props: Record<string, string> = {
    'process.roles': 'broker,controller',
    'node.id': String(o.nodeId),
    'controller.quorum.voters': o.voters,
    listeners: `PLAINTEXT://127.0.0.1:${o.port},CONTROLLER://127.0.0.1:${o.controllerPort}${saslListener}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${o.port}${saslListener}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT',
    ...saslProps,
    'log.dirs': o.logDir,
    // Internal topics must fit the cluster; everything else keeps Kafka's defaults so the
    // differential tests compare against what a stock broker does.
    'offsets.topic.replication.factor': rf,
    'transaction.state.log.replication.factor': rf,
    'transaction.state.log.min.isr': String(Math.min(2, o.nodes)),
    'share.coordinator.state.topic.replication.factor': rf,
    'share.coordinator.state.topic.min.isr': String(Math.min(2, o.nodes)),
    // Tests form groups right away; the 3 s default delay only slows them.
    'group.initial.rebalance.delay.ms': '0',
    ...o.extra,
  };
  return Object.entries(props).map(([k, v]) => `${k}=${v}`).join('\n') + '\n';
}

function runFormat(jars: string, dir: string, config: string, id: string, features: Record<string, number> = {}): void {
  const featureArgs = Object.entries(features).flatMap(([k, v]) => ['--feature', `${k}=${v}`]);
  const r = spawnSync('java', [...jvmArgs(jars, dir, 256), 'kafka.tools.StorageTool', 'format', `--cluster-id=${id}`, '--config', config, ...featureArgs], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.status !== 0) throw new Error(`kafka-storage format failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
}

async function rssOf(pid: number): Promise<number> {
  try {
    const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
    return kb ? Number(kb) * 1024 : 0;
  } catch {
    return 0;
  }
}

export async function startKafkaReference(opts: KafkaReferenceOptions = {}): Promise<KafkaReference> {
  const jars = resolveKafkaJars('broker');
  const n = opts.nodes ?? 1;
  const jvm = opts.jvm ?? 'lean';
  const heapMb = opts.heapMb ?? (jvm === 'stock' ? 1024 : 512);
  const timeoutMs = opts.startTimeoutMs ?? 90_000;
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kafka-reference-'));
  await fs.writeFile(path.join(dir, 'log4j2.properties'), LOG4J2);
  const t0 = performance.now();

  // One batch, so no two listeners get the same recently freed port.
  const ports = await freePorts((opts.sasl ? 3 : 2) * n);
  const saslPorts = opts.sasl ? ports.slice(2 * n) : [];
  const voters = Array.from({ length: n }, (_, i) => `${i + 1}@127.0.0.1:${ports[2 * i + 1]}`).join(',');
  const id = clusterId();
  const configs: string[] = [];
  for (let i = 0; i < n; i++) {
    const config = path.join(dir, `server-${i + 1}.properties`);
    await fs.writeFile(
      config,
      serverProperties({
        nodeId: i + 1,
        port: ports[2 * i],
        controllerPort: ports[2 * i + 1],
        voters,
        logDir: path.join(dir, `data-${i + 1}`),
        nodes: n,
        extra: opts.properties ?? {},
        sasl: opts.sasl ? { port: saslPorts[i], plainUsers: opts.sasl.plainUsers } : undefined,
      }),
    );
    configs.push(config);
  }
  // Formatting is one short JVM per node; run them one after another to spare the two cores.
  for (const c of configs) runFormat(jars, dir, c, id, opts.features);

  let output = '';
  const append = (s: string) => {
    output += s;
    if (output.length > MAX_LOG_CHARS) output = output.slice(-MAX_LOG_CHARS);
  };
  const children: ChildProcess[] = [];
  const exits: Promise<void>[] = [];
  // Only the first node records an archive; the others use one if it exists.
  const cds = cdsArgs(jars);
  /** Spawns node i + 1 (again, after stopNode); resolves on its "Kafka Server started". */
  const launch = (i: number): Promise<void> => {
    const config = configs[i];
    // A restarted node never records (the first JVM may still be writing the archive).
    const restart = children[i] !== undefined;
    const cdsFlags = !restart && (i === 0 || !cds.recorded) ? cds.args : existsSync(cds.archive) ? [`-XX:SharedArchiveFile=${cds.archive}`] : [];
    const child = spawn('java', [...cdsFlags, ...jvmArgs(jars, dir, heapMb, jvm), 'kafka.Kafka', config], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    live.add(child);
    children[i] = child;
    const exited = new Promise<void>((resolve) => child.once('exit', () => {
      live.delete(child);
      resolve();
    }));
    exits[i] = exited;
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', append);
    child.stdout!.setEncoding('utf8');
    return new Promise<void>((resolve, reject) => {
      let seen = '';
      child.stdout!.on('data', (s: string) => {
        append(s);
        if (seen !== 'done') {
          seen += s;
          if (STARTED.test(seen)) {
            seen = 'done';
            resolve();
          } else if (seen.length > 100_000) seen = seen.slice(-1000);
        }
      });
      void exited.then(() => reject(new Error(`Kafka node ${i + 1} exited before starting:\n${output.slice(-8000)}`)));
    });
  };
  const started = configs.map((_, i) => launch(i));
  /** The first node's JVM, which may be recording the AppCDS archive (replaced children are not). */
  const recorder = children[0];

  /** SIGTERM (a controlled shutdown), SIGKILL after 20 s; resolves once the JVM exited. */
  const halt = async (i: number) => {
    const c = children[i];
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
    const timer = setTimeout(() => c.kill('SIGKILL'), 20_000);
    await exits[i];
    clearTimeout(timer);
  };

  const stop = async () => {
    await Promise.all(children.map((_, i) => halt(i)));
    if (cds.recorded && existsSync(cds.recorded)) {
      // The JVM writes the archive as it exits; keep it only after a clean exit (not SIGKILL).
      if (recorder.signalCode !== 'SIGKILL' && !existsSync(cds.archive)) renameSync(cds.recorded, cds.archive);
      else rmSync(cds.recorded, { force: true });
    }
    await fs.rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  };

  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      Promise.all(started),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`Kafka did not start within ${timeoutMs} ms:\n${output.slice(-8000)}`)), timeoutMs);
      }),
    ]);
  } catch (err) {
    await stop();
    throw err;
  } finally {
    clearTimeout(timer);
  }

  return {
    version: kafkaVersion(jars),
    bootstrap: Array.from({ length: n }, (_, i) => `127.0.0.1:${ports[2 * i]}`).join(','),
    saslBootstrap: opts.sasl ? saslPorts.map((p) => `127.0.0.1:${p}`).join(',') : undefined,
    nodes: children.map((_, i) => ({
      nodeId: i + 1,
      port: ports[2 * i],
      get pid() {
        return children[i].pid!;
      },
      rssBytes: () => rssOf(children[i].pid!),
    })),
    dir,
    async stopNode(nodeId) {
      await halt(nodeId - 1);
    },
    async startNode(nodeId) {
      const i = nodeId - 1;
      if (children[i].exitCode === null && children[i].signalCode === null) return;
      let t: NodeJS.Timeout | undefined;
      await Promise.race([
        launch(i),
        new Promise((_, reject) => {
          t = setTimeout(() => reject(new Error(`Kafka node ${nodeId} did not restart within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]).finally(() => clearTimeout(t));
    },
    startMs: performance.now() - t0,
    logs: () => output,
    stop,
  };
}
