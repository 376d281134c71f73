// `tributary configs ...`: SCRAM users and client quotas (configs-quotas.ts), with
// kafka-configs.sh's flags and output, so the commands people already run against Kafka work here too:
//
//   tributary configs --bootstrap-server 127.0.0.1:9092 --alter --entity-type users --entity-name alice \
//     --add-config 'SCRAM-SHA-256=[iterations=8192,password=alice-secret],SCRAM-SHA-512=[password=alice-secret]'
//   tributary configs ... --alter --entity-type users --entity-name alice --delete-config SCRAM-SHA-512
//   tributary configs ... --describe --entity-type users [--entity-name alice]
//   tributary configs ... --alter --entity-type users --entity-name alice --add-config producer_byte_rate=1024
//
// As the Java admin client, the password is salted and hashed here (PBKDF2 = SCRAM's Hi()) and
// only salt + salted password travel (AlterUserScramCredentials); the broker keeps derived keys.
// --command-config FILE or --tls/--ca/--user/... give the client's security settings (see client-security.ts).
import { pbkdf2Sync, randomBytes } from 'node:crypto';
// The client library loads only when the command runs: main.ts imports this module for every
// `tributary` command, and @platformatic/kafka took ~0.6 s of CPU to load at each broker start.
import type { Connection } from '@platformatic/kafka';
import { scramMechanism, type ScramMechanismInfo } from '../auth/scram.js';
import { bootstrapList, parseFlags } from './cli-args.js';
import { alterQuotas, describeAltered, describeQuotas, QUOTA_KEYS, quotaEntityFromFlags, quotaValues } from './configs-quotas.js';
import { clientSecurityFromFlags, SECURITY_BOOLEANS, SECURITY_VALUES } from './client-security.js';
import type { CliDeps } from './main.js';

export const CONFIGS_USAGE =
  "configs --bootstrap-server host:port [--command-config client.properties] (--describe | --alter) (--entity-type users|clients|ips [--entity-name NAME | --entity-default] | --user NAME --client NAME | --user-defaults | --client-defaults | --ip NAME) [--add-config 'SCRAM-SHA-256=[iterations=N,password=P],producer_byte_rate=1024'] [--delete-config SCRAM-SHA-256,producer_byte_rate]";

const DEFAULT_ITERATIONS = 4096;

interface Upsertion {
  name: string;
  mechanism: number;
  iterations: number;
  salt: Buffer;
  saltedPassword: Buffer;
}

/** Splits "a=[x,y],b=c" at the commas outside brackets, as kafka-configs does. */
export function splitConfigList(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '[') depth++;
    if (ch === ']') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

/** "SCRAM-SHA-256=[iterations=8192,password=secret]" entries into upsertions for one user. */
export function scramUpsertions(user: string, addConfig: string): Upsertion[] {
  return splitConfigList(addConfig).map((entry) => {
    const eq = entry.indexOf('=');
    const mechanism = scramMechanism(eq < 0 ? entry : entry.slice(0, eq));
    if (!mechanism) throw new Error(`unknown config '${entry.split('=')[0]}': only SCRAM-SHA-256 and SCRAM-SHA-512 are supported for users`);
    const body = entry.slice(eq + 1).trim();
    if (!body.startsWith('[') || !body.endsWith(']')) throw new Error(`${mechanism.name} needs a value of the form [iterations=N,password=P]`);
    const opts = new Map<string, string>();
    for (const kv of splitConfigList(body.slice(1, -1))) {
      const i = kv.indexOf('=');
      if (i < 0) throw new Error(`${mechanism.name}: '${kv}' is not key=value`);
      opts.set(kv.slice(0, i).trim(), kv.slice(i + 1));
    }
    const password = opts.get('password');
    if (!password) throw new Error(`${mechanism.name}: password is required`);
    const iterations = opts.has('iterations') ? Number(opts.get('iterations')) : DEFAULT_ITERATIONS;
    if (!Number.isInteger(iterations)) throw new Error(`${mechanism.name}: iterations must be an integer`);
    return saltedUpsertion(user, mechanism, password, iterations);
  });
}

function saltedUpsertion(name: string, m: ScramMechanismInfo, password: string, iterations: number): Upsertion {
  const salt = randomBytes(32);
  const keyLength = m.hash === 'sha256' ? 32 : 64;
  const saltedPassword = pbkdf2Sync(Buffer.from(password.normalize('NFKC'), 'utf8'), salt, Math.max(1, iterations), keyLength, m.hash);
  return { name, mechanism: m.type, iterations, salt, saltedPassword };
}

export async function runConfigsCommand(args: readonly string[], deps: CliDeps): Promise<number> {
  const parsed = parseFlags(args, {
    // --user/--client/--ip name quota entities here, as in kafka-configs; SASL credentials come from
    // --command-config (or --sasl-mechanism with --password and the file's username).
    values: ['bootstrap-server', ...SECURITY_VALUES.filter((f) => f !== 'user'), 'entity-type', 'entity-name', 'add-config', 'delete-config', 'user', 'client', 'ip'],
    booleans: ['describe', 'alter', 'entity-default', 'user-defaults', 'client-defaults', 'ip-defaults', ...SECURITY_BOOLEANS],
  });
  const usage = (msg: string) => {
    deps.stderr(`tributary configs: ${msg}\nUsage: tributary ${CONFIGS_USAGE}\n`);
    return 2;
  };
  if ('error' in parsed) return usage(parsed.error);
  const describe = parsed.booleans.has('describe');
  const alter = parsed.booleans.has('alter');
  if (describe === alter) return usage('exactly one of --describe and --alter is required');
  const entity = quotaEntityFromFlags(parsed);
  if ('error' in entity) return usage(entity.error);
  // SCRAM credentials belong to one named user; quotas to any user / client-id / ip entity.
  const scramUser = entity.length === 1 && entity[0]![0] === 'user' && typeof entity[0]![1] === 'string' ? entity[0]![1] : null;
  const user = scramUser ?? undefined;
  const add = parsed.flags.get('add-config');
  const del = parsed.flags.get('delete-config');
  if (alter && !add && !del) return usage('--alter needs --add-config and/or --delete-config');

  let upsertions: Upsertion[] = [];
  let deletions: { name: string; mechanism: number }[] = [];
  let quotaSets = new Map<string, number>();
  let quotaRemovals: string[] = [];
  try {
    const isQuota = (entry: string) => QUOTA_KEYS.has(entry.split('=')[0]!.trim());
    const addEntries = add ? splitConfigList(add) : [];
    const delEntries = del ? splitConfigList(del) : [];
    quotaSets = quotaValues(addEntries.filter(isQuota));
    quotaRemovals = delEntries.filter(isQuota);
    const scramAdd = addEntries.filter((e) => !isQuota(e));
    const scramDel = delEntries.filter((e) => !isQuota(e));
    if ((scramAdd.length > 0 || scramDel.length > 0) && scramUser === null) {
      return usage(`unknown config '${(scramAdd[0] ?? scramDel[0])!.split('=')[0]}': only quotas (${[...QUOTA_KEYS].join(', ')}) apply to this entity`);
    }
    if (scramAdd.length > 0) upsertions = scramUpsertions(user!, scramAdd.join(','));
    deletions = scramDel.map((name) => {
      const m = scramMechanism(name);
      if (!m) throw new Error(`unknown config '${name}' for --delete-config`);
      return { name: user!, mechanism: m.type };
    });
  } catch (err) {
    return usage((err as Error).message);
  }

  const [first] = bootstrapList(parsed.flags.get('bootstrap-server'), deps.env);
  const colon = first!.lastIndexOf(':');
  let conn: Connection | null = null;
  try {
    const securityFlags = { flags: new Map([...parsed.flags].filter(([k]) => k !== 'user')), booleans: parsed.booleans };
    const { alterUserScramCredentialsV0, Connection, describeUserScramCredentialsV0 } = await import('@platformatic/kafka');
    conn = new Connection('tributary-configs', { ...clientSecurityFromFlags(securityFlags, deps.env), connectTimeout: 10_000 });
    await conn.connect(first!.slice(0, colon), Number(first!.slice(colon + 1)));
    if (alter && (quotaSets.size > 0 || quotaRemovals.length > 0)) {
      const error = await alterQuotas(conn, entity, quotaSets, quotaRemovals);
      if (error !== null) {
        deps.stderr(`Error while updating quotas of ${describeAltered(entity)}: ${error}\n`);
        return 1;
      }
      if (upsertions.length === 0 && deletions.length === 0) {
        deps.stdout(`Completed updating config for ${describeAltered(entity)}.\n`);
        return 0;
      }
    }
    if (alter) {
      // One request per change: Kafka refuses to alter one user twice in the same request, and
      // `--add-config 'SCRAM-SHA-256=[...],SCRAM-SHA-512=[...]'` names two credentials of one user.
      const changes = [...deletions.map((d) => ({ deletions: [d], upsertions: [] })), ...upsertions.map((u) => ({ deletions: [], upsertions: [u] }))];
      for (const change of changes) {
        const res = await withErrors(alterUserScramCredentialsV0.api.async(conn, change.deletions, change.upsertions));
        const failed = res.results.filter((r) => r.errorCode !== 0);
        if (failed.length > 0) {
          for (const r of failed) deps.stderr(`Error while updating SCRAM credentials of user ${r.user}: ${r.errorMessage ?? `error code ${r.errorCode}`}\n`);
          return 1;
        }
      }
      deps.stdout(`Completed updating config for user ${user}.\n`);
      return 0;
    }
    for (const line of await describeQuotas(conn, entity)) deps.stdout(`${line}\n`);
    // SCRAM credentials: users only (one named user, or all of them).
    if (!(entity.length === 1 && entity[0]![0] === 'user' && entity[0]![1] !== null)) return 0;
    const res = await withErrors(describeUserScramCredentialsV0.api.async(conn, user ? [{ name: user }] : []));
    if (res.errorCode !== 0) throw new Error(res.errorMessage ?? `error code ${res.errorCode}`);
    for (const r of res.results) {
      if (r.errorCode !== 0) {
        // Kafka prints nothing for a user without credentials.
        if (r.errorCode === 91) continue;
        deps.stderr(`Error describing user ${r.user}: ${r.errorMessage}\n`);
        return 1;
      }
      const infos = r.credentialInfos.map((c) => `${scramMechanism(c.mechanism)?.name ?? c.mechanism}=iterations=${c.iterations}`).join(', ');
      deps.stdout(`SCRAM credential configs for user-principal '${r.user}' are ${infos}\n`);
    }
    return 0;
  } catch (err) {
    deps.stderr(`tributary configs: ${(err as Error).message}\n`);
    return 1;
  } finally {
    await conn?.close().catch(() => {});
  }
}

/** The client throws on any per-user error code; the response it carries is what we report from. */
async function withErrors<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    const response = (err as { response?: T }).response;
    if (response && typeof response === 'object' && 'results' in response) return response;
    throw err;
  }
}
