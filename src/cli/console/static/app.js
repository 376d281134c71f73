// The Tributary web console: plain JavaScript modules, no framework and no build step. This file
// routes between pages (#/, #/topics, #/topics/NAME, #/groups, #/groups/ID, #/transactions, #/tier,
// #/aggregations, #/aggregations/NAME) and refreshes the one
// shown every 5 s.
import { el, showError } from './dom.js';
import { groupPage, groupsPage } from './group-pages.js';
import { overviewPage } from './overview-page.js';
import { onRefresh } from './refresh.js';
import { topicPage, topicsPage } from './topic-pages.js';
import { aggregationPage, aggregationsPage } from './aggregation-pages.js';
import { tierPage } from './tier-page.js';
import { transactionsPage } from './transactions-page.js';

const REFRESH_MS = 5000;
const view = document.getElementById('view');
const updated = document.getElementById('updated');
const autoRefresh = document.getElementById('auto-refresh');
let current = null; // the refresh function of the page shown
let generation = 0; // bumped on navigation so late answers for an old page are dropped

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
  if (parts[0] === 'transactions') return { nav: 'transactions', make: transactionsPage };
  if (parts[0] === 'tier') return { nav: 'tier', make: tierPage };
  if (parts[0] === 'aggregations' && parts[1]) return { nav: 'aggregations', make: (r) => aggregationPage(r, dec(parts.slice(1).join('/'))) };
  if (parts[0] === 'aggregations') return { nav: 'aggregations', make: aggregationsPage };
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

onRefresh(refreshNow);
window.addEventListener('hashchange', navigate);
document.getElementById('refresh-now').addEventListener('click', () => void refreshNow());
setInterval(() => {
  if (autoRefresh.checked && !document.hidden) void refreshNow();
}, REFRESH_MS);
void navigate();

