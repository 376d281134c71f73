// The cluster overview: id, controller, brokers, and the API versions the brokers speak.
import { api, el, fill, table, td } from './dom.js';

export async function overviewPage(root) {
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
