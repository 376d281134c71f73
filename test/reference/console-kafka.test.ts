// The web console against Apache Kafka itself (the reference broker of helpers/kafka-reference.ts):
// it claims to work with any Kafka-compatible cluster because it only speaks the Kafka protocol.
// One smoke test in Chromium: the topics page lists a topic kafkajs made, with its message count,
// its page shows the newest records of both partitions, and a group's page its lag. Costs one
// Kafka JVM start (10-40 s on a busy 2-core machine).
import { Kafka, logLevel } from 'kafkajs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConsole, type ConsoleServer } from '../../src/cli/console/console-server.js';
import { startKafkaReference, type KafkaReference } from '../helpers/kafka-reference.js';

let kafka: KafkaReference;
let con: ConsoleServer;
let browser: Browser;

beforeAll(async () => {
  [kafka, browser] = await Promise.all([startKafkaReference(), chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] })]);
  con = await startConsole({ bootstrap: kafka.bootstrap, port: 0 });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await con?.close();
  await kafka?.stop();
}, 60_000);

describe('web console on Apache Kafka', () => {
  it('lists a topic with its messages, shows them, and shows a group with its lag', async () => {
    const client = new Kafka({ brokers: [kafka.bootstrap], clientId: 'console-kafka-test', logLevel: logLevel.NOTHING });
    const admin = client.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'on-kafka', numPartitions: 2 }], waitForLeaders: true });
    await admin.disconnect();
    const producer = client.producer();
    await producer.connect();
    await producer.send({ topic: 'on-kafka', messages: [{ partition: 0, value: 'hello <kafka>' }, { partition: 0, value: 'second' }, { partition: 1, value: 'third' }] });
    await producer.disconnect();

    const page = await browser.newPage();
    await page.goto(con.url + '#/topics');
    const row = page.locator('#topics tr[data-topic="on-kafka"]');
    await row.waitFor({ timeout: 20_000 });
    await expect.poll(async () => (await row.locator('td').allTextContents()).slice(0, 5), { timeout: 15_000 }).toEqual(['on-kafka', '2', '1', '3', expect.stringMatching(/B$/)]);
    await row.locator('a').click();
    await page.locator('#message-table td.value pre', { hasText: 'hello <kafka>' }).waitFor();
    expect(await page.locator('#message-table td.value pre').allTextContents()).toEqual(['hello <kafka>', 'second', 'third']);

    // A group with committed offsets: its lag per partition.
    const groupAdmin = client.admin();
    await groupAdmin.connect();
    await groupAdmin.setOffsets({ groupId: 'on-kafka-group', topic: 'on-kafka', partitions: [{ partition: 0, offset: '1' }, { partition: 1, offset: '0' }] });
    await groupAdmin.disconnect();
    await page.goto(con.url + '#/groups');
    await page.locator('#groups tr[data-group="on-kafka-group"] a').click();
    await expect.poll(() => page.locator('#total-lag').textContent(), { timeout: 15_000 }).toBe('2');
    expect(await page.locator('#group-state').textContent()).toBe('Empty');
    await page.close();
  });
});
