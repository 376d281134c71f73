// KIP-950 on the default local-directory store: remote.log.copy.disable turns a tiered topic
// read-only (no new copies, remote reads go on), and remote.storage.enable=false is refused unless
// remote.log.delete.on.disable=true, which then deletes the topic's remote data.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { FAST_TIER, TOPIC_CONFIGS, expectAllMessages, listOffset, produceRange, tierStatus, waitFor, waitTiered, withAdmin } from '../storage/tier/broker-scenario.js';
import { fetchAll } from '../helpers/fetch-all.js';

let tb: TestBroker;

beforeAll(async () => {
  tb = await startTestBroker(FAST_TIER);
});
afterAll(async () => {
  await tb?.cleanup();
});

const TIERED: Record<string, string> = { ...TOPIC_CONFIGS, 'remote.storage.enable': 'true' };
const entries = (c: Record<string, string>) => Object.entries(c).map(([name, value]) => ({ name, value }));

async function alterTopic(topic: string, configs: Record<string, string>): Promise<void> {
  await withAdmin(tb.bootstrap, (a) => a.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: topic, configEntries: entries(configs) }] }));
}

async function remoteFiles(topic: string): Promise<string[]> {
  const dir = path.join(tb.dataDir, 'tier', `${topic}-${tb.broker.topics.get(topic)!.id}`);
  try {
    return (await fs.readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

describe('KIP-950: disabling tiered storage', () => {
  it('remote.log.copy.disable stops new copies while remote data stays readable; local retention must then equal retention', async () => {
    const topic = 'tier-copy-disable';
    await withAdmin(tb.bootstrap, (a) => a.createTopics({ topics: [{ topic, configEntries: entries(TIERED) }] }));
    await produceRange(tb.bootstrap, topic, 0, 600);
    const before = await waitTiered(tb, topic, 3);

    // local.retention.ms=0 with retention.ms=-1 cannot hold once nothing is copied any more.
    await expect(alterTopic(topic, { ...TIERED, 'remote.log.copy.disable': 'true' })).rejects.toMatchObject({ type: 'INVALID_CONFIG' });
    const { 'local.retention.ms': _dropped, ...rest } = TIERED;
    await alterTopic(topic, { ...rest, 'remote.log.copy.disable': 'true' });

    await produceRange(tb.bootstrap, topic, 600, 1200);
    // Proof the tier task ran after the switch: two full rounds, and the new segments are lagging.
    await tb.broker.tier.runOnce();
    await tb.broker.tier.runOnce();
    const after = tierStatus(tb, topic)!;
    expect(after.lagSegments).toBeGreaterThan(0);
    expect(after.remoteSegments).toBe(before.remoteSegments);
    expect(after.copiedEndOffset).toBe(before.copiedEndOffset);
    // Everything from offset 0 is still readable: the old part from the store, the rest locally.
    expect(tb.broker.logManager.getLog(topic, 0)!.localLogStartOffset).toBe(before.copiedEndOffset);
    await expectAllMessages(tb.bootstrap, topic, 1200);

    // Copying resumes when the key is removed again.
    await alterTopic(topic, TIERED);
    await waitFor('copies resumed', () => (tierStatus(tb, topic)?.remoteSegments ?? 0) > before.remoteSegments);
  }, 60_000);

  it('refuses remote.storage.enable=false without remote.log.delete.on.disable; with it, deletes the remote data', async () => {
    const topic = 'tier-delete-on-disable';
    await withAdmin(tb.bootstrap, (a) => a.createTopics({ topics: [{ topic, configEntries: entries(TIERED) }] }));
    await produceRange(tb.bootstrap, topic, 0, 600);
    const st = await waitTiered(tb, topic, 3);
    expect((await remoteFiles(topic)).filter((n) => n.endsWith('.log')).length).toBe(st.remoteSegments);

    const err = await alterTopic(topic, { ...TIERED, 'remote.storage.enable': 'false' }).then(
      () => null,
      (e: any) => e,
    );
    expect(err?.type).toBe('INVALID_CONFIG');
    expect(tb.broker.topicConfig(topic).get('remote.storage.enable')).toBe(true);
    expect(await listOffset(tb.bootstrap, topic, -2n)).toBe(0n);

    await alterTopic(topic, { ...TIERED, 'remote.storage.enable': 'false', 'remote.log.delete.on.disable': 'true' });
    await waitFor('remote data deleted', async () => (await remoteFiles(topic)).length === 0);
    expect(tierStatus(tb, topic)).toBeUndefined();
    // The log now starts at its first local offset, and a consumer from the beginning reads just that.
    const localStart = tb.broker.logManager.getLog(topic, 0)!.localLogStartOffset;
    expect(localStart).toBe(st.copiedEndOffset);
    expect(await listOffset(tb.bootstrap, topic, -2n)).toBe(BigInt(localStart));
    const fetched = await fetchAll(tb.bootstrap, topic, 0, BigInt(localStart));
    expect(fetched.map((m) => Number(m.offset))).toEqual(Array.from({ length: 600 - localStart }, (_, i) => localStart + i));

    // Turning tiering on again starts a fresh remote log from the local segments.
    await alterTopic(topic, TIERED);
    await produceRange(tb.bootstrap, topic, 600, 900);
    await waitFor('copies after re-enabling', async () => (tierStatus(tb, topic)?.remoteSegments ?? 0) > 0 && (await remoteFiles(topic)).includes('manifest.json'));
    expect(await listOffset(tb.bootstrap, topic, -2n)).toBe(BigInt(localStart));
  }, 60_000);
});
