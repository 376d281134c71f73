// Shared plumbing of the client-side commands (topic, produce, consume, group, cluster, bench):
// connecting with @platformatic/kafka to any Kafka-compatible cluster, printing tables or JSON,
// and turning client errors into one readable line.
//
// Exit codes, the same for every command: 0 ok, 1 failure (including an error from the
// cluster), 2 usage.
import type { ConnectionOptions } from '@platformatic/kafka';
import { bootstrapList, parseFlags, type ParsedArgs } from '../cli-args.js';
import { clientSecurityFromFlags, SECURITY_BOOLEANS, SECURITY_VALUES } from '../client-security.js';
import type { CliDeps } from '../main.js';

export type Kafka = typeof import('@platformatic/kafka');
export const loadKafka = (): Promise<Kafka> => import('@platformatic/kafka');

export const BOOTSTRAP_HELP = ['--bootstrap-server host:port', 'Broker(s) to talk to, comma-separated (env TRIBUTARY_BOOTSTRAP_SERVER; default 127.0.0.1:9092)'] as const;
export const JSON_HELP = ['--json', 'Print JSON instead of a table'] as const;
export { SECURITY_HELP } from '../client-security.js';

/** Thrown for a usage mistake found after parsing (exit code 2). */
export class UsageError extends Error {}

export function baseOptions(p: ParsedArgs, env: NodeJS.ProcessEnv, clientId: string): ConnectionOptions & { clientId: string; bootstrapBrokers: string[]; timeout: number; retries: number } {
  return {
    // TLS / SASL from --command-config and the short flags (--tls, --ca, --user, ...).
    ...clientSecurityFromFlags(p, env),
    clientId,
    bootstrapBrokers: bootstrapList(p.flags.get('bootstrap-server'), env),
    connectTimeout: 5_000,
    timeout: 15_000,
    retries: 1,
  };
}

/** One line naming the Kafka error (code name and message), the nested causes included. */
export function errorText(e: unknown): string {
  const err = e as { message?: string; errors?: unknown[]; apiCode?: number; apiId?: string; cause?: unknown };
  const parts: string[] = [];
  // The client wraps per-resource errors in a generic 'Received response with error ...': the
  // inner ones say what went wrong (TOPIC_ALREADY_EXISTS: ...).
  const generic = (err?.errors?.length ?? 0) > 0 && /^Received response with error|^Multiple errors/.test(err?.message ?? '');
  if (!generic && err?.apiId) parts.push(`${err.apiId}: ${err.message ?? ''}`.trim());
  else if (!generic && err?.message) parts.push(err.message);
  for (const inner of err?.errors ?? []) {
    const t = errorText(inner);
    if (t && !parts.includes(t)) parts.push(t);
  }
  if (parts.length === 0 && err?.cause) return errorText(err.cause);
  // 'Connection to host:port failed.' says where; its cause says why (TLS handshake, SASL
  // authentication failed, ECONNREFUSED).
  if (err?.cause && /^Connection to .* failed/.test(err.message ?? '')) {
    const why = errorText(err.cause);
    if (why && !parts.includes(why)) parts.push(why);
  }
  return parts.join('; ') || String(e);
}

/** Runs a subcommand: parse flags, catch usage and cluster errors, map them to exit codes. */
export async function runClientCommand(
  name: string,
  usage: string,
  args: readonly string[],
  deps: CliDeps,
  spec: { values: readonly string[]; booleans: readonly string[]; repeated?: readonly string[] },
  body: (p: ParsedArgs, repeated: Map<string, string[]>) => Promise<number>,
): Promise<number> {
  const repeatedNames = spec.repeated ?? [];
  const repeated = new Map<string, string[]>(repeatedNames.map((n) => [n, []]));
  const rest: string[] = [];
  // Repeatable flags (-H k=v, --config k=v) are pulled out before the single-value parser.
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const alias = a === '-H' ? 'header' : a === '-c' ? 'config' : null;
    const flag = alias ?? (a.startsWith('--') ? a.slice(2).split('=')[0]! : '');
    if (repeatedNames.includes(flag)) {
      const eq = a.indexOf('=');
      const v = !alias && eq >= 0 ? a.slice(eq + 1) : args[++i];
      if (v === undefined) return usageExit(deps, name, usage, `--${flag} needs a value`);
      repeated.get(flag)!.push(v);
    } else rest.push(a);
  }
  const parsed = parseFlags(rest, { values: ['bootstrap-server', ...SECURITY_VALUES, ...spec.values], booleans: ['json', ...SECURITY_BOOLEANS, ...spec.booleans] });
  if ('error' in parsed) return usageExit(deps, name, usage, parsed.error);
  try {
    // Bad security settings are a usage mistake (exit 2), found before connecting.
    try {
      clientSecurityFromFlags(parsed, deps.env);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    return await body(parsed, repeated);
  } catch (e) {
    if (e instanceof UsageError) return usageExit(deps, name, usage, e.message);
    deps.stderr(`tributary ${name}: ${errorText(e)}\n`);
    return 1;
  }
}

export function usageExit(deps: CliDeps, name: string, usage: string, msg: string): number {
  deps.stderr(`tributary ${name}: ${msg}\nUsage: tributary ${usage}\nRun 'tributary ${name.split(' ')[0]} --help' for the options.\n`);
  return 2;
}

export function intOption(p: ParsedArgs, name: string, dflt: number, min = 0): number {
  const v = p.flags.get(name);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer >= ${min}`);
  return n;
}

/** `10s`, `500ms`, `2m`, or a number of seconds. */
export function durationOption(p: ParsedArgs, name: string, dfltMs: number): number {
  const v = p.flags.get(name);
  if (v === undefined) return dfltMs;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(v);
  if (!m) throw new UsageError(`--${name} must be a duration such as 10s, 500ms or 2m`);
  const mult = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(m[1]) * mult);
}

export function printJson(deps: CliDeps, value: unknown): void {
  deps.stdout(JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? Number(v) : v instanceof Map ? Object.fromEntries(v) : v), 2) + '\n');
}

/** A plain aligned table, kcat/rpk style: upper-case headers, two spaces between columns. */
export function table(headers: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const cells = [headers.map(String), ...rows.map((r) => r.map((c) => (c === null || c === undefined ? '-' : String(c))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n') + '\n';
}

export async function withAdmin<T>(p: ParsedArgs, deps: CliDeps, fn: (admin: import('@platformatic/kafka').Admin, kafka: Kafka) => Promise<T>): Promise<T> {
  const kafka = await loadKafka();
  const admin = new kafka.Admin(baseOptions(p, deps.env, 'tributary-cli'));
  try {
    return await fn(admin, kafka);
  } finally {
    await admin.close().catch(() => undefined);
  }
}

/** Parses `key=value`, the value may hold '='. */
export function keyValue(s: string, what: string): [string, string] {
  const eq = s.indexOf('=');
  if (eq <= 0) throw new UsageError(`${what} must be key=value, got '${s}'`);
  return [s.slice(0, eq), s.slice(eq + 1)];
}
