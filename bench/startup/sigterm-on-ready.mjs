// SIGTERM in the same tick as the broker's "ready" line is read, N times on fresh empty dirs:
// prints how each failed start ended (exit code or signal, last log lines) and the failure rate.
// A clean shutdown exits 0; the broker used to die by SIGTERM's default action most of the time
// here (bench/README.md, "SIGTERM right after ready").
//   node bench/startup/sigterm-on-ready.mjs ROOT [N=100] [ENTRY=ROOT/bin/tributary.js]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
const root = process.argv[2];
const n = Number(process.argv[3] ?? 100);
const entry = process.argv[4] ?? path.join(root, 'bin/tributary.js');
let fails = 0;
const outcomes = {};
for (let i = 0; i < n; i++) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigterm-'));
  const child = spawn(process.execPath, [entry, 'start', '--override', `log.dirs=${dir}`, '--override', 'listeners=PLAINTEXT://127.0.0.1:0'], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, TRIBUTARY_LOG_FORMAT: 'json' } });
  let err = '';
  let sent = false;
  child.stderr.on('data', (d) => {
    err += d;
    if (!sent && /"msg":"ready"/.test(err)) { sent = true; child.kill('SIGTERM'); }
  });
  const { code, signal } = await new Promise((r) => child.on('close', (code, signal) => r({ code, signal })));
  const marker = fs.readdirSync(dir).filter((f) => /clean|shutdown/i.test(f));
  const key = `${code ?? signal}${sent ? '' : ' (no ready)'}`;
  outcomes[key] = (outcomes[key] ?? 0) + 1;
  if (code !== 0) {
    fails++;
    console.log(`#${i}: ${key}; last lines:\n${err.trim().split('\n').slice(-3).join('\n')}`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
}
console.log(JSON.stringify({ n, fails, rate: fails / n, outcomes }));
