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
