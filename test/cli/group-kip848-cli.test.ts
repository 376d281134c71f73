// `tributary group list|describe` show KIP-848 (group.protocol=consumer) groups too: the client
// library lists classic groups only unless asked for every type, and a consumer group does not
// answer DescribeGroups. A @platformatic/kafka consumer with groupProtocol 'consumer' is the member.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Consumer, Producer, stringSerializers } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = path.join(root, 'bin/tributary.js');

let tb: TestBroker;
beforeAll(async () => {
  tb = await startTestBroker({ 'group.consumer.heartbeat.interval.ms': '300' });
});
afterAll(async () => {
  await tb?.cleanup();
});

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [bin, ...args, '--bootstrap-server', tb.bootstrap], { cwd: root, env: { PATH: process.env.PATH } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  child.stdin.end();
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('tributary group with a KIP-848 consumer group', () => {
  it('lists the group as type consumer and describes its member, offsets and lag', async () => {
    const created = await cli(['topic', 'create', 'modern', '--partitions', '1']);
    expect(created.code, created.stderr).toBe(0);
    const producer = new Producer({ clientId: 'p', bootstrapBrokers: [tb.bootstrap], serializers: stringSerializers });
    await producer.send({ messages: ['a', 'b', 'c'].map((value) => ({ topic: 'modern', value, partition: 0 })) });
    await producer.close();

    const consumer = new Consumer({ clientId: 'modern-app', groupId: 'modern-group', groupProtocol: 'consumer', bootstrapBrokers: [tb.bootstrap], maxWaitTime: 100 });
    const stream = await consumer.consume({ topics: ['modern'], mode: 'committed', fallbackMode: 'earliest', autocommit: false, maxWaitTime: 100 });
    let seen = 0;
    let committed = 0;
    stream.on('data', (m) => {
      seen++;
      if (m.value.toString() === 'b') m.commit(() => committed++); // commits offset 2: lag 1
    });
    try {
      const deadline = Date.now() + 20_000;
      while ((seen < 3 || committed < 1) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(seen).toBe(3);

      const list = await cli(['group', 'list', '--json']);
      expect(list.code, list.stderr).toBe(0);
      expect(JSON.parse(list.stdout)).toContainEqual(expect.objectContaining({ group: 'modern-group', type: 'consumer' }));

      const desc = await cli(['group', 'describe', 'modern-group', '--json']);
      expect(desc.code, desc.stderr).toBe(0);
      const [g] = JSON.parse(desc.stdout);
      expect(g).toMatchObject({ group: 'modern-group', state: 'Stable', members: 1, totalLag: 1 });
      expect(g.partitions).toEqual([expect.objectContaining({ topic: 'modern', partition: 0, committedOffset: 2, logEndOffset: 3, lag: 1, clientId: 'modern-app' })]);
    } finally {
      await stream.close();
      await consumer.close();
    }
  }, 60_000);
});
