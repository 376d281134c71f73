#!/usr/bin/env node
// Entry point of `npx tributary`.
//
// The published package runs the compiled dist/ (no TypeScript at run time). A repository
// checkout has src/ and tsx (a devDependency), and runs the sources through tsx instead, so
// `npx tributary`, `npm start` and the tests never need a build step and never see a stale dist/.
//
// The semi-space bump avoids multi-ms GC stalls caused by native (napi) codec buffers.
import fs from 'node:fs';
import v8 from 'node:v8';

v8.setFlagsFromString('--max-semi-space-size=64');

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
