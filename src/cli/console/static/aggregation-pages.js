// The aggregation stage: its pipelines (definitions) with state, groups and contributions, and one
// pipeline's sources with lag per partition, its grouping (the windows results are kept per, e.g.
// category and month), measures, privacy threshold and counters.
import { sample, sparkline } from './charts.js';
import { api, el, enc, fill, fmtAgo, fmtNum, table, td } from './dom.js';

const stateClass = (s) => (s === 'failed' ? 'hanging' : null);

export async function aggregationsPage(root) {
  const body = el('div', {});
  root.append(el('h1', {}, 'Aggregations'), body);
  return async () => {
    const list = await api('GET', '/api/aggregations');
    fill(
      body,
      list.length === 0 ? el('p', { id: 'no-aggregations', class: 'muted' }, 'No aggregations on this cluster (tributary aggregations create --file def.json adds one).') : null,
      table(
        ['Aggregation', 'State', 'Target', 'Grouped by', { label: 'Min contributors', num: true }, { label: 'Contributions', num: true }, { label: 'Groups published', num: true }, { label: 'Below threshold', num: true }, { label: 'Lag', num: true }, 'Output', 'Last error'],
        list.map((a) =>
          el(
            'tr',
            { 'data-aggregation': a.name, class: stateClass(a.state) },
            el('td', {}, el('a', { href: '#/aggregations/' + enc(a.name) }, a.name)),
            td(a.state),
            td(a.target),
            td(a.groupBy.join(', ')),
            td(a.minContributors, true),
            td(fmtNum(a.contributions), true),
            td(fmtNum(a.groupsPublished), true),
            td(fmtNum(a.groupsSuppressed), true),
            td(fmtNum(a.lag), true),
            el('td', {}, a.outputTopic ? el('a', { href: '#/topics/' + enc(a.outputTopic) }, a.outputTopic) : '–'),
            td(a.lastError || ''),
          ),
        ),
        { id: 'aggregations' },
      ),
    );
  };
}

export async function aggregationPage(root, name) {
  const summary = el('div', {});
  const shape = el('div', {});
  const sources = el('div', {});
  const definition = el('pre', { class: 'data', id: 'aggregation-definition' });
  root.append(
    el('p', {}, el('a', { href: '#/aggregations' }, '← Aggregations')),
    el('h1', {}, 'Aggregation ', el('span', { id: 'aggregation-name' }, name)),
    summary,
    el('h2', {}, 'Groups and measures'),
    shape,
    el('h2', {}, 'Sources'),
    sources,
    el('h2', {}, 'Definition (secrets masked)'),
    definition,
  );
  return async () => {
    const a = await api('GET', '/api/aggregations/' + enc(name));
    const s = a.status;
    const d = a.definition;
    const lag = s ? s.sources.reduce((n, src) => (n === null || src.lag === null ? null : n + src.lag), 0) : null;
    fill(
      summary,
      el(
        'div',
        { class: 'cards' },
        el('div', { class: 'card' + (s && s.state === 'failed' ? ' bad' : '') }, 'State', el('b', { id: 'aggregation-state' }, s ? s.state : 'no status yet')),
        el('div', { class: 'card' }, 'Target', el('b', {}, a.target)),
        el('div', { class: 'card' }, 'Records in', el('b', { id: 'aggregation-records-in' }, fmtNum(s && s.recordsIn)), el('span', { class: 'muted' }, fmtNum(s && s.recordsRejected) + ' rejected')),
        el('div', { class: 'card' }, 'Contributions', el('b', { id: 'aggregation-contributions' }, fmtNum(s && s.contributions))),
        el('div', { class: 'card' }, 'Groups', el('b', { id: 'aggregation-groups' }, fmtNum(s && s.groups)), el('span', { class: 'muted' }, fmtNum(s && s.groupsPublished) + ' published, ' + fmtNum(s && s.groupsSuppressed) + ' below the threshold')),
        el('div', { class: 'card' }, 'Results written', el('b', {}, fmtNum(s && s.recordsOut))),
        el('div', { class: 'card' }, 'Source lag', el('b', { id: 'aggregation-lag' }, fmtNum(lag)), sparkline(sample('agg-lag:' + name, lag || 0), 'source lag of ' + name, 160, 28)),
        el('div', { class: 'card' }, 'Last step', el('b', {}, fmtAgo(s && s.lastStepAt))),
      ),
      s && (s.lastError || s.definitionError) ? el('p', { class: 'error-inline', id: 'aggregation-error' }, s.definitionError ? 'Refused definition: ' + s.definitionError : 'Last error: ' + s.lastError + ' (' + fmtAgo(s.lastErrorAt) + ')') : null,
    );
    fill(
      shape,
      d
        ? el(
            'dl',
            { class: 'facts', id: 'aggregation-shape' },
            el('dt', {}, 'Grouped by (one result per)'),
            el('dd', {}, d.groupBy.join(' × ')),
            el('dt', {}, 'Contributor field'),
            el('dd', {}, d.contributorField),
            el('dt', {}, 'Measures'),
            el('dd', {}, d.measures.map((m) => m.name + ' = ' + m.op + '(' + (m.field || '') + ')').concat((d.derived || []).map((x) => x.name + ' = ' + x.op + '(' + [x.sum, x.count].filter(Boolean).join(', ') + ')')).join('; ')),
            el('dt', {}, 'Privacy threshold'),
            el('dd', {}, 'a group is published with at least ' + d.minContributors + ' contributor(s)'),
            el('dt', {}, 'Output'),
            el('dd', {}, el('a', { href: '#/topics/' + enc(d.output.topic) }, d.output.topic), ' (compacted; key = group, latest version per group)'),
            el('dt', {}, 'Dead letters'),
            el('dd', {}, el('a', { href: '#/topics/' + enc(d.deadLetterTopic) }, d.deadLetterTopic)),
          )
        : el('p', { class: 'muted' }, 'The stored definition is not valid; see the status for why.'),
    );
    const rows = [];
    for (const src of s ? s.sources : []) {
      for (const p of src.partitions)
        rows.push(
          el(
            'tr',
            { 'data-source': src.name + ':' + p.partition, class: src.health !== 'ok' ? 'hanging' : null },
            td(src.name),
            td(src.topic + '-' + p.partition),
            td(src.cluster),
            td(src.health),
            td(fmtNum(p.position), true),
            td(fmtNum(p.endOffset), true),
            el('td', { class: 'num lag' }, fmtNum(p.lag)),
            td(src.lastError ? src.lastError + ' (' + fmtAgo(src.lastErrorAt) + ')' : ''),
          ),
        );
    }
    fill(sources, table(['Source', 'Partition', 'Cluster', 'Health', { label: 'Position', num: true }, { label: 'Stable end', num: true }, { label: 'Lag', num: true }, 'Last error'], rows, { id: 'aggregation-sources' }));
    definition.textContent = JSON.stringify(d, null, 2);
  };
}
