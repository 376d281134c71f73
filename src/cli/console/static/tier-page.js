// Tiered storage: per topic and per partition, what is local and what is in the object store
// (offsets, segments, bytes), uploads still to do, the last copy and the last error.
import { sample, sparkline } from './charts.js';
import { api, el, enc, fill, fmtAgo, fmtBytes, fmtNum, table, td } from './dom.js';

const offsetRange = (from, to) => (from < 0 || to < 0 || to <= from ? '–' : fmtNum(from) + ' – ' + fmtNum(to - 1));

export async function tierPage(root) {
  const summary = el('div', {});
  const topics = el('div', {});
  const partitions = el('div', {});
  root.append(el('h1', {}, 'Tiered storage'), summary, el('h2', {}, 'Topics'), topics, el('h2', {}, 'Partitions'), partitions);
  return async () => {
    const s = await api('GET', '/api/tier');
    if (!s.reported) {
      fill(summary, el('p', { id: 'tier-unreported', class: 'muted' }, 'This cluster does not report tiered-storage progress over the Kafka protocol (Tributary brokers do, in the broker config tributary.tier.status; Apache Kafka reports it in JMX metrics).'));
      fill(topics);
      fill(partitions);
      return;
    }
    const remote = s.topics.reduce((n, t) => n + t.remoteBytes, 0);
    const lag = s.topics.reduce((n, t) => n + t.lagBytes, 0);
    fill(
      summary,
      el(
        'div',
        { class: 'cards' },
        el('div', { class: 'card' }, 'Store', el('b', { id: 'tier-store' }, s.store)),
        el('div', { class: 'card' }, 'Remote', el('b', { id: 'tier-remote-bytes' }, fmtBytes(remote))),
        el('div', { class: 'card' + (lag > 0 ? ' warn' : '') }, 'Still to upload', el('b', { id: 'tier-lag-bytes' }, fmtBytes(lag))),
        el('div', { class: 'card' }, 'Upload backlog while this page is open', sparkline(sample('tier-lag', lag), 'bytes still to upload', 220, 40)),
        el('div', { class: 'card' }, 'Reported', el('b', {}, fmtAgo(s.updatedAt))),
        el('div', { class: 'card' }, 'Cache', el('b', {}, fmtBytes(s.cache.bytes) + ' / ' + fmtBytes(s.cache.maxBytes)), el('span', { class: 'muted' }, fmtNum(s.cache.hits) + ' hits, ' + fmtNum(s.cache.misses) + ' misses')),
        el('div', { class: 'card' }, 'Remote reads', el('b', {}, fmtNum(s.reads.reads)), el('span', { class: 'muted' }, fmtBytes(s.reads.bytesServed) + ' served')),
      ),
      s.pendingTopicDeletes.length ? el('p', { class: 'muted' }, 'Deleting the remote data of deleted topics: ' + s.pendingTopicDeletes.join(', ')) : null,
    );
    fill(
      topics,
      table(
        ['Topic', { label: 'Partitions', num: true }, { label: 'Local', num: true }, { label: 'Remote', num: true }, { label: 'Remote segments', num: true }, { label: 'To upload', num: true }, 'Last copy', 'Errors'],
        s.topics.map((t) =>
          el(
            'tr',
            { 'data-topic': t.topic, class: t.errors > 0 ? 'hanging' : null },
            el('td', {}, el('a', { href: '#/topics/' + enc(t.topic) }, t.topic), t.enabled ? null : el('span', { class: 'tag' }, 'copy off')),
            td(t.partitions, true),
            td(fmtBytes(t.localBytes), true),
            td(fmtBytes(t.remoteBytes), true),
            td(fmtNum(t.remoteSegments), true),
            td(t.lagSegments + ' seg, ' + fmtBytes(t.lagBytes), true),
            td(fmtAgo(t.lastCopyAt)),
            td(t.errors || ''),
          ),
        ),
        { id: 'tier-topics' },
      ),
    );
    fill(
      partitions,
      table(
        ['Partition', 'State', 'Remote offsets', 'Local offsets', { label: 'Log end', num: true }, { label: 'Remote segments', num: true }, { label: 'Remote bytes', num: true }, { label: 'Local bytes', num: true }, { label: 'To upload', num: true }, 'Last error'],
        s.partitions.map((p) =>
          el(
            'tr',
            { 'data-partition': p.topic + ':' + p.partition, class: p.lastError ? 'hanging' : null },
            td(p.topic + '-' + p.partition),
            td(p.enabled ? p.state : p.state + ' (copy off)'),
            td(offsetRange(p.remoteLogStartOffset, p.copiedEndOffset)),
            td(offsetRange(p.localLogStartOffset, p.logEndOffset)),
            td(fmtNum(p.logEndOffset), true),
            td(fmtNum(p.remoteSegments), true),
            td(fmtBytes(p.remoteBytes), true),
            td(fmtBytes(p.localBytes), true),
            el('td', { class: 'num lag' }, p.lagSegments + ' seg, ' + fmtBytes(p.lagBytes)),
            td(p.lastError ? p.lastError + ' (' + fmtAgo(p.lastErrorAt) + ')' : ''),
          ),
        ),
        { id: 'tier-partitions' },
      ),
    );
  };
}
