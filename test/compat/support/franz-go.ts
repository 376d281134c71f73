// Builds the franz-go compat client (test/compat/franz-go, a Go module pinned in its go.mod/go.sum)
// once per source hash into a cache dir, so each test run after the first reuses the binary. It
// needs the Go toolchain its go.mod names (1.26: /usr/local/go on these machines; Debian's
// /usr/bin/go 1.19 is for the GOPATH-mode sarama test) and the modules in GOMODCACHE, which
// .ci/run fills with `go mod download` before the tests. GOTOOLCHAIN=local: never fetch a
// toolchain behind the test's back; a too-old Go fails with Go's own message.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const FRANZ_SRC = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'franz-go');
const CACHE_DIR = path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'tributary');

/** The Go that builds modules needing go 1.26: /usr/local/go first, then whatever `go` is on PATH. */
export function modernGo(): string {
  return fs.existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : 'go';
}

export const goEnv = (): Record<string, string> => ({ GOTOOLCHAIN: 'local', GOFLAGS: '-mod=readonly -buildvcs=false', GO111MODULE: 'on' });

function sourceHash(): string {
  const h = crypto.createHash('sha256');
  for (const f of fs.readdirSync(FRANZ_SRC).filter((f) => /\.(go|mod|sum)$/.test(f)).sort()) {
    h.update(f).update('\0').update(fs.readFileSync(path.join(FRANZ_SRC, f))).update('\0');
  }
  return h.digest('hex').slice(0, 16);
}

/** Returns the path of the built binary, building it if this source hash has none yet. */
export function buildFranzGoClient(): string {
  const bin = path.join(CACHE_DIR, `franz-go-compat-${sourceHash()}`);
  if (fs.existsSync(bin)) return bin;
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  const tmp = `${bin}.${process.pid}.tmp`;
  const b = spawnSync(modernGo(), ['build', '-o', tmp, '.'], {
    cwd: FRANZ_SRC,
    encoding: 'utf8',
    timeout: 240_000,
    env: { ...process.env, ...goEnv() },
  });
  if (b.error || b.status !== 0) {
    fs.rmSync(tmp, { force: true });
    throw new Error(
      `go build of the franz-go compat client failed (${b.error?.message ?? `exit ${b.status}`}); it needs Go >= 1.26 and ` +
        `the modules of test/compat/franz-go/go.mod (run \`cd test/compat/franz-go && go mod download\`):\n${b.stderr}`,
    );
  }
  fs.renameSync(tmp, bin); // atomic: a concurrent run sees either no binary or a whole one
  return bin;
}
