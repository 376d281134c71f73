// Reads the import graph of the repository's own code for the layering test: every static import,
// `export … from` and dynamic `import('…')` with a literal specifier, resolved to a repo-relative
// path. A regex over comment-free text is enough here: the code is ours and uses literal
// specifiers; a computed `import(x)` (bin/tributary.js) has no edge to check.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

export interface ImportEdge {
  /** Importing file, repo-relative with forward slashes. */
  from: string;
  /** The specifier as written. */
  specifier: string;
  /** The file it resolves to, repo-relative (the specifier itself for packages and node: modules). */
  to: string;
}

const SOURCE = /\.(ts|mts|js|mjs)$/;

export function listSources(root: string, dirs: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    const abs = path.join(root, rel);
    if (!existsSync(abs)) return;
    for (const name of readdirSync(abs)) {
      if (name === 'node_modules' || name.startsWith('.')) continue;
      const child = `${rel}/${name}`;
      if (statSync(path.join(root, child)).isDirectory()) walk(child);
      else if (SOURCE.test(name) && !name.endsWith('.d.ts')) out.push(child);
    }
  };
  for (const d of dirs) walk(d);
  return out.sort();
}

/** Blanks out comments (keeping string and template literals intact), so commented-out imports don't count. */
export function stripComments(src: string): string {
  let out = '';
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    const n = src[i + 1];
    if (c === '/' && n === '/') {
      while (i < src.length && src[i] !== '\n') i++;
    } else if (c === '/' && n === '*') {
      const end = src.indexOf('*/', i + 2);
      const stop = end === -1 ? src.length : end + 2;
      out += src.slice(i, stop).replace(/[^\n]/g, ' ');
      i = stop;
    } else if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\\') j++;
        else if (c !== '`' && src[j] === '\n') break;
        j++;
      }
      out += src.slice(i, j + 1);
      i = j + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

const PATTERNS = [
  /\b(?:import|export)\s[^;'"`]*?\bfrom\s*(['"])([^'"]+)\1/g, // import x from '…', import type {…} from '…', export * from '…'
  /\bimport\s*(['"])([^'"]+)\1/g, // import '…' (side effect)
  /\bimport\s*\(\s*(['"])([^'"]+)\1\s*[,)]/g, // import('…')
];

export function specifiersOf(source: string): string[] {
  const text = stripComments(source);
  const found: string[] = [];
  for (const re of PATTERNS) for (const m of text.matchAll(re)) found.push(m[2]!);
  return [...new Set(found)];
}

function resolve(root: string, from: string, specifier: string): string {
  if (!specifier.startsWith('.')) return specifier;
  const rel = path.posix.normalize(path.posix.join(path.posix.dirname(from), specifier));
  // NodeNext: sources import './x.js' for x.ts.
  for (const candidate of [rel, rel.replace(/\.js$/, '.ts'), rel.replace(/\.mjs$/, '.mts'), `${rel}/index.ts`]) {
    if (existsSync(path.join(root, candidate)) && statSync(path.join(root, candidate)).isFile()) return candidate;
  }
  return rel;
}

export function importGraph(root: string, dirs: readonly string[]): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const from of listSources(root, dirs)) {
    for (const specifier of specifiersOf(readFileSync(path.join(root, from), 'utf8'))) {
      edges.push({ from, specifier, to: resolve(root, from, specifier) });
    }
  }
  return edges;
}
