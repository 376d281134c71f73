// Topic auto-creation through Metadata, with the raw client at exact versions: v0-3 always ask
// for it, v4+ carry allowAutoTopicCreation, auto.create.topics.enable=false turns it off for every
// version, illegal names are INVALID_TOPIC_EXCEPTION (never created), broker-owned names are never
// created, and no other API (Produce, FindCoordinator) creates topics.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { buildRecordBatch } from '../../protocol/records/batch-builder.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';

const ZERO = 'AAAAAAAAAAAAAAAAAAAAAA';

function metadataBody(v: number, names: string[], allow: boolean) {
  return {
    topics: names.map((name) => ({ name, topicId: ZERO })),
    allowAutoTopicCreation: allow,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  };
}

async function metadata(c: RawClient, v: number, names: string[], allow = true): Promise<Array<[string, number]>> {
  const r = await c.send(3, v, metadataBody(v, names, allow));
  return r.topics.map((t: { name: string; errorCode: number }) => [t.name, t.errorCode]);
}

/** Every topic the broker has, from a Metadata request for all topics (the proof of creation). */
async function allTopics(c: RawClient): Promise<string[]> {
  const r = await c.send(3, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
  return r.topics.map((t: { name: string }) => t.name).sort();
}

describe('auto.create.topics.enable=true (the default)', () => {
  let tb: TestBroker;
  let c: RawClient;
  beforeAll(async () => {
    tb = await startTestBroker();
    c = await RawClient.connect(tb.port);
  });
  afterAll(async () => {
    c?.close();
    await tb?.cleanup();
  });

  it.each([0, 1, 3])('Metadata v%i (no flag) auto-creates an unknown topic', async (v) => {
    const name = `ac-v${v}`;
    expect(await metadata(c, v, [name])).toEqual([[name, ErrorCode.NONE]]);
    expect(await allTopics(c)).toContain(name);
  });

  it.each([4, 9, 12])('Metadata v%i creates only when allowAutoTopicCreation is true', async (v) => {
    const refused = `ac-v${v}-no`;
    expect(await metadata(c, v, [refused], false)).toEqual([[refused, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]);
    const allowed = `ac-v${v}-yes`;
    expect(await metadata(c, v, [allowed], true)).toEqual([[allowed, ErrorCode.NONE]]);
    const names = await allTopics(c);
    expect(names).toContain(allowed);
    expect(names).not.toContain(refused);
  });

  it.each([3, 9])('Metadata v%i answers INVALID_TOPIC_EXCEPTION for illegal names and creates none of them', async (v) => {
    const illegal = ['', '.', '..', 'a'.repeat(250), 'has space', 'sl/ash', 'ünïcode', 'semi;colon', 'nul\u0000'];
    const answers = await metadata(c, v, [...illegal, `ac-legal-${v}`, 'a'.repeat(249)]);
    expect(answers).toEqual([...illegal.map((n) => [n, ErrorCode.INVALID_TOPIC_EXCEPTION]), [`ac-legal-${v}`, ErrorCode.NONE], ['a'.repeat(249), ErrorCode.NONE]]);
    const names = await allTopics(c);
    for (const n of illegal) expect(names).not.toContain(n);
  });

  it('never creates broker-owned (internal and aggregation bookkeeping) topics on request', async () => {
    const owned = ['__tributary_aggregation_x_changelog', '__tributary_aggregation_spend_changelog'];
    expect(await metadata(c, 9, owned)).toEqual(owned.map((n) => [n, ErrorCode.INVALID_TOPIC_EXCEPTION]));
    const names = await allTopics(c);
    for (const n of owned) expect(names).not.toContain(n);
    // The real internal topic exists (the broker made it) and is reported, not re-created.
    const r = await c.send(3, 9, { topics: [{ name: '__consumer_offsets' }], allowAutoTopicCreation: true, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    expect(r.topics[0]).toMatchObject({ name: '__consumer_offsets', errorCode: 0, isInternal: true });
  });

  it('Produce and FindCoordinator never create topics', async () => {
    const records = buildRecordBatch({ records: [{ key: null, value: Buffer.from('x'), timestamp: Date.now() }] });
    const p = await c.send(0, 9, { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: 'ac-produce-only', partitionData: [{ index: 0, records }] }] });
    expect(p.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const f = await c.send(10, 3, { key: 'ac-group-as-topic', keyType: 0 });
    expect(f.errorCode).toBe(0);
    const names = await allTopics(c);
    expect(names).not.toContain('ac-produce-only');
    expect(names).not.toContain('ac-group-as-topic');
  });
});

describe('auto.create.topics.enable=false', () => {
  let tb: TestBroker;
  let c: RawClient;
  beforeAll(async () => {
    tb = await startTestBroker({ 'auto.create.topics.enable': 'false' });
    c = await RawClient.connect(tb.port);
  });
  afterAll(async () => {
    c?.close();
    await tb?.cleanup();
  });

  it.each([0, 1, 3, 4, 9, 12])('Metadata v%i creates nothing, even when the request allows it', async (v) => {
    const name = `off-v${v}`;
    expect(await metadata(c, v, [name], true)).toEqual([[name, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]);
    expect(await metadata(c, v, ['bad name'], true)).toEqual([['bad name', ErrorCode.INVALID_TOPIC_EXCEPTION]]);
    const names = await allTopics(c);
    expect(names).not.toContain(name);
    expect(names).not.toContain('bad name');
  });
});
