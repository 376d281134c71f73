// reset-offsets targets and the consume start positions that need record timestamps, run
// in-process (runCli) against an in-process broker; kafkajs writes records with set timestamps.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliDeps } from '../../src/cli/main.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { kafkajs } from '../helpers/clients.js';

let tb: TestBroker;
beforeAll(async () => {
  tb = await startTestBroker();
  const kafka = kafkajs(tb.bootstrap, { clientId: 'reset-test' });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'timed', numPartitions: 1 }] });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  // Offsets 0..4 at 1000, 2000, ... 5000 ms after the epoch.
  await producer.send({ topic: 'timed', messages: [1, 2, 3, 4, 5].map((i) => ({ value: `v${i}`, timestamp: String(i * 1000) })) });
  await producer.disconnect();
});
afterAll(async () => {
  await tb?.cleanup();
});

async function cli(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const deps: CliDeps = {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    env: { TRIBUTARY_BOOTSTRAP_SERVER: tb.bootstrap },
    onSignal: () => () => {},
    forceExit: () => {},
    helpText: () => '',
  };
  const code = await runCli(args, deps);
  return { code, out: out.join(''), err: err.join('') };
}

const newOffsets = async (...args: string[]) => {
  const r = await cli('group', 'reset-offsets', 'g', '--topic', 'timed', ...args, '--json');
  expect(r.code, r.err).toBe(0);
  return JSON.parse(r.out).partitions.map((p: { newOffset: number }) => p.newOffset);
};

describe('group reset-offsets targets', () => {
  it('to-latest, to-datetime, to-offset, shift-by (clamped to the log), dry run vs execute', async () => {
    expect(await newOffsets('--to-latest', '--execute')).toEqual([5]);
    expect(await newOffsets('--to-datetime', '1970-01-01T00:00:02.500Z')).toEqual([2]);
    expect(await newOffsets('--to-datetime', '3000')).toEqual([2]);
    expect(await newOffsets('--to-offset', '1')).toEqual([1]);
    expect(await newOffsets('--to-offset', '99')).toEqual([5]);
    expect(await newOffsets('--shift-by', '-2')).toEqual([3]);
    expect(await newOffsets('--shift-by', '-20')).toEqual([0]);
    // Only --execute commits: the committed offset is still 5.
    const d = await cli('group', 'describe', 'g', '--json');
    expect(JSON.parse(d.out)[0].partitions[0]).toMatchObject({ committedOffset: 5, lag: 0 });
    expect(await newOffsets('--to-datetime', '1970-01-01T00:00:04Z', '--execute')).toEqual([3]);
    const after = await cli('group', 'describe', 'g', '--json');
    expect(JSON.parse(after.out)[0].partitions[0]).toMatchObject({ committedOffset: 3, lag: 2 });
  });

  it('refuses two targets, or none, or no topic, with exit code 2', async () => {
    expect((await cli('group', 'reset-offsets', 'g', '--topic', 'timed', '--to-earliest', '--to-latest')).code).toBe(2);
    expect((await cli('group', 'reset-offsets', 'g', '--topic', 'timed')).code).toBe(2);
    expect((await cli('group', 'reset-offsets', 'g', '--to-earliest')).code).toBe(2);
    expect((await cli('group', 'reset-offsets', 'g', '--topic', 'timed:7', '--to-earliest')).code).toBe(1);
  });
});

describe('consume start positions', () => {
  it('--timestamp starts at the first record at or after it; --offset -N counts from the end', async () => {
    let r = await cli('consume', 'timed', '--timestamp', '2500');
    expect(r.out).toBe('v3\nv4\nv5\n');
    r = await cli('consume', 'timed', '--timestamp', '1970-01-01T00:00:05Z', '--format', '%o %T %v');
    expect(r.out).toBe('4 5000 v5\n');
    r = await cli('consume', 'timed', '--offset', '-2');
    expect(r.out).toBe('v4\nv5\n');
    r = await cli('consume', 'timed', '--offset', '1', '--num', '2');
    expect(r.out).toBe('v2\nv3\n');
  });
});
