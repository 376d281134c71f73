// `tributary dev-cluster …`: runs a local cluster, or (stop|kill|restart|start|status) asks a
// running one's control endpoint to act on one broker.
import fs from 'node:fs';
import path from 'node:path';
import type { CliDeps } from '../main.js';
import { CONTROL_HEADER } from './control-server.js';
import { devClusterHelp, parseDevClusterArgs, type ControlArgs } from './dev-cluster-args.js';
import { runDevCluster, STATE_FILE } from './run-dev-cluster.js';

export { DEV_CLUSTER_USAGE, devClusterHelp } from './dev-cluster-args.js';

export async function runDevClusterCommand(args: readonly string[], deps: CliDeps): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    deps.stdout(devClusterHelp());
    return 0;
  }
  const parsed = parseDevClusterArgs(args);
  if ('error' in parsed) {
    deps.stderr(`tributary dev-cluster: ${parsed.error}\nRun 'tributary dev-cluster --help' for usage.\n`);
    return 2;
  }
  if (parsed.kind === 'run') return runDevCluster(parsed, deps);
  return runControl(parsed, deps);
}

/** The control URL: --control, else env TRIBUTARY_DEV_CLUSTER_CONTROL, else the running cluster's state file. */
function controlUrl(args: ControlArgs, deps: CliDeps): string | { error: string } {
  if (args.control) return args.control;
  if (deps.env.TRIBUTARY_DEV_CLUSTER_CONTROL) return deps.env.TRIBUTARY_DEV_CLUSTER_CONTROL.replace(/\/+$/, '');
  const file = path.join(path.resolve(args.dataDir), STATE_FILE);
  try {
    const st = JSON.parse(fs.readFileSync(file, 'utf8')) as { control?: string };
    if (typeof st.control === 'string') return st.control;
  } catch {
    // below
  }
  return { error: `no running dev cluster found (${file} is missing): pass --control URL (printed by 'tributary dev-cluster') or --data-dir DIR` };
}

async function runControl(args: ControlArgs, deps: CliDeps): Promise<number> {
  const url = controlUrl(args, deps);
  if (typeof url !== 'string') {
    deps.stderr(`tributary dev-cluster: ${url.error}\n`);
    return 1;
  }
  let res: Response;
  try {
    res =
      args.action === 'status'
        ? await fetch(`${url}/status`, { signal: AbortSignal.timeout(10_000) })
        : await fetch(`${url}/brokers/${args.nodeId}/${args.action}`, { method: 'POST', headers: { [CONTROL_HEADER]: '1' }, signal: AbortSignal.timeout(60_000) });
  } catch (e) {
    deps.stderr(`tributary dev-cluster: cannot reach the control endpoint ${url}: ${(e as Error).message}\n`);
    return 1;
  }
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok) {
    deps.stderr(`tributary dev-cluster: ${args.action} ${args.nodeId ?? ''}: ${String(body.error ?? res.status)}\n`);
    return 1;
  }
  if (args.json) deps.stdout(JSON.stringify(body) + '\n');
  else if (args.action === 'status') {
    const s = body as { bootstrap: string; controller: number; metadata: string; brokers: { nodeId: number; address: string; state: string }[] };
    deps.stdout(`bootstrap: ${s.bootstrap}\nmetadata:  ${s.metadata}\n`);
    for (const b of s.brokers) deps.stdout(`  broker ${b.nodeId}  ${b.address}  ${b.state}${b.nodeId === s.controller ? '  (controller)' : ''}\n`);
  } else deps.stdout(`broker ${String(body.nodeId)} ${String(body.state)} at ${String(body.address)} (${String(body.tookMs)} ms)\n`);
  return 0;
}
