// The benchmark report: hand-drawn SVG charts (no chart library) — throughput over time, latency
// (p50, p99, max per second) over time, and latency by percentile on a log-scaled "nines" axis —
// as one SVG, or an HTML page holding them with the summary and the configuration.
import type { BenchResult } from './bench-command.js';

const W = 720;
const H = 260;
const M = { l: 64, r: 20, t: 34, b: 40 };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

interface Series {
  name: string;
  color: string;
  points: [number, number][];
}

/** Rounds a maximum up to 1, 2 or 5 times a power of ten so the ticks are readable. */
function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return ([1, 2, 5, 10].find((m) => m * p >= v) ?? 10) * p;
}

function lineChart(title: string, yLabel: string, series: Series[], opts: { xLabel: string; xTicks?: { at: number; label: string }[]; xMax?: number }, dy = 0): string {
  const all = series.flatMap((s) => s.points);
  const xMax = opts.xMax ?? Math.max(1, ...all.map((p) => p[0]));
  const yMax = niceMax(Math.max(0, ...all.map((p) => p[1])));
  const pw = W - M.l - M.r;
  const ph = H - M.t - M.b;
  const x = (v: number) => M.l + (v / xMax) * pw;
  const y = (v: number) => M.t + ph - (v / yMax) * ph;
  const parts: string[] = [`<g transform="translate(0,${dy})">`, `<text x="${M.l}" y="20" font-size="14" font-weight="bold">${esc(title)}</text>`];
  for (let i = 0; i <= 4; i++) {
    const v = (yMax * i) / 4;
    parts.push(`<line x1="${M.l}" x2="${W - M.r}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`);
    parts.push(`<text x="${M.l - 6}" y="${y(v) + 4}" font-size="11" text-anchor="end">${+v.toPrecision(3)}</text>`);
  }
  const xTicks = opts.xTicks ?? [0, 0.25, 0.5, 0.75, 1].map((f) => ({ at: f * xMax, label: String(+(f * xMax).toPrecision(3)) }));
  for (const t of xTicks) parts.push(`<text x="${x(t.at)}" y="${H - M.b + 16}" font-size="11" text-anchor="middle">${esc(t.label)}</text>`);
  parts.push(`<line x1="${M.l}" x2="${W - M.r}" y1="${M.t + ph}" y2="${M.t + ph}" stroke="#333"/>`, `<line x1="${M.l}" x2="${M.l}" y1="${M.t}" y2="${M.t + ph}" stroke="#333"/>`);
  parts.push(`<text x="${M.l + pw / 2}" y="${H - 6}" font-size="11" text-anchor="middle">${esc(opts.xLabel)}</text>`);
  parts.push(`<text x="14" y="${M.t + ph / 2}" font-size="11" text-anchor="middle" transform="rotate(-90 14 ${M.t + ph / 2})">${esc(yLabel)}</text>`);
  series.forEach((s, i) => {
    if (s.points.length > 0) {
      const d = s.points.map((p, j) => `${j === 0 ? 'M' : 'L'}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(' ');
      parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
      for (const p of s.points.length <= 60 ? s.points : []) parts.push(`<circle cx="${x(p[0]).toFixed(1)}" cy="${y(p[1]).toFixed(1)}" r="2.5" fill="${s.color}"/>`);
    }
    parts.push(`<rect x="${W - M.r - 110}" y="${M.t + 4 + i * 16}" width="10" height="10" fill="${s.color}"/><text x="${W - M.r - 96}" y="${M.t + 13 + i * 16}" font-size="11">${esc(s.name)}</text>`);
  });
  parts.push('</g>');
  return parts.join('\n');
}

function charts(r: BenchResult): string[] {
  const out = [
    lineChart('Throughput over time', 'MB/s', [{ name: 'MB/s', color: '#1f77b4', points: r.timeline.map((s) => [s.t, s.bytes / 1e6 / (intervalSeconds(r, s.t) || 1)]) }], { xLabel: 'seconds' }),
  ];
  if (r.latencyKind !== 'none') {
    const pts = (k: 'p50Ms' | 'p99Ms' | 'maxMs') => r.timeline.filter((s) => s[k] !== null).map((s) => [s.t, s[k]!] as [number, number]);
    out.push(
      lineChart(
        `Latency over time (${r.latencyKind})`,
        'ms',
        [
          { name: 'p50', color: '#2ca02c', points: pts('p50Ms') },
          { name: 'p99', color: '#ff7f0e', points: pts('p99Ms') },
          { name: 'max', color: '#d62728', points: pts('maxMs') },
        ],
        { xLabel: 'seconds' },
      ),
    );
    // Percentiles on a "nines" axis: x = -log10(1 - p/100), so 90, 99, 99.9 are evenly spaced.
    const nines = (p: number) => -Math.log10(Math.max(1e-4, 1 - p / 100));
    out.push(
      lineChart(`Latency by percentile (${r.latencyKind})`, 'ms', [{ name: 'latency', color: '#9467bd', points: r.percentiles.map((q) => [nines(q.percentile), q.ms]) }], {
        xLabel: 'percentile',
        xMax: 4,
        xTicks: [0, 50, 90, 99, 99.9, 99.99].map((p) => ({ at: nines(p), label: `${p}` })),
      }),
    );
  }
  return out;
}

/** Length of the interval that ended at t (the last one may be short). */
function intervalSeconds(r: BenchResult, t: number): number {
  const i = r.timeline.findIndex((s) => s.t === t);
  return i <= 0 ? t : t - r.timeline[i - 1]!.t;
}

export function renderSvgReport(r: BenchResult): string {
  const cs = charts(r);
  const body = cs.map((c, i) => c.replace('<g transform="translate(0,0)">', `<g transform="translate(0,${i * H})">`)).join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${cs.length * H}" font-family="sans-serif">\n<rect width="100%" height="100%" fill="white"/>\n${body}\n</svg>\n`;
}

export function renderHtmlReport(r: BenchResult): string {
  const l = r.latencyMs;
  const rows: [string, string][] = [
    ['records', String(r.records)],
    ['duration', `${(r.durationMs / 1000).toFixed(1)} s`],
    ['throughput', `${r.recordsPerSec.toFixed(1)} records/s, ${r.mbPerSec.toFixed(2)} MB/s`],
    ...(r.latencyKind === 'none' ? [] : ([[`${r.latencyKind} latency (ms)`, `p50 ${l.p50} · p95 ${l.p95} · p99 ${l.p99} · p99.9 ${l.p999} · max ${l.max} · mean ${l.mean}`]] as [string, string][])),
    ['errors', `${r.errors}${r.firstError ? ` (first: ${r.firstError})` : ''}`],
  ];
  const cfg = Object.entries(r.config).map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(Array.isArray(v) ? v.join(',') : String(v))}</td></tr>`);
  const svgs = charts(r).map((c) => `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">${c}</svg>`);
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>tributary bench ${esc(r.mode)}</title>
<style>body{font-family:sans-serif;margin:2em;max-width:${W + 40}px}td{padding:2px 12px 2px 0}h2{margin-top:1.5em}</style></head>
<body><h1>tributary bench ${esc(r.mode)}</h1>
<table>${rows.map(([k, v]) => `<tr><th align="left">${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table>
${svgs.join('\n')}
<h2>Configuration</h2><table>${cfg.join('')}</table>
<h2>Per second</h2><table><tr><th>t (s)</th><th>records</th><th>MB</th><th>p50 ms</th><th>p99 ms</th><th>max ms</th><th>errors</th></tr>
${r.timeline.map((s) => `<tr><td>${s.t}</td><td>${s.records}</td><td>${(s.bytes / 1e6).toFixed(2)}</td><td>${s.p50Ms ?? '-'}</td><td>${s.p99Ms ?? '-'}</td><td>${s.maxMs ?? '-'}</td><td>${s.errors}</td></tr>`).join('\n')}
</table></body></html>
`;
}
