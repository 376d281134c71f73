// `tributary contribute`: phase one of a federated aggregation, run by each partner.
//   1. read the partner's raw CSV locally, compute monthly sum and count per category
//   2. publish only those contributions to the partner's own cluster (keyed partner|category|month;
//      a rerun sends only changes and withdraws what disappeared)
//   3. read the global results from the shared output topic and print (and optionally chart) the
//      partner's averages beside the peer group's
import { readFile, writeFile } from 'node:fs/promises';
import { renderHtml, renderSvg } from '../../contribute/chart.js';
import { compare, formatComparison, readGlobalResults, type ComparisonRow } from '../../contribute/compare.js';
import { DEFAULT_COLUMNS, computeLocalMetrics, type LocalContribution } from '../../contribute/local-metrics.js';
import { publishContributions } from '../../contribute/publish.js';
import { clientSettings, errorText } from '../aggregation/kafka-client.js';
import { bootstrapList, intFlag, parseFlags } from './cli-args.js';
import type { CliDeps } from './main.js';

export const CONTRIBUTE_USAGE =
  'contribute --input tx.csv --partner NAME [--bootstrap-server host:port] [--topic contributions] [--global-bootstrap host:port] [--global-topic global-spend] [--chart out.svg|out.html] [--publish-only|--compare-only]';

const VALUES = [
  'input',
  'partner',
  'bootstrap-server',
  'topic',
  'partitions',
  'global-bootstrap',
  'global-topic',
  'avg-field',
  'chart',
  'wait-ms',
  'date-column',
  'category-column',
  'amount-column',
  'delimiter',
] as const;
const BOOLEANS = ['publish-only', 'compare-only', 'no-idempotence', 'json'] as const;

export async function runContributeCommand(args: readonly string[], deps: CliDeps): Promise<number> {
  const p = parseFlags(args, { values: VALUES, booleans: BOOLEANS });
  const usage = (msg: string) => {
    deps.stderr(`tributary contribute: ${msg}\nUsage: tributary ${CONTRIBUTE_USAGE}\n`);
    return 2;
  };
  if ('error' in p) return usage(p.error);
  if (p.positional.length > 0) return usage(`unexpected argument '${p.positional[0]}'`);
  const input = p.flags.get('input');
  const partner = p.flags.get('partner');
  if (!input || !partner) return usage('--input and --partner are required');
  if (partner.includes('|')) return usage("--partner must not contain '|'");
  const publishOnly = p.booleans.has('publish-only');
  const compareOnly = p.booleans.has('compare-only');
  if (publishOnly && compareOnly) return usage('--publish-only and --compare-only exclude each other');
  const waitMs = intFlag(p, 'wait-ms', compareOnly ? 0 : 15_000);
  const partitions = intFlag(p, 'partitions', 1);
  if (typeof waitMs !== 'number') return usage(waitMs.error);
  if (typeof partitions !== 'number' || partitions < 1) return usage('--partitions must be a positive integer');
  const chart = p.flags.get('chart');
  if (chart && !/\.(svg|html?)$/i.test(chart)) return usage('--chart must end in .svg or .html');

  let metrics;
  try {
    metrics = computeLocalMetrics(await readFile(input, 'utf8'), partner, {
      date: p.flags.get('date-column') ?? DEFAULT_COLUMNS.date,
      category: p.flags.get('category-column') ?? DEFAULT_COLUMNS.category,
      amount: p.flags.get('amount-column') ?? DEFAULT_COLUMNS.amount,
      delimiter: p.flags.get('delimiter') ?? DEFAULT_COLUMNS.delimiter,
    });
  } catch (e) {
    deps.stderr(`tributary contribute: ${(e as Error).message}\n`);
    return 1;
  }
  const local = metrics.contributions;
  deps.stdout(`${partner}: ${metrics.rows} transactions -> ${local.size} monthly contributions${metrics.skipped.length ? `, ${metrics.skipped.length} rows skipped` : ''}\n`);
  for (const s of metrics.skipped.slice(0, 5)) deps.stderr(`  line ${s.line}: ${s.reason}\n`);

  const own = clientSettings({ bootstrap: bootstrapList(p.flags.get('bootstrap-server'), deps.env) }, `tributary-contribute-${partner}`);
  const topic = p.flags.get('topic') ?? 'contributions';
  try {
    let sentAt = 0;
    let changed = new Set<string>();
    if (!compareOnly) {
      const s = await publishContributions(own, topic, partner, local, { idempotent: !p.booleans.has('no-idempotence'), partitions });
      sentAt = s.sentAt;
      changed = s.changedKeys;
      deps.stdout(`published to ${topic} @ ${own.bootstrapBrokers.join(',')}: ${s.sent} new or changed, ${s.unchanged} unchanged, ${s.withdrawn} withdrawn\n`);
    }
    if (publishOnly) return 0;

    const global = clientSettings({ bootstrap: bootstrapList(p.flags.get('global-bootstrap') ?? p.flags.get('bootstrap-server'), deps.env) }, `tributary-contribute-${partner}`);
    const globalTopic = p.flags.get('global-topic') ?? 'global-spend';
    const rows = await waitForResults(global, globalTopic, local, p.flags.get('avg-field') ?? 'avg', { sentAt, changed, partner }, waitMs);
    deps.stdout(p.booleans.has('json') ? JSON.stringify(rows, null, 2) + '\n' : formatComparison(partner, rows));
    if (chart) {
      await writeFile(chart, /\.svg$/i.test(chart) ? renderSvg(partner, rows) : renderHtml(partner, rows));
      deps.stdout(`chart written to ${chart}\n`);
    }
    return 0;
  } catch (e) {
    deps.stderr(`tributary contribute: ${errorText(e)}\n`);
    return 1;
  }
}

/**
 * Polls the global results until every local group has one, updated after our publish where we
 * changed it, or until `waitMs`. Groups below the privacy threshold never get one, so the wait
 * also ends once every result that exists is fresh and nothing has changed for SETTLE_MS.
 */
async function waitForResults(
  settings: ReturnType<typeof clientSettings>,
  topic: string,
  local: Map<string, LocalContribution>,
  avg: string,
  sent: { sentAt: number; changed: Set<string>; partner: string },
  waitMs: number,
): Promise<ComparisonRow[]> {
  const SETTLE_MS = 2_000;
  const deadline = Date.now() + waitMs;
  let last = '';
  let stableSince = Date.now();
  for (;;) {
    const rows = compare(local.values(), await readGlobalResults(settings, topic), { category: 'category', month: 'month', avg });
    const fresh = (r: ComparisonRow) => !sent.changed.has(`${sent.partner}|${r.category}|${r.month}`) || Date.parse(r.updatedAt!) >= sent.sentAt - 1000;
    const present = rows.filter((r) => r.updatedAt !== null);
    const text = JSON.stringify(rows);
    if (text !== last) {
      last = text;
      stableSince = Date.now();
    }
    if (present.length === rows.length && rows.every(fresh)) return rows;
    if (present.length > 0 && present.every(fresh) && Date.now() - stableSince >= SETTLE_MS) return rows;
    if (Date.now() >= deadline) return rows;
    await new Promise((r) => setTimeout(r, 300));
  }
}
