// The store's security sections (ACLs, SCRAM credentials, client quotas), on both backends: keys
// of any content (slashes, NULs, JSON) round-trip without reaching outside their section, one key
// changed twice in one write keeps the last change (etcd refuses a duplicate key in a txn), and a
// watcher sees every change after its listing, in order.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etcdFixture, EventLog, freshRoot, memoryFixture, type StoreFixture } from './store-fixtures.js';

describe.each([
  ['memory', memoryFixture],
  ['etcd', etcdFixture],
] as const)('security sections (%s)', (_name, makeFixture) => {
  let fx: StoreFixture;
  beforeAll(async () => {
    fx = await makeFixture();
  });
  afterAll(async () => {
    await fx?.cleanup();
  });

  it('lists, writes and watches keys of any content, per section', async () => {
    const root = freshRoot();
    const [writer, watcher] = [await fx.open(root), await fx.open(root)];
    const odd = 'SCRAM-SHA-256\u0000us/er%2F../x';
    const from = await watcher.listSection('scram');
    expect(from.items).toEqual([]);
    const seen = new EventLog<string>();
    await watcher.watchSection('scram', from.revision, (ev) => seen.push(`${ev.key}=${ev.value}`));

    const r1 = await writer.writeSection('scram', [{ key: odd, value: 'a' }, { key: 'k2', value: 'b' }]);
    await writer.writeSection('acls', [{ key: '["x"]', value: 'acl' }]);
    const r2 = await writer.writeSection('scram', [{ key: 'k2', value: 'c' }, { key: 'k2', value: null }]);
    expect(r2).toBeGreaterThan(r1);

    expect(await seen.count(3)).toEqual([`${odd}=a`, 'k2=b', 'k2=null']);
    const listed = await watcher.listSection('scram');
    expect(listed.items.map((e) => [e.key, e.value])).toEqual([[odd, 'a']]);
    expect(listed.items[0]!.revision).toBe(r1);
    expect((await watcher.listSection('acls')).items.map((e) => e.value)).toEqual(['acl']);
    expect((await watcher.listSection('client_quotas')).items).toEqual([]);
  });
});
