// Transactions: every transactional id the coordinators know (state, producer id and epoch,
// timeout, age, partitions), and the transactions open on partitions; hanging ones (open past
// their timeout, or open on a partition their coordinator does not list) come first, marked.
import { api, el, fill, fmtDuration, fmtNum, table, td } from './dom.js';

const partitionsText = (ps) => ps.map((p) => p.topic + '-' + p.partition).join(', ');

export async function transactionsPage(root) {
  const summary = el('div', {});
  const txns = el('div', {});
  const open = el('div', {});
  root.append(
    el('h1', {}, 'Transactions'),
    summary,
    el('h2', {}, 'Transactional ids'),
    txns,
    el('h2', {}, 'Open on partitions'),
    el('p', { class: 'muted' }, 'Producers with a transaction open on a partition (DescribeProducers). A hanging one holds the partition’s last stable offset back: read_committed consumers stop there until it is aborted (kafka-transactions.sh abort).'),
    open,
  );
  return async () => {
    const t = await api('GET', '/api/transactions');
    const ongoing = t.transactions.filter((x) => x.state === 'Ongoing').length;
    fill(
      summary,
      el(
        'div',
        { class: 'cards' },
        el('div', { class: 'card' }, 'Transactional ids', el('b', { id: 'txn-count' }, String(t.transactions.length))),
        el('div', { class: 'card' }, 'Ongoing', el('b', { id: 'txn-ongoing' }, String(ongoing))),
        el('div', { class: 'card' + (t.hangingTransactions + t.hangingPartitions > 0 ? ' bad' : '') }, 'Hanging', el('b', { id: 'txn-hanging' }, String(t.hangingTransactions))),
      ),
    );
    fill(
      txns,
      table(
        ['Transactional id', 'State', { label: 'Producer id', num: true }, { label: 'Epoch', num: true }, { label: 'Timeout', num: true }, { label: 'Age', num: true }, 'Partitions', ''],
        t.transactions.map((x) =>
          el(
            'tr',
            { 'data-txn': x.transactionalId, class: x.hanging ? 'hanging' : null },
            td(x.transactionalId),
            td(x.error ? x.state + ' (' + x.error + ')' : x.state),
            td(fmtNum(x.producerId), true),
            td(x.producerEpoch, true),
            td(fmtDuration(x.timeoutMs), true),
            td(fmtDuration(x.ageMs), true),
            td(partitionsText(x.partitions)),
            el('td', {}, x.hanging ? el('span', { class: 'tag bad', title: x.hangingReason }, 'hanging') : null, x.hanging ? el('div', { class: 'muted reason' }, x.hangingReason) : null),
          ),
        ),
        { id: 'transactions' },
      ),
    );
    fill(
      open,
      table(
        ['Partition', { label: 'Producer id', num: true }, { label: 'Epoch', num: true }, { label: 'Start offset', num: true }, { label: 'Last write', num: true }, 'Transactional id', 'Coordinator state', ''],
        t.openPartitions.map((p) =>
          el(
            'tr',
            { 'data-partition': p.topic + ':' + p.partition, class: p.hanging ? 'hanging' : null },
            td(p.topic + '-' + p.partition),
            td(fmtNum(p.producerId), true),
            td(p.producerEpoch, true),
            td(fmtNum(p.startOffset), true),
            td(fmtDuration(p.ageMs) + ' ago', true),
            td(p.transactionalId),
            td(p.coordinatorState),
            el('td', {}, p.hanging ? el('span', { class: 'tag bad' }, 'hanging') : null),
          ),
        ),
        { id: 'open-partitions' },
      ),
    );
  };
}
