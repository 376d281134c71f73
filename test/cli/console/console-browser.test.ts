// The web console in a real Chromium (Debian's, driven by playwright-core): an in-process broker
// on port 0 with data produced by kafkajs, the console on port 0, and what a user sees and does
// on the pages, checked back with kafkajs.
import { Kafka, logLevel } from 'kafkajs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConsole, type ConsoleServer } from '../../../src/cli/console/console-server.js';
import { startTestBroker, type TestBroker } from '../../helpers/broker.js';

const CHROMIUM = '/usr/bin/chromium';
const XSS_SCRIPT = '<script>window.__pwned = 1</script>';
/** Pages load over the network from a busy machine: give every poll time. */
const POLL = { timeout: 15_000, interval: 100 };
const XSS_IMG = '<img src=x onerror="window.__pwned = 2">';
const EVIL_GROUP = '<img src=x onerror=window.__pwned=3>';

let tb: TestBroker;
let con: ConsoleServer;
let kafka: Kafka;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  tb = await startTestBroker({ 'group.initial.rebalance.delay.ms': '0' });
  con = await startConsole({ bootstrap: tb.bootstrap, port: 0 });
  kafka = new Kafka({ brokers: [tb.bootstrap], clientId: 'console-browser-test', logLevel: logLevel.NOTHING });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  page = await browser.newPage();
  // Any script error on the page fails the test that caused it.
  page.on('pageerror', (e) => {
    throw e;
  });
});
afterAll(async () => {
  await browser?.close();
  await con?.close();
  await tb?.cleanup();
});

async function topicNames(): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await admin.listTopics();
  } finally {
    await admin.disconnect();
  }
}

describe('web console in Chromium', () => {
  it('shows the cluster, a topic with its messages (rendered as text), and a group with lag', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'web-orders', numPartitions: 1 }, { topic: 'web-rate', numPartitions: 1 }] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: 'web-orders',
      messages: [
        { key: 'k-script', value: XSS_SCRIPT, headers: { source: '<b>bold?</b>' } },
        { key: 'k-img', value: XSS_IMG },
        { key: 'k-json', value: '{"amount":42}' },
      ],
    });
    // A group that read these three and committed, then left: lag 2 once two more arrive.
    const consumer = kafka.consumer({ groupId: 'web-group' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'web-orders', fromBeginning: true });
    let seen = 0;
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async () => {
          if (++seen === 3) resolve();
        },
      });
    });
    await consumer.commitOffsets([{ topic: 'web-orders', partition: 0, offset: '3' }]);
    await consumer.disconnect();
    // Group ids are untrusted too.
    const groupAdmin = kafka.admin();
    await groupAdmin.connect();
    await groupAdmin.setOffsets({ groupId: EVIL_GROUP, topic: 'web-orders', partitions: [{ partition: 0, offset: '1' }] });
    await groupAdmin.disconnect();
    await producer.send({ topic: 'web-orders', messages: [{ value: Buffer.from([0xde, 0xad, 0xbe, 0xef]) }, { value: 'fifth' }] });

    await page.goto(con.url);
    await expect.poll(() => page.locator('#cluster-id').textContent(), POLL).toMatch(/\S+/);
    await expect.poll(() => page.locator('#brokers tbody tr').first().textContent(), POLL).toContain(String(tb.port));

    await page.click('a[data-nav="topics"]');
    const row = page.locator('#topics tr[data-topic="web-orders"]');
    await row.waitFor();
    // Partitions 1, replication 1, 5 messages.
    await expect.poll(async () => (await row.locator('td').allTextContents()).slice(0, 5), POLL).toEqual(['web-orders', '1', '1', '5', expect.stringMatching(/B$/)]);

    // Throughput as the page samples it: records arriving between two refreshes draw a peak.
    const rateRow = page.locator('#topics tr[data-topic="web-rate"]');
    await rateRow.waitFor();
    await producer.send({ topic: 'web-rate', messages: Array.from({ length: 20 }, (_, i) => ({ value: `r${i}` })) });
    await expect
      .poll(async () => {
        await page.click('#refresh-now');
        return rateRow.locator('svg.spark polyline').getAttribute('points', { timeout: 500 }).catch(() => null);
      }, { ...POLL, interval: 300 })
      .toMatch(/,1\.0( |$)/);

    await row.locator('a').click();
    await page.locator('#message-table tr[data-offset="0:0"]').waitFor();
    const values = await page.locator('#message-table td.value pre').allTextContents();
    expect(values).toEqual([XSS_SCRIPT, XSS_IMG, '{\n  "amount": 42\n}', 'de ad be ef', 'fifth']);
    // Shown as text: no element came out of the record contents, and nothing ran.
    expect(await page.locator('#messages script, #messages img, #messages b:text("bold?")').count()).toBe(0);
    expect(await page.locator('#message-table td.headers').first().textContent()).toContain('<b>bold?</b>');
    expect(await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned)).toBeUndefined();

    // Paging through one partition from an offset.
    await page.selectOption('#browse-partition', '0');
    await page.selectOption('#browse select[name="from"]', 'offset');
    await page.fill('#browse input[name="start"]', '1');
    await page.fill('#browse input[name="limit"]', '2');
    await page.click('#browse button');
    await expect.poll(() => page.locator('#message-table tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-offset'))), POLL).toEqual(['0:1', '0:2']);
    await page.click('#next-page');
    await expect.poll(() => page.locator('#message-table tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-offset'))), POLL).toEqual(['0:3', '0:4']);
    expect(await page.locator('#next-page').count()).toBe(0);
    await page.selectOption('#browse-partition', 'all');
    await page.selectOption('#browse select[name="from"]', 'end');
    await page.fill('#browse input[name="limit"]', '50');
    await page.click('#browse button');
    await page.locator('#message-table tr[data-offset="0:0"]').waitFor();

    // Auto-refresh: a record produced now shows up without touching the page.
    await producer.send({ topic: 'web-orders', messages: [{ value: 'arrived later' }] });
    await producer.disconnect();
    await page.locator('#message-table td.value pre', { hasText: 'arrived later' }).waitFor({ timeout: 15_000 });

    await page.click('a[data-nav="groups"]');
    await page.locator(`#groups tr[data-group="${EVIL_GROUP}"] a`, { hasText: EVIL_GROUP }).waitFor();
    expect(await page.locator('#groups img').count()).toBe(0);
    await page.locator('#groups tr[data-group="web-group"] a').click();
    await expect.poll(() => page.locator('#group-state').textContent(), POLL).toBe('Empty');
    expect(await page.locator('#group-type').textContent()).toBe('classic');
    await expect.poll(() => page.locator('#offsets tr[data-partition="web-orders:0"] td').allTextContents(), POLL).toEqual(['web-orders', '0', '3', '6', '3', '–']);
    expect(await page.locator('#total-lag').textContent()).toBe('3');

    // Reset the (empty) group to the earliest offset through the UI.
    await page.selectOption('#reset-offsets select[name="to"]', 'earliest');
    await page.click('#reset-offsets button');
    await page.locator('.result.ok', { hasText: 'Committed new offsets for 1 partition' }).waitFor();
    await expect.poll(() => page.locator('#total-lag').textContent(), POLL).toBe('6');
    // Lag over time: the samples before and after the reset are on the chart.
    expect(Number(await page.locator('#lag-chart svg').getAttribute('data-points'))).toBeGreaterThanOrEqual(2);
    expect(await page.locator('#lag-chart svg polyline').count()).toBe(1);
    const check = kafka.admin();
    await check.connect();
    const [committed] = await check.fetchOffsets({ groupId: 'web-group', topics: ['web-orders'] });
    await check.disconnect();
    expect(committed!.partitions).toEqual([expect.objectContaining({ partition: 0, offset: '0' })]);

    // The untrusted group's own page renders its id as text too.
    await page.goto(con.url + '#/groups/' + encodeURIComponent(EVIL_GROUP));
    await expect.poll(() => page.locator('#group-id').textContent(), POLL).toBe(EVIL_GROUP);
    await expect.poll(() => page.locator('#total-lag').textContent(), POLL).toBe('5');
    expect(await page.locator('main img').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  });

  it('creates a topic, produces a message and deletes the topic through the UI', async () => {
    await page.goto(con.url + '#/topics');
    await page.fill('#create-topic input[name="name"]', 'web-created');
    await page.fill('#create-topic input[name="partitions"]', '2');
    await page.fill('#create-topic textarea[name="configs"]', 'retention.ms=7200000');
    await page.click('#create-topic button');
    await page.locator('.result.ok', { hasText: 'Created topic web-created with 2 partition(s)' }).waitFor();
    const admin = kafka.admin();
    await admin.connect();
    const meta = await admin.fetchTopicMetadata({ topics: ['web-created'] });
    expect(meta.topics[0]!.partitions).toHaveLength(2);
    const configs = await admin.describeConfigs({ resources: [{ type: 2, name: 'web-created', configNames: ['retention.ms'] }], includeSynonyms: false });
    await admin.disconnect();
    expect(configs.resources[0]!.configEntries[0]!.configValue).toBe('7200000');

    // The cluster's refusal shows as Kafka's error name.
    await page.fill('#create-topic input[name="name"]', 'web-created');
    await page.click('#create-topic button');
    await page.locator('.result.error', { hasText: 'TOPIC_ALREADY_EXISTS' }).waitFor();

    await page.locator('#topics tr[data-topic="web-created"] a').click();
    await page.locator('#partitions tbody tr').nth(1).waitFor();
    await page.fill('#produce input[name="key"]', 'ui-key');
    await page.fill('#produce textarea[name="value"]', 'from the browser');
    await page.fill('#produce textarea[name="headers"]', 'origin=console');
    await page.click('#produce button');
    const done = page.locator('.result.ok', { hasText: 'Produced to partition' });
    await done.waitFor();
    const partition = Number(/partition (\d+)/.exec((await done.textContent())!)![1]);

    const consumer = kafka.consumer({ groupId: 'web-verify' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'web-created', fromBeginning: true });
    const got = await new Promise<{ partition: number; key: string; value: string; origin: string }>((resolve) => {
      void consumer.run({ eachMessage: async ({ partition: p, message }) => resolve({ partition: p, key: String(message.key), value: String(message.value), origin: String(message.headers?.origin) }) });
    });
    await consumer.disconnect();
    expect(got).toEqual({ partition, key: 'ui-key', value: 'from the browser', origin: 'console' });

    // The browser shows the record it produced.
    await page.selectOption('#browse-partition', String(partition));
    await page.click('#browse button');
    await page.locator('#message-table td.value pre', { hasText: 'from the browser' }).waitFor();

    // Delete: the confirmation must name the topic.
    await page.fill('#delete-topic input[name="confirm"]', 'wrong');
    await page.click('#delete-topic button');
    await page.locator('.result.error', { hasText: 'type the topic name' }).waitFor();
    expect(await topicNames()).toContain('web-created');
    await page.fill('#delete-topic input[name="confirm"]', 'web-created');
    await page.click('#delete-topic button');
    await page.waitForURL(/#\/topics$/);
    await expect.poll(topicNames, POLL).not.toContain('web-created');
    await page.locator('#topics tr[data-topic="web-orders"]').waitFor();
    expect(await page.locator('#topics tr[data-topic="web-created"]').count()).toBe(0);
  });
});
