// The topics list (with create and throughput) and one topic: partitions, message browser,
// produce, configs and delete.
import { renderBytes } from './bytes.js';
import { sample, series, sparkline } from './charts.js';
import { actionForm, api, ApiError, el, enc, field, fill, fmtBytes, fmtNum, showError, table, td } from './dom.js';
import { refreshNow } from './refresh.js';

export async function topicsPage(root) {
  const body = el('div', {});
  const showInternal = el('input', { type: 'checkbox', id: 'show-internal' });
  let last = [];
  const render = () =>
    fill(
      body,
      table(
        ['Topic', { label: 'Partitions', num: true }, { label: 'Replication', num: true }, { label: 'Messages', num: true }, { label: 'Size', num: true }, { label: 'Messages/s', num: true }, 'Throughput while open'],
        last
          .filter((t) => showInternal.checked || !t.internal)
          .map((t) =>
            el(
              'tr',
              { 'data-topic': t.name },
              el('td', {}, el('a', { href: '#/topics/' + enc(t.name) }, t.name), t.internal ? el('span', { class: 'tag' }, 'internal') : null),
              td(fmtNum(t.partitions), true),
              td(fmtNum(t.replicationFactor), true),
              td(fmtNum(t.messages), true),
              td(fmtBytes(t.sizeBytes), true),
              el('td', { class: 'num rate' }, rateText(t.name)),
              el('td', {}, sparkline(series.get('rate:' + t.name) || [], 'messages/s of ' + t.name)),
            ),
          ),
        { id: 'topics' },
      ),
    );
  showInternal.addEventListener('change', render);
  const create = actionForm(
    { id: 'create-topic' },
    [
      field('Name', el('input', { name: 'name', required: true, maxlength: 249, autocomplete: 'off' })),
      field('Partitions', el('input', { name: 'partitions', type: 'number', min: 1, placeholder: 'broker default' })),
      field('Replication factor', el('input', { name: 'replicationFactor', type: 'number', min: 1, placeholder: 'broker default' })),
      field('Configs (key=value, one per line)', el('textarea', { name: 'configs', rows: 1, cols: 32 })),
    ],
    'Create topic',
    async (f, form) => {
      const configs = {};
      for (const line of (f.configs || '').split('\n')) {
        const t = line.trim();
        if (!t) continue;
        const eq = t.indexOf('=');
        if (eq <= 0) throw new ApiError('INVALID_REQUEST', 'config lines must be key=value: ' + t);
        configs[t.slice(0, eq).trim()] = t.slice(eq + 1).trim();
      }
      const r = await api('POST', '/api/topics', { name: f.name, partitions: f.partitions || undefined, replicationFactor: f.replicationFactor || undefined, configs });
      form.reset();
      await refreshNow();
      return 'Created topic ' + r.name + ' with ' + r.partitions + ' partition(s).';
    },
  );
  root.append(el('h1', {}, 'Topics'), el('label', {}, showInternal, ' Show internal topics'), body, el('h2', {}, 'Create a topic'), create);
  return async () => {
    last = await api('GET', '/api/topics');
    // Throughput is sampled by this page: end offsets moved between two refreshes over the time
    // between them (offsets, so a retention cut does not look like negative traffic).
    const now = Date.now();
    for (const t of last) {
      const before = lastCounts.get(t.name);
      if (t.endOffsets !== null) lastCounts.set(t.name, { t: now, end: t.endOffsets });
      if (before && t.endOffsets !== null && now > before.t) sample('rate:' + t.name, Math.max(0, t.endOffsets - before.end) / ((now - before.t) / 1000));
    }
    render();
  };
}

const lastCounts = new Map(); // topic -> { t, end }: the previous refresh's sum of end offsets

function rateText(topic) {
  const s = series.get('rate:' + topic);
  if (!s || s.length === 0) return '–';
  const v = s[s.length - 1].v;
  return v >= 100 ? fmtNum(Math.round(v)) : v.toFixed(1);
}

export async function topicPage(root, name) {
  const partitionsBox = el('div', {});
  const configsBox = el('div', {});
  let partitionCount = 0;

  // Message browser: fetched on demand (and on refresh when following the end).
  const messagesBox = el('div', { id: 'messages' });
  const partSel = el('select', { name: 'partition', id: 'browse-partition' });
  const fromSel = el('select', { name: 'from' }, el('option', { value: 'end' }, 'last N'), el('option', { value: 'offset' }, 'from offset'), el('option', { value: 'timestamp' }, 'from time'));
  const startInput = el('input', { name: 'start', placeholder: 'offset or ISO time', size: 22 });
  const limitInput = el('input', { name: 'limit', type: 'number', min: 1, max: 500, value: '50' });
  const modeSel = el('select', { name: 'mode' }, el('option', { value: 'auto' }, 'auto'), el('option', { value: 'text' }, 'text'), el('option', { value: 'hex' }, 'hex'));
  let lastMessages = null;
  const renderMessages = () => {
    if (!lastMessages) return;
    const m = lastMessages;
    const mode = modeSel.value;
    fill(
      messagesBox,
      el(
        'p',
        { class: 'muted' },
        m.partition === null
          ? m.records.length + ' newest of ' + m.partitions.length + ' partition(s) by timestamp.'
          : 'Partition ' + m.partition + ': offsets ' + m.startOffset + '–' + (m.nextOffset - 1) + ' shown; log ' + m.logStartOffset + '–' + m.logEndOffset + '.',
        m.partition !== null && m.nextOffset < m.logEndOffset
          ? el('button', { type: 'button', class: 'plain', id: 'next-page', onclick: () => nextPage(m.nextOffset) }, 'Next ' + (limitInput.value || '50') + ' →')
          : null,
      ),
      table(
        [{ label: 'Partition', num: true }, { label: 'Offset', num: true }, 'Timestamp', 'Key', 'Value', 'Headers'],
        m.records.map((r) =>
          el(
            'tr',
            { 'data-offset': r.partition + ':' + r.offset },
            td(r.partition, true),
            td(r.offset, true),
            td(r.timestamp >= 0 ? new Date(r.timestamp).toISOString() : '–'),
            el('td', { class: 'key' }, renderBytes(r.key, mode)),
            el('td', { class: 'value' }, renderBytes(r.value, mode)),
            el('td', { class: 'headers' }, r.headers.length === 0 ? '–' : r.headers.map((h) => el('div', {}, el('b', {}, h.key), ': ', renderBytes(h.value, mode)))),
          ),
        ),
        { id: 'message-table' },
      ),
    );
  };
  modeSel.addEventListener('change', renderMessages);
  const nextPage = (offset) => {
    fromSel.value = 'offset';
    startInput.value = String(offset);
    loadMessages().catch(showError);
  };
  const loadMessages = async () => {
    const q = new URLSearchParams({ partition: partSel.value || 'all', limit: limitInput.value || '50' });
    if (fromSel.value === 'offset') q.set('offset', startInput.value || '0');
    if (fromSel.value === 'timestamp') q.set('timestamp', startInput.value);
    lastMessages = await api('GET', '/api/topics/' + enc(name) + '/messages?' + q);
    renderMessages();
  };
  const browser = actionForm(
    { id: 'browse' },
    [field('Partition', partSel), field('Show', fromSel), field('Start', startInput), field('N', limitInput), field('Show bytes as', modeSel)],
    'Load messages',
    async () => {
      await loadMessages();
      return lastMessages.records.length + ' message(s).';
    },
    'plain',
  );

  const produce = actionForm(
    { id: 'produce' },
    [
      field('Key', el('input', { name: 'key', autocomplete: 'off' })),
      field('Value', el('textarea', { name: 'value', rows: 1, cols: 40 })),
      field('Headers (name=value, one per line)', el('textarea', { name: 'headers', rows: 1, cols: 24 })),
      field('Partition', el('input', { name: 'partition', type: 'number', min: 0, placeholder: 'by key' })),
    ],
    'Produce',
    async (f) => {
      const headers = {};
      for (const line of (f.headers || '').split('\n')) {
        const t = line.trim();
        if (!t) continue;
        const eq = t.indexOf('=');
        if (eq <= 0) throw new ApiError('INVALID_REQUEST', 'header lines must be name=value: ' + t);
        headers[t.slice(0, eq)] = t.slice(eq + 1);
      }
      const r = await api('POST', '/api/topics/' + enc(name) + '/messages', { key: f.key, value: f.value, headers, partition: f.partition || undefined });
      await refreshNow();
      return 'Produced to partition ' + r.partition + ' at offset ' + r.offset + '.';
    },
  );

  const confirmInput = el('input', { name: 'confirm', placeholder: 'type the topic name', autocomplete: 'off' });
  const del = actionForm(
    { id: 'delete-topic' },
    [field('Delete this topic and all its messages', confirmInput)],
    'Delete topic',
    async (f) => {
      if (f.confirm !== name) throw new ApiError('INVALID_REQUEST', 'type the topic name exactly to confirm');
      await api('DELETE', '/api/topics/' + enc(name));
      location.hash = '#/topics';
      return 'Deleted.';
    },
    'danger',
  );

  root.append(
    el('p', {}, el('a', { href: '#/topics' }, '← Topics')),
    el('h1', {}, 'Topic ', el('span', { id: 'topic-name' }, name)),
    el('h2', {}, 'Partitions'),
    partitionsBox,
    el('h2', {}, 'Messages'),
    browser,
    messagesBox,
    el('h2', {}, 'Produce a message'),
    produce,
    el('h2', {}, 'Configs'),
    configsBox,
    el('h2', {}, 'Delete'),
    del,
  );
  let first = true;
  return async () => {
    const t = await api('GET', '/api/topics/' + enc(name));
    if (t.partitions.length !== partitionCount) {
      partitionCount = t.partitions.length;
      const keep = partSel.value;
      fill(partSel, el('option', { value: 'all' }, 'all'), t.partitions.map((p) => el('option', { value: p.partition }, String(p.partition))));
      if (keep) partSel.value = keep;
    }
    fill(
      partitionsBox,
      table(
        [{ label: 'Partition', num: true }, 'Leader', 'Replicas', 'ISR', { label: 'Start offset', num: true }, { label: 'End offset', num: true }, { label: 'Messages', num: true }, { label: 'Size', num: true }],
        t.partitions.map((p) =>
          el(
            'tr',
            {},
            td(p.partition, true),
            td(p.leader),
            td(p.replicas.join(', ')),
            td(p.isr.join(', ')),
            td(fmtNum(p.logStartOffset), true),
            td(fmtNum(p.logEndOffset), true),
            td(p.logEndOffset === null ? '–' : fmtNum(p.logEndOffset - p.logStartOffset), true),
            td(fmtBytes(p.sizeBytes), true),
          ),
        ),
        { id: 'partitions' },
      ),
    );
    fill(
      configsBox,
      table(
        ['Key', 'Value', 'Source'],
        t.configs.map((c) => el('tr', {}, td(c.name), td(c.sensitive ? '(sensitive)' : c.value), td(c.source))),
        { id: 'configs' },
      ),
    );
    // The browser shows the newest messages on arrival and follows the end while on "last N".
    if (first || fromSel.value === 'end') await loadMessages();
    first = false;
  };
}
