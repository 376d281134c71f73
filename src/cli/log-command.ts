// `tributary log check [--log-dirs DIR[,DIR]] [--repair] [--force] [--json] [server.properties] [--override k=v ...]`:
// validates every batch (CRC-32C, structure, offsets in sequence) of every segment in the log dirs
// of a stopped broker and reports damage with its offset; --repair cuts each damaged partition at
// its first bad batch without reusing offsets (storage/log/log-check.ts). The dirs come from
// --log-dirs, else from the broker configuration (file, overrides, environment) like `start`.
//
// Exit codes: 0 no damage (or all of it repaired), 3 damage found and not repaired, 1 failure,
// 2 usage error.
import { checkLogDir, type LogDirCheck } from '../../storage/log/log-check.js';
import { loadBrokerConfig } from '../config/broker-config.js';
import { ConfigError } from '../config/errors.js';
import { parseStartArgs } from './start.js';
import type { CliDeps } from './main.js';

export const LOG_USAGE = 'log check [--log-dirs DIR[,DIR...]] [--repair] [--force] [--json] [server.properties] [--override key=value ...]';

export async function runLogCommand(args: readonly string[], deps: CliDeps): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'check') {
    deps.stderr(`tributary log: expected 'check', got ${sub === undefined ? 'nothing' : `'${sub}'`}\nUsage: tributary ${LOG_USAGE}\n`);
    return 2;
  }
  let repair = false;
  let force = false;
  let json = false;
  let logDirs: string[] | null = null;
  const configArgs: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === '--repair') repair = true;
    else if (a === '--force') force = true;
    else if (a === '--json') json = true;
    else if (a === '--log-dirs' || a.startsWith('--log-dirs=')) {
      const v = a === '--log-dirs' ? rest[++i] : a.slice('--log-dirs='.length);
      if (!v) return usage(deps, '--log-dirs needs a value');
      logDirs = v.split(',').map((d) => d.trim()).filter(Boolean);
    } else configArgs.push(a);
  }
  if (logDirs === null) {
    const parsed = parseStartArgs(configArgs);
    if ('error' in parsed) return usage(deps, parsed.error);
    try {
      logDirs = loadBrokerConfig({ file: parsed.file, overrides: parsed.overrides, env: deps.env }).logDirs;
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      deps.stderr(`tributary: ${err.message}\n`);
      return 1;
    }
  } else if (configArgs.length > 0) {
    return usage(deps, `unexpected argument ${configArgs[0]} (--log-dirs names the dirs)`);
  }

  const results: LogDirCheck[] = [];
  for (const dir of logDirs) {
    let check: LogDirCheck;
    try {
      // First a read-only pass: repairing is refused on a dir the broker may still be using.
      check = await checkLogDir(dir, { repair: false });
      if (repair && check.partitions.some((p) => p.damage)) {
        if (!check.cleanlyStopped && !force) {
          deps.stderr(
            `tributary log check: ${dir} has no clean-shutdown marker: the broker is running or crashed. ` +
              'Stop it cleanly first (a crashed broker re-validates its unflushed logs at startup), or pass --force.\n',
          );
          return 1;
        }
        check = await checkLogDir(dir, { repair: true });
      }
    } catch (err) {
      deps.stderr(`tributary log check: ${dir}: ${(err as Error).message}\n`);
      return 1;
    }
    results.push(check);
  }
  deps.stdout(json ? JSON.stringify(results, null, 2) + '\n' : formatChecks(results));
  const unrepaired = results.some((d) => d.partitions.some((p) => p.damage && !p.repair));
  return unrepaired ? 3 : 0;
}

function usage(deps: CliDeps, message: string): number {
  deps.stderr(`tributary log check: ${message}\nUsage: tributary ${LOG_USAGE}\n`);
  return 2;
}

export function formatChecks(results: LogDirCheck[]): string {
  const lines: string[] = [];
  for (const d of results) {
    const damaged = d.partitions.filter((p) => p.damage);
    lines.push(`${d.dir}: ${d.partitions.length} partitions, ${damaged.length} damaged${d.cleanlyStopped ? '' : ' (no clean-shutdown marker)'}`);
    for (const p of d.partitions) {
      for (const g of p.gaps) {
        lines.push(`  ${p.topic}-${p.partition}: offsets ${g.endOffset}-${g.nextBaseOffset - 1} absent at the end of ${g.segment} (normal after compaction; otherwise lost)`);
      }
      if (!p.damage) continue;
      const x = p.damage;
      lines.push(
        `  ${p.topic}-${p.partition}: ${x.error} at offset ${x.offset} (${x.segment} position ${x.position}); ` +
          `valid up to offset ${p.validEndOffset}, log end was ${p.previousEndOffset}`,
      );
      if (p.repair) {
        lines.push(
          `    repaired: cut ${p.repair.truncatedBytes} bytes, deleted ${p.repair.deletedSegments} later segments; ` +
            `new writes start at offset ${p.repair.resumeOffset}` +
            (p.repair.resumeOffset > p.validEndOffset ? ` (offsets ${p.validEndOffset}-${p.repair.resumeOffset - 1} lost, never reused)` : ''),
        );
      }
    }
  }
  return lines.join('\n') + '\n';
}
