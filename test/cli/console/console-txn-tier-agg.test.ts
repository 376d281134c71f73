// The console's transactions, tiered-storage and aggregation pages in a real Chromium (Debian's,
// driven by playwright-core), against an in-process broker with real data: kafkajs transactional
// producers (one committed, one open, one left open past its timeout), a tiered topic filled by
// kafkajs until its segments are in the store, and an aggregation fed contributions by
// @platformatic/kafka. Each page is checked for what a user sees, and the JSON API for its shape.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConsole, type ConsoleServer } from '../../../src/cli/console/console-server.js';
import { runCli, type CliDeps } from '../../../src/cli/main.js';
import { contributionKey, produce, spendDefinition } from '../../aggregation/helpers.js';
import { startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { FAST_TIER, TOPIC_CONFIGS, produceRange, waitTiered, withAdmin } from '../../storage/tier/broker-scenario.js';

const CHROMIUM = '/usr/bin/chromium';
const POLL = { timeout: 15_000, interval: 100 };

let tb: TestBroker;
let con: ConsoleServer;
let kafka: Kafka;
let browser: Browser;
let page: Page;
const producers: Producer[] = [];

beforeAll(async () => {
  tb = await startTestBroker({
    ...FAST_TIER,
    // The coordinator's sweep of timed-out transactions runs hourly here, so a transaction left
    // open past its timeout stays Ongoing: what a hanging transaction looks like to the console.
    'transaction.abort.timed.out.transaction.cleanup.interval.ms': '3600000',
    'tributary.aggregation.status.interval.ms': '200',
  });
  con = await startConsole({ bootstrap: tb.bootstrap, port: 0 });
  kafka = new Kafka({ brokers: [tb.bootstrap], clientId: 'console-extras-test', logLevel: logLevel.NOTHING });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  page = await browser.newPage();
  page.on('pageerror', (e) => {
    throw e;
  });
});
afterAll(async () => {
  for (const p of producers) await p.disconnect().catch(() => undefined);
  await browser?.close();
  await con?.close();
  await tb?.cleanup();
});

async function apiGet(p: string): Promise<{ status: number; body: any }> {
  const res = await fetch(new URL(p, con.url));
  return { status: res.status, body: await res.json() };
}

async function txnProducer(id: string, transactionTimeout: number): Promise<Producer> {
  const p = kafka.producer({ transactionalId: id, transactionTimeout, maxInFlightRequests: 1, idempotent: true });
  producers.push(p);
  await p.connect();
  return p;
}

const rowTexts = (sel: string) => page.locator(sel).locator('td').allTextContents();

describe('console: transactions, tiered storage, aggregations', () => {
  it('transactions: state, producer id/epoch, timeout, age, partitions; the hanging one is highlighted', async () => {
    await withAdmin(tb.bootstrap, (a) => a.createTopics({ topics: [{ topic: 'txn-topic', numPartitions: 2 }] }));
    const done = await txnProducer('txn-done', 60_000);
    const t1 = await done.transaction();
    await t1.send({ topic: 'txn-topic', messages: [{ value: 'committed', partition: 0 }] });
    await t1.commit();
    const open = await txnProducer('txn-open', 60_000);
    const t2 = await open.transaction();
    await t2.send({ topic: 'txn-topic', messages: [{ value: 'open', partition: 1 }] });
    const stuck = await txnProducer('txn-stuck', 1_000);
    const t3 = await stuck.transaction();
    await t3.send({ topic: 'txn-topic', messages: [{ value: 'stuck', partition: 0 }] });
    const stuckAt = Date.now();

    // The API: wait until the stuck one is past its 1 s timeout.
    await expect.poll(async () => (await apiGet('/api/transactions')).body.hangingTransactions, { timeout: 15_000, interval: 200 }).toBe(1);
    const { body } = await apiGet('/api/transactions');
    const byId = Object.fromEntries(body.transactions.map((t: any) => [t.transactionalId, t]));
    expect(byId['txn-done']).toMatchObject({ state: 'CompleteCommit', hanging: false, timeoutMs: 60_000 });
    expect(byId['txn-open']).toMatchObject({ state: 'Ongoing', hanging: false, partitions: [{ topic: 'txn-topic', partition: 1 }] });
    expect(byId['txn-stuck']).toMatchObject({ state: 'Ongoing', hanging: true, timeoutMs: 1_000, producerEpoch: expect.any(Number), partitions: [{ topic: 'txn-topic', partition: 0 }] });
    expect(byId['txn-stuck'].ageMs).toBeGreaterThan(1_000);
    expect(byId['txn-stuck'].ageMs).toBeLessThan(Date.now() - stuckAt + 5_000);
    expect(byId['txn-stuck'].producerId).toBeGreaterThanOrEqual(0);
    // DescribeProducers: both open transactions hold their partitions; only the stuck one hangs.
    const openParts = body.openPartitions.filter((p: any) => p.topic === 'txn-topic');
    expect(openParts).toEqual([
      expect.objectContaining({ partition: 0, transactionalId: 'txn-stuck', coordinatorState: 'Ongoing', hanging: true, producerId: byId['txn-stuck'].producerId }),
      expect.objectContaining({ partition: 1, transactionalId: 'txn-open', coordinatorState: 'Ongoing', hanging: false }),
    ]);

    await page.goto(con.url + '#/transactions');
    const stuckRow = page.locator('#transactions tr[data-txn="txn-stuck"]');
    await stuckRow.waitFor();
    expect(await stuckRow.getAttribute('class')).toBe('hanging');
    const cells = await rowTexts('#transactions tr[data-txn="txn-stuck"]');
    expect(cells.slice(0, 5)).toEqual(['txn-stuck', 'Ongoing', byId['txn-stuck'].producerId.toLocaleString('en-US'), String(byId['txn-stuck'].producerEpoch), '1.0 s']);
    expect(cells[6]).toBe('txn-topic-0');
    expect(cells[7]).toMatch(/^hanging.*past its 1000 ms timeout/);
    expect(await page.locator('#transactions tr[data-txn="txn-open"]').getAttribute('class')).toBeNull();
    expect((await rowTexts('#transactions tr[data-txn="txn-open"]')).slice(0, 2)).toEqual(['txn-open', 'Ongoing']);
    expect((await rowTexts('#transactions tr[data-txn="txn-done"]'))[1]).toBe('CompleteCommit');
    // Hanging ones are listed first.
    expect(await page.locator('#transactions tbody tr').first().getAttribute('data-txn')).toBe('txn-stuck');
    expect(await page.locator('#txn-hanging').textContent()).toBe('1');
    expect(await page.locator('#open-partitions tr[data-partition="txn-topic:0"]').getAttribute('class')).toBe('hanging');
    expect(await page.locator('#open-partitions tr[data-partition="txn-topic:1"]').getAttribute('class')).toBeNull();

    // Committing the open one takes it off the partitions on the next refresh.
    await t2.commit();
    await expect.poll(async () => {
      await page.click('#refresh-now');
      return page.locator('#open-partitions tr[data-partition="txn-topic:1"]').count();
    }, POLL).toBe(0);
    await expect.poll(() => page.locator('#transactions tr[data-txn="txn-open"] td').nth(1).textContent(), POLL).toBe('CompleteCommit');
  }, 60_000);

  it('tiered storage: local vs remote offsets, uploaded segments and bytes, upload lag', async () => {
    const topic = 'console-tiered';
    await withAdmin(tb.bootstrap, (a) =>
      a.createTopics({ topics: [{ topic, configEntries: Object.entries({ ...TOPIC_CONFIGS, 'remote.storage.enable': 'true' }).map(([name, value]) => ({ name, value })) }] }),
    );
    await produceRange(tb.bootstrap, topic, 0, 400);
    const st = await waitTiered(tb, topic, 2);

    const { body } = await apiGet('/api/tier');
    expect(body.reported).toBe(true);
    const part = body.partitions.find((p: any) => p.topic === topic);
    expect(part).toMatchObject({ partition: 0, state: 'ready', remoteSegments: st.remoteSegments, remoteBytes: st.remoteBytes, lagSegments: 0, copiedEndOffset: st.copiedEndOffset, logEndOffset: 400 });
    expect(body.topics.find((t: any) => t.topic === topic)).toMatchObject({ partitions: 1, remoteSegments: st.remoteSegments, remoteBytes: st.remoteBytes, lagBytes: 0 });

    await page.goto(con.url + '#/tier');
    const topicRow = page.locator(`#tier-topics tr[data-topic="${topic}"]`);
    await topicRow.waitFor();
    const t = await topicRow.locator('td').allTextContents();
    expect(t[0]).toBe(topic);
    expect(t[1]).toBe('1');
    expect(t[4]).toBe(String(st.remoteSegments));
    expect(t[5]).toBe('0 seg, 0 B');
    const p = await rowTexts(`#tier-partitions tr[data-partition="${topic}:0"]`);
    expect(p.slice(0, 6)).toEqual([
      `${topic}-0`,
      'ready',
      `${st.remoteLogStartOffset} – ${st.copiedEndOffset - 1}`,
      `${st.localLogStartOffset} – 399`,
      '400',
      String(st.remoteSegments),
    ]);
    expect(await page.locator('#tier-store').textContent()).toMatch(/\S/);
    // The topic links to its page.
    await topicRow.locator('a').click();
    await page.locator('#partitions tbody tr').first().waitFor();
  }, 60_000);

  it('aggregations: pipelines, grouping, contributions, published and suppressed groups, source lag', async () => {
    await withAdmin(tb.bootstrap, (a) => a.createTopics({ topics: [{ topic: 'contributions', numPartitions: 1 }] }));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'console-agg-'));
    try {
      const file = path.join(dir, 'def.json');
      fs.writeFileSync(file, JSON.stringify(spendDefinition({ name: 'console-spend', description: 'peer spend', minContributors: 2, output: { topic: 'console-global' } })));
      const out = { text: '' };
      const deps: CliDeps = { stdout: (s) => void (out.text += s), stderr: (s) => void (out.text += s), env: { TRIBUTARY_BOOTSTRAP_SERVER: tb.bootstrap }, onSignal: () => () => {}, forceExit: () => {}, helpText: () => '' };
      expect(await runCli(['aggregations', 'create', '--file', file], deps), out.text).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const c = [
      { partner: 'alpha', category: 'food', month: '2024-01', sum: 40, count: 2 },
      { partner: 'beta', category: 'food', month: '2024-01', sum: 60, count: 1 },
      { partner: 'alpha', category: 'travel', month: '2024-01', sum: 400, count: 1 },
    ];
    await produce(tb.bootstrap, 'contributions', c.map((v) => ({ key: contributionKey(v), value: v })));

    await expect
      .poll(async () => (await apiGet('/api/aggregations')).body.find((a: any) => a.name === 'console-spend'), { timeout: 15_000, interval: 200 })
      .toMatchObject({ state: 'running', target: 'RUNNING', contributions: 3, groups: 2, groupsPublished: 1, groupsSuppressed: 1, lag: 0, outputTopic: 'console-global', groupBy: ['category', 'month'] });
    expect((await apiGet('/api/aggregations/no-such')).status).toBe(404);

    await page.goto(con.url + '#/aggregations');
    const row = page.locator('#aggregations tr[data-aggregation="console-spend"]');
    await row.waitFor();
    expect(await row.locator('td').allTextContents()).toEqual(['console-spend', 'running', 'RUNNING', 'category, month', '2', '3', '1', '1', '0', 'console-global', '']);
    await row.locator('a').first().click();
    await expect.poll(() => page.locator('#aggregation-state').textContent(), POLL).toBe('running');
    expect(await page.locator('#aggregation-contributions').textContent()).toBe('3');
    expect(await page.locator('#aggregation-records-in').textContent()).toBe('3');
    expect(await page.locator('#aggregation-shape dd').first().textContent()).toBe('category × month');
    expect(await page.locator('#aggregation-shape').textContent()).toContain('at least 2 contributor(s)');
    expect(await rowTexts('#aggregation-sources tr[data-source="local:0"]')).toEqual(['local', 'contributions-0', 'local', 'ok', '3', '3', '0', '']);
    expect(JSON.parse((await page.locator('#aggregation-definition').textContent())!)).toMatchObject({ name: 'console-spend', minContributors: 2 });

    // A third partner lifts travel over the threshold: the page follows on its own.
    await produce(tb.bootstrap, 'contributions', [{ key: 'gamma|travel|2024-01', value: { partner: 'gamma', category: 'travel', month: '2024-01', sum: 100, count: 1 } }]);
    await expect.poll(() => page.locator('#aggregation-contributions').textContent(), { timeout: 20_000, interval: 200 }).toBe('4');
    await expect.poll(() => page.locator('#aggregation-groups').locator('..').textContent(), POLL).toBe('Groups22 published, 0 below the threshold');
  }, 60_000);
});
