// `tributary aggregations ...`: manage the aggregation stage of a running broker over the Kafka
// protocol (see src/aggregation/admin-client.ts). Every change waits until the broker's status
// confirms it (or reports why it refused it).
//
//   create  --file def.json        a definition, or an array of them; fails if one exists
//   update  --file def.json        compatible changes only (threshold, derived, connections, ...)
//   list                           name, state, output topic, sources
//   describe <name>                the definition (secrets masked) and its status
//   status [<name>]                counters, lag per source, last errors
//   pause|resume|delete <name>
// Options: --bootstrap-server host:port (env TRIBUTARY_BOOTSTRAP_SERVER, default 127.0.0.1:9092),
//          --json, --timeout-ms N (confirmation wait, default 15000), and the TLS/SASL flags of
//          every client command (--command-config FILE, --tls, --ca, --cert, --key,
//          --sasl-mechanism, --user, --password).
import { readFile } from 'node:fs/promises';
import { AggregationAdmin } from '../aggregation/admin-client.js';
import { redactDefinition, validateDefinition } from '../aggregation/definition.js';
import { clientSettings, type ClientSettings } from '../aggregation/kafka-client.js';
import { formatStatusTable, type AggregationStatus } from '../aggregation/status.js';
import { bootstrapList, intFlag, type ParsedArgs } from './cli-args.js';
import { clientSecurityFromFlags } from './client-security.js';
import { runClientCommand, UsageError } from './client/common.js';
import type { CliDeps } from './main.js';

export const AGGREGATIONS_USAGE = 'aggregations <create|update|list|describe|status|pause|resume|delete> [name] [--file def.json] [--bootstrap-server host:port] [--command-config FILE] [--json]';

const SUBCOMMANDS = ['create', 'update', 'list', 'describe', 'status', 'pause', 'resume', 'delete'] as const;
type Sub = (typeof SUBCOMMANDS)[number];

export async function runAggregationsCommand(args: readonly string[], deps: CliDeps): Promise<number> {
  // The client commands' one parser: --bootstrap-server, --json and the TLS/SASL flags
  // (--command-config, --tls, --ca, --cert, --key, --sasl-mechanism, --user, --password).
  return runClientCommand('aggregations', AGGREGATIONS_USAGE, args, deps, { values: ['file', 'timeout-ms'], booleans: [] }, async (parsed) => {
    const [sub, name] = parsed.positional as [Sub | undefined, string | undefined];
    if (!sub || !SUBCOMMANDS.includes(sub)) throw new UsageError(sub ? `unknown subcommand '${sub}'` : 'a subcommand is required');
    const needsName = sub === 'describe' || sub === 'pause' || sub === 'resume' || sub === 'delete';
    if (needsName && !name) throw new UsageError(`${sub} needs an aggregation name`);
    if ((sub === 'create' || sub === 'update') && !parsed.flags.has('file')) throw new UsageError(`${sub} needs --file`);
    const timeout = intFlag(parsed, 'timeout-ms', 15_000);
    if (typeof timeout !== 'number') throw new UsageError(timeout.error);

    const settings = { ...clientSettings({ bootstrap: bootstrapList(parsed.flags.get('bootstrap-server'), deps.env) }, 'tributary-cli'), ...clientSecurityFromFlags(parsed, deps.env) } as ClientSettings;
    const admin = await AggregationAdmin.connect(settings);
    try {
      switch (sub) {
        case 'create':
        case 'update':
          return await putDefinitions(admin, sub, parsed, timeout, deps);
        case 'list':
          return await list(admin, parsed, deps);
        case 'describe':
          return await describe(admin, name!, parsed, deps);
        case 'status':
          return await status(admin, name, parsed, deps);
        default:
          return await control(admin, sub, name!, timeout, deps);
      }
    } finally {
      await admin.close().catch(() => undefined);
    }
  });
}

async function putDefinitions(admin: AggregationAdmin, sub: 'create' | 'update', p: ParsedArgs, timeout: number, deps: CliDeps): Promise<number> {
  const file = p.flags.get('file')!;
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    deps.stderr(`tributary aggregations ${sub}: cannot read ${file}: ${(e as Error).message}\n`);
    return 1;
  }
  const raws = Array.isArray(parsed) ? parsed : [parsed];
  const existing = await admin.definitions();
  let failed = 0;
  for (const raw of raws) {
    const v = validateDefinition(raw);
    if (!v.ok) {
      deps.stderr(`invalid definition${typeof (raw as { name?: unknown })?.name === 'string' ? ` '${(raw as { name: string }).name}'` : ''}:\n  ${v.errors.join('\n  ')}\n`);
      failed++;
      continue;
    }
    const name = v.definition.name;
    if (sub === 'create' && existing.has(name)) {
      deps.stderr(`aggregation '${name}' already exists (use 'tributary aggregations update')\n`);
      failed++;
      continue;
    }
    if (sub === 'update' && !existing.has(name)) {
      deps.stderr(`aggregation '${name}' does not exist (use 'tributary aggregations create')\n`);
      failed++;
      continue;
    }
    const offset = await admin.putDefinition(name, raw);
    const s = await admin.waitForStatus(name, (st) => !!st && (st.definitionOffset >= offset || st.definitionErrorOffset === offset), timeout);
    if (s?.definitionErrorOffset === offset) {
      deps.stderr(`the broker refused '${name}': ${s.definitionError}\n`);
      failed++;
    } else deps.stdout(`${sub === 'create' ? 'created' : 'updated'} aggregation '${name}' -> ${v.definition.output.topic}\n`);
  }
  return failed > 0 ? 1 : 0;
}

async function list(admin: AggregationAdmin, p: ParsedArgs, deps: CliDeps): Promise<number> {
  const defs = await admin.definitions();
  const statuses = await admin.statuses();
  const rows = [...defs.values()].map((d) => ({
    name: d.name,
    state: statuses.get(d.name)?.state ?? 'unknown',
    target: d.target,
    output: d.definition?.output.topic ?? '?',
    sources: d.definition?.sources.map((s) => `${s.name}=${s.topic}@${s.cluster ? s.cluster.bootstrap.join(',') : 'local'}`).join(' ') ?? '?',
  }));
  if (p.booleans.has('json')) {
    deps.stdout(JSON.stringify(rows, null, 2) + '\n');
    return 0;
  }
  if (rows.length === 0) {
    deps.stdout('No aggregations.\n');
    return 0;
  }
  const header = { name: 'NAME', state: 'STATE', target: 'TARGET', output: 'OUTPUT', sources: 'SOURCES' };
  const all = [header, ...rows];
  const w = (k: keyof typeof header) => Math.max(...all.map((r) => r[k].length));
  for (const r of all) deps.stdout(`${r.name.padEnd(w('name'))}  ${r.state.padEnd(w('state'))}  ${r.target.padEnd(w('target'))}  ${r.output.padEnd(w('output'))}  ${r.sources}\n`);
  return 0;
}

async function describe(admin: AggregationAdmin, name: string, p: ParsedArgs, deps: CliDeps): Promise<number> {
  const d = (await admin.definitions()).get(name);
  if (!d) {
    deps.stderr(`no aggregation '${name}'\n`);
    return 1;
  }
  const s = (await admin.statuses()).get(name);
  const definition = d.definition ? redactDefinition(d.definition) : d.raw;
  if (p.booleans.has('json')) deps.stdout(JSON.stringify({ definition, target: d.target, status: s ?? null }, null, 2) + '\n');
  else {
    deps.stdout(`${JSON.stringify(definition, null, 2)}\ntarget state: ${d.target}\n`);
    if (s) deps.stdout(formatStatusTable([s], Date.now()));
  }
  return 0;
}

async function status(admin: AggregationAdmin, name: string | undefined, p: ParsedArgs, deps: CliDeps): Promise<number> {
  const all = await admin.statuses();
  let list: AggregationStatus[] = [...all.values()];
  if (name) {
    const s = all.get(name);
    if (!s) {
      deps.stderr(`no status for aggregation '${name}'\n`);
      return 1;
    }
    list = [s];
  }
  deps.stdout(p.booleans.has('json') ? JSON.stringify(name ? list[0] : list, null, 2) + '\n' : formatStatusTable(list, Date.now()));
  return 0;
}

async function control(admin: AggregationAdmin, sub: 'pause' | 'resume' | 'delete', name: string, timeout: number, deps: CliDeps): Promise<number> {
  if (!(await admin.definitions()).has(name)) {
    deps.stderr(`no aggregation '${name}'\n`);
    return 1;
  }
  if (sub === 'delete') {
    await admin.deleteDefinition(name);
    await admin.waitForStatus(name, (s) => s === undefined, timeout);
    deps.stdout(`deleted aggregation '${name}' (its output and dead-letter topics are kept)\n`);
    return 0;
  }
  const target = sub === 'pause' ? 'PAUSED' : 'RUNNING';
  await admin.setTargetState(name, target);
  await admin.waitForStatus(name, (s) => s?.target === target, timeout);
  deps.stdout(`${sub === 'pause' ? 'paused' : 'resumed'} aggregation '${name}'\n`);
  return 0;
}
