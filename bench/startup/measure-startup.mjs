// Startup to "ready" (listening) of `tributary start`, for several entry points, interleaved so
// machine load affects them alike. Wall time from spawn to the ready line, and the child's CPU
// time at that moment (from /proc, Linux only), which is far less sensitive to other load.
//   node bench/startup/measure-startup.mjs label=path/to/bin/tributary.js [label=...] [--runs 7]
// e.g. a checkout (tsx) against an installed tarball (dist):
//   npm pack --pack-destination /tmp/p && (cd /tmp/p && npm init -y && npm i ./tributary-*.tgz)
//   node bench/startup/measure-startup.mjs repo=bin/tributary.js dist=/tmp/p/node_modules/tributary/bin/tributary.js
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const args = process.argv.slice(2);
const runsAt = args.indexOf('--runs');
const runs = runsAt >= 0 ? Number(args.splice(runsAt, 2)[1]) : 7;
const bins = args.map((a) => a.split('='));
if (bins.length === 0) throw new Error('usage: measure-startup.mjs label=bin [label=bin ...] [--runs N]');

async function once(bin) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-startup-'));
  const t0 = performance.now();
  const child = spawn(process.execPath, [bin, 'start', '--override', 'listeners=PLAINTEXT://127.0.0.1:0', '--override', `log.dirs=${dir}`, '--override', 'tributary.log.format=json'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const r = await new Promise((resolve, reject) => {
    let err = '';
    child.once('exit', (code) => reject(new Error(`${bin} exited (${code}) before ready:\n${err}`)));
    child.stderr.on('data', (d) => {
      err += d;
      // "tributary started" is the ready line of versions before the package work.
      if (!/"msg":"(ready|tributary started)"/.test(err)) return;
      const wall = performance.now() - t0;
      let cpu = NaN;
      try {
        const f = fs.readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
        cpu = (Number(f[11]) + Number(f[12])) * (1000 / 100);
      } catch {}
      resolve({ wall, cpu });
    });
  });
  child.removeAllListeners('exit');
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
  fs.rmSync(dir, { recursive: true, force: true });
  return r;
}

const results = bins.map(() => ({ wall: [], cpu: [] }));
for (let i = 0; i < runs; i++) {
  for (let b = 0; b < bins.length; b++) {
    const r = await once(bins[b][1]);
    results[b].wall.push(r.wall);
    results[b].cpu.push(r.cpu);
  }
}
const median = (a) => Math.round([...a].sort((x, y) => x - y)[a.length >> 1]);
console.log(`load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} on ${os.cpus().length} cores, ${runs} runs each`);
for (let b = 0; b < bins.length; b++) {
  console.log(`${bins[b][0]}: wall median ${median(results[b].wall)} ms, CPU median ${median(results[b].cpu)} ms`);
}
