// The group key: the group field values joined by '|', the output topic's record key. A value
// holding '|' or '\' is escaped with '\' so the key splits back into the same values.
//   ["groceries", "2024-03"]  ->  groceries|2024-03
//   ["a|b", "c\\d"]           ->  a\|b|c\\d

export function encodeGroupKey(values: readonly string[]): string {
  let out = '';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += '|';
    const v = values[i]!;
    out += v.includes('|') || v.includes('\\') ? v.replace(/[\\|]/g, (c) => `\\${c}`) : v;
  }
  return out;
}

export function decodeGroupKey(key: string, count: number): string[] {
  if (count === 0) return [];
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < key.length; i++) {
    const c = key[i]!;
    if (c === '\\' && i + 1 < key.length) cur += key[++i]!;
    else if (c === '|') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  if (out.length !== count) throw new Error(`group key has ${out.length} parts, expected ${count}`);
  return out;
}
