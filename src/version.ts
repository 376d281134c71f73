// The package version (package.json), for `tributary version`, logs and the metrics endpoint.
import fs from 'node:fs';

let cached: string | null = null;

export function version(): string {
  if (cached !== null) return cached;
  cached = 'unknown';
  // src/version.ts in a checkout, dist/src/version.js in the published package.
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(fs.readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name !== 'tributary') continue;
      cached = pkg.version ?? 'unknown';
      break;
    } catch {
      // not here: try the next candidate
    }
  }
  return cached;
}
