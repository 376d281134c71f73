// Small SVG line charts of samples the page takes at each refresh (the Kafka protocol keeps no
// history to ask for).
const SVG = 'http://www.w3.org/2000/svg';
const HISTORY = 120; // samples kept per series (10 minutes at the 5 s refresh)
export const series = new Map(); // 'rate:topic' / 'lag:group' -> [{ t, v }], kept across page changes

export function sample(key, v) {
  const s = series.get(key) || [];
  s.push({ t: Date.now(), v });
  if (s.length > HISTORY) s.splice(0, s.length - HISTORY);
  series.set(key, s);
  return s;
}

/** A small line chart of the samples (oldest left), scaled to their maximum. */
export function sparkline(samples, label, width = 160, height = 32) {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('width', width);
  svg.setAttribute('height', height);
  svg.setAttribute('viewBox', '0 0 ' + width + ' ' + height);
  svg.setAttribute('class', 'spark');
  svg.setAttribute('data-points', String(samples.length));
  const title = document.createElementNS(SVG, 'title');
  title.textContent = label;
  svg.append(title);
  if (samples.length >= 2) {
    const max = Math.max(...samples.map((p) => p.v), 1);
    const t0 = samples[0].t;
    const span = Math.max(samples[samples.length - 1].t - t0, 1);
    const line = document.createElementNS(SVG, 'polyline');
    line.setAttribute('points', samples.map((p) => ((p.t - t0) / span * (width - 2) + 1).toFixed(1) + ',' + (height - 1 - (p.v / max) * (height - 2)).toFixed(1)).join(' '));
    svg.append(line);
  }
  return svg;
}
