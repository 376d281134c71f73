// Generates the partners' private raw data: card transactions (date, category, amount), one CSV
// per partner, deterministic (seeded) so every run of the demo shows the same numbers.
//
//   npx tsx examples/federated-spend/generate-data.ts [out-dir]
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PartnerProfile {
  name: string;
  seed: number;
  transactions: number;
  /** Average amount per category (a category missing here is one the partner has no data for). */
  typical: Record<string, number>;
}

// Each partner's customers spend differently, so each sees something different next to the
// peer group. electronics exists at two partners only: below the threshold of three, never shown.
export const PARTNERS: PartnerProfile[] = [
  { name: 'alpha', seed: 11, transactions: 1800, typical: { groceries: 48, restaurants: 31, travel: 420, fuel: 62, electronics: 310 } },
  { name: 'beta', seed: 22, transactions: 1500, typical: { groceries: 61, restaurants: 44, travel: 350, fuel: 55, electronics: 260 } },
  { name: 'gamma', seed: 33, transactions: 1200, typical: { groceries: 39, restaurants: 27, travel: 610, fuel: 70 } },
];

export const MONTHS = ['2024-01', '2024-02', '2024-03', '2024-04', '2024-05', '2024-06'];

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function partnerCsv(p: PartnerProfile): string {
  const r = rng(p.seed);
  const categories = Object.keys(p.typical);
  const lines = ['date,category,amount'];
  for (let i = 0; i < p.transactions; i++) {
    const month = MONTHS[Math.floor(r() * MONTHS.length)]!;
    const day = 1 + Math.floor(r() * 28);
    const category = categories[Math.floor(r() * categories.length)]!;
    // Seasonal travel in summer, and a right-skewed amount around the partner's typical value.
    const season = category === 'travel' && month >= '2024-05' ? 1.4 : 1;
    const amount = p.typical[category]! * season * (0.35 + 1.3 * r() * r() + 0.3 * r());
    lines.push(`${month}-${String(day).padStart(2, '0')},${category},${amount.toFixed(2)}`);
  }
  return lines.join('\n') + '\n';
}

export async function writePartnerData(dir: string): Promise<Record<string, string>> {
  await mkdir(dir, { recursive: true });
  const files: Record<string, string> = {};
  for (const p of PARTNERS) {
    const file = path.join(dir, `${p.name}-transactions.csv`);
    await writeFile(file, partnerCsv(p));
    files[p.name] = file;
  }
  return files;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), 'data');
  const files = await writePartnerData(dir);
  for (const [name, file] of Object.entries(files)) console.log(`${name}: ${file}`);
}
