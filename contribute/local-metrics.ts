// Phase one, at a partner: raw transactions (CSV: date, category, amount) become monthly sum and
// count per category. Only these contributions leave the partner; the raw rows never do.
import { parseCsvLine } from '../src/aggregation/record-format.js';

export interface LocalContribution {
  partner: string;
  category: string;
  /** YYYY-MM */
  month: string;
  sum: number;
  count: number;
}

export interface CsvColumns {
  date: string;
  category: string;
  amount: string;
  delimiter: string;
}

export const DEFAULT_COLUMNS: CsvColumns = { date: 'date', category: 'category', amount: 'amount', delimiter: ',' };

export interface LocalMetrics {
  /** key partner|category|month -> contribution, sorted by category then month. */
  contributions: Map<string, LocalContribution>;
  rows: number;
  skipped: { line: number; reason: string }[];
}

export function contributionKey(c: { partner: string; category: string; month: string }): string {
  return `${c.partner}|${c.category}|${c.month}`;
}

/** The month of an ISO-like date (2024-03-17, 2024-03-17T10:00:00Z, 2024/03/17). */
export function monthOf(date: string): string | null {
  const m = /^\s*(\d{4})[-/](\d{1,2})(?:[-/]\d{1,2})?/.exec(date);
  if (!m) return null;
  const month = Number(m[2]);
  if (month < 1 || month > 12) return null;
  return `${m[1]}-${String(month).padStart(2, '0')}`;
}

export function computeLocalMetrics(csv: string, partner: string, cols: CsvColumns = DEFAULT_COLUMNS): LocalMetrics {
  const lines = csv.split(/\r?\n/);
  const header = parseCsvLine(lines[0] ?? '', cols.delimiter)?.map((h) => h.trim()) ?? [];
  const idx = (name: string) => header.indexOf(name);
  const [di, ci, ai] = [idx(cols.date), idx(cols.category), idx(cols.amount)];
  if (di < 0 || ci < 0 || ai < 0) {
    throw new Error(`the CSV header must name the columns '${cols.date}', '${cols.category}' and '${cols.amount}' (found: ${header.join(', ') || 'nothing'})`);
  }
  const acc = new Map<string, LocalContribution>();
  const skipped: { line: number; reason: string }[] = [];
  let rows = 0;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    rows++;
    const cells = parseCsvLine(line, cols.delimiter);
    if (!cells || cells.length !== header.length) {
      skipped.push({ line: i + 1, reason: `expected ${header.length} columns` });
      continue;
    }
    const month = monthOf(cells[di]!);
    const category = cells[ci]!.trim();
    const amountText = cells[ai]!.trim();
    const amount = Number(amountText);
    if (!month) skipped.push({ line: i + 1, reason: `unreadable date '${cells[di]}'` });
    else if (category === '') skipped.push({ line: i + 1, reason: 'empty category' });
    else if (amountText === '' || !Number.isFinite(amount)) skipped.push({ line: i + 1, reason: `unreadable amount '${cells[ai]}'` });
    else {
      const key = contributionKey({ partner, category, month });
      const c = acc.get(key) ?? { partner, category, month, sum: 0, count: 0 };
      c.sum += amount;
      c.count++;
      acc.set(key, c);
    }
  }
  const sorted = [...acc.values()].sort((a, b) => (a.category === b.category ? a.month.localeCompare(b.month) : a.category.localeCompare(b.category)));
  // Rounded so that the same data always yields byte-identical contributions (a rerun changes nothing).
  for (const c of sorted) c.sum = Math.round(c.sum * 1e6) / 1e6;
  return { contributions: new Map(sorted.map((c) => [contributionKey(c), c])), rows, skipped };
}
