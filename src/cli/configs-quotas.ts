// The client-quota half of `tributary configs` (kafka-configs.sh's flags and output):
//
//   tributary configs ... --alter --entity-type users --entity-name alice --add-config producer_byte_rate=1024
//   tributary configs ... --alter --entity-type clients --entity-default --add-config consumer_byte_rate=2048
//   tributary configs ... --alter --user alice --client app --delete-config producer_byte_rate
//   tributary configs ... --describe --entity-type users [--entity-name alice | --entity-default]
//
// The entity is --entity-type users|clients|ips with --entity-name or --entity-default, or
// kafka-configs's --user/--client/--ip (and --user-defaults/--client-defaults/--ip-defaults) for a
// user + client-id pair. The broker validates keys and values (AlterClientQuotas).
// Types only at load: the client library is imported when a quota command runs (see configs.ts).
import type { Connection } from '@platformatic/kafka';
import type { ParsedArgs } from './cli-args.js';

export const QUOTA_KEYS = new Set(['producer_byte_rate', 'consumer_byte_rate', 'request_percentage', 'controller_mutation_rate', 'connection_creation_rate']);

const TYPE_OF_FLAG: Record<string, string> = { users: 'user', clients: 'client-id', ips: 'ip' };
const LABEL: Record<string, string> = { user: 'user-principal', 'client-id': 'client-id', ip: 'ip' };

/**
 * type -> name, in kafka-configs's user, client-id, ip order. null: the type's default entity;
 * undefined: the type alone (--entity-type without a name: describe every entity of it).
 */
export type QuotaEntityPairs = [string, string | null | undefined][];

/** The entity the flags name, or why they do not name one. */
export function quotaEntityFromFlags(p: ParsedArgs): QuotaEntityPairs | { error: string } {
  const pairs = new Map<string, string | null | undefined>();
  const type = p.flags.get('entity-type');
  if (type !== undefined) {
    const t = TYPE_OF_FLAG[type];
    if (!t) return { error: `--entity-type must be users, clients or ips (got '${type}')` };
    const name = p.flags.get('entity-name');
    if (name !== undefined && p.booleans.has('entity-default')) return { error: '--entity-name and --entity-default are exclusive' };
    pairs.set(t, name !== undefined ? name : p.booleans.has('entity-default') ? null : undefined);
  }
  for (const [flag, t] of [['user', 'user'], ['client', 'client-id'], ['ip', 'ip']] as const) {
    const name = p.flags.get(flag);
    const dflt = p.booleans.has(`${flag}-defaults`);
    if (name === undefined && !dflt) continue;
    if (pairs.has(t)) return { error: `the ${LABEL[t]} is given twice` };
    pairs.set(t, name ?? null);
  }
  if (pairs.size === 0) return { error: '--entity-type (or --user / --client / --ip) is required' };
  return ['user', 'client-id', 'ip'].filter((t) => pairs.has(t)).map((t) => [t, pairs.get(t)]);
}

/** Whether a pair names no entity, only its type (--entity-type without a name or --entity-default). */
const typeOnly = (name: string | null | undefined) => name === undefined;

/** "producer_byte_rate=1024" entries (already split) into key -> value. */
export function quotaValues(entries: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of entries) {
    const eq = e.indexOf('=');
    const key = e.slice(0, eq).trim();
    const value = Number(e.slice(eq + 1));
    if (eq < 0 || e.slice(eq + 1).trim() === '' || !Number.isFinite(value)) throw new Error(`${key || e}: a quota needs a numeric value (key=value)`);
    out.set(key, value);
  }
  return out;
}

/** Sets and removes quotas of one entity; returns the broker's error message, or null. */
export async function alterQuotas(conn: Connection, entity: QuotaEntityPairs, set: ReadonlyMap<string, number>, remove: readonly string[]): Promise<string | null> {
  if (entity.some(([, n]) => typeOnly(n))) return '--alter needs --entity-name or --entity-default';
  const { alterClientQuotasV1 } = await import('@platformatic/kafka');
  const ops = [
    ...[...set].map(([key, value]) => ({ key: key as never, value, remove: false as const })),
    ...remove.map((key) => ({ key: key as never, remove: true as const })),
  ];
  const entities = entity.map(([entityType, entityName]) => ({ entityType: entityType as never, entityName: entityName ?? null }));
  let res;
  try {
    res = await alterClientQuotasV1.api.async(conn, [{ entities, ops }], false);
  } catch (err) {
    // The client throws on an error code; the response it carries has the broker's message.
    res = (err as { response?: Awaited<ReturnType<typeof alterClientQuotasV1.api.async>> }).response;
    if (!res) throw err;
  }
  const failed = res.entries.find((e) => e.errorCode !== 0);
  return failed ? (failed.errorMessage ?? `error code ${failed.errorCode}`) : null;
}

/** kafka-configs's "Quota configs for user-principal 'alice', client-id 'app' are k=v, ..." lines. */
export async function describeQuotas(conn: Connection, entity: QuotaEntityPairs): Promise<string[]> {
  const { describeClientQuotasV0 } = await import('@platformatic/kafka');
  const components = entity.map(([entityType, name]) =>
    typeOnly(name)
      ? { entityType: entityType as never, matchType: 2 as const }
      : name === null
        ? { entityType: entityType as never, matchType: 1 as const }
        : { entityType: entityType as never, matchType: 0 as const, match: name },
  );
  const entries = (await describeClientQuotasV0.api.async(conn, components, true)).entries ?? [];
  return entries
    .map((e) => {
      const byType = new Map(e.entity.map((x) => [x.entityType as string, x.entityName]));
      const who = ['user', 'client-id', 'ip']
        .filter((t) => byType.has(t))
        .map((t) => (byType.get(t) === null ? `the default ${LABEL[t]}` : `${LABEL[t]} '${byType.get(t)}'`))
        .join(', ');
      const values = [...e.values]
        .sort((a, b) => (a.key < b.key ? -1 : 1))
        .map((v) => `${v.key}=${Number.isInteger(v.value) ? v.value.toFixed(1) : v.value}`)
        .join(', ');
      return `Quota configs for ${who} are ${values}`;
    })
    .sort();
}

/** "user alice", "client app", "default user" for the completion line. */
export function describeAltered(entity: QuotaEntityPairs): string {
  const word: Record<string, string> = { user: 'user', 'client-id': 'client', ip: 'ip' };
  return entity.map(([t, n]) => (n === null ? `default ${word[t]}` : `${word[t]} ${n}`)).join(' ');
}
