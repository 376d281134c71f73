// Publishing a partner's contributions to its own cluster. Keyed partner|category|month, so the
// aggregation replaces rather than adds; a rerun first reads what this partner published before
// and sends only what changed, plus tombstones for contributions that no longer exist (a month
// removed from the raw data is withdrawn, not left behind).
import { type ClientSettings, closeClient, isUnknownTopic, loadKafka, readTopicToEnd } from '../src/aggregation/kafka-client.js';
import type { LocalContribution } from './local-metrics.js';

export interface PublishSummary {
  sent: number;
  unchanged: number;
  withdrawn: number;
  /** When the changes were sent (results updated later than this include them). */
  sentAt: number;
  /** Keys (partner|category|month) sent or withdrawn. */
  changedKeys: Set<string>;
}

export function contributionValue(c: LocalContribution): string {
  return JSON.stringify({ partner: c.partner, category: c.category, month: c.month, sum: c.sum, count: c.count });
}

export async function publishContributions(
  settings: ClientSettings,
  topic: string,
  partner: string,
  contributions: Map<string, LocalContribution>,
  opts: { idempotent: boolean; partitions: number },
): Promise<PublishSummary> {
  const { Admin, Consumer, Producer } = await loadKafka();
  const admin = new Admin(settings);
  try {
    await admin.createTopics({ topics: [topic], partitions: opts.partitions, replicas: 1, configs: [{ name: 'cleanup.policy', value: 'compact' }] });
  } catch (e) {
    if (!/TOPIC_ALREADY_EXISTS|already exists/i.test(JSON.stringify(e, Object.getOwnPropertyNames(e)) + String(e))) throw e;
  } finally {
    await closeClient(admin);
  }

  const consumer = new Consumer({ ...settings, groupId: `${settings.clientId}-reader` });
  const previous = new Map<string, string | null>();
  try {
    const prefix = `${partner}|`;
    for (const r of await readTopicToEnd(consumer, topic).catch((e) => (isUnknownTopic(e) ? [] : Promise.reject(e)))) {
      const key = r.key?.toString('utf8');
      if (key?.startsWith(prefix)) previous.set(key, r.value === null ? null : r.value.toString('utf8'));
    }
  } finally {
    await closeClient(consumer);
  }

  const messages: { topic: string; key: Buffer; value: Buffer | null }[] = [];
  let unchanged = 0;
  for (const [key, c] of contributions) {
    const value = contributionValue(c);
    if (previous.get(key) === value) unchanged++;
    else messages.push({ topic, key: Buffer.from(key), value: Buffer.from(value) });
  }
  let withdrawn = 0;
  for (const [key, value] of previous) {
    if (value !== null && !contributions.has(key)) {
      messages.push({ topic, key: Buffer.from(key), value: null });
      withdrawn++;
    }
  }
  const sentAt = Date.now();
  if (messages.length > 0) {
    const producer = new Producer({ ...settings, acks: -1, retries: 3, idempotent: opts.idempotent });
    try {
      await producer.send({ messages: messages as never });
    } finally {
      await closeClient(producer);
    }
  }
  return { sent: messages.length - withdrawn, unchanged, withdrawn, sentAt, changedKeys: new Set(messages.map((m) => m.key.toString('utf8'))) };
}
