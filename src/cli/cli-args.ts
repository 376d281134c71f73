// A small flag parser for the client-side commands (aggregations, contribute):
// `--name value`, `--name=value`, boolean flags, and positional arguments.

export interface ParsedArgs {
  positional: string[];
  flags: Map<string, string>;
  booleans: Set<string>;
}

export function parseFlags(args: readonly string[], spec: { values: readonly string[]; booleans: readonly string[] }): ParsedArgs | { error: string } {
  const out: ParsedArgs = { positional: [], flags: new Map(), booleans: new Set() };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('--')) {
      out.positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
    if (spec.booleans.includes(name)) {
      if (eq >= 0) return { error: `--${name} takes no value` };
      out.booleans.add(name);
    } else if (spec.values.includes(name)) {
      const v = eq >= 0 ? a.slice(eq + 1) : args[++i];
      if (v === undefined) return { error: `--${name} needs a value` };
      out.flags.set(name, v);
    } else return { error: `unknown option --${name}` };
  }
  return out;
}

export function intFlag(p: ParsedArgs, name: string, dflt: number): number | { error: string } {
  const v = p.flags.get(name);
  if (v === undefined) return dflt;
  const n = Number(v);
  return Number.isInteger(n) && n >= 0 ? n : { error: `--${name} must be a non-negative integer` };
}

export function bootstrapList(v: string | undefined, env: NodeJS.ProcessEnv): string[] {
  return (v ?? env.TRIBUTARY_BOOTSTRAP_SERVER ?? '127.0.0.1:9092')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
