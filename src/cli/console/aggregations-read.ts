// The aggregation stage for the console (src/aggregation/README.md): its definitions from
// __tributary_aggregations and their status from __tributary_aggregation_status, read over the
// Kafka protocol as `tributary aggregations list|describe|status` reads them. A cluster without
// the stage (no such topics) has no aggregations.
import { redactDefinition } from '../../aggregation/definition.js';
import type { ClusterClients } from './cluster-clients.js';
import { ConsoleRequestError } from './console-errors.js';

export async function aggregationList(c: ClusterClients) {
  const admin = await c.aggregations();
  const [defs, statuses] = await Promise.all([admin.definitions(), admin.statuses()]);
  return [...defs.values()]
    .map((d) => {
      const s = statuses.get(d.name);
      return {
        name: d.name,
        description: d.definition?.description ?? null,
        state: s?.state ?? 'unknown',
        target: d.target,
        outputTopic: d.definition?.output.topic ?? null,
        groupBy: d.definition?.groupBy ?? [],
        minContributors: d.definition?.minContributors ?? null,
        sources: d.definition?.sources.length ?? 0,
        recordsIn: s?.recordsIn ?? null,
        contributions: s?.contributions ?? null,
        groups: s?.groups ?? null,
        groupsPublished: s?.groupsPublished ?? null,
        groupsSuppressed: s?.groupsSuppressed ?? null,
        lag: s ? s.sources.reduce<number | null>((sum, src) => (sum === null || src.lag === null ? null : sum + src.lag), 0) : null,
        lastError: s?.lastError ?? s?.definitionError ?? null,
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

export async function aggregationDetail(c: ClusterClients, name: string) {
  const admin = await c.aggregations();
  const [defs, statuses] = await Promise.all([admin.definitions(), admin.statuses()]);
  const d = defs.get(name);
  if (!d) throw new ConsoleRequestError('AGGREGATION_NOT_FOUND', `There is no aggregation ${name}`, 404);
  // Passwords and keys of remote sources never leave the console.
  return { name, target: d.target, definition: d.definition ? redactDefinition(d.definition) : null, status: statuses.get(name) ?? null };
}
