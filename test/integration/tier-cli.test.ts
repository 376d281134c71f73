// The zero-config store (a directory in the data dir) end to end, and `tributary tier status`.
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, type CliDeps } from '../../src/cli/main.js';
import type { TierStatus } from '../../storage/tier/tier-status.js';
import { startTestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { FAST_TIER, TOPIC_CONFIGS, expectAllMessages, produceRange, waitTiered, withAdmin } from '../storage/tier/broker-scenario.js';

function cliDeps(): CliDeps & { out: string; err: string } {
  const d = {
    out: '',
    err: '',
    stdout: (t: string) => void (d.out += t),
    stderr: (t: string) => void (d.err += t),
    env: {},
    onSignal: () => () => {},
    forceExit: () => {},
    helpText: () => '',
  };
  return d;
}

describe('tiered storage with the default local-directory store', () => {
  it('tiers into <data dir>/tier and reports through `tributary tier status`', async () => {
    const tb = await startTestBroker(FAST_TIER);
    const topic = 'tier-local';
    try {
      await withAdmin(tb.bootstrap, (a) =>
        a.createTopics({ topics: [{ topic, configEntries: Object.entries({ ...TOPIC_CONFIGS, 'remote.storage.enable': 'true' }).map(([name, value]) => ({ name, value })) }] }),
      );
      await produceRange(tb.bootstrap, topic, 0, 800);
      const st = await waitTiered(tb, topic, 3);
      const topicId = tb.broker.topics.get(topic)!.id;
      const objects = await fs.readdir(path.join(tb.dataDir, 'tier', `${topic}-${topicId}`, '0'));
      expect(objects.filter((n) => n.endsWith('.log')).length).toBe(st.remoteSegments);
      expect(objects).toContain('manifest.json');
      await expectAllMessages(tb.bootstrap, topic, 800);
      const metrics = tb.broker.tier.metrics();
      expect(metrics.find((m) => m.name === 'tributary_tier_remote_segments' && m.labels.topic === topic)?.value).toBe(st.remoteSegments);
      expect(tb.broker.tier.partitionSizes(topic, 0)?.remoteBytes).toBe(st.remoteBytes);

      // DescribeLogDirs lists the store as a `remote:` dir next to the local one.
      const c = await RawClient.connect(tb.port);
      const dirs = await c.send(35, 4, { topics: null });
      c.close();
      const remote = dirs.results.find((r: any) => r.logDir.startsWith('remote:'));
      const local = dirs.results.find((r: any) => r.logDir === tb.dataDir);
      expect(remote?.topics.find((t: any) => t.name === topic)?.partitions[0].partitionSize).toBe(st.remoteBytes);
      expect(local?.topics.find((t: any) => t.name === topic)?.partitions[0].partitionSize).toBeGreaterThan(0);

      // DescribeConfigs (kafkajs) shows the topic's local and remote bytes as read-only rows.
      const localBytes = tb.broker.logManager.getLog(topic, 0)!.size();
      await withAdmin(tb.bootstrap, async (a) => {
        const res = await a.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: topic }] });
        const entries = res.resources[0]!.configEntries;
        const remoteRow = entries.find((e) => e.configName === 'tributary.remote.log.size.bytes');
        const localRow = entries.find((e) => e.configName === 'tributary.local.log.size.bytes');
        expect(remoteRow).toMatchObject({ configValue: String(st.remoteBytes), readOnly: true });
        expect(localRow).toMatchObject({ configValue: String(localBytes), readOnly: true });
        // Asked for by name on a topic without tiering: present, zero remote bytes.
        await a.createTopics({ topics: [{ topic: 'untiered', numPartitions: 2 }] });
        const plain = await a.describeConfigs({
          includeSynonyms: false,
          resources: [{ type: 2, name: 'untiered', configNames: ['tributary.remote.log.size.bytes', 'retention.ms'] }],
        });
        expect(plain.resources[0]!.configEntries.map((e) => [e.configName, e.configValue]).sort()).toEqual([
          ['retention.ms', '604800000'],
          ['tributary.remote.log.size.bytes', '0'],
        ]);
        // Not listed without asking when the topic does not tier.
        const all = await a.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: 'untiered' }] });
        expect(all.resources[0]!.configEntries.some((e) => e.configName.startsWith('tributary.'))).toBe(false);
        // They are reports, not settings.
        await expect(
          a.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: topic, configEntries: [{ name: 'tributary.remote.log.size.bytes', value: '1' }] }] }),
        ).rejects.toMatchObject({ type: 'INVALID_CONFIG' });
      });

      // `tier status` asks the running broker over the network (DescribeConfigs of the broker).
      const live = cliDeps();
      expect(await runCli(['tier', 'status', '--json', '--bootstrap-server', tb.bootstrap], live), live.err).toBe(0);
      const liveStatus = JSON.parse(live.out) as TierStatus;
      expect(liveStatus.partitions.find((x) => x.topic === topic)?.remoteBytes).toBe(st.remoteBytes);
      const liveTable = cliDeps();
      expect(await runCli(['tier', 'status', '--bootstrap-server', tb.bootstrap], liveTable)).toBe(0);
      expect(liveTable.out.split('\n').some((l) => l.startsWith(topic))).toBe(true);
      // The row is a report that appears only when asked for by name.
      await withAdmin(tb.bootstrap, async (a) => {
        const res = await a.describeConfigs({ includeSynonyms: false, resources: [{ type: 4, name: String(tb.broker.nodeId) }] });
        expect(res.resources[0]!.configEntries.some((e) => e.configName === 'tributary.tier.status')).toBe(false);
      });
    } finally {
      await tb.stop();
    }
    const down = cliDeps();
    expect(await runCli(['tier', 'status', '--bootstrap-server', tb.bootstrap], down)).toBe(1);

    // The broker wrote its last status at shutdown; the CLI reads it from the data dir.
    const d = cliDeps();
    expect(await runCli(['tier', 'status', '--override', `log.dirs=${tb.dataDir}`], d)).toBe(0);
    const row = d.out.split('\n').find((l) => l.startsWith(topic));
    expect(row, d.out).toBeDefined();
    expect(d.out).toMatch(/REMOTE-SEGS/);
    const j = cliDeps();
    expect(await runCli(['tier', 'status', '--json', '--override', `log.dirs=${tb.dataDir}`], j)).toBe(0);
    const status = JSON.parse(j.out) as TierStatus;
    const p = status.partitions.find((x) => x.topic === topic)!;
    expect(p.remoteSegments).toBeGreaterThanOrEqual(3);
    expect(p.lagSegments).toBe(0);
    expect(p.lastError).toBeNull();

    const bad = cliDeps();
    expect(await runCli(['tier', 'frobnicate'], bad)).toBe(2);
    const none = cliDeps();
    expect(await runCli(['tier', 'status', '--override', `log.dirs=${path.join(tb.dataDir, 'nowhere')}`], none)).toBe(1);
    expect(none.err).toMatch(/no status/);
    await tb.cleanup();
  }, 60_000);
});
