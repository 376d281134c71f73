// `tributary cluster info`: cluster id, controller, brokers and topic count (rpk cluster info).
import { commandHelpText } from '../help.js';
import type { CliDeps } from '../main.js';
import { BOOTSTRAP_HELP, SECURITY_HELP, JSON_HELP, UsageError, printJson, runClientCommand, table, withAdmin } from './common.js';

export const CLUSTER_USAGE = 'cluster info [--bootstrap-server host:port] [--json]';

export function clusterHelp(): string {
  return commandHelpText({
    usage: CLUSTER_USAGE,
    description: 'Cluster id, controller, every broker (id, host, port, rack) and the number of topics, from a Metadata request.',
    options: [BOOTSTRAP_HELP, ...SECURITY_HELP, JSON_HELP],
    notes: ['Exit codes: 0 ok, 1 error (from the cluster or the connection), 2 usage.'],
  });
}

export async function runClusterCommand(args: readonly string[], deps: CliDeps): Promise<number> {
  return runClientCommand('cluster', CLUSTER_USAGE, args, deps, { values: [], booleans: [] }, async (p) => {
    if (p.positional[0] !== 'info' || p.positional.length > 1) throw new UsageError(p.positional[0] ? `unknown subcommand '${p.positional[0]}'` : 'a subcommand is required');
    return withAdmin(p, deps, async (admin) => {
      const topics = await admin.listTopics({ includeInternals: true });
      const meta = await admin.metadata({ topics: [] });
      const brokers = [...meta.brokers.entries()].map(([id, b]) => ({ id, host: b.host, port: b.port, rack: b.rack ?? null })).sort((a, b) => a.id - b.id);
      const info = { clusterId: meta.id, controllerId: meta.controllerId, brokers, topics: topics.length };
      if (p.booleans.has('json')) printJson(deps, info);
      else {
        deps.stdout(`CLUSTER\nID          ${info.clusterId}\nCONTROLLER  ${info.controllerId}\nTOPICS      ${info.topics}\n\nBROKERS\n`);
        deps.stdout(table(['ID', 'HOST', 'PORT', 'RACK'], brokers.map((b) => [b.id + (b.id === info.controllerId ? '*' : ''), b.host, b.port, b.rack])));
      }
      return 0;
    });
  });
}
