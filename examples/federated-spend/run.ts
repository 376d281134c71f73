// The federated-spend demo, end to end, on one machine:
//   three partner clusters (alpha, beta, gamma) and one shared cluster = four Tributary brokers;
//   phase one at each partner: `tributary contribute --publish-only` (raw CSV -> contributions);
//   the aggregation `global-spend` defined on the shared cluster, reading the three remote topics;
//   phase two runs inside the shared broker; each partner then sees its comparison and a chart.
//
//   npx tsx examples/federated-spend/run.ts [--keep] [--out DIR]
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AggregationAdmin } from '../../src/aggregation/admin-client.js';
import { clientSettings } from '../../src/aggregation/kafka-client.js';
import { PARTNERS, writePartnerData } from './generate-data.js';
import { startBroker, tributary, type RunningBroker } from './processes.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const keep = args.includes('--keep');
const outIdx = args.indexOf('--out');
const out = outIdx >= 0 ? path.resolve(args[outIdx + 1]!) : await mkdtemp(path.join(os.tmpdir(), 'federated-spend-'));

const brokers: RunningBroker[] = [];
const shutdown = async () => {
  await Promise.all(brokers.map((b) => b.stop()));
  if (!keep) await rm(path.join(out, 'clusters'), { recursive: true, force: true });
};
process.once('SIGINT', () => void shutdown().then(() => process.exit(130)));

try {
  console.log(`Working directory: ${out}`);
  const files = await writePartnerData(path.join(out, 'data'));

  console.log('\n== Starting four clusters: alpha, beta, gamma (partners) and shared ==');
  const names = [...PARTNERS.map((p) => p.name), 'shared'];
  for (const n of names) await mkdir(path.join(out, 'clusters', n), { recursive: true });
  const started = await Promise.all(
    names.map((n) => startBroker(n, path.join(out, 'clusters', n), n === 'shared' ? { 'tributary.aggregation.status.interval.ms': '500' } : {})),
  );
  brokers.push(...started);
  const at = Object.fromEntries(started.map((b) => [b.name, b.bootstrap]));
  for (const b of started) console.log(`  ${b.name.padEnd(6)} ${b.bootstrap}`);

  console.log('\n== Phase one: each partner publishes only its monthly sums and counts ==');
  for (const p of PARTNERS) {
    await tributary(['contribute', '--input', files[p.name]!, '--partner', p.name, '--bootstrap-server', at[p.name]!, '--topic', 'contributions', '--publish-only']);
  }

  console.log('\n== Phase two: the aggregation on the shared cluster reads all three partner clusters ==');
  let definition = await readFile(path.join(HERE, 'aggregation.json'), 'utf8');
  for (const p of PARTNERS) definition = definition.replace(`${p.name.toUpperCase()}_BOOTSTRAP`, at[p.name]!);
  const defFile = path.join(out, 'aggregation.json');
  await writeFile(defFile, definition);
  await tributary(['aggregations', 'create', '--file', defFile, '--bootstrap-server', at.shared!]);

  // Wait until every source is caught up (all contributions folded and published).
  const admin = await AggregationAdmin.connect(clientSettings({ bootstrap: [at.shared!] }, 'demo'));
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const s = (await admin.statuses()).get('global-spend');
      if (s && s.sources.length === 3 && s.sources.every((x) => x.health === 'ok' && x.lag === 0) && s.recordsIn > 0) break;
      if (Date.now() > deadline) throw new Error(`the aggregation did not catch up: ${JSON.stringify(s)}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  } finally {
    await admin.close();
  }
  await tributary(['aggregations', 'status', 'global-spend', '--bootstrap-server', at.shared!]);

  console.log('\n== Each partner compares itself with the peer group ==');
  for (const p of PARTNERS) {
    await tributary([
      'contribute',
      '--input',
      files[p.name]!,
      '--partner',
      p.name,
      '--compare-only',
      '--global-bootstrap',
      at.shared!,
      '--global-topic',
      'global-spend',
      '--chart',
      path.join(out, `${p.name}-comparison.html`),
    ]);
  }
  console.log(`\nCharts: ${PARTNERS.map((p) => path.join(out, `${p.name}-comparison.html`)).join('\n        ')}`);
  if (keep) console.log(`Clusters kept in ${path.join(out, 'clusters')} (stopped).`);
} catch (e) {
  console.error(`\ndemo failed: ${(e as Error).message}`);
  process.exitCode = 1;
} finally {
  await shutdown();
}
