// Reading the broker's small JSON state files (topics, ACLs, SCRAM credentials, quotas): a file
// that does not exist yet means "nothing stored"; any other read or parse error is the caller's.
import { readFile } from 'node:fs/promises';

/** The parsed file, or null when it does not exist. */
export async function readJsonFile<T>(file: string): Promise<T | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  return JSON.parse(text) as T;
}
