// `tributary tier status [server.properties] [--override key=value ...] [--json]`: per-partition
// tiered-storage status of the broker that owns the data dir. The broker writes
// `<first log dir>/tier-status.json` after every tiering round and at shutdown; this command reads
// it (no connection to the broker, so it also works while the broker is down, showing the last
// state it recorded and how old that is).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { TierStatus } from '../../storage/tier/tier-status.js';
import { loadBrokerConfig } from '../config/broker-config.js';
import { ConfigError } from '../config/errors.js';
import { parseStartArgs } from '../cli/start.js';
import type { CliDeps } from '../cli/main.js';
import { TIER_STATUS_FILE, formatTierStatus } from './status-file.js';

export async function runTierCommand(args: readonly string[], deps: CliDeps): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'status') {
    deps.stderr(`tributary tier: expected 'status', got ${sub === undefined ? 'nothing' : `'${sub}'`}\nUsage: tributary tier status [server.properties] [--override key=value ...] [--json]\n`);
    return 2;
  }
  const json = rest.includes('--json');
  const parsed = parseStartArgs(rest.filter((a) => a !== '--json'));
  if ('error' in parsed) {
    deps.stderr(`tributary tier status: ${parsed.error}\n`);
    return 2;
  }
  let file: string;
  try {
    const config = loadBrokerConfig({ file: parsed.file, overrides: parsed.overrides, env: deps.env });
    file = path.join(config.logDirs[0]!, TIER_STATUS_FILE);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    deps.stderr(`tributary: ${err.message}\n`);
    return 1;
  }
  let status: TierStatus;
  try {
    status = JSON.parse(await readFile(file, 'utf8')) as TierStatus;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    deps.stderr(`tributary tier status: no status at ${file} (no topic with remote.storage.enable=true has run on this broker yet)\n`);
    return 1;
  }
  deps.stdout(json ? JSON.stringify(status, null, 2) + '\n' : formatTierStatus(status, Date.now()));
  return 0;
}
