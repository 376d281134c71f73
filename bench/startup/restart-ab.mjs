// Restart A/B on one data dir (issue 14: "restart with 10 GiB across 1,000 partitions: listening in
// ≤ 2 s"): starts each variant's `bin/tributary.js start` on the same log dir in turn, alternating
// the order every round so machine load hits them alike, and stops each with SIGTERM (a clean
// shutdown, so every start is a restart after a clean shutdown). Per start: wall time from spawn
// to the "ready" line, the child's CPU time then (/proc: steadier than wall time on a shared
// machine), RSS, open fds and the log manager's "loaded log dir" ms.
//
//   node bench/startup/restart-ab.mjs --data DIR [--rounds 3] [--kill-delay-ms 300] label=ROOT[:ENTRY] ...
//
// ROOT is a checkout (with node_modules); ENTRY defaults to bin/tributary.js, which runs the
// sources through tsx when ROOT has src/. For the published package's figure, make a ROOT without
// src/ (bin/ copied, dist/ from `npm run build`, package.json, node_modules): bin/tributary.js
// then imports dist/.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args.splice(i, 2)[1] : dflt;
};
const data = opt('data', null);
const rounds = Number(opt('rounds', '3'));
// Checkouts before fix-sigterm installed their SIGTERM handler only after writing "ready": a SIGTERM
// sent the instant the line was read could find the signal's default action still in place and
// kill the broker (no clean-shutdown marker: the next start recovered every log). The handlers now
// go in before the broker starts; the wait (0 is fine for fixed roots) keeps A/B runs against
// older roots clean restarts.
const killDelayMs = Number(opt('kill-delay-ms', '300'));
if (!data || args.length === 0) throw new Error('usage: restart-ab.mjs --data DIR [--rounds N] label=ROOT[:ENTRY] ...');
const variants = args.map((a) => {
  const [label, rest] = a.split('=');
  const [root, entry = 'bin/tributary.js'] = rest.split(':');
  return { label, root, entry };
});

async function once({ root, entry }) {
  const t0 = performance.now();
  const child = spawn(process.execPath, [entry, 'start', '--override', `log.dirs=${data}`, '--override', 'listeners=PLAINTEXT://127.0.0.1:0'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  await new Promise((resolve, reject) => {
    child.once('exit', (code, signal) => reject(new Error(`exited (${code ?? signal}) before ready:\n${err.slice(-3000)}`)));
    child.stderr.on('data', (d) => {
      err += d;
      if (/"msg":"ready"/.test(err)) resolve();
    });
  });
  const wallMs = Math.round(performance.now() - t0);
  const stat = fs.readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const cpuMs = (Number(stat[11]) + Number(stat[12])) * 10;
  const rssMiB = Math.round(Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'))[1]) / 1024);
  const fds = fs.readdirSync(`/proc/${child.pid}/fd`).length;
  const loadLine = err.split('\n').find((l) => l.includes('"msg":"loaded log dir"'));
  const load = loadLine ? JSON.parse(loadLine) : {};
  child.removeAllListeners('exit');
  const exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
  await new Promise((r) => setTimeout(r, killDelayMs));
  child.kill('SIGTERM');
  const ex = await exited;
  if (ex.code !== 0) throw new Error(`shutdown ended with ${ex.code ?? ex.signal}: the next start would not follow a clean shutdown\n${err.slice(-2000)}`);
  if (load.hadCleanShutdown === false && load.logs > 0) console.log('  (this start followed an unclean shutdown: recovery)');
  return { wallMs, cpuMs, rssMiB, fds, loadMs: load.ms ?? NaN };
}

const res = {};
for (let r = 0; r < rounds; r++) {
  for (const v of r % 2 ? [...variants].reverse() : variants) {
    const f = await once(v);
    (res[v.label] ??= []).push(f);
    console.log(`round ${r + 1} ${v.label.padEnd(10)} ${JSON.stringify(f)} load ${os.loadavg()[0].toFixed(1)}`);
  }
}
const med = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
for (const [l, a] of Object.entries(res)) {
  const m = (k) => med(a.map((x) => x[k]));
  console.log(`${l.padEnd(10)} median: wall ${m('wallMs')} ms, CPU ${m('cpuMs')} ms, loaded log dir ${m('loadMs')} ms, RSS ${m('rssMiB')} MiB, fds ${m('fds')}; CPU ${a.map((x) => x.cpuMs).join(' / ')}; wall ${a.map((x) => x.wallMs).join(' / ')}`);
}
