// Event-loop delay of a broker under a benchmark (`--import` this file; bench:rdkafka --loop-delay).
// SIGUSR2 writes one line `LOOP_DELAY {"p50Ms":..,"p99Ms":..,"p999Ms":..,"maxMs":..,"samples":..}`
// to stderr for the interval since the previous SIGUSR2 and starts a new one, so the bench can
// bracket each workload. Resolution 1 ms: delays shorter than that are not resolved (a 10 ms
// resolution, the metrics endpoint's, would hide the 1-10 ms stalls the latency aim is about).
import { monitorEventLoopDelay } from 'node:perf_hooks';

const h = monitorEventLoopDelay({ resolution: 1 });
h.enable();
const ms = (ns) => Math.round(ns / 1e4) / 100;
process.on('SIGUSR2', () => {
  const line = { p50Ms: ms(h.percentile(50)), p99Ms: ms(h.percentile(99)), p999Ms: ms(h.percentile(99.9)), maxMs: ms(h.max), samples: h.count };
  h.reset();
  process.stderr.write(`LOOP_DELAY ${JSON.stringify(line)}\n`);
});
