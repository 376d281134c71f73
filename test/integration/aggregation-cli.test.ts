// `tributary aggregations` and `tributary contribute` against an in-process broker, through the
// Kafka protocol as users run them: create/list/status/describe/pause/resume/delete, publishing
// contributions from CSV files, reruns that change nothing or withdraw, and the comparison with
// its chart.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliDeps } from '../../src/cli/main.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { latest, readHistory, spendDefinition, waitFor } from '../aggregation/helpers.js';

let tb: TestBroker;
let dir: string;

beforeAll(async () => {
  tb = await startTestBroker({ 'tributary.aggregation.status.interval.ms': '200' });
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tributary-agg-cli-'));
});
afterAll(async () => {
  await tb?.cleanup();
  await fs.rm(dir, { recursive: true, force: true });
});

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const deps: CliDeps = {
    stdout: (t) => void (out += t),
    stderr: (t) => void (err += t),
    env: { TRIBUTARY_BOOTSTRAP_SERVER: tb.bootstrap },
    onSignal: () => () => undefined,
    forceExit: () => undefined,
    helpText: () => 'HELP\n',
  };
  const code = await runCli(args, deps);
  return { code, out, err };
}

const csv = (rows: [string, string, number][]) => ['date,category,amount', ...rows.map(([d, c, a]) => `${d},${c},${a}`)].join('\n') + '\n';

describe('tributary aggregations', () => {
  it('create validates locally, then waits for the broker to confirm', async () => {
    const bad = path.join(dir, 'bad.json');
    await fs.writeFile(bad, JSON.stringify({ name: 'spend', sources: [] }));
    const r1 = await cli('aggregations', 'create', '--file', bad);
    expect(r1.code).toBe(1);
    expect(r1.err).toContain('sources:');

    const file = path.join(dir, 'spend.json');
    await fs.writeFile(file, JSON.stringify(spendDefinition({ minContributors: 2 })));
    const r2 = await cli('aggregations', 'create', '--file', file);
    expect(r2.err).toBe('');
    expect(r2.out).toContain("created aggregation 'spend' -> global-spend");
    expect(r2.code).toBe(0);
    const again = await cli('aggregations', 'create', '--file', file);
    expect(again.code).toBe(1);
    expect(again.err).toContain('already exists');

    // An incompatible update is refused by the broker and reported.
    const changed = path.join(dir, 'changed.json');
    await fs.writeFile(changed, JSON.stringify(spendDefinition({ groupBy: ['category'] })));
    const r3 = await cli('aggregations', 'update', '--file', changed);
    expect(r3.code).toBe(1);
    expect(r3.err).toContain('cannot change groupBy');
  });

  it('contribute publishes, compares with the peer group and draws the chart', async () => {
    const a = path.join(dir, 'a.csv');
    const b = path.join(dir, 'b.csv');
    await fs.writeFile(a, csv([['2024-01-03', 'food', 10], ['2024-01-09', 'food', 30], ['2024-02-01', 'food', 50], ['2024-01-05', 'travel', 400]]));
    await fs.writeFile(b, csv([['2024-01-04', 'food', 60], ['2024-02-11', 'food', 10], ['2024-02-12', 'food', 20]]));
    const pa = await cli('contribute', '--input', a, '--partner', 'alpha', '--publish-only');
    expect(pa.out).toContain('4 transactions -> 3 monthly contributions');
    expect(pa.out).toContain('3 new or changed, 0 unchanged, 0 withdrawn');
    expect((await cli('contribute', '--input', b, '--partner', 'beta', '--publish-only')).code).toBe(0);

    const chart = path.join(dir, 'alpha.html');
    const cmp = await cli('contribute', '--input', a, '--partner', 'alpha', '--compare-only', '--wait-ms', '15000', '--chart', chart);
    expect(cmp.err).toBe('');
    // food 2024-01: alpha 40/2 = 20, peers (40+60)/(2+1) = 33.33 -> -40%; travel has one partner: no figure.
    expect(cmp.out).toMatch(/food\s+2024-01\s+20\.00\s+2\s+33\.33\s+2\s+-40\.0%/);
    expect(cmp.out).toMatch(/food\s+2024-02\s+50\.00\s+1\s+26\.67\s+2\s+\+87\.5%/);
    expect(cmp.out).toMatch(/travel\s+2024-01\s+400\.00\s+1\s+-\s+-\s+-/);
    const html = await fs.readFile(chart, 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('-40.0%');
    const svgFile = path.join(dir, 'alpha.svg');
    await cli('contribute', '--input', a, '--partner', 'alpha', '--compare-only', '--chart', svgFile);
    expect((await fs.readFile(svgFile, 'utf8')).startsWith('<svg')).toBe(true);
  });

  it('a rerun changes nothing; dropped rows are withdrawn', async () => {
    const a = path.join(dir, 'a.csv');
    const rerun = await cli('contribute', '--input', a, '--partner', 'alpha', '--publish-only');
    expect(rerun.out).toContain('0 new or changed, 3 unchanged, 0 withdrawn');
    const a2 = path.join(dir, 'a2.csv');
    await fs.writeFile(a2, csv([['2024-01-03', 'food', 10], ['2024-01-09', 'food', 30], ['2024-01-05', 'travel', 400]]));
    const r = await cli('contribute', '--input', a2, '--partner', 'alpha', '--wait-ms', '15000');
    expect(r.out).toContain('0 new or changed, 2 unchanged, 1 withdrawn');
    await waitFor('food 2024-02 withdrawn below the threshold', async () => latest(await readHistory(tb.broker, 'global-spend')).get('food|2024-02')?.value === null);
  });

  it('list, status, describe, pause, resume, delete', async () => {
    const list = await cli('aggregations', 'list');
    expect(list.out).toMatch(/spend\s+running\s+RUNNING\s+global-spend\s+local=contributions@local/);
    const st = await cli('aggregations', 'status', 'spend', '--json');
    const s = JSON.parse(st.out) as { recordsIn: number; groupsPublished: number; sources: { lag: number }[] };
    expect(s.recordsIn).toBeGreaterThanOrEqual(6);
    expect(s.sources[0]!.lag).toBe(0);
    const text = await cli('aggregations', 'status');
    expect(text.out).toContain('source local (contributions @ local): ok, lag 0');
    const desc = await cli('aggregations', 'describe', 'spend');
    expect(desc.out).toContain('"minContributors": 2');
    expect((await cli('aggregations', 'pause', 'spend')).out).toContain("paused aggregation 'spend'");
    expect((await cli('aggregations', 'list')).out).toMatch(/spend\s+paused\s+PAUSED/);
    expect((await cli('aggregations', 'resume', 'spend')).code).toBe(0);
    expect((await cli('aggregations', 'delete', 'spend')).out).toContain("deleted aggregation 'spend'");
    expect((await cli('aggregations', 'list')).out).toBe('No aggregations.\n');
    expect((await cli('aggregations', 'pause', 'nope')).code).toBe(1);
    expect((await cli('aggregations', 'frobnicate')).code).toBe(2);
  });
});
