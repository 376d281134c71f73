// The layering of issue 12, checked on every import of protocol/, storage/, src/, bin/ and
// contribute/ (static, `export … from`, dynamic `import('…')`):
//   protocol <- storage <- src; coordinators and the aggregation stage never import handlers;
//   only bin/ (and cli/ itself) imports src/cli; only the wiring files import src/broker.ts;
//   no import cycle between src/coordinator/group and src/coordinator/txn; the partner-side
//   contribute/ tool is imported only by the CLI.
// Violations that still exist are listed in PENDING; an entry that no longer occurs fails as
// stale, so the list can only shrink. Remove the entry in the same change that removes the import.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type ImportEdge, importGraph, specifiersOf } from './imports.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCANNED = ['protocol', 'storage', 'src', 'bin', 'contribute'];

/** Files allowed to import src/broker.ts: it is wiring, and the public entry points build it. */
const WIRING = new Set(['src/broker.ts', 'src/index.ts', 'src/testing.ts', 'src/embedded.ts']);

const under = (file: string, dir: string) => file === dir || file.startsWith(`${dir}/`);

interface Rule {
  name: string;
  breaks(e: ImportEdge, edges: readonly ImportEdge[]): boolean;
}

const crosses = (edges: readonly ImportEdge[], fromDir: string, toDir: string) =>
  edges.some((e) => under(e.from, fromDir) && under(e.to, toDir));

export const RULES: readonly Rule[] = [
  { name: 'protocol imports neither storage nor src', breaks: (e) => under(e.from, 'protocol') && (under(e.to, 'storage') || under(e.to, 'src') || under(e.to, 'contribute')) },
  { name: 'storage does not import src', breaks: (e) => under(e.from, 'storage') && (under(e.to, 'src') || under(e.to, 'contribute')) },
  {
    name: 'coordinators and the aggregation stage do not import handlers',
    breaks: (e) => (under(e.from, 'src/coordinator') || under(e.from, 'src/aggregation')) && under(e.to, 'src/handlers'),
  },
  { name: 'only bin/ and src/cli import src/cli', breaks: (e) => under(e.to, 'src/cli') && !under(e.from, 'bin') && !under(e.from, 'src/cli') },
  { name: 'only the wiring files import src/broker.ts', breaks: (e) => e.to === 'src/broker.ts' && !WIRING.has(e.from) },
  {
    // Either direction alone is a layering choice; both together are the circle issue 12 breaks.
    name: 'no import cycle between src/coordinator/group and src/coordinator/txn',
    breaks: (e, all) =>
      ((under(e.from, 'src/coordinator/group') && under(e.to, 'src/coordinator/txn')) ||
        (under(e.from, 'src/coordinator/txn') && under(e.to, 'src/coordinator/group'))) &&
      crosses(all, 'src/coordinator/group', 'src/coordinator/txn') &&
      crosses(all, 'src/coordinator/txn', 'src/coordinator/group'),
  },
  { name: 'only the CLI (src/cli) imports the contribute/ tool', breaks: (e) => under(e.to, 'contribute') && under(e.from, 'src') && !under(e.from, 'src/cli') },
  {
    name: 'contribute/ imports from src only the aggregation record format and client settings',
    breaks: (e) => under(e.from, 'contribute') && under(e.to, 'src') && !under(e.to, 'src/aggregation'),
  },
];

const key = (e: ImportEdge, rule: string) => `${e.from} -> ${e.specifier} [${rule}]`;

/**
 * Violations being removed. Empty since issue 12 landed: keep it so. Format: `file -> specifier [rule]`.
 * Only delete lines from here; a new violation is fixed, not listed.
 */
const PENDING: readonly string[] = [];

/**
 * A path of imports from a file under `fromDir` to one under `toDir`, through any files but the
 * wiring ones (broker.ts imports everything; its importers are a rule of their own), or null.
 */
export function importPath(edges: readonly ImportEdge[], fromDir: string, toDir: string): string[] | null {
  const next = new Map<string, string[]>();
  for (const e of edges) if (!WIRING.has(e.to)) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  const prev = new Map<string, string>();
  const queue = [...new Set(edges.map((e) => e.from).filter((f) => under(f, fromDir)))];
  const seen = new Set(queue);
  while (queue.length > 0) {
    const f = queue.shift()!;
    for (const t of next.get(f) ?? []) {
      if (seen.has(t)) continue;
      seen.add(t);
      prev.set(t, f);
      if (under(t, toDir)) {
        const path = [t];
        for (let p = prev.get(t); p !== undefined; p = prev.get(p)) path.unshift(p);
        return path;
      }
      queue.push(t);
    }
  }
  return null;
}

const TRANSITIVE_CYCLE = 'src/coordinator/group <-> src/coordinator/txn [no import cycle through other files either]';

function violations(): { found: string[]; detail: Map<string, string> } {
  const edges = importGraph(ROOT, SCANNED);
  const out: string[] = [];
  const detail = new Map<string, string>();
  for (const e of edges) for (const r of RULES) if (r.breaks(e, edges)) out.push(key(e, r.name));
  // The direct rule above names each edge; this one catches a circle through a third folder.
  const there = importPath(edges, 'src/coordinator/group', 'src/coordinator/txn');
  const back = importPath(edges, 'src/coordinator/txn', 'src/coordinator/group');
  if (there && back) {
    out.push(TRANSITIVE_CYCLE);
    detail.set(TRANSITIVE_CYCLE, `${there.join(' -> ')}  and back:  ${back.join(' -> ')}`);
  }
  return { found: [...new Set(out)].sort(), detail };
}

describe('layering (issue 12)', () => {
  it('parses static, export-from, side-effect and dynamic imports, and skips comments', () => {
    const src = [
      "import { a } from './a.js';",
      "import type {\n  B,\n  C,\n} from '../b.js';",
      "export * from './c.js';",
      "export { d } from './d.js';",
      "import './e.js';",
      "const f = await import('./f.js');",
      "const g = await import(name);",
      "// import { x } from './commented.js';",
      "/* import('./block.js') */",
      "const s = \"import { y } from './in-string.js'\";",
    ].join('\n');
    const found = specifiersOf(src);
    expect(found).toEqual(expect.arrayContaining(['./a.js', '../b.js', './c.js', './d.js', './e.js', './f.js']));
    expect(found).not.toContain('./commented.js');
    expect(found).not.toContain('./block.js');
  });

  it('sees the real graph (guards against a parser that finds nothing)', () => {
    const edges = importGraph(ROOT, SCANNED);
    expect(edges.length).toBeGreaterThan(1000);
    expect(edges).toContainEqual({ from: 'src/cli/contribute.ts', specifier: '../../contribute/chart.js', to: 'contribute/chart.ts' });
    // The rules themselves fire on a violating edge.
    const fake = { from: 'storage/log/x.ts', specifier: '../../src/broker.js', to: 'src/broker.ts' };
    expect(RULES.filter((r) => r.breaks(fake, [fake])).map((r) => r.name)).toEqual([
      'storage does not import src',
      'only the wiring files import src/broker.ts',
    ]);
  });

  it('finds an import circle between group and txn through a third folder', () => {
    const e = (from: string, to: string) => ({ from, specifier: to, to });
    const edges = [e('src/coordinator/group/a.ts', 'src/coordinator/common/c.ts'), e('src/coordinator/common/c.ts', 'src/coordinator/txn/t.ts'), e('src/coordinator/txn/t.ts', 'src/coordinator/group/b.ts')];
    expect(importPath(edges, 'src/coordinator/group', 'src/coordinator/txn')).toEqual(['src/coordinator/group/a.ts', 'src/coordinator/common/c.ts', 'src/coordinator/txn/t.ts']);
    expect(importPath(edges, 'src/coordinator/txn', 'src/coordinator/group')).toEqual(['src/coordinator/txn/t.ts', 'src/coordinator/group/b.ts']);
    // Not through the wiring: broker.ts imports both sides.
    expect(importPath([e('src/coordinator/group/a.ts', 'src/broker.ts'), e('src/broker.ts', 'src/coordinator/txn/t.ts')], 'src/coordinator/group', 'src/coordinator/txn')).toBeNull();
  });

  it('no import breaks the layering, except the PENDING list, which has no stale entries', () => {
    const { found, detail } = violations();
    if (process.env.PRINT_LAYERING) console.log(found.map((v) => `  ${JSON.stringify(v)},`).join('\n'));
    const pending = new Set(PENDING);
    const fresh = found.filter((v) => !pending.has(v));
    const stale = PENDING.filter((v) => !found.includes(v));
    const report = [
      ...fresh.map((v) => `NEW violation (fix the import; do not add it to PENDING): ${v}${detail.has(v) ? ` (${detail.get(v)})` : ''}`),
      ...stale.map((v) => `STALE PENDING entry (the import is gone: delete this line from PENDING): ${v}`),
    ];
    expect(report, `\n${report.join('\n')}\n`).toEqual([]);
  });
});
