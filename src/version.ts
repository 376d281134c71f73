// The package version (package.json), for `tributary version`, logs and the metrics endpoint.
import fs from 'node:fs';

let cached: string | null = null;

export function version(): string {
  if (cached !== null) return cached;
  try {
    const pkg = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
    cached = pkg.version ?? 'unknown';
  } catch {
    cached = 'unknown';
  }
  return cached;
}
