// The web console's JSON API without a browser: an in-process broker on port 0, the console on
// port 0 talking to it over the Kafka protocol, kafkajs as the application producing and
// consuming. Also the HTTP edges: 404, 405, bounded bodies, JSON only, same-origin writes, and
// Kafka error names instead of stack traces.
import http from 'node:http';
import net from 'node:net';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_IN_FLIGHT, startConsole, type ConsoleServer } from '../../../src/cli/console/console-server.js';
import { startTestBroker, type TestBroker } from '../../helpers/broker.js';

let tb: TestBroker;
let con: ConsoleServer;
let kafka: Kafka;

beforeAll(async () => {
  tb = await startTestBroker({ 'group.initial.rebalance.delay.ms': '0' });
  con = await startConsole({ bootstrap: tb.bootstrap, port: 0 });
  kafka = new Kafka({ brokers: [tb.bootstrap], clientId: 'console-api-test', logLevel: logLevel.NOTHING });
});
afterAll(async () => {
  await con?.close();
  await tb?.cleanup();
});

interface Res {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: any;
}

function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}, base = con.url): Promise<Res> {
  const payload = body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      new URL(path, base),
      { method, headers: { ...(payload !== undefined ? { 'content-type': 'application/json' } : {}), ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            /* not JSON */
          }
          resolve({ status: res.statusCode!, headers: res.headers, body: parsed });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

describe('console JSON API', () => {
  it('binds loopback and serves the page with a strict content security policy', async () => {
    expect(con.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await call('GET', '/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.body).toContain('<script type="module" src="app.js"');
    expect((await call('GET', '/app.js')).status).toBe(200);
  });

  it('shows the cluster, topics with offsets and sizes, a topic with configs, and messages', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'api-orders', numPartitions: 2, configEntries: [{ name: 'retention.ms', value: '3600000' }] }] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: 'api-orders',
      messages: [
        { partition: 0, key: 'k1', value: '{"total":5}', headers: { trace: 'abc' } },
        { partition: 0, key: null, value: Buffer.from([0x00, 0xff, 0x10]) },
        { partition: 0, key: 'k3', value: '<script>alert(1)</script>' },
        { partition: 1, key: 'k4', value: 'on one' },
      ],
    });
    await producer.disconnect();

    const cluster = await call('GET', '/api/cluster');
    expect(cluster.status).toBe(200);
    expect(cluster.body.clusterId).toEqual(expect.any(String));
    expect(cluster.body.brokers).toEqual([expect.objectContaining({ host: '127.0.0.1', port: tb.port, controller: true })]);
    expect(cluster.body.apiVersions.Produce).toMatch(/^v\d+-v\d+$/);

    const topics = await call('GET', '/api/topics');
    const t = topics.body.find((x: { name: string }) => x.name === 'api-orders');
    expect(t).toMatchObject({ partitions: 2, replicationFactor: 1, internal: false, messages: 4 });
    expect(t.sizeBytes).toBeGreaterThan(0);

    const detail = await call('GET', '/api/topics/api-orders');
    expect(detail.body.partitions.map((p: { logEndOffset: number }) => p.logEndOffset)).toEqual([3, 1]);
    expect(detail.body.configs).toContainEqual(expect.objectContaining({ name: 'retention.ms', value: '3600000', source: 'TOPIC_CONFIG' }));

    const last2 = await call('GET', '/api/topics/api-orders/messages?partition=0&limit=2');
    expect(last2.body.records.map((r: { offset: number }) => r.offset)).toEqual([1, 2]);
    expect(last2.body.records[0].value).toEqual({ size: 3, text: null, hex: '00ff10', truncated: false });
    expect(last2.body.records[1].value.text).toBe('<script>alert(1)</script>');

    const fromZero = await call('GET', '/api/topics/api-orders/messages?partition=0&offset=0&limit=1');
    expect(fromZero.body.records).toHaveLength(1);
    // The next page starts at the first record not shown, though all three share one batch.
    expect(fromZero.body.nextOffset).toBe(1);
    expect(fromZero.body.records[0]).toMatchObject({ offset: 0, key: { text: 'k1' }, headers: [{ key: 'trace', value: { text: 'abc' } }] });

    // Long values are cut for display at 16 KiB with their size reported; a cut inside a
    // multi-byte character still counts as text, and does not spill into the next record.
    const producer2 = kafka.producer();
    await producer2.connect();
    await producer2.send({ topic: 'api-orders', messages: [{ partition: 1, value: 'a' + 'é'.repeat(10_000) }, { partition: 1, value: 'next' }] });
    await producer2.disconnect();
    const long = await call('GET', '/api/topics/api-orders/messages?partition=1&offset=1&limit=2');
    expect(long.body.records[0].value).toMatchObject({ size: 20_001, truncated: true, hex: null });
    expect(long.body.records[0].value.text).toBe('a' + 'é'.repeat(8191));
    expect(long.body.records[1].value).toEqual({ size: 4, text: 'next', hex: null, truncated: false });

    // Without a partition: the newest records of the whole topic, by timestamp.
    const whole = await call('GET', '/api/topics/api-orders/messages?limit=3');
    expect(whole.body.partition).toBeNull();
    expect(whole.body.partitions.map((p: { logEndOffset: number }) => p.logEndOffset)).toEqual([3, 3]);
    expect(whole.body.records).toHaveLength(3);
    expect(whole.body.records.at(-1)).toMatchObject({ partition: 1, offset: 2, value: { text: 'next' } });
    const offsetNoPartition = await call('GET', '/api/topics/api-orders/messages?offset=1');
    expect(offsetNoPartition.status).toBe(400);
    expect(offsetNoPartition.body.error).toBe('INVALID_REQUEST');

    const bad = await call('GET', '/api/topics/api-orders/messages?partition=7');
    expect(bad.status).toBe(404);
    expect(bad.body.error).toBe('UNKNOWN_TOPIC_OR_PARTITION');
  });

  it('creates a topic, produces to it, reports Kafka error names, and deletes it', async () => {
    const created = await call('POST', '/api/topics', { name: 'api-new', partitions: 3, configs: { 'cleanup.policy': 'compact' } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ name: 'api-new', partitions: 3 });

    const again = await call('POST', '/api/topics', { name: 'api-new', partitions: 1 });
    expect(again.status).toBe(409);
    expect(again.body.error).toBe('TOPIC_ALREADY_EXISTS');
    expect(JSON.stringify(again.body)).not.toMatch(/\n\s+at /);

    const badName = await call('POST', '/api/topics', { name: 'bad name!' });
    expect(badName.body.error).toBe('INVALID_TOPIC_EXCEPTION');
    // The broker's own message says why, not only the code's description.
    expect(badName.body.message).toMatch(/illegal/);

    const produced = await call('POST', '/api/topics/api-new/messages', { key: 'user-1', value: 'hello', headers: { h: 'v' } });
    expect(produced.status, JSON.stringify(produced.body)).toBe(201);
    const consumer = kafka.consumer({ groupId: 'api-verify' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'api-new', fromBeginning: true });
    const got = await new Promise<{ partition: number; key: string; value: string; header: string }>((resolve) => {
      void consumer.run({
        eachMessage: async ({ partition, message }) =>
          resolve({ partition, key: String(message.key), value: String(message.value), header: String(message.headers?.h) }),
      });
    });
    await consumer.disconnect();
    expect(got).toEqual({ partition: produced.body.partition, key: 'user-1', value: 'hello', header: 'v' });

    const missing = await call('POST', '/api/topics/no-such-topic/messages', { value: 'x' });
    expect(missing.status).toBe(404);
    expect(missing.body.error).toBe('UNKNOWN_TOPIC_OR_PARTITION');

    expect((await call('DELETE', '/api/topics/api-new')).status).toBe(200);
    const after = await call('GET', '/api/topics');
    expect(after.body.map((x: { name: string }) => x.name)).not.toContain('api-new');
    const gone = await call('GET', '/api/topics/api-new');
    expect(gone.status).toBe(404);
    expect(gone.body.error).toBe('UNKNOWN_TOPIC_OR_PARTITION');
  });

  it('shows a kafkajs group with its lag and resets its offsets only once it is empty', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'api-lag', numPartitions: 1 }] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'api-lag', messages: Array.from({ length: 5 }, (_, i) => ({ value: `m${i}` })) });
    const consumer = kafka.consumer({ groupId: 'api-lag-group' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'api-lag', fromBeginning: true });
    let seen = 0;
    await new Promise<void>((resolve) => {
      void consumer.run({
        autoCommit: true,
        eachMessage: async () => {
          if (++seen === 5) resolve();
        },
      });
    });
    await consumer.commitOffsets([{ topic: 'api-lag', partition: 0, offset: '5' }]);
    await producer.send({ topic: 'api-lag', messages: [{ value: 'late-1' }, { value: 'late-2' }] });
    await producer.disconnect();
    // The committed offset stays at 5 until the consumer commits again; wait for the proof.
    let g: Res;
    const deadline = Date.now() + 10_000;
    do {
      g = await call('GET', '/api/groups/api-lag-group');
      if (g.body.offsets?.[0]?.logEndOffset !== 7) await new Promise((r) => setTimeout(r, 100));
    } while (!(g.body.state === 'Stable' && g.body.offsets?.[0]?.logEndOffset === 7) && Date.now() < deadline);
    expect(g.body).toMatchObject({ state: 'Stable', protocolType: 'consumer', members: [expect.objectContaining({ clientId: 'console-api-test' })] });

    const refused = await call('POST', '/api/groups/api-lag-group/reset-offsets', { to: 'earliest' });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toBe('NON_EMPTY_GROUP');

    await consumer.disconnect();
    const list = await call('GET', '/api/groups');
    expect(list.body).toContainEqual(expect.objectContaining({ id: 'api-lag-group', protocolType: 'consumer' }));
    const reset = await call('POST', '/api/groups/api-lag-group/reset-offsets', { to: 'offset', offset: 2 });
    expect(reset.status, JSON.stringify(reset.body)).toBe(200);
    const after = await call('GET', '/api/groups/api-lag-group');
    expect(after.body.state).toBe('Empty');
    expect(after.body.offsets).toEqual([expect.objectContaining({ topic: 'api-lag', partition: 0, committedOffset: 2, logEndOffset: 7, lag: 5 })]);
    expect(after.body.totalLag).toBe(5);

    const unknown = await call('GET', '/api/groups/no-such-group');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toBe('GROUP_ID_NOT_FOUND');
  });

  it('lists and describes a KIP-848 consumer group (group.protocol=consumer) with its members', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'api-848', numPartitions: 2 }] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'api-848', messages: [{ partition: 0, value: 'a' }, { partition: 1, value: 'b' }, { partition: 1, value: 'c' }] });
    await producer.disconnect();
    const { Consumer } = await import('@platformatic/kafka');
    const consumer = new Consumer({ clientId: 'console-848', groupId: 'api-848-group', bootstrapBrokers: [tb.bootstrap], groupProtocol: 'consumer' } as never);
    const stream = await consumer.consume({ topics: ['api-848'], mode: 'earliest', autocommit: false } as never);
    try {
      let seen = 0;
      await new Promise<void>((resolve) => stream.on('data', () => void (++seen === 3 && resolve())));
      await consumer.commit({ offsets: [{ topic: 'api-848', partition: 0, offset: 1n, leaderEpoch: -1 }, { topic: 'api-848', partition: 1, offset: 1n, leaderEpoch: -1 }] });

      const list = await call('GET', '/api/groups');
      expect(list.body).toContainEqual({ id: 'api-848-group', state: 'Stable', protocolType: 'consumer', type: 'consumer' });
      const g = await call('GET', '/api/groups/api-848-group');
      expect(g.status, JSON.stringify(g.body)).toBe(200);
      expect(g.body).toMatchObject({ state: 'Stable', type: 'consumer', totalLag: 1 });
      expect(g.body.members).toEqual([expect.objectContaining({ clientId: 'console-848', assignments: [{ topic: 'api-848', partitions: [0, 1] }] })]);
      expect(g.body.offsets.map((o: { memberId: string | null }) => o.memberId)).toEqual([g.body.members[0].memberId, g.body.members[0].memberId]);
      const refused = await call('POST', '/api/groups/api-848-group/reset-offsets', { to: 'earliest' });
      expect(refused.status).toBe(409);
      expect(refused.body.error).toBe('NON_EMPTY_GROUP');
    } finally {
      await stream.close();
      await consumer.close(true);
    }
  });

  it('answers 404, 405, 413, 415 and refuses cross-origin writes', async () => {
    expect((await call('GET', '/nope')).status).toBe(404);
    const noApi = await call('GET', '/api/nope');
    expect(noApi.status).toBe(404);
    expect(noApi.body.error).toBe('NOT_FOUND');
    const wrong = await call('PUT', '/api/topics');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.allow).toContain('GET');
    const big = await call('POST', '/api/topics', JSON.stringify({ name: 'x'.repeat(70 * 1024) }));
    expect(big.status).toBe(413);
    expect(big.body.error).toBe('PAYLOAD_TOO_LARGE');
    const form = await call('POST', '/api/topics', 'name=x', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(form.status).toBe(415);
    const cross = await call('POST', '/api/topics', { name: 'evil' }, { origin: 'http://evil.example' });
    expect(cross.status).toBe(403);
    // DNS rebinding: a page of another domain pointed at 127.0.0.1 sends its own Host.
    const rebound = await call('GET', '/api/topics', undefined, { host: 'evil.example:80' });
    expect(rebound.status).toBe(403);
    expect((await call('GET', '/api/cluster', undefined, { host: `localhost:${con.port}` })).status).toBe(200);
    const badJson = await call('POST', '/api/topics', '{nope');
    expect(badJson.status).toBe(400);
    expect(badJson.body.error).toBe('INVALID_REQUEST');
    expect((await call('POST', '/api/topics', { name: 'x', partitions: 'many' })).body.error).toBe('INVALID_REQUEST');
    // The console still serves after all that.
    expect((await call('GET', '/api/cluster')).status).toBe(200);
  });

  it('answers 503 beyond its bound of requests waiting for a cluster that does not answer', async () => {
    // A "cluster" that accepts connections and never says a word.
    const silent = net.createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const stuck = await startConsole({ bootstrap: `127.0.0.1:${(silent.address() as net.AddressInfo).port}`, port: 0 });
    try {
      const pending = Array.from({ length: MAX_IN_FLIGHT + 5 }, () => call('GET', '/api/topics', undefined, {}, stuck.url).catch(() => null));
      const first = await Promise.race(pending);
      expect(first?.status).toBe(503);
      expect(first?.body.error).toBe('TOO_MANY_REQUESTS');
    } finally {
      await stuck.close();
      silent.close();
    }
  });
});
