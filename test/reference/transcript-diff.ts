// Compares two Java transcripts (test/compat/java/Transcript.java) value by value. The programs
// already print only what both brokers should agree on (counts and flags instead of ids, hosts and
// wall-clock times), so what differs here is behaviour; test/reference/known-differences.ts lists
// the differences that are deliberate, each with its reason.
import type { Step } from '../helpers/java-client.js';

export interface Difference {
  /** `step.field.subfield` (a config name may itself contain dots). */
  path: string;
  kafka: unknown;
  tributary: unknown;
}

function walk(path: string, a: unknown, b: unknown, out: Difference[]): void {
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    const keys = new Set([...Object.keys(a as object), ...Object.keys(b as object)]);
    for (const k of keys) {
      walk(path ? `${path}.${k}` : k, (a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], out);
    }
    return;
  }
  if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ path, kafka: a, tributary: b });
}

/** Differences between Kafka's and Tributary's transcripts, keyed by step name (order-independent). */
export function diffTranscripts(kafka: Step[], tributary: Step[]): Difference[] {
  const byName = (steps: Step[]) => Object.fromEntries(steps.map((s) => [s.step, { ...s, step: undefined }]));
  const out: Difference[] = [];
  walk('', byName(kafka), byName(tributary), out);
  return out;
}
