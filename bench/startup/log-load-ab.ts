// In-process A/B of LogManager.startup() on the many-partitions data set (bench/startup/many-partitions.ts
// builds it), alternating load concurrencies, so machine load hits each alike. Wall and CPU time of
// startup() alone (no node/tsx start-up in the figure); each round shuts down cleanly.
//   npx tsx bench/startup/log-load-ab.ts [--data /tmp/tributary-bench-partitions] [--rounds 3] [--concurrency 4,32]
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_LOG_CONFIG } from '../../storage/log/log-config.js';
import { LogManager } from '../../storage/log/log-manager.js';

const argv = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1]! : dflt;
};
const DATA = opt('data', path.join(os.tmpdir(), 'tributary-bench-partitions'));
const ROUNDS = Number(opt('rounds', '3'));
const LEVELS = opt('concurrency', '4,32').split(',').map(Number);
const out: Record<number, { wallMs: number; cpuMs: number }[]> = {};
for (let r = 0; r < ROUNDS; r++) {
  for (const c of r % 2 ? [...LEVELS].reverse() : LEVELS) {
    const lm = new LogManager({ logDirs: [DATA], defaultConfig: DEFAULT_LOG_CONFIG, retentionCheckIntervalMs: 3_600_000, recoveryConcurrency: c, cleaner: { enabled: false } });
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await lm.startup();
    const wallMs = Math.round(performance.now() - t0);
    const cu = process.cpuUsage(cpu0);
    (out[c] ??= []).push({ wallMs, cpuMs: Math.round((cu.user + cu.system) / 1000) });
    console.log(`round ${r + 1} concurrency ${c}: ${wallMs} ms wall, ${Math.round((cu.user + cu.system) / 1000)} ms CPU, ${lm.allLogs().length} logs, load ${os.loadavg()[0]!.toFixed(1)}`);
    await lm.shutdown();
  }
}
console.log(JSON.stringify(out));
