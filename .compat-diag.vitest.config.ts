import { defineConfig } from 'vitest/config';
export default defineConfig({
  root: '/work/main',
  resolve: { alias: [{ find: /^\.\.\/helpers\/spawned-broker\.js$/, replacement: '/tmp/compat-val/proxied-broker.ts' }] },
  test: { include: ['test/compat/**/*.test.ts'], pool: 'forks', testTimeout: 60_000, hookTimeout: 60_000, maxWorkers: 2 },
});
