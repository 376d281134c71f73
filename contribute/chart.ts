// The comparison as a picture: one panel per category, months along the x axis, the partner's
// average and the peer-group average as paired bars, the difference in percent above each pair.
// Plain SVG (no script, no external assets), optionally wrapped in an HTML page with the table.
import type { ComparisonRow } from './compare.js';

const PANEL_W = 760;
const PANEL_H = 210;
const MARGIN = { left: 64, right: 16, top: 34, bottom: 34 };
const LOCAL_COLOR = '#2b6cb0';
const PEER_COLOR = '#a0aec0';

export function renderSvg(partner: string, rows: ComparisonRow[]): string {
  const categories = [...new Set(rows.map((r) => r.category))];
  const legendH = 40;
  const height = legendH + categories.length * PANEL_H;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${PANEL_W}" height="${height}" viewBox="0 0 ${PANEL_W} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<title>${esc(`Peer-group comparison for ${partner}`)}</title>`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${MARGIN.left}" y="22" font-size="15" font-weight="600">${esc(`${partner}: average per transaction vs. peer group`)}</text>`,
    legend(PANEL_W - 300, 12),
  ];
  categories.forEach((cat, i) => parts.push(panel(cat, rows.filter((r) => r.category === cat), legendH + i * PANEL_H)));
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

function legend(x: number, y: number): string {
  return [
    `<rect x="${x}" y="${y}" width="12" height="12" fill="${LOCAL_COLOR}"/><text x="${x + 18}" y="${y + 10}">your average</text>`,
    `<rect x="${x + 120}" y="${y}" width="12" height="12" fill="${PEER_COLOR}"/><text x="${x + 138}" y="${y + 10}">peer-group average</text>`,
  ].join('');
}

function panel(category: string, rows: ComparisonRow[], top: number): string {
  const plotW = PANEL_W - MARGIN.left - MARGIN.right;
  const plotH = PANEL_H - MARGIN.top - MARGIN.bottom;
  const y0 = top + MARGIN.top + plotH;
  const max = niceMax(Math.max(1e-9, ...rows.flatMap((r) => [r.localAvg ?? 0, r.globalAvg ?? 0])));
  const scale = (v: number) => (v / max) * plotH;
  const slot = plotW / Math.max(1, rows.length);
  const bar = Math.min(28, slot / 3);
  const out: string[] = [`<g>`, `<text x="${MARGIN.left}" y="${top + 20}" font-size="13" font-weight="600">${esc(category)}</text>`];
  for (let t = 0; t <= 4; t++) {
    const v = (max / 4) * t;
    const y = y0 - scale(v);
    out.push(`<line x1="${MARGIN.left}" x2="${PANEL_W - MARGIN.right}" y1="${f(y)}" y2="${f(y)}" stroke="#e2e8f0"/>`);
    out.push(`<text x="${MARGIN.left - 6}" y="${f(y + 4)}" text-anchor="end" fill="#4a5568">${esc(short(v))}</text>`);
  }
  rows.forEach((r, i) => {
    const cx = MARGIN.left + slot * i + slot / 2;
    if (r.localAvg !== null) out.push(rect(cx - bar - 1, y0 - scale(r.localAvg), bar, scale(r.localAvg), LOCAL_COLOR, `${r.month}: your average ${r.localAvg.toFixed(2)}`));
    if (r.globalAvg !== null) out.push(rect(cx + 1, y0 - scale(r.globalAvg), bar, scale(r.globalAvg), PEER_COLOR, `${r.month}: peer average ${r.globalAvg.toFixed(2)} (${r.contributors} partners)`));
    else out.push(`<text x="${f(cx + 1 + bar / 2)}" y="${f(y0 - 4)}" text-anchor="middle" fill="#a0aec0" font-size="10">n/a</text>`);
    const top2 = Math.max(r.localAvg ?? 0, r.globalAvg ?? 0);
    if (r.diffPct !== null) {
      const color = r.diffPct >= 0 ? '#c05621' : '#2f855a';
      out.push(`<text x="${f(cx)}" y="${f(y0 - scale(top2) - 5)}" text-anchor="middle" fill="${color}" font-size="11">${r.diffPct >= 0 ? '+' : ''}${r.diffPct.toFixed(1)}%</text>`);
    }
    out.push(`<text x="${f(cx)}" y="${f(y0 + 16)}" text-anchor="middle" fill="#2d3748">${esc(r.month)}</text>`);
  });
  out.push(`<line x1="${MARGIN.left}" x2="${PANEL_W - MARGIN.right}" y1="${f(y0)}" y2="${f(y0)}" stroke="#4a5568"/>`, `</g>`);
  return out.join('\n');
}

function rect(x: number, y: number, w: number, h: number, fill: string, title: string): string {
  return `<rect x="${f(x)}" y="${f(y)}" width="${f(w)}" height="${f(Math.max(0, h))}" fill="${fill}"><title>${esc(title)}</title></rect>`;
}

export function renderHtml(partner: string, rows: ComparisonRow[]): string {
  const fmt = (n: number | null) => (n === null ? '&ndash;' : n.toFixed(2));
  const body = rows
    .map(
      (r) =>
        `<tr><td>${esc(r.category)}</td><td>${esc(r.month)}</td><td>${fmt(r.localAvg)}</td><td>${r.localCount}</td><td>${fmt(r.globalAvg)}</td><td>${r.contributors ?? '&ndash;'}</td><td class="${(r.diffPct ?? 0) >= 0 ? 'up' : 'down'}">${r.diffPct === null ? '&ndash;' : `${r.diffPct >= 0 ? '+' : ''}${r.diffPct.toFixed(1)}%`}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(`Peer-group comparison: ${partner}`)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;color:#1a202c}table{border-collapse:collapse;margin-top:1.5rem}
td,th{padding:.3rem .8rem;border-bottom:1px solid #e2e8f0;text-align:right}td:nth-child(-n+2),th:nth-child(-n+2){text-align:left}
.up{color:#c05621}.down{color:#2f855a}p{color:#4a5568;max-width:46rem}</style></head>
<body><h1>${esc(partner)}: your spending vs. the peer group</h1>
<p>Average amount per transaction, per category and month. The peer-group figure combines every partner's monthly sums and counts
(&Sigma; sums / &Sigma; counts); a group is shown only when enough partners contributed to it.</p>
${renderSvg(partner, rows)}
<table><thead><tr><th>Category</th><th>Month</th><th>Your avg</th><th>Txns</th><th>Peer avg</th><th>Partners</th><th>Diff</th></tr></thead>
<tbody>
${body}
</tbody></table></body></html>
`;
}

function niceMax(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function short(v: number): string {
  return v >= 1000 ? `${(v / 1000).toFixed(v % 1000 === 0 ? 0 : 1)}k` : v.toFixed(v % 1 === 0 ? 0 : 1);
}

const f = (n: number) => (Math.round(n * 10) / 10).toString();

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
