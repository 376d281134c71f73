// Builds the sarama smoke client (test/compat/go/sarama-smoke) offline in GOPATH mode against
// Debian's golang-github-shopify-sarama-dev; shared by the sarama and auth compat tests.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { requireCommand } from './tools.js';

export const SARAMA_APT = 'golang-go golang-github-shopify-sarama-dev';
const SRC = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'go', 'sarama-smoke');

/** Returns the binary's path inside a fresh temp dir (the caller removes the dir). */
export function buildSaramaSmoke(): { bin: string; dir: string } {
  requireCommand('go', ['version'], SARAMA_APT);
  if (!fs.existsSync('/usr/share/gocode/src/github.com/Shopify/sarama')) {
    throw new Error(`sarama sources missing: run \`apt-get install -y --no-install-recommends ${SARAMA_APT}\``);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sarama-smoke-'));
  const bin = path.join(dir, 'sarama-smoke');
  const b = spawnSync('go', ['build', '-o', bin, '.'], {
    cwd: SRC,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, GOPATH: '/usr/share/gocode', GO111MODULE: 'off', GOPROXY: 'off', GOFLAGS: '' },
  });
  if (b.status !== 0) throw new Error(`go build of the sarama smoke client failed:\n${b.stderr}`);
  return { bin, dir };
}
