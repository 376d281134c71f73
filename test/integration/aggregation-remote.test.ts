// Remote sources: an aggregation on a shared broker reads the contribution topics of two partner
// clusters (separate brokers) with @platformatic/kafka. A partner cluster that goes down delays
// only its own contributions, shows up in the status, and is caught up when it comes back; the
// totals stay exact and no (group, version) appears twice in the output history.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { assertNoDuplicateVersions, contributionKey, latest, produce, readHistory, spendDefinition, waitFor, type Contribution } from '../aggregation/helpers.js';

let shared: TestBroker;
let alpha: TestBroker;
let beta: TestBroker;

beforeAll(async () => {
  [shared, alpha, beta] = await Promise.all([
    startTestBroker({ 'tributary.aggregation.status.interval.ms': '200', 'tributary.aggregation.retry.backoff.ms': '100', 'tributary.aggregation.retry.backoff.max.ms': '500' }),
    startTestBroker(),
    startTestBroker(),
  ]);
  await alpha.broker.createTopic('contributions', 2, 1, { 'cleanup.policy': 'compact' });
  await beta.broker.createTopic('contributions', 1, 1, { 'cleanup.policy': 'compact' });
});
afterAll(async () => {
  await Promise.all([shared?.cleanup(), alpha?.cleanup(), beta?.cleanup()]);
});

const c = (partner: string, category: string, month: string, sum: number, count: number): Contribution => ({ partner, category, month, sum, count });
const send = (tb: TestBroker, cs: Contribution[]) => produce(tb.bootstrap, 'contributions', cs.map((x) => ({ key: contributionKey(x), value: x })));

async function results(): Promise<Map<string, any>> {
  const m = new Map<string, any>();
  for (const [k, r] of latest(await readHistory(shared.broker, 'global-spend'))) m.set(k, r.value);
  return m;
}

describe('remote sources', () => {
  it('combines contributions from two clusters', async () => {
    const def = spendDefinition({
      minContributors: 2,
      sources: [
        { name: 'alpha', topic: 'contributions', cluster: { bootstrap: [alpha.bootstrap] }, contributor: 'alpha' },
        { name: 'beta', topic: 'contributions', cluster: { bootstrap: [beta.bootstrap] }, contributor: 'beta' },
      ],
    });
    expect((await shared.broker.aggregations!.define(def)).ok).toBe(true);
    await send(alpha, [c('alpha', 'food', '2024-01', 100, 4), c('alpha', 'fuel', '2024-01', 80, 2)]);
    await send(beta, [c('beta', 'food', '2024-01', 60, 2), c('beta', 'fuel', '2024-01', 20, 2), c('mallory', 'food', '2024-01', 1e9, 1)]);
    await waitFor('both groups', async () => (await results()).get('fuel|2024-01')?.contributors === 2 && (await results()).get('food|2024-01')?.contributors === 2);
    expect((await results()).get('food|2024-01')).toMatchObject({ measures: { sum: 160, count: 6 } });
    // beta's cluster cannot speak for another contributor.
    const st = await waitFor('status', () => {
      const s = shared.broker.aggregations!.status('spend')!;
      return s.recordsRejected === 1 && s.sources.every((x) => x.lag === 0) ? s : null;
    });
    expect(st.sources.map((s) => [s.name, s.health, s.cluster])).toEqual([
      ['alpha', 'ok', alpha.bootstrap],
      ['beta', 'ok', beta.bootstrap],
    ]);
  });

  it('a cluster going down delays only its contributions; it is caught up when back', async () => {
    const betaDir = beta.dataDir;
    const betaPort = beta.port;
    await beta.stop();
    await send(alpha, [c('alpha', 'food', '2024-01', 120, 4)]);
    await waitFor('alpha still flows', async () => (await results()).get('food|2024-01')?.measures.sum === 180);
    const down = await waitFor('beta unavailable', () => {
      const s = shared.broker.aggregations!.status('spend')!.sources.find((x) => x.name === 'beta')!;
      return s.health === 'unavailable' && s.lastError ? s : null;
    });
    expect(down.lastError).toContain(beta.bootstrap);

    beta = await startTestBroker({}, betaDir, betaPort);
    await send(beta, [c('beta', 'food', '2024-01', 30, 1), c('beta', 'fuel', '2024-02', 5, 1)]);
    await send(alpha, [c('alpha', 'fuel', '2024-02', 15, 1)]);
    await waitFor('beta caught up', async () => (await results()).get('food|2024-01')?.measures.sum === 150 && (await results()).get('fuel|2024-02')?.contributors === 2, 20_000);
    const r = await results();
    expect(r.get('food|2024-01')).toMatchObject({ contributors: 2, measures: { sum: 150, count: 5 }, derived: { avg: 30 } });
    expect(r.get('fuel|2024-01')).toMatchObject({ measures: { sum: 100, count: 4 } });
    expect(r.get('fuel|2024-02')).toMatchObject({ measures: { sum: 20, count: 2 } });
    await waitFor('beta ok', () => shared.broker.aggregations!.status('spend')!.sources.every((s) => s.health === 'ok' && s.lag === 0));
    assertNoDuplicateVersions(await readHistory(shared.broker, 'global-spend'));
  });

  it('a restart of the shared broker resumes remote positions from the changelog', async () => {
    const before = await readHistory(shared.broker, 'global-spend');
    const inBefore = shared.broker.aggregations!.status('spend')!.recordsIn;
    shared = await shared.restart();
    await waitFor('recovered', () => shared.broker.aggregations!.status('spend')?.sources.every((s) => s.health === 'ok' && s.lag === 0));
    expect(shared.broker.aggregations!.status('spend')!.recordsIn).toBe(inBefore);
    expect(await readHistory(shared.broker, 'global-spend')).toHaveLength(before.length);
  });
});
