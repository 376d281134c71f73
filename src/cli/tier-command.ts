// `tributary tier status [--bootstrap-server host:port] [--json]`: per-partition tiered-storage
// status, asked of the running brokers over the Kafka protocol (DescribeConfigs of each broker,
// the read-only row `tributary.tier.status`), with the TLS/SASL flags of every client command.
//
// `tributary tier status --offline [server.properties] [--override key=value ...]` reads the file
// the broker writes instead (`<first log dir>/tier-status.json`, after every tiering round and at
// shutdown), so it also works while the broker is down, showing the last state it recorded and
// how old that is. A properties file or an --override implies --offline.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { TierStatus } from '../../storage/tier/tier-status.js';
import { loadBrokerConfig } from '../config/broker-config.js';
import { ConfigError } from '../config/errors.js';
import { parseStartArgs } from './start.js';
import type { CliDeps } from './main.js';
import { TIER_STATUS_FILE, formatTierStatus } from '../tier/status-file.js';
import { SECURITY_VALUES } from './client-security.js';
import { queryTierStatus, TIER_STATUS_KEY } from './tier-status-query.js';
import { runClientCommand, UsageError, withAdmin } from './client/common.js';

export const TIER_USAGE = 'tier status [--bootstrap-server host:port] [--command-config FILE] [--offline [server.properties] [--override key=value ...]] [--json]';

/** Asks every broker of the cluster for its tier status and merges their partitions. */
function networkStatus(args: readonly string[], deps: CliDeps): Promise<number> {
  // The client commands' one parser: --bootstrap-server, --json and the TLS/SASL flags.
  return runClientCommand('tier status', TIER_USAGE, args, deps, { values: [], booleans: [] }, async (p) => {
    if (p.positional.length > 0) throw new UsageError(`unexpected argument '${p.positional[0]}'`);
    return withAdmin(p, deps, async (admin, kafka) => {
      const status = await queryTierStatus(admin, kafka);
      if (!status) {
        deps.stderr(`tributary tier status: the cluster does not report ${TIER_STATUS_KEY} (not a Tributary broker?); try --offline on the broker's machine\n`);
        return 1;
      }
      deps.stdout(p.booleans.has('json') ? JSON.stringify(status, null, 2) + '\n' : formatTierStatus(status, Date.now()));
      return 0;
    });
  });
}

/** The flags that take a value: their values are not a properties file (which means --offline). */
const NETWORK_VALUE_FLAGS = new Set(['--bootstrap-server', ...SECURITY_VALUES.map((f) => `--${f}`)]);

export async function runTierCommand(args: readonly string[], deps: CliDeps): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'status') {
    deps.stderr(`tributary tier: expected 'status', got ${sub === undefined ? 'nothing' : `'${sub}'`}\nUsage: tributary ${TIER_USAGE}\n`);
    return 2;
  }
  const json = rest.includes('--json');
  const offline = rest.includes('--offline') || rest.some((a, i) => a.startsWith('--override') || (!a.startsWith('-') && !NETWORK_VALUE_FLAGS.has(rest[i - 1] ?? '')));
  if (!offline) return networkStatus(rest, deps);
  const parsed = parseStartArgs(rest.filter((a) => a !== '--json' && a !== '--offline'));
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
