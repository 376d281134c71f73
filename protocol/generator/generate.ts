/**
 * Generates the committed protocol codecs from Kafka's JSON message specs.
 *
 *   npx tsx protocol/generator/generate.ts [--specs DIR] [--check]
 *
 * Writes protocol/generated/*.ts (one module per API, header and data spec, plus index.ts and
 * schema.ts, apis.ts) and protocol/errors.ts. --check regenerates in memory and exits 1, listing the
 * files that differ from what is committed (CI runs it). Output is deterministic.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { emitModule, HEADER } from './emit-codec.js';
import { emitApis, emitErrors, emitIndex, emitSchema, kebab, type ApiPair } from './emit-tables.js';
import { loadAllSpecs, type MessageSpec } from './spec-loader.js';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEFAULT_SPECS_DIR = resolve(repoRoot, 'protocol', 'specs');

/** Returns a map of repo-relative path → file content. */
export function generateAll(specsDir: string): Map<string, string> {
  const specs = loadAllSpecs(specsDir);
  const files = new Map<string, string>();
  const byName = new Map(specs.map((s) => [s.name, s]));
  const apis: ApiPair[] = [];
  const schemaEntries: { spec: MessageSpec; module: string }[] = [];

  for (const request of specs.filter((s) => s.type === 'request')) {
    const apiName = request.name.replace(/Request$/, '');
    const response = byName.get(`${apiName}Response`);
    if (!response) throw new Error(`no response spec for ${request.name}`);
    if (response.apiKey !== request.apiKey) throw new Error(`${apiName}: request/response api keys differ`);
    const module = kebab(apiName);
    apis.push({ apiName, module, request, response });
    files.set(`protocol/generated/${module}.ts`, emitModule([request, response], `${apiName} (api key ${request.apiKey})`));
    schemaEntries.push({ spec: request, module }, { spec: response, module });
  }
  for (const spec of specs.filter((s) => s.type === 'header' || s.type === 'data')) {
    const module = kebab(spec.name);
    files.set(`protocol/generated/${module}.ts`, emitModule([spec], `${spec.name} (${spec.type})`));
    schemaEntries.push({ spec, module });
  }
  for (const s of specs) {
    if (s.type === 'response' && !byName.has(s.name.replace(/Response$/, 'Request'))) {
      throw new Error(`no request spec for ${s.name}`);
    }
  }
  const modules = [...files.keys()];
  if (new Set(modules).size !== modules.length) throw new Error('module name clash');

  files.set('protocol/generated/index.ts', emitIndex(apis));
  files.set('protocol/generated/apis.ts', emitApis(apis));
  files.set('protocol/generated/schema.ts', emitSchema(schemaEntries));
  files.set('protocol/errors.ts', emitErrors(readFileSync(join(specsDir, 'error-codes.tsv'), 'utf8')));
  return files;
}

function main(argv: string[]): number {
  let specsDir = DEFAULT_SPECS_DIR;
  let check = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--check') check = true;
    else if (argv[i] === '--specs') specsDir = resolve(argv[++i]);
    else {
      console.error(`unknown argument ${argv[i]}\nusage: generate.ts [--specs DIR] [--check]`);
      return 2;
    }
  }
  const files = generateAll(specsDir);
  const genDir = join(repoRoot, 'protocol', 'generated');
  // Generated files no longer produced (e.g. a spec was removed) are stale too.
  const stale = existsSync(genDir)
    ? readdirSync(genDir)
        .map((f) => `protocol/generated/${f}`)
        .filter((p) => !files.has(p) && readFileSync(join(repoRoot, p), 'utf8').startsWith(HEADER))
    : [];

  if (check) {
    const differing: string[] = [];
    for (const [path, content] of files) {
      const abs = join(repoRoot, path);
      if (!existsSync(abs) || readFileSync(abs, 'utf8') !== content) differing.push(path);
    }
    differing.push(...stale.map((p) => `${p} (stale)`));
    if (differing.length > 0) {
      console.error(`generated code is out of date; run \`npm run generate\`:\n  ${differing.join('\n  ')}`);
      return 1;
    }
    console.log(`generated code is up to date (${files.size} files)`);
    return 0;
  }
  mkdirSync(genDir, { recursive: true });
  let written = 0;
  for (const [path, content] of files) {
    const abs = join(repoRoot, path);
    if (existsSync(abs) && readFileSync(abs, 'utf8') === content) continue;
    writeFileSync(abs, content);
    written++;
  }
  for (const p of stale) unlinkSync(join(repoRoot, p));
  console.log(
    `generated ${files.size} files from ${relative(process.cwd(), specsDir) || '.'} ` +
      `(${written} changed, ${stale.length} removed)`,
  );
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
