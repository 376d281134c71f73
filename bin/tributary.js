#!/usr/bin/env node
// Entry point: loads the TypeScript sources through tsx so `npx tributary` needs no build step.
// The semi-space bump avoids multi-ms GC stalls caused by native (napi) codec buffers.
import v8 from 'node:v8';
import { register } from 'tsx/esm/api';

v8.setFlagsFromString('--max-semi-space-size=64');
register();
const { main } = await import('../src/cli/main.ts');
await main(process.argv.slice(2));
