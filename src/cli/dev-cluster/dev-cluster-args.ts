// Arguments and help of `tributary dev-cluster`: running a local cluster, and the control
// subcommands (stop|kill|restart|start|status) that act on a running one.
import { commandHelpText } from '../help.js';
import { closestKey } from '../../config/did-you-mean.js';

export const DEV_CLUSTER_USAGE = 'dev-cluster [--brokers N] [--port N] [--data-dir DIR] [--etcd URL|auto] [--control-port N] [--override key=value ...] | dev-cluster stop|kill|restart|start <nodeId> | dev-cluster status';

export const DEFAULT_DATA_DIR = './tributary-data/dev-cluster';

export interface RunArgs {
  kind: 'run';
  brokers: number;
  /** First broker's port; 0 = every broker on an ephemeral port. */
  port: number;
  host: string;
  dataDir: string;
  /** null = in-memory metadata; 'auto' = start a local etcd; else etcd://… */
  etcd: string | null;
  controlPort: number;
  overrides: string[];
  logLevel: string;
  json: boolean;
}

export type ControlAction = 'stop' | 'kill' | 'restart' | 'start';

export interface ControlArgs {
  kind: 'control';
  action: ControlAction | 'status';
  nodeId: number | null;
  /** Control URL; null = read it from <data dir>/dev-cluster.json. */
  control: string | null;
  dataDir: string;
  json: boolean;
}

const RUN_VALUES = ['--brokers', '--port', '--host', '--data-dir', '--etcd', '--control-port', '--override', '--log-level'];
const CONTROL_VALUES = ['--control', '--data-dir'];
const ACTIONS = ['stop', 'kill', 'restart', 'start', 'status'];

function intArg(name: string, v: string, min: number, max: number): number | { error: string } {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min || n > max) return { error: `${name} needs an integer from ${min} to ${max}, got '${v}'` };
  return n;
}

/** Splits `--name value` / `--name=value`; returns the pairs, positionals and booleans. */
function scan(args: readonly string[], values: readonly string[], booleans: readonly string[]) {
  const pairs: [string, string][] = [];
  const positional: string[] = [];
  const flags = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('-') || a === '-') {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq < 0 ? a : a.slice(0, eq);
    if (booleans.includes(name)) {
      if (eq >= 0) return { error: `${name} takes no value` };
      flags.add(name);
    } else if (values.includes(name)) {
      const v = eq >= 0 ? a.slice(eq + 1) : args[++i];
      if (v === undefined) return { error: `${name} needs a value` };
      pairs.push([name, v]);
    } else {
      const near = closestKey(name, [...values, ...booleans]);
      return { error: `unknown option ${name}${near ? ` (did you mean ${near}?)` : ''}` };
    }
  }
  return { pairs, positional, flags };
}

export function parseDevClusterArgs(args: readonly string[]): RunArgs | ControlArgs | { error: string } {
  const first = args[0];
  if (first !== undefined && !first.startsWith('-')) {
    if (!ACTIONS.includes(first)) {
      const near = closestKey(first, ACTIONS);
      return { error: `unknown subcommand '${first}'${near ? ` (did you mean '${near}'?)` : ''}` };
    }
    const s = scan(args.slice(1), CONTROL_VALUES, ['--json']);
    if ('error' in s) return { error: s.error! };
    const out: ControlArgs = { kind: 'control', action: first as ControlArgs['action'], nodeId: null, control: null, dataDir: DEFAULT_DATA_DIR, json: s.flags.has('--json') };
    for (const [k, v] of s.pairs) {
      if (k === '--control') out.control = v.replace(/\/+$/, '');
      else out.dataDir = v;
    }
    if (out.action === 'status') {
      if (s.positional.length > 0) return { error: `status takes no argument, got '${s.positional[0]}'` };
      return out;
    }
    if (s.positional.length !== 1) return { error: `${first} needs one node id, e.g. 'tributary dev-cluster ${first} 2'` };
    const id = intArg('the node id', s.positional[0]!, 0, 2 ** 31 - 1);
    if (typeof id !== 'number') return id;
    out.nodeId = id;
    return out;
  }
  const s = scan(args, RUN_VALUES, ['--json']);
  if ('error' in s) return { error: s.error! };
  if (s.positional.length > 0) return { error: `unexpected argument '${s.positional[0]}'` };
  const out: RunArgs = { kind: 'run', brokers: 3, port: 9092, host: '127.0.0.1', dataDir: DEFAULT_DATA_DIR, etcd: null, controlPort: 0, overrides: [], logLevel: 'warn', json: s.flags.has('--json') };
  for (const [k, v] of s.pairs) {
    let n: number | { error: string } = 0;
    switch (k) {
      case '--brokers':
        n = intArg(k, v, 1, 32);
        if (typeof n === 'number') out.brokers = n;
        break;
      case '--port':
        n = intArg(k, v, 0, 65535);
        if (typeof n === 'number') out.port = n;
        break;
      case '--control-port':
        n = intArg(k, v, 0, 65535);
        if (typeof n === 'number') out.controlPort = n;
        break;
      case '--host':
        out.host = v;
        break;
      case '--data-dir':
        out.dataDir = v;
        break;
      case '--etcd':
        if (v !== 'auto' && !/^etcd:\/\/[^\s]+$/.test(v) && !/^https?:\/\/[^\s]+$/.test(v)) return { error: `--etcd needs etcd://host:port[,host:port…] or 'auto', got '${v}'` };
        out.etcd = v.startsWith('http') ? `etcd://${v.replace(/^https?:\/\//, '')}` : v;
        break;
      case '--override':
        if (v.indexOf('=') <= 0) return { error: `--override expects key=value, got '${v}'` };
        out.overrides.push(v);
        break;
      case '--log-level':
        if (!['debug', 'info', 'warn', 'error', 'silent'].includes(v)) return { error: `--log-level is one of debug, info, warn, error, silent; got '${v}'` };
        out.logLevel = v;
        break;
    }
    if (typeof n !== 'number') return n;
  }
  if (out.port !== 0 && out.port + out.brokers - 1 > 65535) return { error: `--port ${out.port} leaves no room for ${out.brokers} consecutive ports` };
  for (const o of out.overrides) {
    const key = o.slice(0, o.indexOf('='));
    if (['node.id', 'broker.id', 'listeners', 'log.dirs', 'log.dir', 'tributary.metadata.store'].includes(key)) {
      return { error: `--override ${key} is set per broker by dev-cluster (use --port, --data-dir, --etcd)` };
    }
  }
  return out;
}

export function devClusterHelp(): string {
  return commandHelpText({
    usage: DEV_CLUSTER_USAGE,
    description:
      'Runs a local cluster of several brokers in one process until Ctrl-C: consecutive ports from --port, one data dir per broker under --data-dir, cluster metadata in memory (or in etcd), and a control endpoint on loopback to stop, kill or restart one broker while the others run (failover drills). Prints the bootstrap string for your clients.',
    options: [
      ['--brokers N', 'Number of brokers, node ids 1..N (default 3)'],
      ['--port N', 'Port of broker 1; broker i gets N+i-1 (default 9092; 0 = ephemeral ports, printed)'],
      ['--host H', 'Address the brokers listen on and advertise (default 127.0.0.1)'],
      ['--data-dir DIR', `Parent of the brokers' data dirs DIR/broker-N (default ${DEFAULT_DATA_DIR})`],
      ['--etcd URL', 'Keep the metadata in etcd (etcd://host:2379) instead of memory; auto = start the etcd found on PATH, its data in DIR/etcd'],
      ['--control-port N', 'Port of the control endpoint on 127.0.0.1 (default 0 = ephemeral, printed)'],
      ['--override key=value', 'A broker setting for every broker (repeatable)'],
      ['--log-level L', 'Broker log level: debug, info, warn (default), error, silent'],
      ['--json', 'Print the cluster description as one JSON line'],
      ['stop <nodeId>', 'Clean shutdown of one broker (the lease is revoked: leaders move at once)'],
      ['kill <nodeId>', 'kill -9 of one broker as the cluster sees it: no controlled shutdown, its lease is left to expire'],
      ['restart <nodeId>', 'Stop the broker if it runs, start it again on the same port and data dir'],
      ['start <nodeId>', 'Start a stopped or killed broker'],
      ['status', 'The brokers, their state and the controller'],
      ['--control URL', 'With a subcommand: the control endpoint (default: read from DIR/dev-cluster.json)'],
    ],
    notes: [
      'Defaults for the cluster (override them with --override): default.replication.factor=3 (at most the broker count), min.insync.replicas=2 with 3 brokers or more, offsets.topic.replication.factor and transaction.state.log.replication.factor 3.',
      'With in-memory metadata the cluster starts empty on every run (the data dirs of the last run are cleared); with --etcd it keeps its topics and data across runs.',
      'Example: tributary dev-cluster --brokers 3, then in another terminal: tributary dev-cluster kill 2; tributary dev-cluster restart 2.',
    ],
  });
}
