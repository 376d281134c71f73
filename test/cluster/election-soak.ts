// Long-running election soak (a script, not a suite test):
//   npx tsx test/cluster/election-soak.ts [--rounds 50] [--memory] [--brokers 4]
// Several ClusterMembers on a real etcd (or the in-memory store). Each round does one of: stop the
// controller cleanly, crash it (kill -9 semantics), cut its link to etcd for a while, or kill and
// restart etcd itself; then waits for exactly one controller again. A sampler checks every few ms
// that no two members act as controller at once, and every election must raise the epoch.
// Exits 1 on any violation.
import { ClusterMember } from '../../src/cluster/controller/cluster-member.js';
import type { ClusterMetadataStore } from '../../src/cluster/metadata-store/types.js';
import { etcdFixture, memoryFixture, waitFor } from './store-fixtures.js';

const args = process.argv.slice(2);
const arg = (name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const rounds = arg('rounds', 50);
const brokers = arg('brokers', 4);
const fx = args.includes('--memory') ? await memoryFixture() : await etcdFixture();
const verbose = args.includes('--verbose');
const actionsArg = args.indexOf('--actions');
const allowed = actionsArg >= 0 ? args[actionsArg + 1]!.split(',') : ['stop', 'crash', 'cut', 'store'];
const t0 = Date.now();
const note = (msg: string) => verbose && process.stderr.write(`${String(Date.now() - t0).padStart(6)} ${msg}\n`);
const root = '/soak/';

interface Slot {
  id: number;
  store: ClusterMetadataStore;
  cut(): void;
  heal(): void;
  member: ClusterMember;
}

const violations: string[] = [];
const epochs: number[] = [];
const actions: Record<string, number> = {};

function newMember(slot: Omit<Slot, 'member'>): ClusterMember {
  const m = new ClusterMember({ store: slot.store, registration: { brokerId: slot.id, rack: null, listeners: [] }, sessionTtlMs: fx.ttlMs, registerTimeoutMs: 60_000 });
  m.on('sessionLost', (r) => note(`${slot.id} sessionLost: ${r}`));
  m.on('resigned', (r) => note(`${slot.id} resigned: ${r}`));
  m.on('rejoined', () => note(`${slot.id} rejoined`));
  m.on('registered', (e) => note(`${slot.id} registered epoch ${e}`));
  m.on('elected', (c) => {
    note(`${slot.id} elected epoch ${c.fence.epoch}`);
    if (epochs.length > 0 && c.fence.epoch <= epochs[epochs.length - 1]!) violations.push(`epoch went from ${epochs[epochs.length - 1]} to ${c.fence.epoch}`);
    epochs.push(c.fence.epoch);
  });
  return m;
}

const slots: Slot[] = [];
for (let id = 1; id <= brokers; id++) {
  const link = await fx.openCuttable(root);
  const base = { id, store: link.store, cut: link.cut, heal: link.heal };
  const slot: Slot = { ...base, member: newMember(base) };
  await slot.member.start();
  slots.push(slot);
}

const active = () => slots.filter((s) => s.member.controller);
const sampler = setInterval(() => {
  const a = active();
  if (a.length > 1 && violations.length < 1000) violations.push(`two controllers at once: ${a.map((s) => `${s.id}@${s.member.controller!.fence.epoch}`).join(', ')}`);
}, 5);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const started = Date.now();
for (let round = 0; round < rounds; round++) {
  const ctrl = await waitFor(() => (active().length === 1 ? active()[0] : undefined), `one controller before round ${round}`, 60_000).catch((err: Error) => {
    violations.push(err.message);
    return undefined;
  });
  if (!ctrl) break;
  const action = allowed[Math.floor(Math.random() * allowed.length)]!;
  note(`round ${round + 1}: ${action} (controller ${ctrl.id})`);
  actions[action] = (actions[action] ?? 0) + 1;
  if (action === 'stop' || action === 'crash') {
    await (action === 'stop' ? ctrl.member.stop() : ctrl.member.crash());
    ctrl.member = newMember(ctrl);
    await ctrl.member.start();
  } else if (action === 'cut') {
    ctrl.cut();
    await sleep(fx.ttlMs * 1.5);
    ctrl.heal();
  } else {
    await fx.lose();
    await sleep(fx.ttlMs * (0.5 + Math.random()));
    await fx.restore();
  }
  process.stderr.write(`round ${round + 1}/${rounds}: ${action}, epoch ${epochs[epochs.length - 1]}\n`);
}
await waitFor(() => (active().length === 1 ? true : undefined), 'one controller at the end', 60_000).catch((err: Error) => violations.push(err.message));
clearInterval(sampler);
for (const s of slots) await s.member.stop();
await fx.cleanup();
const counted: Record<string, number> = {};
for (const v of violations) counted[v] = (counted[v] ?? 0) + 1;
console.log(JSON.stringify({ backend: fx.name, rounds, brokers, seconds: Math.round((Date.now() - started) / 1000), elections: epochs.length, actions, violations: counted }, null, 2));
process.exit(violations.length > 0 ? 1 : 0);
