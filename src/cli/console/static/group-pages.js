// Consumer groups: the list, and one group with members, lag per partition, lag over time and
// offset reset.
import { sample, sparkline } from './charts.js';
import { actionForm, api, el, enc, field, fill, fmtNum, table, td } from './dom.js';
import { refreshNow } from './refresh.js';

export async function groupsPage(root) {
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

export async function groupPage(root, id) {
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
        // classic (JoinGroup/SyncGroup) or consumer (KIP-848, group.protocol=consumer).
        el('div', { class: 'card' }, 'Group type', el('b', { id: 'group-type' }, g.type || '–')),
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
