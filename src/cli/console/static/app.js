// The Tributary web console: plain JavaScript, no framework. Pages are built with DOM calls and
// every string from the cluster (topic names, keys, values, headers, error messages) goes in as
// text (textContent / attribute values), never as markup: record contents are untrusted.
'use strict';

const REFRESH_MS = 5000;
const view = document.getElementById('view');
const errorBox = document.getElementById('error');
const updated = document.getElementById('updated');
const autoRefresh = document.getElementById('auto-refresh');
let current = null; // { refresh(): Promise<void> } of the page shown
let generation = 0; // bumped on navigation so late answers for an old page are dropped

// ---- helpers -------------------------------------------------------------------------------

/** el('td', { class: 'num' }, 'text', childNode, ...): strings become text nodes. */
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (k === 'value') node.value = v;
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

class ApiError extends Error {
  constructor(name, message) {
    super(message);
    this.errorName = name;
  }
}

async function api(method, path, body) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError('CONSOLE_UNREACHABLE', 'The console server does not answer: ' + e.message);
  }
  const data = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError((data && data.error) || 'HTTP_' + res.status, (data && data.message) || res.statusText);
  return data;
}

function showError(e) {
  if (!e) {
    errorBox.hidden = true;
    errorBox.textContent = '';
    return;
  }
  errorBox.hidden = false;
  errorBox.textContent = e.errorName ? e.errorName + ': ' + e.message : String(e.message || e);
}

const enc = encodeURIComponent;
const fmtNum = (n) => (n === null || n === undefined ? '–' : Number(n).toLocaleString('en-US'));
function fmtBytes(n) {
  if (n === null || n === undefined) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return (i === 0 ? v : v.toFixed(1)) + ' ' + units[i];
}

function table(headers, rows, attrs) {
  return el(
    'table',
    attrs,
    el('thead', {}, el('tr', {}, headers.map((h) => el('th', { class: h.num ? 'num' : null }, h.label || h)))),
    el('tbody', {}, rows.length === 0 ? el('tr', {}, el('td', { colspan: headers.length, class: 'muted' }, 'None')) : rows),
  );
}

const td = (v, num) => el('td', { class: num ? 'num' : null }, v === null || v === undefined ? '–' : v);

/** Replaces the children of a container (the refreshable parts of a page). */
function fill(container, ...nodes) {
  container.replaceChildren(...nodes.flat());
}

function formData(form) {
  return Object.fromEntries(new FormData(form).entries());
}

/** A form whose submit runs fn; the result line says what happened, errors by Kafka name. */
function actionForm(attrs, fields, label, fn, buttonClass) {
  const result = el('div', { class: 'result', role: 'status' });
  const form = el('form', { class: 'inline', ...attrs }, fields, el('button', { type: 'submit', class: buttonClass }, label));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    result.className = 'result';
    result.textContent = 'Working…';
    try {
      const text = await fn(formData(form), form);
      result.className = 'result ok';
      result.textContent = text;
    } catch (e) {
      result.className = 'result error';
      result.textContent = e.errorName ? e.errorName + ': ' + e.message : String(e.message || e);
    }
  });
  return el('div', {}, form, result);
}

const field = (label, input) => el('label', {}, label, input);

// ---- charts ------------------------------------------------------------------------------------

const SVG = 'http://www.w3.org/2000/svg';
const HISTORY = 120; // samples kept per series (10 minutes at the 5 s refresh)
const series = new Map(); // 'rate:topic' / 'lag:group' -> [{ t, v }], kept across page changes

function sample(key, v) {
  const s = series.get(key) || [];
  s.push({ t: Date.now(), v });
  if (s.length > HISTORY) s.splice(0, s.length - HISTORY);
  series.set(key, s);
  return s;
}

/** A small line chart of the samples (oldest left), scaled to their maximum. */
function sparkline(samples, label, width = 160, height = 32) {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('width', width);
  svg.setAttribute('height', height);
  svg.setAttribute('viewBox', '0 0 ' + width + ' ' + height);
  svg.setAttribute('class', 'spark');
  svg.setAttribute('data-points', String(samples.length));
  const title = document.createElementNS(SVG, 'title');
  title.textContent = label;
  svg.append(title);
  if (samples.length >= 2) {
    const max = Math.max(...samples.map((p) => p.v), 1);
    const t0 = samples[0].t;
    const span = Math.max(samples[samples.length - 1].t - t0, 1);
    const line = document.createElementNS(SVG, 'polyline');
    line.setAttribute('points', samples.map((p) => ((p.t - t0) / span * (width - 2) + 1).toFixed(1) + ',' + (height - 1 - (p.v / max) * (height - 2)).toFixed(1)).join(' '));
    svg.append(line);
  }
  return svg;
}

// ---- bytes shown safely ----------------------------------------------------------------------

function hexOf(shown) {
  if (shown.hex !== null) return shown.hex;
  return Array.from(new TextEncoder().encode(shown.text), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Text when printable, pretty JSON when it parses, hex for binary (or when asked). */
function renderBytes(shown, mode) {
  if (shown === null) return el('span', { class: 'muted' }, 'null');
  let text;
  let kind;
  if (mode === 'hex' || shown.text === null) {
    text = hexOf(shown).replace(/(..)(?!$)/g, '$1 ');
    kind = 'hex';
  } else {
    text = shown.text;
    kind = 'text';
    if (mode !== 'text' && /^\s*[[{]/.test(text)) {
      try {
        text = JSON.stringify(JSON.parse(text), null, 2);
        kind = 'json';
      } catch {
        /* not JSON: show as text */
      }
    }
  }
  return el(
    'div',
    {},
    el('pre', { class: 'data' }, text),
    el('span', { class: 'tag' }, kind),
    // The server cuts long fields at 16 KiB for display.
    shown.truncated ? el('span', { class: 'tag' }, 'first 16 KiB of ' + fmtBytes(shown.size)) : null,
  );
}

// ---- pages -----------------------------------------------------------------------------------

async function overviewPage(root) {
  const body = el('div', {});
  root.append(el('h1', {}, 'Cluster'), body);
  return async () => {
    const c = await api('GET', '/api/cluster');
    const versions = Object.entries(c.apiVersions)
      .filter(([, v]) => v)
      .map(([k, v]) => k + ' ' + v)
      .join(', ');
    fill(
      body,
      el(
        'div',
        { class: 'cards' },
        el('div', { class: 'card' }, 'Cluster id', el('b', { id: 'cluster-id' }, c.clusterId)),
        el('div', { class: 'card' }, 'Controller', el('b', {}, String(c.controllerId))),
        el('div', { class: 'card' }, 'Brokers', el('b', {}, String(c.brokers.length))),
        el('div', { class: 'card' }, 'Topics', el('b', {}, String(c.topicCount))),
      ),
      el('h2', {}, 'Brokers'),
      table(
        ['Id', 'Host', 'Port', 'Rack', 'Role'],
        c.brokers.map((b) => el('tr', {}, td(b.id), td(b.host), td(b.port), td(b.rack), td(b.controller ? 'controller' : ''))),
        { id: 'brokers' },
      ),
      el('h2', {}, 'Version'),
      el('p', {}, 'The brokers speak ' + c.apiCount + ' Kafka APIs (' + versions + '). Console ' + c.consoleVersion + '.'),
    );
  };
}

async function topicsPage(root) {
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

async function topicPage(root, name) {
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

async function groupsPage(root) {
  const body = el('div', {});
  root.append(el('h1', {}, 'Consumer groups'), body);
  return async () => {
    const groups = await api('GET', '/api/groups');
    fill(
      body,
      table(
        ['Group', 'State', 'Protocol type', 'Type'],
        groups.map((g) => el('tr', { 'data-group': g.id }, el('td', {}, el('a', { href: '#/groups/' + enc(g.id) }, g.id)), td(g.state), td(g.protocolType), td(g.type))),
        { id: 'groups' },
      ),
    );
  };
}

async function groupPage(root, id) {
  const summary = el('div', {});
  const members = el('div', {});
  const offsets = el('div', {});
  const targetSel = el('select', { name: 'to' }, el('option', { value: 'earliest' }, 'earliest'), el('option', { value: 'latest' }, 'latest'), el('option', { value: 'offset' }, 'offset'));
  const reset = actionForm(
    { id: 'reset-offsets' },
    [
      field('Topic', el('input', { name: 'topic', placeholder: 'all topics', autocomplete: 'off' })),
      field('Reset to', targetSel),
      field('Offset', el('input', { name: 'offset', type: 'number', min: 0 })),
    ],
    'Reset offsets',
    async (f) => {
      const r = await api('POST', '/api/groups/' + enc(id) + '/reset-offsets', { topic: f.topic || undefined, to: f.to, offset: f.offset || undefined });
      await refreshNow();
      return 'Committed new offsets for ' + r.partitions.length + ' partition(s).';
    },
  );
  root.append(
    el('p', {}, el('a', { href: '#/groups' }, '← Consumer groups')),
    el('h1', {}, 'Group ', el('span', { id: 'group-id' }, id)),
    summary,
    el('h2', {}, 'Members'),
    members,
    el('h2', {}, 'Offsets and lag'),
    offsets,
    el('h2', {}, 'Reset offsets (only while the group has no members)'),
    reset,
  );
  return async () => {
    const g = await api('GET', '/api/groups/' + enc(id));
    fill(
      summary,
      el(
        'div',
        { class: 'cards' },
        el('div', { class: 'card' }, 'State', el('b', { id: 'group-state' }, g.state)),
        el('div', { class: 'card' }, 'Protocol type', el('b', {}, g.protocolType || '–')),
        el('div', { class: 'card' }, 'Assignor', el('b', {}, g.protocol || '–')),
        el('div', { class: 'card' }, 'Members', el('b', {}, String(g.members.length))),
        el('div', { class: 'card' }, 'Total lag', el('b', { id: 'total-lag' }, fmtNum(g.totalLag))),
        el('div', { class: 'card', id: 'lag-chart' }, 'Lag while this page is open', sparkline(sample('lag:' + id, g.totalLag), 'total lag of ' + id, 220, 40)),
      ),
    );
    fill(
      members,
      table(
        ['Member', 'Client id', 'Host', 'Assignment'],
        g.members.map((m) => el('tr', {}, td(m.memberId), td(m.clientId), td(m.host), td(m.assignments.map((a) => a.topic + ' [' + a.partitions.join(', ') + ']').join('; ')))),
        { id: 'members' },
      ),
    );
    fill(
      offsets,
      table(
        ['Topic', { label: 'Partition', num: true }, { label: 'Committed', num: true }, { label: 'End offset', num: true }, { label: 'Lag', num: true }, 'Member'],
        g.offsets.map((o) =>
          el('tr', { 'data-partition': o.topic + ':' + o.partition }, td(o.topic), td(o.partition, true), td(fmtNum(o.committedOffset), true), td(fmtNum(o.logEndOffset), true), el('td', { class: 'num lag' }, fmtNum(o.lag)), td(o.memberId)),
        ),
        { id: 'offsets' },
      ),
    );
  };
}

// ---- routing and refresh ---------------------------------------------------------------------

function route() {
  const parts = location.hash.replace(/^#\/?/, '').split('/');
  const dec = (s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  if (parts[0] === 'topics' && parts[1]) return { nav: 'topics', make: (r) => topicPage(r, dec(parts.slice(1).join('/'))) };
  if (parts[0] === 'topics') return { nav: 'topics', make: topicsPage };
  if (parts[0] === 'groups' && parts[1]) return { nav: 'groups', make: (r) => groupPage(r, dec(parts.slice(1).join('/'))) };
  if (parts[0] === 'groups') return { nav: 'groups', make: groupsPage };
  return { nav: 'overview', make: overviewPage };
}

async function refreshNow() {
  if (!current) return;
  const gen = generation;
  try {
    await current();
    if (gen !== generation) return;
    showError(null);
    updated.textContent = 'Updated ' + new Date().toLocaleTimeString();
  } catch (e) {
    if (gen === generation) showError(e);
  }
}

async function navigate() {
  generation++;
  const r = route();
  for (const a of document.querySelectorAll('[data-nav]')) a.classList.toggle('active', a.dataset.nav === r.nav);
  const root = el('div', {});
  view.replaceChildren(root);
  showError(null);
  current = await r.make(root);
  await refreshNow();
}

window.addEventListener('hashchange', navigate);
document.getElementById('refresh-now').addEventListener('click', () => void refreshNow());
setInterval(() => {
  if (autoRefresh.checked && !document.hidden) void refreshNow();
}, REFRESH_MS);
void navigate();
