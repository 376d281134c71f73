// Byte comparisons for tests: vitest's toEqual walks big Buffers element by element (seconds).
export function sameBytes(a: Buffer | null, b: Buffer | null): boolean {
  return a === null || b === null ? a === b : a.equals(b);
}

export function sameHeaders(a: { key: string; value: Buffer | null }[], b: { key: string; value: Buffer | null }[]): boolean {
  return a.length === b.length && a.every((h, i) => h.key === b[i]!.key && sameBytes(h.value, b[i]!.value));
}
