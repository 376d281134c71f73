#!/usr/bin/env node
// Entry point of `npx tributary`.
//
// The published package runs the compiled dist/ (no TypeScript at run time). A repository
// checkout has src/ and tsx (a devDependency), and runs the sources through tsx instead, so
// `npx tributary`, `npm start` and the tests never need a build step and never see a stale dist/.
//
// No V8 heap flags here: --max-semi-space-size set at run time (v8.setFlagsFromString) never
// resized the young generation, which V8 sizes when the isolate starts (measured on Node 20: 32 MiB
// of new space with or without it, 128 MiB only with the flag on node's command line). The
// broker has always run with Node's default, and bench/memory/produce-rss.ts found no reason to
// change that: with pooled request frames the young generation stays small under large-batch
// produce, and a 64 MiB semi-space only adds up to 96 MiB of RSS (bench/README.md, issue 14).
import fs from 'node:fs';
import v8 from 'node:v8';

// The old generation grows to twice its live size before the next full collection. V8's dynamic
// factor drops to its minimum (~1.1) when little is promoted — the broker's steady state: requests
// die young, ~35 MB of code and module state lives — and the limit then sits closer to the live
// size than one young generation, so V8 starts incremental marking again right after each
// Mark-Compact: 20–35 Mark-Compacts per 10 s at 40,000 one-record produces/s, each with marking
// steps of up to 10 ms, after the broker had been idle for a few seconds (bench/README.md, issue 14).
// Unlike the heap-size flags, this one is read at every limit computation, so setting it at run
// time works (measured). Only the CLI sets it: a library user's process keeps its own GC settings.
v8.setFlagsFromString('--heap-growing-percent=100');

const sources = new URL('../src/cli/main.ts', import.meta.url);
let register = null;
if (fs.existsSync(sources)) {
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch {
    // A checkout installed without devDependencies: fall back to dist/ (npm run build).
  }
}
let main;
if (register) {
  register();
  ({ main } = await import(sources.href));
} else {
  ({ main } = await import('../dist/src/cli/main.js'));
}
await main(process.argv.slice(2));
